"""`infomem unitmem`: which units single out one example, and which example (UnitMem).

Registered by :mod:`infomem.cli`; the handler is the core's :func:`infomem.cli.unit_mem_command`,
which `infomem score --measures unitmem` runs too. Imports stay light until it runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from infomem.cli import add_options, unit_mem_command

__all__ = ["add_parsers"]

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
    p = sub.add_parser("unitmem", help="UnitMem: units that fire for one example, and which",
                       description=_DESCRIPTION, epilog=_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", nargs="?", default=None,
                   help="Hub id or local path (default: embedded all-MiniLM-L6-v2)")
    add_options(p, "inputs")
    add_options(p, "loading")
    add_options(p, "unitmem", aliases={"unitmem_layers": ("--layers",)}, title="UnitMem")
    add_options(p, "settings", only=("seed", "max_samples", "batch_size", "max_length"),
                title="sampling and batching")
    o = p.add_argument_group("run and output")
    o.add_argument("--json", action="store_true", help="print the report (no per-unit arrays) as JSON")
    o.add_argument("--out", help="write the full report JSON here (per-unit values included)")
    o.add_argument("--plot", help="save the per-layer UnitMem figure here (.png)")
    o.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(handler=unit_mem_command)
