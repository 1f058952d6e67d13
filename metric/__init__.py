"""infomem: label-free memorization diagnostics from activation diversity.

Per-neuron entropy and pairwise mutual information of a model's activations on
unlabeled inputs (Bansal, Pruthi & Belinkov, NeurIPS 2022). Heavy modules load on
first use, so ``import infomem`` and ``infomem --help`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "score": "infomem.scores",
    "score_activations": "infomem.scores",
    "Result": "infomem.result",
    "LayerSummary": "infomem.result",
    "Settings": "infomem.settings",
    "Activations": "infomem.capture",
    "capture": "infomem.capture",
    "compare": "infomem.selection",
    "unit_mem_score": "infomem.unitmem_score",
    "extraction": "infomem.extraction",
    "ExtractionResult": "infomem.extraction",
    "UnitMemReport": "infomem.unitmem_report",
    "Comparison": "infomem.selection",
    "InfoMem": "infomem.evaluate_module",
    "metric_script_path": "infomem.install",
    "install_metric": "infomem.install",
    "InfomemError": "infomem.errors",
    "InvalidInputError": "infomem.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'infomem' has no attribute {name!r}")
