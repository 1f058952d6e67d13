"""score / score_activations: summaries recomputed from independent oracles."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
import torch

from infomem.activations.hooks import Activations
from infomem.errors import InvalidInputError, ModelLoadError
from infomem.estimators import ksg_mi_reference
from infomem.scoring.scores import mi_neuron_indices, score, score_activations
from infomem.scoring.settings import Settings

import factories

pytestmark = pytest.mark.filterwarnings("ignore:Only .* examples:UserWarning")


def _acts(seed=0, s=120, sizes=(5, 7)):
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(s, sum(sizes))).astype(np.float32)
    values[:, 1] = np.round(values[:, 1], 1)  # ties
    values[:, 6] = 0.5  # a constant neuron
    return Activations(values, tuple(f"l{i}" for i in range(len(sizes))), tuple(sizes))


def _oracle_entropy(values, bins):
    lo, hi = float(values.min()), float(values.max())
    return np.array([scipy.stats.entropy(np.histogram(values[:, j], bins=bins, range=(lo, hi))[0])
                     for j in range(values.shape[1])])


def test_entropy_and_mi_summaries_match_oracles():
    acts = _acts()
    settings = Settings(bins=20, mi_neurons_per_layer=3)
    res = score_activations(acts, settings, return_mi_matrix=True)
    h = _oracle_entropy(acts.values, 20)
    np.testing.assert_allclose(res.neuron_entropy, h, atol=1e-12)
    assert res.mean_entropy == pytest.approx(h.mean(), abs=1e-12)
    assert res.median_entropy == pytest.approx(np.median(h), abs=1e-12)
    cols = [0, 1, 2, 5, 6, 7]
    np.testing.assert_array_equal(res.mi_neurons, cols)
    pairs = [(a, b) for i, a in enumerate(cols) for b in cols[i + 1:]]
    mis = {p: ksg_mi_reference(acts.values[:, p[0]], acts.values[:, p[1]], k=3) for p in pairs}
    assert res.mean_mi == pytest.approx(np.mean(list(mis.values())), rel=1e-9, abs=1e-12)
    within0 = [mis[p] for p in pairs if p[1] < 5]
    assert res.per_layer[0].mean_mi == pytest.approx(np.mean(within0), rel=1e-9, abs=1e-12)
    layer1 = h[5:]
    q1, med, q3 = np.percentile(layer1, [25, 50, 75])
    summary = res.per_layer[1]
    assert (summary.name, summary.n_neurons) == ("l1", 7)
    assert summary.median_entropy == pytest.approx(med) and summary.q3 == pytest.approx(q3)
    assert summary.notch_high - med == pytest.approx(1.57 * (q3 - q1) / np.sqrt(7))


def test_mi_diagonal_averages_the_full_matrix():
    acts = _acts(1)
    with_diag = score_activations(acts, Settings(mi_diagonal=True), return_mi_matrix=True)
    assert with_diag.mean_mi == pytest.approx(with_diag.mi_matrix.mean())
    without = score_activations(acts, Settings())
    assert without.mean_mi < with_diag.mean_mi


def test_binned_mi_and_none():
    acts = _acts(2)
    binned = score_activations(acts, Settings(mi_estimator="binned", bins=10), return_mi_matrix=True)
    own_entropy = binned.neuron_entropy[binned.mi_neurons]
    np.testing.assert_allclose(np.diag(binned.mi_matrix), own_entropy, atol=1e-12)
    none = score_activations(acts, Settings(mi_estimator="none"))
    assert none.mean_mi is None and all(layer.mean_mi is None for layer in none.per_layer)
    on_torch = score_activations(acts, Settings(mi_estimator="binned", bins=10), return_mi_matrix=True,
                                 mi_backend="torch")
    np.testing.assert_allclose(on_torch.mi_matrix, binned.mi_matrix, rtol=1e-12, atol=1e-13)


def test_random_mi_subset_is_seeded():
    a = mi_neuron_indices((10, 10), Settings(mi_subset="random", mi_neurons_per_layer=4, seed=1))
    b = mi_neuron_indices((10, 10), Settings(mi_subset="random", mi_neurons_per_layer=4, seed=1))
    np.testing.assert_array_equal(a, b)
    assert len(a) == 8 and np.all(a[:4] < 10) and np.all(a[4:] >= 10)
    assert len(mi_neuron_indices((3, 5), Settings(mi_neurons_per_layer=None))) == 8


def test_bootstrap_interval_brackets_the_estimate():
    res = score_activations(_acts(3, s=200), Settings(n_bootstrap=30, mi_estimator="none"))
    lo, hi = res.bootstrap["mean_entropy"]
    assert lo <= hi and lo - 0.2 < res.mean_entropy < hi + 0.2


def test_too_few_examples_for_ksg():
    acts = Activations(np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32), ("a",), (4,))
    with pytest.raises(InvalidInputError, match="at least k\\+1 = 4 examples; received 3"):
        score_activations(acts, Settings())


def test_score_text_model_end_to_end(tiny_bert, texts):
    res = score(str(tiny_bert), texts * 10, progress=False, mi_neurons_per_layer=8, bins=30)
    assert res.n_samples == 60 and res.n_neurons == 64 and len(res.per_layer) == 2
    assert res.model["kind"] == "text-encoder" and res.model["pooling"] == "first"
    assert res.data["kind"] == "texts" and len(res.data["fingerprint"]) == 16
    assert res.settings.bins == 30 and {"capture", "entropy", "mi", "load"} <= set(res.timings)
    assert np.isfinite([res.mean_entropy, res.mean_mi]).all()
    assert res.versions["infomem"]


def test_score_plain_mlp():
    x = torch.randn(300, 10, generator=torch.Generator().manual_seed(0))
    res = score(factories.tiny_mlp(), x, mi_neurons_per_layer=4, progress=False)
    assert res.model["kind"] == "module" and res.n_samples == 300 and res.n_neurons == 48
    same = score(factories.tiny_mlp(), x.clone(), mi_estimator="none", progress=False)
    other = score(factories.tiny_mlp(), x + 1, mi_estimator="none", progress=False)
    assert res.data["fingerprint"] == same.data["fingerprint"] != other.data["fingerprint"]


def test_progress_says_why_the_first_mi_block_waits(capsys):
    """The MI bar names the kernel loading (a ~20 s stall when numba compiles them)."""
    x = torch.randn(40, 10)
    score(factories.tiny_mlp(), x, mi_neurons_per_layer=4, progress=True)
    assert "compiled on first use" in capsys.readouterr().err
    score(factories.tiny_mlp(), x, mi_estimator="binned", progress=True)
    assert "compiled on first use" not in capsys.readouterr().err


def test_loaded_model_needs_tokenizer(tiny_bert, texts):
    from transformers import AutoModel

    with pytest.raises(InvalidInputError, match="pass `tokenizer=`"):
        score(AutoModel.from_pretrained(tiny_bert), texts)


def test_loading_options_with_an_already_loaded_model_are_refused(tiny_bert, texts):
    from infomem import unit_mem_score
    from infomem.activations.models import load_model

    loaded = load_model(tiny_bert)
    cases = [(score, loaded, texts, {"torch_dtype": "float16"}),
             (score, factories.tiny_mlp(), torch.randn(40, 10), {"device_map": "cpu"}),
             (unit_mem_score, loaded, texts, {"revision": "v1", "trust_remote_code": True})]
    for function, model, inputs, loading in cases:
        with pytest.raises(InvalidInputError, match="this model is already loaded") as info:
            function(model, inputs, progress=False, **loading)
        assert str(info.value).startswith(", ".join(sorted(loading)) + " apply when")
    # the defaults, spelled out, are not options given
    score(loaded, texts, trust_remote_code=False, revision=None, mi_estimator="none",
          progress=False)


def test_missing_model_is_one_line(tmp_path, texts):
    with pytest.raises(ModelLoadError, match="neither a local directory nor a Hub repo") as info:
        score(str(tmp_path / "no-such-model"), texts, progress=False)
    assert "\n" not in str(info.value)


def test_unknown_setting(texts):
    with pytest.raises(InvalidInputError, match="Unknown setting"):
        score(None, texts, nbins=3)


def test_mi_subset_seed_picks_the_random_subset_apart_from_seed():
    from infomem.scoring.scores import mi_neuron_indices

    base = Settings(mi_subset="random", mi_neurons_per_layer=4, seed=1)
    same = mi_neuron_indices((50, 50), base)
    assert np.array_equal(same, mi_neuron_indices((50, 50), Settings(
        mi_subset="random", mi_neurons_per_layer=4, seed=1, mi_subset_seed=1)))
    other = mi_neuron_indices((50, 50), Settings(mi_subset="random", mi_neurons_per_layer=4,
                                                 seed=1, mi_subset_seed=7))
    assert not np.array_equal(same, other)
    assert "mi_subset_seed" in base.score_affecting()  # enters "comparable" with no more code


def test_library_versions_name_infomem_without_package_metadata(monkeypatch):
    """A vendored copy (the Spaces carry infomem/ beside app.py) has no metadata."""
    from importlib import metadata

    import infomem
    from infomem.scoring import provenance

    real = metadata.version

    def version(name: str) -> str:
        if name == "infomem":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(provenance.metadata, "version", version)
    versions = provenance.library_versions()
    assert versions["infomem"] == infomem.__version__ and versions["torch"] == real("torch")


@pytest.mark.parametrize("mi_estimator", ["binned", "none"])
def test_one_example_is_refused_by_the_pure_path_too(mi_estimator):
    acts = Activations(np.ones((1, 4), dtype=np.float32), ("layer.0",), (4,))
    with pytest.raises(InvalidInputError, match="Scoring needs at least 2 examples; received 1"):
        score_activations(acts, Settings(mi_estimator=mi_estimator))
