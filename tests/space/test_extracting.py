"""The Extraction tab (infomem.space.extracting): the request read from the form, and a run that
keeps the causal LM loaded, checked against infomem.extraction on the same model."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacekit import factories_texts

import infomem
from infomem.space import SpaceConfig


def test_extraction_request_from_the_form() -> None:
    from infomem.space.extracting import ExtractionRequest

    request = ExtractionRequest.from_form({"model_id": None, "texts": "a", "file": None,
                                           "column": None, "reference": None,
                                           "prefix_tokens": 0, "suffix_tokens": None,
                                           "min_k": 0.5})
    assert request == ExtractionRequest(texts="a", prefix_tokens=0, suffix_tokens=None,
                                        min_k=0.5)  # numbers go as sent: the library checks them


def test_extraction_keeps_the_causal_lm_loaded(tiny_gpt2: Path, tmp_path: Path) -> None:
    from infomem.space.extracting import ExtractionRequest, causal_lms, run_extraction

    space = SpaceConfig(allow_local=True, cached_models=1)
    models = causal_lms(space)
    texts = factories_texts(16, seed=5)
    request = ExtractionRequest(model_id=str(tiny_gpt2), texts="\n".join(texts),
                                prefix_tokens=2, suffix_tokens=2)
    first = run_extraction(request, space, models, tmp_path / "first")
    assert len(models) == 1  # the request went through the cache
    loaded = models.get(str(tiny_gpt2))
    second = run_extraction(request, space, models, tmp_path / "second")
    assert models.get(str(tiny_gpt2)) is loaded and len(models) == 1  # loaded once, reused
    direct = infomem.extraction(str(tiny_gpt2), texts, prefix_tokens=2, suffix_tokens=2,
                                progress=False)
    assert ({k: v for k, v in first.scores.items() if k != "timings"}
            == {k: v for k, v in second.scores.items() if k != "timings"})
    numbers = {k: v for k, v in direct.summary().items() if isinstance(v, (int, float))}
    assert numbers and {k: first.scores[k] for k in numbers} == pytest.approx(numbers)
    assert first.scores["model"] == direct.summary()["model"]
