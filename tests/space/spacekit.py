"""Helpers shared by the Space tests (the launched app's handle, texts, limits)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import factories

MAX_SAMPLES = 1000  # the default cap, so the screenshot shows what a Space shows
MAX_PARAMS = 40_000_000  # MiniLM (22.7M) fits; the "big" config below does not


@dataclass
class LaunchedApp:
    url: str
    demo: Any
    results_dir: Path
    models: dict[str, Path]

    def client(self) -> Any:
        from gradio_client import Client

        return Client(self.url, verbose=False, download_files=str(self.results_dir.parent / "dl"))


def factories_texts(n: int, seed: int = 0) -> list[str]:
    """`n` short sentences over the tiny tokenizer's vocabulary."""
    import numpy as np

    rng = np.random.default_rng(seed)
    words = factories.WORDS
    return [" ".join(rng.choice(words, size=int(rng.integers(3, 12)))) for _ in range(n)]


