"""`infomem unitmem`: which units single out one example, and which example (UnitMem).

Registered by :mod:`infomem.cli`; imports stay light until the handler runs.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from infomem.cli import add_options, options_from_args, silence_library_bars

if TYPE_CHECKING:
    from infomem.scoring.unitmem_report import UnitMemReport

__all__ = ["add_parsers", "print_unit_mem", "layer_table", "top_table"]

TOP_SHOWN = 3  # top units printed per layer (all of them are in --json / --out)

_DESCRIPTION = """\
Run MODEL over unlabeled inputs (usually its training split) and report, per layer, how
strongly each unit singles out one example: UnitMem = (m - med) / (m + med), with m the
unit's largest per-example mean activation and med the median over the other examples
(Wang, Dziedzic, Backes, Boenisch, NeurIPS 2024). In [0, 1]; 1 = fires for one example.
Hooks non-negative post-activation modules: ReLU outputs, CNN stage outputs (averaged
over space), transformer MLP activations (GELU / SiLU clipped at 0 per token, then
averaged over the real tokens). With no arguments: the embedded all-MiniLM-L6-v2 on the
bundled text sample, offline."""

_EPILOG = """\
Units that are zero on at least half of the other examples have med = 0 and UnitMem
exactly 1 ("at 1.0"): the top list breaks those ties by the larger maximum activation.
Untrained networks score high too; compare only models of one architecture scored alike.

examples:
  infomem unitmem
  infomem unitmem my-model --file train.txt --augmentations 5 --out unitmem.json
  infomem unitmem google/vit-base-patch16-224 --dataset cifar10 --split train --plot um.png"""


def add_parsers(sub: Any) -> None:
    from infomem.options import option

    p = sub.add_parser("unitmem", help="UnitMem: units that fire for one example, and which",
                       description=_DESCRIPTION, epilog=_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", nargs="?", default=None,
                   help="Hub id or local path (default: embedded all-MiniLM-L6-v2)")
    add_options(p, "inputs")
    add_options(p, "loading")
    g = p.add_argument_group("UnitMem")
    g.add_argument("--layers", nargs="+", default=None, metavar="LAYER",
                   help="block indices or module names to hook instead of each block's "
                   "activation modules (named modules must be non-negative, or GELU / SiLU)")
    g.add_argument("--augmentations", type=int, default=1, metavar="A",
                   help="views per example, averaged: the example and A-1 augmented views "
                   "(images: crop, flip, colour jitter; text: drop 10%% of the words) (default: 1)")
    g.add_argument("--seed", type=int, default=option("seed").default,
                   help="seed for subsampling and the augmented views (default: 0)")
    add_options(p, "settings", only=("max_samples", "batch_size", "max_length"),
                title="sampling and batching")
    o = p.add_argument_group("run and output")
    o.add_argument("--json", action="store_true", help="print the report (no per-unit arrays) as JSON")
    o.add_argument("--out", help="write the full report JSON here (per-unit values included)")
    o.add_argument("--plot", help="save the per-layer UnitMem figure here (.png)")
    o.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(handler=_cmd_unitmem)


def _cmd_unitmem(args: argparse.Namespace) -> int:
    from infomem.cli.outputs import check_output
    from infomem.scoring.unitmem import unit_mem_score

    check_output(args.out, flag="--out")
    check_output(args.plot, flag="--plot", image=True)
    quiet = args.quiet or args.json
    if quiet:
        silence_library_bars()
    report = unit_mem_score(
        args.model, layers=args.layers, augmentations=args.augmentations, seed=args.seed,
        max_samples=args.max_samples, batch_size=args.batch_size, max_length=args.max_length,
        progress=not quiet, **options_from_args(args, "inputs"),
        **options_from_args(args, "loading"),
    )
    if args.out:
        report.to_json(args.out)
    if args.plot:
        report.plot(args.plot)
    if args.json:
        from infomem.scoring.result import jsonable

        print(json.dumps(jsonable(report.summary()), indent=2))
    else:
        print_unit_mem(report, saved=[x for x in (args.out, args.plot) if x])
    return 0


def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def layer_table(report: UnitMemReport) -> Any:
    """One row per layer: the UnitMem distribution and the ties at 1.0."""
    from rich.table import Table

    from infomem.presentation.unitmem_plot import short_labels

    labels, pattern = short_labels([x.name for x in report.per_layer])
    s = report.settings
    table = Table(title=f"UnitMem · {report.model.get('id', 'model')} · {pattern}",
                  caption=f"S={report.n_samples} · A={s.get('augmentations')} "
                  f"({s.get('augment')}) · seed {s.get('seed')} · {s.get('pooling')}"
                  + (" · GELU/SiLU clipped at 0 per token" if s.get("clipped") else ""))
    thresholds = sorted({t for layer in report.per_layer for t in layer.share_above})
    columns = ["layer", "activation", "units", "defined", "mean", "median", "IQR",
               *(f"> {t:g}" for t in thresholds), "at 1.0"]
    for name in columns:
        table.add_column(name, justify="left" if name in ("layer", "activation") else "right")
    for layer, label in zip(report.per_layer, labels, strict=True):
        table.add_row(label, layer.activation, str(layer.n_units), str(layer.n_defined),
                      _f(layer.mean), _f(layer.median), f"{_f(layer.q1, 2)}–{_f(layer.q3, 2)}",
                      *(_f(layer.share_above.get(t), 2) for t in thresholds),
                      str(layer.n_at_one))
    return table


def top_table(report: UnitMemReport, shown: int = TOP_SHOWN) -> Any:
    """The first ``shown`` top units of each layer and the example that maximizes each."""
    from rich.table import Table

    from infomem.presentation.unitmem_plot import short_labels

    labels, _ = short_labels([x.name for x in report.per_layer])
    texts = any(t.text is not None for layer in report.per_layer for t in layer.top)
    table = Table(title="Top units and their maximizing example",
                  caption="ties at the same UnitMem: the larger maximum m first")
    for name in ("layer", "unit", "UnitMem", "max m", "example", *(("text",) if texts else ())):
        table.add_column(name, justify="left" if name in ("layer", "text") else "right",
                         overflow="fold" if name == "text" else "ellipsis")
    for layer, label in zip(report.per_layer, labels, strict=True):
        for top in layer.top[:shown]:
            table.add_row(label, str(top.unit), _f(top.value), _f(top.maximum), f"#{top.example}",
                          *((top.text or "",) if texts else ()))
        table.add_section()
    return table


def print_unit_mem(report: UnitMemReport, *, saved: list[str] | tuple[str, ...] = ()) -> None:
    from rich.console import Console

    console = Console()
    console.print(layer_table(report))
    console.print(top_table(report))
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in report.timings.items())
    console.print(f"UnitMem in [0, 1]: 1 = a unit fires for one example only · {timing}",
                  style="dim")
    console.print("at 1.0 = units tied at exactly 1: zero on at least half of the other "
                  "examples (median 0), whatever their maximizer. Untrained networks score high "
                  "too: compare models of one architecture scored alike.", style="dim")
    for path in saved:
        console.print(f"saved {path}", style="dim")
