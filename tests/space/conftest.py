"""One launched Space app for the whole tests/space session (127.0.0.1, a free port, offline).

Limits are set low so cap refusals are cheap to test; local paths are allowed so the tiny
models built from configs can be scored.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # `tests.support` (the fake Hub) however pytest was started
    sys.path.insert(0, str(_ROOT))

from spacekit import MAX_PARAMS, MAX_SAMPLES, LaunchedApp, factories_texts  # noqa: E402

from tests.support.fixtures import fake_hub, hub_client  # noqa: E402,F401

import factories  # noqa: E402  (tests/ is on sys.path: tests/conftest.py)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _big_config(folder: Path) -> Path:
    """A BERT-large config and tokenizer without weights: refused by size before loading."""
    from transformers import BertConfig

    factories.tiny_tokenizer(folder).save_pretrained(folder)
    BertConfig(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
               intermediate_size=4096).save_pretrained(folder)
    return folder


def _memorized_lm(folder: Path) -> Path:
    """A tiny GPT-2 LM that writes out the first 12 of `factories.random_texts(24)`."""
    tokenizer = factories.tiny_tokenizer(folder)
    factories.memorized_gpt2(tokenizer, factories.random_texts(24)[:12]).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _write_results(folder: Path, bert: Path, bert2: Path) -> None:
    """Three comparable results, one with other settings, and two files that are not results."""
    import infomem

    folder.mkdir(parents=True, exist_ok=True)
    texts = factories_texts(60)
    for name, model, bins in (("a", bert, 100), ("b", bert2, 100), ("c", bert, 20)):
        result = infomem.score(str(model), texts, mi_estimator="binned", bins=bins,
                               progress=False)
        result.to_json(folder / f"result-{name}.json")
    (folder / "notes.json").write_text(json.dumps({"hello": 1}), encoding="utf-8")
    (folder / "broken.json").write_text("{not json", encoding="utf-8")


@pytest.fixture(scope="session")
def space_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("space-models")
    return {
        "bert": factories.save_tiny_bert(root / "bert", seed=0),
        "bert2": factories.save_tiny_bert(root / "bert2", seed=1),
        "gpt2": factories.save_tiny_gpt2(root / "gpt2"),
        "memorized": _memorized_lm(root / "memorized"),
        "big": _big_config(root / "big"),
    }


@pytest.fixture(scope="session")
def app(space_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[LaunchedApp]:
    from infomem.space import SpaceConfig, build_app

    results = tmp_path_factory.mktemp("space") / "results"
    _write_results(results, space_models["bert"], space_models["bert2"])
    config = SpaceConfig(max_samples=MAX_SAMPLES, default_samples=120, max_params=MAX_PARAMS,
                         max_models=3, concurrency=2, max_queue=16, cached_models=3,
                         allow_local=True, results_dir=str(results))
    demo = build_app(config=config)
    port = _free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                quiet=True)
    try:
        yield LaunchedApp(f"http://127.0.0.1:{port}/", demo, results, space_models)
    finally:
        demo.close()


@pytest.fixture(scope="session")
def client(app: LaunchedApp) -> Any:
    return app.client()
