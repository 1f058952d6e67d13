"""LoadedModel and ModelCache: inputs of the wrong modality are refused and texts are cut to
the model's positions; the last few models stay loaded, the oldest goes first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infomem.activations.hooks import capture
from infomem.activations.models import LoadedModel, ModelCache, load_model
from infomem.errors import InvalidInputError

import factories


def test_model_cache_keeps_the_last_models(tiny_bert: Path, tiny_gpt2: Path) -> None:
    loads: list[str] = []

    def loader(model_id: Any, **kwargs: Any) -> LoadedModel:
        loads.append(str(model_id))
        return load_model(model_id, **kwargs)

    cache = ModelCache(max_models=1, loader=loader)
    bert = cache.get(str(tiny_bert))
    assert cache.get(str(tiny_bert)) is bert and loads == [str(tiny_bert)]
    assert cache.get(str(tiny_bert), revision=None, torch_dtype=None) is bert  # None: as unset
    assert len(loads) == 1
    cache.get(str(tiny_bert), torch_dtype="float32")  # other settings: another entry
    assert len(loads) == 2 and len(cache) == 1
    cache.get(str(tiny_bert), device_map="cpu")  # another option, even of one value
    assert len(loads) == 3
    cache.get(str(tiny_gpt2))
    assert cache.get(str(tiny_bert)) is not bert  # evicted, loaded again
    assert loads == [str(tiny_bert)] * 3 + [str(tiny_gpt2), str(tiny_bert)]


def test_modality_mismatch(tiny_bert, tiny_vit, texts):
    with pytest.raises(InvalidInputError, match="image model but received text"):
        capture(load_model(tiny_vit), texts, progress=False)
    with pytest.raises(InvalidInputError, match="text model but received Image"):
        capture(load_model(tiny_bert), factories.random_images(2), progress=False)


def test_texts_are_cut_to_the_models_positions(tmp_path):
    path = factories.save_tiny_bert(tmp_path / "short")  # 64 positions
    loaded = load_model(path)
    long_text = " ".join(["the good film"] * 100)
    acts = capture(loaded, [long_text, "a cat"], max_length=512, progress=False)
    assert acts.values.shape == (2, 64) and loaded.max_tokens(512) == 64


def test_model_cache_loads_a_model_once_for_concurrent_requests(tiny_bert: Path) -> None:
    import threading
    import time

    loads: list[str] = []

    def slow_loader(model_id: Any, **kwargs: Any) -> LoadedModel:
        loads.append(str(model_id))
        time.sleep(0.2)  # the second request arrives while the first still loads
        return load_model(model_id, **kwargs)

    cache = ModelCache(max_models=2, loader=slow_loader)
    got: list[LoadedModel] = []
    threads = [threading.Thread(target=lambda: got.append(cache.get(str(tiny_bert))))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert loads == [str(tiny_bert)] and got[0] is got[1]


def test_a_model_path_must_be_a_model_folder(tmp_path: Path) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="is a file, not a model.*pass it as `file=`"):
        load_model(texts)
    with pytest.raises(InvalidInputError, match="has no config.json: give a folder written by"):
        load_model(tmp_path)
