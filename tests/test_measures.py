"""UnitMem as a measure of infomem.score (infomem.scoring.measures): the same report as
unit_mem_score on text and on a module, entropy and MI unchanged, one model load, and
bad measure choices or unusable models refused in one line before any model work."""

from __future__ import annotations

import json

import numpy as np
import pytest

from infomem.errors import InvalidInputError
from infomem.scoring.unitmem import unit_mem_score
from infomem.scoring.unitmem_report import UnitMemReport

import factories


def _one_line(excinfo: pytest.ExceptionInfo) -> str:
    text = str(excinfo.value)
    assert "\n" not in text
    return text


def _same_report(got: UnitMemReport, want: UnitMemReport) -> None:
    """Equal per-unit values and argmax, summaries, top units, settings and sample."""
    assert got.per_layer == want.per_layer and got.settings == want.settings
    assert got.n_samples == want.n_samples and got.model == want.model
    for a, b in zip(got.per_layer, want.per_layer, strict=True):
        np.testing.assert_array_equal(a.values, b.values)
        np.testing.assert_array_equal(a.argmax, b.argmax)


def _tanh_bert(folder):
    """A tiny BERT whose MLP activation is tanh: no non-negative module to hook."""
    path = factories.save_tiny_bert(folder)
    config = json.loads((path / "config.json").read_text())
    (path / "config.json").write_text(json.dumps({**config, "hidden_act": "tanh"}))
    return path


def test_score_with_unitmem_equals_unit_mem_score_on_text(tiny_bert, texts, monkeypatch):
    from infomem.activations import models
    from infomem.scoring.scores import score

    loads = []
    real = models.load_model
    monkeypatch.setattr(models, "load_model", lambda *a, **k: loads.append(a) or real(*a, **k))
    many = texts * 4
    both = score(str(tiny_bert), many, measures=("entropy", "mi", "unitmem"), augmentations=2,
                 mi_estimator="binned", max_samples=20, seed=3, progress=False)
    assert len(loads) == 1  # UnitMem ran on the model score() loaded
    alone = unit_mem_score(str(tiny_bert), many, augmentations=2, max_samples=20, seed=3,
                           progress=False)
    _same_report(both.unitmem, alone)
    assert both.unitmem.data == alone.data and both.n_samples == alone.n_samples == 20
    plain = score(str(tiny_bert), many, mi_estimator="binned", max_samples=20, seed=3,
                  progress=False)  # UnitMem changes none of the entropy / MI numbers
    assert plain.unitmem is None and plain.per_layer == both.per_layer
    assert (plain.mean_entropy, plain.mean_mi) == (both.mean_entropy, both.mean_mi)
    assert plain.settings == both.settings and "unitmem" in both.timings


def test_score_with_unitmem_equals_unit_mem_score_on_a_module():
    from infomem.scoring.scores import score

    mlp, x = factories.tiny_mlp(), factories.mlp_rows(60)
    both = score(mlp, x, measures=["entropy", "unitmem"], unitmem_layers=["3", "5"],
                 max_samples=50, progress=False)
    alone = unit_mem_score(mlp, x, layers=["3", "5"], max_samples=50, progress=False)
    _same_report(both.unitmem, alone)
    assert both.mean_mi is None and both.settings.mi_estimator == "none"
    assert [x.name for x in both.unitmem.per_layer] == ["3", "5"]


def test_score_measures_refusals_are_one_line_and_before_model_work(tmp_path):
    from infomem.scoring.scores import score
    from infomem.scoring.settings import Settings

    cases = [
        ({"measures": ("mi", "unitmem")}, "leaves out 'entropy'.*infomem.unit_mem_score"),
        ({"measures": "unitmem"}, "leaves out 'entropy'"),
        ({"measures": ("entropy", "foo")}, "`measures` must be one or more of"),
        ({"measures": ()}, "`measures` must be one or more of"),
        ({"measures": ("entropy",), "mi_estimator": "ksg"}, "`mi_estimator='ksg'` asks for MI"),
        ({"measures": ("entropy",), "settings": Settings(mi_estimator="binned")},
         "`mi_estimator='binned'` asks for MI"),
        ({"augmentations": 3}, "`augmentations` is a UnitMem option.*no 'unitmem'"),
        ({"unitmem_layers": ["1"]}, "`unitmem_layers` is a UnitMem option"),
        ({"measures": ("entropy", "unitmem"), "augmentations": 0},
         "`augmentations` must be an integer >= 1"),
        ({"measures": ("entropy", "unitmem"), "augment": lambda t, r: t},
         "`augmentations=1` keeps only the examples"),
        ({"measures": ("entropy", "unitmem"), "augmentations": 2, "augment": "drop"},
         "`augment` must be a callable"),
    ]
    for kwargs, message in cases:  # no model id here would load: the checks come first
        with pytest.raises(InvalidInputError, match=message) as e:
            score("no/such-model-anywhere", ["a text"] * 5, progress=False, **kwargs)
        _one_line(e)
    settings = Settings(mi_estimator="none")  # "mi" left out and no MI asked for: fine
    result = score(factories.tiny_mlp(), factories.mlp_rows(), measures=("entropy",), settings=settings,
                   progress=False)
    assert result.mean_mi is None


def test_score_refuses_unitmem_on_a_model_without_activation_modules(tmp_path, texts):
    from infomem.scoring.scores import score

    with pytest.raises(InvalidInputError, match="UnitMem: Block encoder.layer.0 of BertModel "
                       "has no activation module.*`unitmem_layers=`") as e:
        score(str(_tanh_bert(tmp_path / "tanh")), texts, measures=("entropy", "unitmem"),
              progress=False)
    _one_line(e)
    with pytest.raises(InvalidInputError, match="UnitMem: .*no activation module") as e:
        score(factories.functional_mlp(), factories.mlp_rows(), measures=("entropy", "unitmem"),
              progress=False)
    _one_line(e)
