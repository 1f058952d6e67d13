"""Intervals by subsampling without replacement, paired across models in compare."""

from __future__ import annotations

import numpy as np
import pytest

from infomem.activations.hooks import Activations
from infomem.scoring.intervals import _rows, interval
from infomem.scoring.scores import score_activations
from infomem.scoring.selection import compare
from infomem.scoring.settings import Settings

SETTINGS = Settings(intervals=20, mi_neurons_per_layer=8, interval_pairs=40)
DATA = {"kind": "tensor", "fingerprint": "same-inputs"}


def _result(values, name, settings=SETTINGS):
    acts = Activations(np.ascontiguousarray(values, dtype=np.float32), ("a", "b"), (8, 8))
    return score_activations(acts, settings, model_info={"id": name, "architecture": "MLP"},
                             data_info=DATA)


def _gaussian(seed=0, s=400, mix=0.0):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(s, 16))
    shared = rng.normal(size=(s, 1))
    return (1 - mix) * base + mix * shared  # mix > 0: redundant, more MI


def test_replicates_are_subsets_without_replacement():
    m, subsets = _rows(100, 0.8, 5, seed=3)
    assert m == 80 and len(subsets) == 5
    for rows in subsets:
        assert len(np.unique(rows)) == m and rows.min() >= 0 and rows.max() < 100
    assert not all(np.array_equal(subsets[0], r) for r in subsets[1:])
    assert np.array_equal(_rows(100, 0.8, 5, seed=3)[1][2], subsets[2])  # reproducible


def test_interval_covers_the_full_sample_value():
    result = _result(_gaussian(), "m")
    ivs = result.intervals["intervals"]
    for key in ("mean_entropy", "median_entropy", "mean_mi"):
        lo, hi = ivs[key]
        assert lo <= getattr(result, key) <= hi, key
        assert hi > lo
    assert result.intervals["size"] == 320 and result.intervals["pairs"] == 40
    # centred replicates: a constant shift of every replicate moves nothing
    assert interval(1.0, [5.0, 5.1, 4.9], 80, 100) == pytest.approx(interval(1.0, [0.0, 0.1, -0.1], 80, 100))


def test_identical_models_are_not_significantly_different():
    values = _gaussian()
    comp = compare([_result(values, "x"), _result(values, "y")])
    assert comp.steps and all(not s["significant"] and s["difference"] == 0 for s in comp.steps)


def test_clearly_different_models_are_significantly_different():
    low_mi, high_mi = _result(_gaussian(mix=0.0), "independent"), _result(_gaussian(mix=0.9), "redundant")
    comp = compare([low_mi, high_mi], by="mean_mi", extrinsic=[0.9, 0.5])
    (step,) = [s for s in comp.steps if s["score"] == "mean_mi"]
    assert step["significant"] and step["high"] < 0  # the independent model's MI is lower
    assert comp.tau_intervals["mean_mi"] == [-1.0, -1.0]  # every replicate ranks them alike
    assert "minus next (95%)" in str([c.header for c in comp.table().columns])


def test_no_pairing_without_matching_replicates():
    values = _gaussian()
    plain = _result(values, "plain", Settings(mi_neurons_per_layer=8))
    comp = compare([_result(values, "x"), plain])
    assert comp.steps is None and comp.tau_intervals is None
    other = _result(values, "other", Settings(intervals=10, mi_neurons_per_layer=8, interval_pairs=40))
    assert compare([_result(values, "x"), other]).steps is None
