"""Shared fixtures: tiny real models built from configs (session-scoped, offline)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_EVALUATE_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import factories  # noqa: E402

TEXTS = [
    "the good film",
    "a bad movie was very boring and not fun at all really",
    "i love this cat",
    "the old river by the big city at night",
    "it was quite a great story but the music was awful",
    "red blue green",
]


@pytest.fixture(scope="session")
def texts() -> list[str]:
    return list(TEXTS)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


def _model_fixture(name: str, build: Callable[[Path], Path]) -> Any:
    """A session fixture: the folder of a tiny model `build` saves once per session."""

    @pytest.fixture(scope="session")
    def folder(models_dir: Path) -> Path:
        path = models_dir / name
        if not (path / "config.json").exists():
            build(path)
        return path

    return folder


tiny_bert = _model_fixture("bert", factories.save_tiny_bert)
tiny_gpt2 = _model_fixture("gpt2", factories.save_tiny_gpt2)
tiny_t5 = _model_fixture("t5", factories.save_tiny_t5)
tiny_vit = _model_fixture("vit", factories.save_tiny_vit)
tiny_resnet = _model_fixture("resnet", factories.save_tiny_resnet)
