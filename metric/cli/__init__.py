"""The `infomem` command. Heavy libraries load inside handlers so `--help` is instant."""

from __future__ import annotations

import argparse
import functools
import json
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from infomem.errors import InfomemError, InvalidInputError

__all__ = ["main", "build_parser", "add_command", "add_options", "options_from_args",
           "silence_library_bars", "relaunch", "unit_mem_command", "Arguments"]

Arguments = dict[str, dict[str, Any]]  # flag (or positional name) -> argparse keywords

_EPILOG = """\
Scores are relative: compare models of one architecture on the same inputs with the same
settings. Low entropy + high MI suggests shortcut memorization; high entropy + low MI,
example-level memorization (Bansal, Pruthi & Belinkov, NeurIPS 2022)."""


def add_command(sub: Any, name: str, arguments: Arguments, handler: Callable[..., int], *,
                late_positional: str | None = None, **texts: Any) -> argparse.ArgumentParser:
    """One subcommand from its declared arguments. ``late_positional``: an optional
    positional that may also come after the flags (``card MODEL --dry-run RESULT``)."""
    p = sub.add_parser(name, **texts)
    for flag, keywords in arguments.items():
        p.add_argument(flag, **keywords)
    p.set_defaults(handler=handler, late_positional=late_positional)
    return p


def add_options(p: argparse.ArgumentParser, group: str, *, only: Sequence[str] | None = None,
                title: str | None = None,
                aliases: Mapping[str, Sequence[str]] | None = None) -> None:
    """One argument group of the catalogue (:mod:`infomem.options`): flags, help, defaults;
    ``only`` some of its options, under ``title``; ``aliases`` adds flags shown first."""
    from infomem.options import GROUPS, in_group

    g = p.add_argument_group(title or GROUPS[group])
    for opt in in_group(group):
        if opt.cli_flag is None or (only is not None and opt.name not in only):
            continue
        kw: dict[str, Any] = {"dest": opt.name, "help": opt.help_with_default().replace("%", "%%"),
                              **opt.extra}
        if opt.kind == "bool":
            kw["action"] = "store_true"
        else:
            kw["default"] = opt.default
            if opt.kind in ("int", "fraction"):
                kw["type"] = int if opt.kind == "int" else float
            elif opt.kind == "choice":
                kw["choices"] = [c for c in opt.choices if c is not None]
        if opt.metavar:
            kw["metavar"] = opt.metavar
        g.add_argument(*(aliases or {}).get(opt.name, ()), opt.cli_flag, **kw)


def options_from_args(args: argparse.Namespace, group: str) -> dict[str, Any]:
    """The parsed values of one catalogue group, converted back to Python values."""
    from infomem.options import in_group, parse_mapping

    out: dict[str, Any] = {}
    for opt in in_group(group):
        if not hasattr(args, opt.name):
            continue
        value = getattr(args, opt.name)
        if opt.none_is_all and value == 0:
            value = None
        elif opt.kind == "mapping":
            value = parse_mapping(value, opt.name)
        out[opt.name] = value
    return out


def _settings_from(args: argparse.Namespace) -> Any:
    from infomem.scoring.settings import Settings

    return Settings(**options_from_args(args, "settings"))


def _add_score(sub: Any) -> None:
    p = sub.add_parser(
        "score", help="score a model's activation diversity on unlabeled inputs",
        description="Run MODEL over unlabeled inputs and print per-layer entropy and MI "
        "(`--measures entropy mi unitmem` adds UnitMem; `--measures unitmem`: UnitMem only). "
        "With no arguments: the embedded all-MiniLM-L6-v2 on the bundled text sample, offline.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", nargs="?", default=None,
                   help="Hub id or local path (default: embedded all-MiniLM-L6-v2)")
    add_options(p, "inputs")
    add_options(p, "loading")
    add_options(p, "settings")
    add_options(p, "run")
    add_options(p, "unitmem")
    o = p.add_argument_group("how this run goes")
    o.add_argument("--num-processes", type=int, default=1,
                   help="capture and KSG split across N processes (torchrun; one per GPU; "
                   "default: 1)")
    o.add_argument("--json", action="store_true", help="print the scores as JSON on stdout")
    o.add_argument("--out", help="write the full result JSON here (for compare / card; with "
                   "--measures unitmem alone: the UnitMem report)")
    o.add_argument("--plot", help="save the per-layer entropy / MI figure here (.png; with "
                   "unitmem in --measures, its figure goes beside it as NAME_unitmem.png; "
                   "with --measures unitmem alone: the UnitMem figure)")
    o.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(handler=_cmd_score)


