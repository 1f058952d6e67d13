"""ModelCache: the last few models stay loaded; the oldest goes first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infomem.activations.models import LoadedModel, ModelCache, load_model


def test_model_cache_keeps_the_last_models(tiny_bert: Path, tiny_gpt2: Path) -> None:
    loads: list[str] = []

    def loader(model_id: Any, **kwargs: Any) -> LoadedModel:
        loads.append(str(model_id))
        return load_model(model_id, **kwargs)

    cache = ModelCache(max_models=1, loader=loader)
    bert = cache.get(str(tiny_bert))
    assert cache.get(str(tiny_bert)) is bert and loads == [str(tiny_bert)]
    cache.get(str(tiny_bert), torch_dtype="float32")  # other settings: another entry
    assert len(loads) == 2 and len(cache) == 1
    cache.get(str(tiny_gpt2))
    assert cache.get(str(tiny_bert)) is not bert  # evicted, loaded again
    assert loads == [str(tiny_bert), str(tiny_bert), str(tiny_gpt2), str(tiny_bert)]
