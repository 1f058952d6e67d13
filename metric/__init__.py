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
    "score": "infomem.scoring.scores",
    "score_activations": "infomem.scoring.scores",
    "Result": "infomem.scoring.result",
    "LayerSummary": "infomem.scoring.result",
    "Settings": "infomem.scoring.settings",
    "Activations": "infomem.activations.hooks",
    "capture": "infomem.activations.hooks",
    "compare": "infomem.scoring.selection",
    "unit_mem_score": "infomem.scoring.unitmem",
    "extraction": "infomem.scoring.extraction",
    "ExtractionResult": "infomem.scoring.extraction",
    "UnitMemReport": "infomem.scoring.unitmem_report",
    "Comparison": "infomem.scoring.selection",
    "InfoMem": "infomem.glue.evaluate_module",
    "metric_script_path": "infomem.glue.install",
    "install_metric": "infomem.glue.install",
    "InfomemError": "infomem.errors",
    "InvalidInputError": "infomem.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'infomem' has no attribute {name!r}")