def relaunch(n: int) -> int:
    """Run this same command in N processes with torchrun (drops --num-processes)."""
    import os
    import subprocess

    argv, skip = [], False
    for arg in sys.argv[1:]:
        if skip:
            skip = False
        elif arg == "--num-processes":
            skip = True
        elif not arg.startswith("--num-processes="):
            argv.append(arg)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc_per_node={n}", "-m", "infomem.cli", *argv]
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    return subprocess.run(command, env=env, check=False).returncode


def _unit_mem_alone(args: argparse.Namespace) -> None:
    """Refuse entropy / MI flags on `--measures unitmem`: they would be silently ignored."""
    from infomem.options import OPTIONS

    used = {"seed", "max_samples", "batch_size", "max_length", "measures"}
    for opt in OPTIONS.values():
        if opt.group in ("settings", "run") and opt.name not in used and opt.cli_flag and \
                getattr(args, opt.name, opt.default) not in (opt.default, False):
            ours = " (UnitMem's modules: --unitmem-layers)" if opt.name == "layers" else ""
            raise InvalidInputError(
                f"`{opt.cli_flag}` does not apply to `--measures unitmem` (no entropy or MI); "
                f"drop it, or add entropy to --measures{ours}.")
    if args.num_processes != 1:
        raise InvalidInputError("UnitMem runs in one process: drop `--num-processes`.")


def _cmd_score(args: argparse.Namespace) -> int:
    import os

    from infomem.options import OPTIONS, check_options

    measures = check_options({"measures": args.measures})["measures"]
    if measures == ("unitmem",):
        _unit_mem_alone(args)
        return unit_mem_command(args)
    if args.num_processes < 1:
        raise InvalidInputError(f"`--num-processes` must be >= 1; received {args.num_processes}.")
    if args.num_processes > 1 and "unitmem" in measures:
        raise InvalidInputError("UnitMem runs in one process: drop `--num-processes`, or "
                                "leave unitmem out of --measures.")
    if args.num_processes > 1 and "WORLD_SIZE" not in os.environ:
        return relaunch(args.num_processes)
    from infomem.cli.outputs import check_output
    from infomem.scoring.scores import score

    check_output(args.out, flag="--out")
    check_output(args.plot, flag="--plot", image=True)
    if args.quiet or args.json:
        silence_library_bars()
    with warnings.catch_warnings(record=True) as caught:  # printed after the scores
        warnings.simplefilter("always")
        result = score(
            args.model, progress=not args.quiet and not args.json,
            settings=_settings_from(args),
            **options_from_args(args, "inputs"), **options_from_args(args, "loading"),
            **options_from_args(args, "run"),
            **{k: v for k, v in options_from_args(args, "unitmem").items()  # set ones only:
               if v != OPTIONS[k].default},  # score() refuses them without unitmem
        )
    if os.environ.get("RANK", "0") != "0":
        return 0  # one process writes and prints
    from infomem.cli.outputs import unitmem_figure_path, write_or_keep
    from infomem.scoring.files import jsonable

    saved = []
    if args.out and write_or_keep(lambda: result.to_json(args.out), what="result JSON",
                                  path=args.out, fallback_text=result.to_json):
        saved.append(args.out)
    figures = [] if not args.plot else [(args.plot, result.plot)]
    if args.plot and result.unitmem is not None:
        figures.append((unitmem_figure_path(args.plot), result.unitmem.plot))
    for path, draw in figures:
        if write_or_keep(functools.partial(draw, path), what="plot", path=path):
            saved.append(path)
    failed = len(saved) < len(figures) + bool(args.out)
    if args.json:
        print(json.dumps(jsonable(result.summary()), indent=2))
    else:
        from infomem.presentation.tables import print_result
        from infomem.presentation.unitmem_tables import print_unit_mem

        print_result(result, saved=() if result.unitmem is not None else saved)
        if result.unitmem is not None:
            print_unit_mem(result.unitmem, saved=saved)
    ours = (str(w.message) for w in caught if issubclass(w.category, UserWarning))
    for message in dict.fromkeys(ours):
        if message not in result.warnings or args.json:
            print(f"warning: {message}", file=sys.stderr)
    return 2 if failed else 0


