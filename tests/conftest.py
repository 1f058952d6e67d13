"""Shared fixtures: tiny real models built from configs (session-scoped, offline)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

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


def _model(models_dir: Path, name: str, build) -> Path:
    folder = models_dir / name
    if not (folder / "config.json").exists():
        build(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_bert(models_dir: Path) -> Path:
    return _model(models_dir, "bert", factories.save_tiny_bert)


@pytest.fixture(scope="session")
def tiny_gpt2(models_dir: Path) -> Path:
    return _model(models_dir, "gpt2", factories.save_tiny_gpt2)


@pytest.fixture(scope="session")
def tiny_t5(models_dir: Path) -> Path:
    return _model(models_dir, "t5", factories.save_tiny_t5)


@pytest.fixture(scope="session")
def tiny_vit(models_dir: Path) -> Path:
    return _model(models_dir, "vit", factories.save_tiny_vit)


@pytest.fixture(scope="session")
def tiny_resnet(models_dir: Path) -> Path:
    return _model(models_dir, "resnet", factories.save_tiny_resnet)
