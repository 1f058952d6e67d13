"""The `infomem` command. Heavy libraries load inside handlers so `--help` is instant."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from infomem.errors import InfomemError, InvalidInputError

__all__ = ["main", "build_parser"]

_EPILOG = """\
Scores are relative: compare models of one architecture on the same inputs with the same
settings. Low entropy + high MI suggests shortcut memorization; high entropy + low MI,
example-level memorization (Bansal, Pruthi & Belinkov, NeurIPS 2022)."""


def _settings_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("estimator settings (defaults reproduce the paper)")
    g.add_argument("--max-samples", type=int, default=2500, help="examples scored (default 2500)")
    g.add_argument("--seed", type=int, default=0, help="subsampling seed (default 0)")
    g.add_argument("--bins", type=int, default=100, help="entropy bins (default 100)")
    g.add_argument("--binning", default="global", choices=["global", "layer", "neuron"],
                   help="bin range: global (paper), per layer, per neuron")
    g.add_argument("--correction", default=None, choices=["miller-madow"],
                   help="entropy bias correction (default none)")
    g.add_argument("--k", type=int, default=3, help="KSG neighbours (default 3)")
    g.add_argument("--mi-estimator", default="ksg", choices=["ksg", "binned", "none"],
                   help="MI estimator (default ksg, the paper's)")
    g.add_argument("--mi-neurons-per-layer", type=int, default=64,
                   help="neurons per layer entering MI (default 64; 0 = all)")
    g.add_argument("--mi-subset", default="first", choices=["first", "random"])
    g.add_argument("--mi-diagonal", action="store_true",
                   help="average the full MI matrix with self-MI, as the paper's code")
    g.add_argument("--pooling", default=None, choices=["first", "last", "mean"],
                   help="token pooling (default: first for encoders, last for decoders)")
    g.add_argument("--layers", nargs="+", default=None,
                   help="block indices or module names to capture instead of all blocks")
    g.add_argument("--max-length", type=int, default=512, help="tokens per text (default 512)")
    g.add_argument("--batch-size", type=int, default=16, help="examples per forward pass")
    g.add_argument("--n-bootstrap", type=int, default=0,
                   help="bootstrap resamples for entropy confidence intervals (default 0)")


def _settings_from(args: argparse.Namespace) -> Any:
    from infomem.settings import Settings

    per_layer = args.mi_neurons_per_layer
    return Settings(
        max_samples=args.max_samples, seed=args.seed, bins=args.bins, binning=args.binning,
        correction=args.correction, k=args.k, mi_estimator=args.mi_estimator,
        mi_neurons_per_layer=None if per_layer == 0 else per_layer, mi_subset=args.mi_subset,
        mi_diagonal=args.mi_diagonal, pooling=args.pooling,
        layers=tuple(args.layers) if args.layers else None, max_length=args.max_length,
        batch_size=args.batch_size, n_bootstrap=args.n_bootstrap,
    )


def _add_score(sub: Any) -> None:
    p = sub.add_parser(
        "score", help="score a model's activation diversity on unlabeled inputs",
        description="Run MODEL over unlabeled inputs and print per-layer entropy and MI. "
        "With no arguments: the embedded all-MiniLM-L6-v2 on the bundled text sample, offline.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", nargs="?", default=None,
                   help="Hub id or local path (default: embedded all-MiniLM-L6-v2)")
    src = p.add_argument_group("inputs (default: the bundled text sample)")
    src.add_argument("--dataset", help="datasets id or local dataset directory")
    src.add_argument("--config", help="dataset configuration name")
    src.add_argument("--split", help="dataset split (default: validation, test or the first)")
    src.add_argument("--column", help="text or image column (default: text-like column)")
    src.add_argument("--data-revision", help="dataset revision")
    src.add_argument("--streaming", action="store_true", help="stream the dataset (first N rows)")
    src.add_argument("--file", help="local .txt (one text per line), .csv, .json, .jsonl, .parquet")
    m = p.add_argument_group("model loading")
    m.add_argument("--revision", help="model revision (branch, tag or commit)")
    m.add_argument("--device-map", help='accelerate device map, e.g. "auto" to shard across GPUs')
    m.add_argument("--torch-dtype", help="float32, bfloat16, float16 or auto")
    m.add_argument("--trust-remote-code", action="store_true")
    m.add_argument("--num-processes", type=int, default=1,
                   help="capture and KSG split across N processes (torchrun; one per GPU)")
    m.add_argument("--mi-device", help='compute MI (KSG or binned) with torch on this device, e.g. "cuda"')
    _settings_args(p)
    o = p.add_argument_group("output")
    o.add_argument("--json", action="store_true", help="print the scores as JSON on stdout")
    o.add_argument("--out", help="write the full result JSON here (for compare / card)")
    o.add_argument("--plot", help="save the per-layer entropy / MI figure here (.png)")
    o.add_argument("--mi-matrix", action="store_true", help="keep the MI matrix in --out")
    o.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(handler=_cmd_score)


def _relaunch(n: int) -> int:
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


def _cmd_score(args: argparse.Namespace) -> int:
    import os

    if args.num_processes < 1:
        raise InvalidInputError(f"`--num-processes` must be >= 1; received {args.num_processes}.")
    if args.num_processes > 1 and "WORLD_SIZE" not in os.environ:
        return _relaunch(args.num_processes)
    from infomem.scores import score

    result = score(
        args.model, dataset=args.dataset, config=args.config, split=args.split,
        column=args.column, data_revision=args.data_revision, streaming=args.streaming,
        file=args.file, revision=args.revision, device_map=args.device_map,
        torch_dtype=args.torch_dtype, trust_remote_code=args.trust_remote_code,
        return_mi_matrix=args.mi_matrix, progress=not args.quiet and not args.json,
        mi_device=args.mi_device,
        settings=_settings_from(args),
    )
    if os.environ.get("RANK", "0") != "0":
        return 0  # one process writes and prints
    if args.out:
        result.to_json(args.out)
    if args.plot:
        result.plot(args.plot)
    if args.json:
        from infomem.result import _jsonable

        print(json.dumps(_jsonable(result.summary()), indent=2))
    else:
        from infomem.report import print_result

        print_result(result, saved=[x for x in (args.out, args.plot) if x])
    return 0


def _add_install_metric(sub: Any) -> None:
    p = sub.add_parser(
        "install-metric", help="make evaluate.load('infomem') work (offline too)",
        description="Copy the metric script into evaluate's module cache "
        "(HF_MODULES_CACHE, else HF_HOME/modules), where evaluate.load('infomem') finds it.",
    )
    p.add_argument("--cache-dir", help="module cache to seed (default: evaluate's)")
    p.set_defaults(handler=_cmd_install_metric)


def _cmd_install_metric(args: argparse.Namespace) -> int:
    from infomem.install import install_metric

    path = install_metric(args.cache_dir)
    print(f"Installed the infomem metric at {path}; use evaluate.load('infomem').")
    return 0


def _optional_parsers(sub: Any) -> None:
    """Subcommands that live with their feature (compare, Hub tools, the Space)."""
    import importlib

    for module in ("infomem.selection_cli", "infomem.hub.cli", "infomem.space.cli"):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
            continue
        mod.add_parsers(sub)


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
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
