"""The Score tab's handlers (infomem.space.handlers): form inputs to score() keywords, estimator
choices to settings, and the MI heatmap's layer labels and boundaries against the result."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacekit import factories_texts

import infomem
from infomem.errors import InvalidInputError
from infomem.space import SpaceConfig, handlers


def test_input_spec_to_score_kwargs(tmp_path: Path) -> None:
    public = SpaceConfig()
    assert handlers.InputSpec().score_kwargs(public) == {}
    spec = handlers.InputSpec(source="text", texts=" a \n\n b\n")
    assert spec.score_kwargs(public) == {"inputs": ["a", "b"]}
    spec = handlers.InputSpec(source="dataset", dataset=" imdb ", split="test", column="text")
    assert spec.score_kwargs(public) == {"dataset": "imdb", "config": None, "split": "test",
                                         "column": "text"}
    assert handlers.InputSpec(source="file", file="x.csv").score_kwargs(public) == {
        "file": "x.csv", "column": None}
    with pytest.raises(InvalidInputError, match="does not read local paths as dataset ids"):
        handlers.InputSpec(source="dataset", dataset=str(tmp_path)).score_kwargs(public)
    with pytest.raises(InvalidInputError, match="Unknown input source 'url'"):
        handlers.InputSpec(source="url").score_kwargs(public)


def test_estimator_choice() -> None:
    settings = handlers.EstimatorChoice(max_samples=50.0, bins=20.0, k=5.0).settings(SpaceConfig())
    assert (settings.max_samples, settings.bins, settings.k) == (50, 20, 5)
    with pytest.raises(InvalidInputError, match="`bins` must be a whole number"):
        handlers.EstimatorChoice(bins=2.5).settings(SpaceConfig())
    with pytest.raises(InvalidInputError, match="`mi_estimator` must be one of"):
        handlers.EstimatorChoice(mi_estimator="magic").settings(SpaceConfig())


def test_mi_heatmap_marks_the_layer_boundaries(space_models: dict[str, Path], tmp_path: Path) -> None:
    result = infomem.score(str(space_models["gpt2"]), factories_texts(40), mi_neurons_per_layer=5,
                           return_mi_matrix=True, progress=False)
    view = handlers.score_view(result, tmp_path)
    heatmap = view.figure.axes[1]
    names = [layer.name for layer in result.per_layer]
    assert [t.get_text() for t in heatmap.get_xticklabels()] == names
    assert [t.get_text() for t in heatmap.get_yticklabels()] == names
    edges = sorted({line.get_ydata()[0] for line in heatmap.lines if line.get_ydata()[0] ==
                    line.get_ydata()[1]})
    assert edges == [5 * i - 0.5 for i in range(1, len(names))]
