"""Terminal rendering of a UnitMemReport (rich tables): per-layer distributions and the
top units with their maximizing example. `infomem unitmem` and `infomem score --measures
unitmem` print these."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infomem.presentation.tables import fmt, print_table

if TYPE_CHECKING:
    from infomem.scoring.unitmem_report import UnitMemReport

__all__ = ["print_unit_mem", "layer_table", "top_table", "TOP_SHOWN"]

TOP_SHOWN = 3  # top units printed per layer (all of them are in --json / --out)


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
                      fmt(layer.mean), fmt(layer.median), f"{fmt(layer.q1, 2)}–{fmt(layer.q3, 2)}",
                      *(fmt(layer.share_above.get(t), 2) for t in thresholds),
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
            table.add_row(label, str(top.unit), fmt(top.value), fmt(top.maximum), f"#{top.example}",
                          *((top.text or "",) if texts else ()))
        table.add_section()
    return table


def print_unit_mem(report: UnitMemReport, *, saved: list[str] | tuple[str, ...] = ()) -> None:
    """Both tables, the timings and how to read the ties at 1.0; then the files saved."""
    from rich.console import Console

    console = Console()
    print_table(console, layer_table(report))
    print_table(console, top_table(report))
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in report.timings.items())
    console.print(f"UnitMem in [0, 1]: 1 = a unit fires for one example only · {timing}",
                  style="dim")
    console.print("at 1.0 = units tied at exactly 1: zero on at least half of the other "
                  "examples (median 0), whatever their maximizer. Untrained networks score high "
                  "too: compare models of one architecture scored alike.", style="dim")
    for path in saved:
        console.print(f"saved {path}", style="dim", soft_wrap=True)
