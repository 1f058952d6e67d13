"""Result: JSON round-trips (with and without the nested UnitMem report), non-finite
numbers as null, foreign and damaged files refused, and the light copy without arrays."""

from __future__ import annotations

import json

import numpy as np
import pytest

from infomem.errors import ResultFormatError
from infomem.scoring.result import FORMAT, LayerSummary, Result
from infomem.scoring.settings import Settings


def _result(**extra) -> Result:
    layer = LayerSummary("layer.0", 3, 1.0, 1.1, 0.9, 1.2, 1.0, 1.2, 0.4)
    return Result(
        mean_entropy=1.0, median_entropy=1.1, mean_mi=0.4, n_samples=300, n_neurons=3,
        per_layer=(layer,), settings=Settings(bins=50, layers=("a", "b")),
        model={"id": "org/m", "sha": "abc"}, data={"kind": "default"},
        versions={"infomem": "0.1.0"}, timings={"capture": 1.5}, created_at="2026-01-01T00:00:00+00:00",
        **{"neuron_entropy": np.array([0.5, 1.1, 1.4]), **extra},
    )


def test_json_round_trip(tmp_path):
    original = _result(mi_matrix=np.eye(2), mi_neurons=np.array([0, 2]))
    path = tmp_path / "r.json"
    original.to_json(path)
    loaded = Result.from_json(path)
    assert loaded == original
    np.testing.assert_array_equal(loaded.neuron_entropy, original.neuron_entropy)
    np.testing.assert_array_equal(loaded.mi_matrix, np.eye(2))
    assert loaded.settings.layers == ("a", "b")
    summary = loaded.summary()
    assert summary["settings"]["n_samples"] == 300 and summary["settings"]["model"]["sha"] == "abc"
    assert "mi_matrix" not in summary


def test_non_finite_numbers_become_null(tmp_path):
    data = json.loads(_result(neuron_entropy=None).to_json())
    assert data["format"] == FORMAT
    r = _result()
    object.__setattr__(r, "mean_mi", float("nan"))
    assert json.loads(r.to_json())["mean_mi"] is None


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json", "is not JSON"),
        ('{"scores": 1}', "is not an infomem result"),
        (json.dumps({"format": FORMAT, "format_version": 99}), "format version 99"),
        (json.dumps({"format": FORMAT, "format_version": 1}), "damaged infomem result"),
    ],
)
def test_foreign_files_are_refused(tmp_path, content, message):
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ResultFormatError, match=message):
        Result.from_json(path)
    with pytest.raises(ResultFormatError, match="does not exist"):
        Result.from_json(tmp_path / "missing.json")


def _unit_mem_report():
    from infomem.scoring.unitmem_report import LayerUnitMem, UnitExample, UnitMemReport

    layer = LayerUnitMem(
        name="encoder.layer.0.intermediate.intermediate_act_fn", activation="GELUActivation",
        clipped=True, n_units=3, n_defined=2, mean=0.6, median=0.6, q1=0.4, q3=0.8,
        share_above={0.5: 0.5, 0.9: 0.5}, n_at_one=1,
        top=(UnitExample(2, 1.0, 0.8, 7, "the good film"), UnitExample(0, 0.2, 0.3, 1, "a")),
        values=np.array([0.2, np.nan, 1.0]), argmax=np.array([1, 0, 7]))
    return UnitMemReport(per_layer=(layer,), n_samples=300, settings={"augmentations": 1},
                         model={"id": "org/m"}, timings={"capture": 0.5})


def test_unitmem_round_trips_inside_the_result(tmp_path):
    original = _result(unitmem=_unit_mem_report())
    path = tmp_path / "r.json"
    original.to_json(path)
    saved = json.loads(path.read_text())
    assert saved["format_version"] == 1 and saved["unitmem"]["format"] == "infomem-unitmem"
    loaded = Result.from_json(path)
    assert loaded == original and loaded.unitmem == original.unitmem
    layer = loaded.unitmem.per_layer[0]
    np.testing.assert_array_equal(layer.values, [0.2, np.nan, 1.0])  # NaN: undefined unit
    np.testing.assert_array_equal(layer.argmax, [1, 0, 7])
    summary = loaded.summary()["unitmem"]
    assert summary["per_layer"][0]["top"][0]["text"] == "the good film"
    assert "values" not in summary["per_layer"][0]
    json.dumps(loaded.summary(), allow_nan=False)  # what the metric returns is plain JSON


def test_results_written_before_unitmem_still_read(tmp_path):
    old = _result().to_dict()
    assert "unitmem" not in old and old["format_version"] == 1  # what older versions wrote
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    loaded = Result.from_json(path)
    assert loaded.unitmem is None and "unitmem" not in loaded.summary()


def test_a_damaged_nested_unitmem_report_is_named(tmp_path):
    data = _result(unitmem=_unit_mem_report()).to_dict()
    del data["unitmem"]["per_layer"]
    with pytest.raises(ResultFormatError, match="the input.s unitmem is a damaged infomem UnitMem report"):
        Result.from_dict(data)


def test_without_heavy_drops_unitmem_per_unit_arrays_but_keeps_its_summaries():
    result = _result(unitmem=_unit_mem_report())
    light = result.without_heavy()
    assert light.unitmem.per_layer[0].values is None and light.unitmem.per_layer[0].argmax is None
    assert light.unitmem.summary() == result.unitmem.summary()
    assert result.without_heavy(keep=("unitmem",)).unitmem.per_layer[0].values is not None
