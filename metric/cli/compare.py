"""`infomem compare`: rank saved results and check them against an extrinsic metric.

Registered by :mod:`infomem.cli`; imports stay light until the handler runs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from infomem.errors import InvalidInputError

__all__ = ["add_parsers", "parse_extrinsic"]

_DESCRIPTION = """\
Rank models by mean entropy and mean MI from result files written by
`infomem score --out`. Refuses results whose settings, sample count, inputs or
architecture differ, naming what differs. With --extrinsic, reports Kendall tau
between each score and your metric (e.g. accuracy on a shortcut-free test set)."""

_EPILOG = """\
Sign convention: tau is computed between the score and the extrinsic value. With
--expect shortcut (default) the paper predicts tau(entropy) = +1 and tau(MI) = -1 for a
higher-is-better metric; with --expect example (random-label memorization), -1 and +1.
"agreement" is tau times that expected sign (+1 = perfect agreement, as in the paper's
Table 2).

examples:
  infomem compare a.json b.json c.json --labels a b c --extrinsic a=0.91 b=0.84 c=0.62
  infomem compare runs/*.json --by mean_mi --json
  infomem compare a.json b.json --extrinsic 0.9 0.7 --plot comparison.png"""


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "compare", help="rank saved results by entropy / MI; Kendall tau vs a metric",
        description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("results", nargs="+", metavar="RESULT.json",
                   help="result files from `infomem score --out` (two or more)")
    p.add_argument("--labels", nargs="+", metavar="NAME",
                   help="one name per result (default: the file names without .json)")
    p.add_argument("--extrinsic", nargs="+", metavar="LABEL=VALUE",
                   help="the metric per result: LABEL=VALUE pairs, or one VALUE per result "
                   "in order")
    p.add_argument("--extrinsic-name", default="extrinsic",
                   help="what the metric is called in the table (default: extrinsic)")
    p.add_argument("--expect", default="shortcut", choices=["shortcut", "example", "none"],
                   help="memorization the models differ in; sets the expected tau signs "
                   "(default: shortcut)")
    p.add_argument("--lower-is-better", action="store_true",
                   help="the extrinsic metric is better when lower (an error, a gap)")
    p.add_argument("--by", default="mean_entropy",
                   choices=["mean_entropy", "mean_mi", "median_entropy"],
                   help="order of the table (default: mean_entropy, highest first)")
    p.add_argument("--allow-different-data", action="store_true",
                   help="compare results scored on different inputs (same S and settings)")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.add_argument("--plot", metavar="PATH",
                   help="save per-layer entropy boxes and MI side by side (.png)")
    p.set_defaults(handler=_cmd_compare)


def parse_extrinsic(items: list[str] | None, labels: list[str]) -> Any:
    """`a=0.9 b=0.8` -> {"a": 0.9, "b": 0.8}; `0.9 0.8` -> [0.9, 0.8]."""
    if not items:
        return None
    if all("=" in item for item in items):
        out: dict[str, float] = {}
        for item in items:
            label, _, value = item.rpartition("=")
            if label in out:
                raise InvalidInputError(f"`--extrinsic` gives {label!r} twice.")
            out[label] = _number(value, item)
        return out
    if any("=" in item for item in items):
        raise InvalidInputError(
            "`--extrinsic` mixes LABEL=VALUE pairs and bare values; use one form "
            f"(labels: {', '.join(labels)})."
        )
    return [_number(item, item) for item in items]


def _number(text: str, item: str) -> float:
    try:
        return float(text)
    except ValueError as e:
        raise InvalidInputError(
            f"`--extrinsic {item}`: {text!r} is not a number; write LABEL=VALUE, e.g. a=0.91."
        ) from e


def _check_distinct(paths: list[str]) -> None:
    """One result file named twice would be ranked against itself."""
    seen: dict[Path, str] = {}
    for path in paths:
        key = Path(path).resolve()
        if key in seen:
            raise InvalidInputError(f"The result {path!r} is given twice (as {seen[key]!r} too); "
                                    "pass each result file once.")
        seen[key] = path


def _cmd_compare(args: argparse.Namespace) -> int:
    from infomem.cli.outputs import check_output
    from infomem.scoring.result import Result
    from infomem.scoring.selection import compare

    check_output(args.plot, flag="--plot", image=True)
    _check_distinct(args.results)
    results = [Result.from_json(path) for path in args.results]
    labels = args.labels or [Path(path).name.removesuffix(".json") for path in args.results]
    comparison = compare(
        results, by=args.by, extrinsic=parse_extrinsic(args.extrinsic, list(labels)),
        labels=labels, extrinsic_name=args.extrinsic_name,
        expect=None if args.expect == "none" else args.expect,
        higher_is_better=not args.lower_is_better,
        allow_different_data=args.allow_different_data,
    )
    if args.plot:
        comparison.plot(args.plot)
    if args.json:
        print(json.dumps(comparison.to_dict(), indent=2))
        return 0
    from rich.console import Console

    from infomem.presentation.tables import print_table

    console = Console()
    print_table(console, comparison.table())
    if args.plot:
        console.print(f"saved {args.plot}", style="dim", soft_wrap=True)
    return 0
