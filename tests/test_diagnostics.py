"""Validity diagnostics on synthetic activations built to trigger each check, and on one
that triggers none."""

from __future__ import annotations

import numpy as np
import pytest

from infomem.activations.hooks import Activations
from infomem.estimators import bin_codes
from infomem.scoring.diagnostics import diagnose
from infomem.scoring.scores import score_activations
from infomem.scoring.settings import Settings


def _diagnose(values, sizes, *, bins=100, binning="global", mi_estimator="ksg"):
    codes, _ = bin_codes(values, bins=bins, binning=binning, layer_sizes=sizes)
    names = [f"layer.{i}" for i in range(len(sizes))]
    return diagnose(values, codes, layer_names=names, layer_sizes=sizes, bins=bins,
                    binning=binning, k=3, mi_estimator=mi_estimator)


def _gaussian(s=1000, n=20, seed=0):
    return np.random.default_rng(seed).normal(size=(s, n)).astype(np.float32)


def test_healthy_activations_trigger_nothing():
    out = _diagnose(_gaussian(), [10, 10])
    assert out["warnings"] == []
    for layer in out["per_layer"]:
        assert layer["collapsed_fraction"] == 0 and layer["constant_neurons"] == 0
        assert layer["tie_fraction"] < 0.01
        assert 0.3 < layer["median_range_ratio"] <= 1


def test_an_outlier_neuron_that_sets_the_range_is_named():
    values = _gaussian()
    values[:, 13] *= 5000  # one massive dimension, as in MiniLM's [CLS]
    out = _diagnose(values, [10, 10])
    assert out["per_layer"][0]["collapsed_fraction"] == 1.0
    (warning,) = out["warnings"]
    assert "carries little signal" in warning and "neuron 3 of layer.1" in warning
    assert "--binning neuron" in warning
    assert {s["neuron"] for s in out["range"][0]["set_by"] if s["layer"] == "layer.1"} >= {3}
    # one range per neuron removes it
    assert _diagnose(values, [10, 10], binning="neuron")["warnings"] == []


def test_the_range_setters_are_named_once_each():
    values = _gaussian()
    values[:, 13] *= 5000  # sets both ends: named once, with both values
    (one,) = _diagnose(values, [10, 10])["warnings"]
    lo, hi = values[:, 13].min(), values[:, 13].max()
    assert f"neuron 3 of layer.1 ({lo:.3g} to {hi:.3g}) sets the global range" in one
    values = _gaussian()
    values[0, 2], values[1, 15] = 9000.0, -8000.0  # the top and the bottom: two neurons
    (two,) = _diagnose(values, [10, 10])["warnings"]
    assert "neuron 2 of layer.0 (9e+03) and neuron 5 of layer.1 (-8e+03) set the global" in two


@pytest.mark.parametrize("binning", ["global", "neuron"])
def test_neurons_that_barely_vary_suggest_only_what_is_not_already_set(binning):
    values = _gaussian(s=300)
    values[:, :10] = (np.arange(300) % 2)[:, None]  # two values each: at most 2 bins
    out = _diagnose(values, [10, 10], binning=binning)
    (warning,) = [w for w in out["warnings"] if "carries little signal" in w]
    assert "the neurons barely vary over these inputs (try more varied inputs" in warning
    assert ("--binning neuron" in warning) == (binning != "neuron")


def test_a_constant_neuron_is_counted():
    values = _gaussian()
    values[:, 4] = 0.25
    out = _diagnose(values, [10, 10])
    assert out["per_layer"][0]["constant_neurons"] == 1
    assert any("1 neuron(s) are constant" in w for w in out["warnings"])


@pytest.mark.parametrize("diagonal", [False, True])
def test_constant_pairs_state_ksgs_artefact_exactly(diagonal):
    from infomem.estimators import ksg_mi_reference

    values = _gaussian(s=300)
    values[:, [4, 7, 15]] = [0.25, -1.0, 3.0]  # three constant neurons, two layers
    settings = Settings(mi_neurons_per_layer=None, mi_diagonal=diagonal)
    with pytest.warns(UserWarning, match="KSG gives each of the"):
        result = score_activations(Activations(values, ("layer.0", "layer.1"), (10, 10)), settings,
                                   return_mi_matrix=True)
    pairs = result.diagnostics["constant_pairs"]
    artefact = ksg_mi_reference(values[:, 4], values[:, 7])  # the estimator's own value
    assert pairs["mi_each"] == pytest.approx(artefact, abs=1e-12) and artefact < -4
    assert pairs["pairs"] == (9 if diagonal else 3)
    # the stated shift is exactly what those entries add to mean MI
    mi = result.mi_matrix.copy()
    constant = np.zeros(20, bool)
    constant[[4, 7, 15]] = True
    mi[np.ix_(constant, constant)] = 0.0
    without = mi.mean() if diagonal else mi[np.triu_indices(20, k=1)].mean()
    assert result.mean_mi - without == pytest.approx(pairs["mean_mi_shift"], abs=1e-12)
    (warning,) = [w for w in result.warnings if w.startswith("KSG gives")]
    assert f"{pairs['pairs']} pairs of constant neurons" in warning
    assert f"moves mean MI by {pairs['mean_mi_shift']:+.3f} nats" in warning


def test_one_constant_neuron_or_binned_mi_have_no_constant_pairs():
    values = _gaussian(s=300)
    values[:, 4] = 0.25
    one = _diagnose(values, [10, 10])  # no MI columns given: not computed
    assert "constant_pairs" not in one
    codes, _ = bin_codes(values, bins=100, binning="global", layer_sizes=[10, 10])
    kw = {"layer_names": ["layer.0", "layer.1"], "layer_sizes": [10, 10], "bins": 100,
          "binning": "global", "k": 3, "mi_columns": np.arange(20)}
    assert diagnose(values, codes, mi_estimator="ksg", **kw)["constant_pairs"]["pairs"] == 0
    values[:, 7] = 1.0
    assert "constant_pairs" not in diagnose(values, codes, mi_estimator="binned", **kw)


def test_relu_zeros_are_ties_for_ksg_only():
    values = np.maximum(_gaussian(), 0)
    out = _diagnose(values, [10, 10])
    assert out["per_layer"][0]["tie_fraction"] == pytest.approx(0.5, abs=0.05)
    assert any("exact ties" in w for w in out["warnings"])
    assert not any("exact ties" in w for w in _diagnose(values, [10, 10], mi_estimator="binned")["warnings"])


def test_s_below_the_bins():
    out = _diagnose(_gaussian(s=60), [10, 10])
    assert any("below the 100 bins" in w for w in out["warnings"])
    assert any("Only 60 examples" in w for w in out["warnings"])
    assert out["sample"]["samples_per_bin"] == pytest.approx(0.6)


def test_every_result_carries_diagnostics_through_json():
    from infomem.scoring.result import Result

    values = _gaussian()
    values[:, 13] *= 5000
    acts = Activations(values, ("a", "b"), (10, 10))
    result = score_activations(acts, Settings(mi_estimator="none"))
    assert result.warnings and result.diagnostics["per_layer"][0]["name"] == "a"
    again = Result.from_dict(__import__("json").loads(result.to_json()))
    assert again.diagnostics == result.diagnostics and again.warnings == result.warnings
    assert result.summary()["warnings"] == result.warnings
    assert all(layer.notch_low >= 0 for layer in result.per_layer)
