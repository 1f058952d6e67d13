"""infomem.hub: scores on model cards, the metric as a Space, shared result datasets.

Nothing here touches the Hub at import time; huggingface_hub itself loads on first use.

- :func:`annotate_model_card` / :func:`annotate_card_text`: model-index eval results,
  `.eval_results/` files and a readable section with a plot (and a UnitMem subsection),
  as a PR by default; `extraction=` adds a separate verbatim-extraction block
  (:func:`render_extraction`), with or without scores.
- :func:`publish_metric`: a Space holding the evaluate metric script, so
  ``evaluate.load("ORG/NAME")`` works; :func:`upload_space` (files, README YAML,
  requirements, variables) for any Space, used by ``infomem deploy-space``. Both Spaces
  carry a copy of infomem (:mod:`infomem.hub.vendor`), so they build on the real Hub.
- :func:`push_results` / :func:`load_results`: a dataset repo of results, one record per
  model x data x settings, one file per kind (scores, extraction, UnitMem).
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "annotate_model_card": "infomem.hub.cards",
    "annotate_card_file": "infomem.hub.cards",
    "CardUpdate": "infomem.hub.cards",
    "annotate_card_text": "infomem.hub.card_data",
    "eval_results": "infomem.hub.card_data",
    "eval_result_files": "infomem.hub.card_data",
    "render_section": "infomem.hub.card_section",
    "render_extraction": "infomem.hub.card_extraction",
    "publish_metric": "infomem.hub.spaces",
    "upload_space": "infomem.hub.spaces",
    "SpaceUpload": "infomem.hub.spaces",
    "push_results": "infomem.hub.results_repo",
    "load_results": "infomem.hub.results_repo",
    "record_key": "infomem.hub.results_records",
    "HubError": "infomem.errors",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'infomem.hub' has no attribute {name!r}")
