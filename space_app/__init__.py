"""infomem.space: the Gradio web demo (Score, Compare, Extraction,
Leaderboard, About).

``build_app()`` returns a ``gr.Blocks``; ``space_app/app.py`` is what a Space runs;
``infomem app`` runs it locally. gradio loads only when the app is built, so importing
this package has no side effects.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["build_app", "SpaceConfig", "ENV_VARS"]

_LAZY = {
    "build_app": "infomem.space.ui",
    "SpaceConfig": "infomem.space.config",
    "ENV_VARS": "infomem.space.config",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'infomem.space' has no attribute {name!r}")