def unit_mem_command(args: argparse.Namespace) -> int:
    """UnitMem alone: `infomem unitmem` and `infomem score --measures unitmem`."""
    from infomem.cli.outputs import check_output
    from infomem.scoring.unitmem import unit_mem_score

    check_output(args.out, flag="--out")
    check_output(args.plot, flag="--plot", image=True)
    quiet = args.quiet or args.json
    if quiet:
        silence_library_bars()
    report = unit_mem_score(
        args.model, layers=args.unitmem_layers, augmentations=args.augmentations, seed=args.seed,
        max_samples=args.max_samples, batch_size=args.batch_size, max_length=args.max_length,
        progress=not quiet, **options_from_args(args, "inputs"),
        **options_from_args(args, "loading"),
    )
    if args.out:
        report.to_json(args.out)
    if args.plot:
        report.plot(args.plot)
    if args.json:
        from infomem.scoring.files import jsonable

        print(json.dumps(jsonable(report.summary()), indent=2))
    else:
        from infomem.presentation.unitmem_tables import print_unit_mem

        print_unit_mem(report, saved=[x for x in (args.out, args.plot) if x])
    return 0


def silence_library_bars() -> None:
    """--quiet / --json: no transformers "Loading weights" or GGUF "de-quantizing" bars, no
    datasets "Generating" bars."""
    import datasets
    import transformers
    from transformers import modeling_gguf_pytorch_utils as gguf_loading

    transformers.utils.logging.disable_progress_bar()
    datasets.disable_progress_bars()
    # The GGUF converter calls tqdm directly, past transformers' switch above.
    gguf_loading.tqdm = functools.partial(gguf_loading.tqdm, disable=True)


def _add_install_metric(sub: Any) -> None:
    p = sub.add_parser(
        "install-metric", help="make evaluate.load('infomem') work (offline too)",
        description="Copy the metric script into evaluate's module cache "
        "(HF_MODULES_CACHE, else HF_HOME/modules), where evaluate.load('infomem') finds it.",
    )
    p.add_argument("--cache-dir", help="module cache to seed (default: evaluate's)")
    p.set_defaults(handler=_cmd_install_metric)


def _cmd_install_metric(args: argparse.Namespace) -> int:
    from infomem.glue.install import install_metric

    path = install_metric(args.cache_dir)
    print(f"Installed the infomem metric at {path}; use evaluate.load('infomem').")
    return 0


def _optional_parsers(sub: Any) -> None:
    """Subcommands that live with their feature (compare, unitmem, the Hub tools, the
    Space), registered as `infomem.commands` entry points: the core names none of them."""
    from importlib.metadata import entry_points

    for entry in sorted(entry_points(group="infomem.commands"), key=lambda e: e.name):
        try:
            add_parsers = entry.load()
        except ModuleNotFoundError as e:  # a part left out of this install: no command
            if e.name != entry.module:
                raise
            continue
        add_parsers(sub)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="infomem",
        description="Label-free memorization diagnostics: entropy and mutual information "
        "of a model's neuron activations on unlabeled inputs.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from infomem import __version__

    parser.add_argument("--version", action="version", version=f"infomem {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_score(sub)
    _add_install_metric(sub)
    _optional_parsers(sub)
    return parser


def _one_line_warnings(message: Any, category: Any, *_: Any, **__: Any) -> None:
    print(f"warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    late = getattr(args, "late_positional", None)
    if late and getattr(args, late) is None and len(extra) == 1 and not extra[0].startswith("-"):
        setattr(args, late, extra.pop())  # argparse gives `?` its None before the flags
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    warnings.showwarning = _one_line_warnings
    try:
        return handler(args)
    except InfomemError as e:
        if args.debug:
            raise
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
