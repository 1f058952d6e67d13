"""Activations of memorized text: the linear probe against scikit-learn, the group
comparison against infomem's own scoring, its unpaired interval on null data, and
`extraction(activations=True)` end to end on a tiny GPT-2 that memorized half its texts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from infomem.activations.hooks import Activations
from infomem.errors import InvalidInputError
from infomem.estimators.probe import fit_logistic, probe_auc, stratified_folds
from infomem.scoring.extraction import ExtractionResult, extraction
from infomem.scoring.extraction_activations import MIN_GROUP, compare_groups, comparison_settings
from infomem.scoring.scores import score_activations
from infomem.scoring.settings import Settings

import factories


def _data(n: int, f: int, seed: int, signal: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, f))
    y = x[:, 0] * signal + rng.normal(size=n) > 0
    return x, y


# --- the probe --------------------------------------------------------------------------


@pytest.mark.parametrize("c", [0.01, 1.0, 100.0])
@pytest.mark.parametrize("n, f", [(60, 5), (40, 120)])
def test_logistic_fit_equals_sklearn(c, n, f):
    from sklearn.linear_model import LogisticRegression

    x, y = _data(n, f, seed=int(c * 7) + f)
    w, b = fit_logistic(x, y, c=c)
    ref = LogisticRegression(C=c, tol=1e-12, max_iter=100_000).fit(x, y)
    scale = max(1.0, float(np.abs(ref.coef_).max()))
    np.testing.assert_allclose(w, ref.coef_[0], atol=1e-4 * scale)
    assert b == pytest.approx(ref.intercept_[0], abs=1e-4 * scale)


def test_stratified_folds_deal_each_class_evenly():
    y = np.array([True] * 13 + [False] * 29)
    folds = stratified_folds(y, 5, seed=3)
    assert sorted(np.concatenate(folds).tolist()) == list(range(42))
    for cls in (True, False):
        sizes = [int((y[f] == cls).sum()) for f in folds]
        assert max(sizes) - min(sizes) <= 1
    assert [f.tolist() for f in folds] == [f.tolist() for f in stratified_folds(y, 5, seed=3)]
    assert [f.tolist() for f in folds] != [f.tolist() for f in stratified_folds(y, 5, seed=4)]


def test_probe_auc_equals_a_sklearn_pipeline_on_the_same_folds():
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler

    x, y = _data(70, 30, seed=5, signal=0.7)
    x[:, 7] = 2.5  # a constant neuron: scaled to 0, as StandardScaler does
    got = probe_auc(x, y, folds=5, seed=1)
    expected = []
    for test in stratified_folds(y, 5, seed=1):
        train = np.setdiff1d(np.arange(len(y)), test)
        scaler = StandardScaler().fit(x[train])
        model = LogisticRegression(C=1.0, tol=1e-12, max_iter=100_000)
        model.fit(scaler.transform(x[train]), y[train])
        expected.append(roc_auc_score(y[test], model.decision_function(scaler.transform(x[test]))))
    np.testing.assert_allclose(got.fold_aucs, expected, atol=1e-12)
    assert got.auc == pytest.approx(np.mean(expected))
    assert got.auc_sd == pytest.approx(np.std(expected, ddof=1))


def test_probe_separates_signal_and_not_noise():
    x, y = _data(200, 20, seed=2, signal=5.0)
    assert probe_auc(x, y).auc > 0.95
    noise = np.random.default_rng(9).normal(size=(200, 20))
    assert abs(probe_auc(noise, y).auc - 0.5) < 0.1


def test_probe_refusals_are_one_line():
    x, y = _data(30, 4, seed=0)
    with pytest.raises(InvalidInputError, match="both classes"):
        probe_auc(x, np.ones(30, dtype=bool))
    with pytest.raises(InvalidInputError, match="at least 5 examples of each class"):
        probe_auc(x, np.arange(30) < 3)
    with pytest.raises(InvalidInputError, match="shapes"):
        probe_auc(x, y[:-1])


# --- the group comparison ---------------------------------------------------------------


def _acts(values: np.ndarray) -> Activations:
    half = values.shape[1] // 2
    return Activations(values.astype(np.float32), ("block0", "block1"), (half, values.shape[1] - half))


@pytest.mark.filterwarnings("ignore:.*(examples|bins|KSG)")  # small S, said in the result
def test_equal_groups_score_as_infomem_scores_each_group():
    values = np.random.default_rng(0).normal(size=(48, 16))
    labels = np.random.default_rng(1).permutation(48) < 24
    settings = comparison_settings()
    out = compare_groups(_acts(values), labels, settings)
    assert out["skipped"] is None and out["n_per_group"] == 24
    for key, rows in (("extracted", labels), ("not_extracted", ~labels)):
        alone = score_activations(_acts(values[rows]), settings)  # entropy/MI ignore row order
        assert out[key]["mean_entropy"] == pytest.approx(alone.mean_entropy, rel=1e-12)
        assert out[key]["mean_mi"] == pytest.approx(alone.mean_mi, rel=1e-12)
        assert out[key]["mean_entropy_low"] <= out[key]["mean_entropy"] <= out[key]["mean_entropy_high"]
    diff = out["difference"]
    assert diff["mean_entropy"] == pytest.approx(out["extracted"]["mean_entropy"]
                                                 - out["not_extracted"]["mean_entropy"])
    assert diff["mean_entropy_low"] <= diff["mean_entropy"] <= diff["mean_entropy_high"]
    json.dumps(out)  # JSON-ready


def test_larger_group_is_subsampled_to_the_smaller_and_seeded():
    values = np.random.default_rng(2).normal(size=(60, 12))
    labels = np.arange(60) < 15
    settings = comparison_settings()
    out = compare_groups(_acts(values), labels, settings)
    assert (out["n_extracted"], out["n_not_extracted"], out["n_per_group"]) == (15, 45, 15)
    assert compare_groups(_acts(values), labels, settings) == out
    other = compare_groups(_acts(values), labels, comparison_settings(seed=1))
    assert other["not_extracted"]["mean_entropy"] != out["not_extracted"]["mean_entropy"]


def test_a_real_difference_is_found_and_the_probe_reads_it():
    rng = np.random.default_rng(3)
    spread = rng.normal(size=(40, 16))
    collapsed = np.round(rng.normal(size=(40, 16)))  # few distinct values: low entropy
    collapsed[:, 0] += 4.0  # and a direction a linear probe can read
    labels = np.arange(80) < 40
    out = compare_groups(_acts(np.vstack([spread, collapsed])), labels,
                         comparison_settings())
    diff = out["difference"]
    assert diff["mean_entropy"] > 0 and diff["mean_entropy_significant"]
    assert out["probe"]["auc"] > 0.95


def test_the_unpaired_interval_rarely_excludes_zero_between_alike_groups():
    settings = Settings(intervals=40, mi_estimator="none")
    excluded = 0
    for seed in range(40):
        values = np.random.default_rng(seed).normal(size=(70, 10))
        out = compare_groups(_acts(values), np.arange(70) < 30, settings)
        excluded += out["difference"]["mean_entropy_significant"]
    assert excluded <= 6  # nominal 5% of 40 is 2 (0 when this was written): not anticonservative


@pytest.mark.parametrize("n_extracted", [0, MIN_GROUP - 1, 30 - MIN_GROUP + 1, 30])
def test_small_groups_are_skipped_with_a_reason(n_extracted):
    values = np.random.default_rng(4).normal(size=(30, 8))
    out = compare_groups(_acts(values), np.arange(30) < n_extracted, comparison_settings())
    assert "probe" not in out and "extracted" not in out
    assert out["skipped"] == (f"{n_extracted} of the 30 tested texts were extracted and "
                              f"{30 - n_extracted} were not; comparing activations needs at least "
                              f"{MIN_GROUP} in each group.")


def test_extracted_flags_must_match_the_rows():
    with pytest.raises(InvalidInputError, match="one flag per activation row"):
        compare_groups(_acts(np.zeros((10, 4))), [True] * 9, comparison_settings())


# --- end to end -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def memorized(tmp_path_factory):
    """A tiny GPT-2 overfit on 12 of 24 texts: 12 extracted, 12 not."""
    tok = factories.tiny_tokenizer(tmp_path_factory.mktemp("tok"))
    texts = factories.random_texts(24)
    return factories.memorized_gpt2(tok, texts[:12]), tok, texts


def test_extraction_with_activations_end_to_end(memorized):
    model, tok, texts = memorized
    tok.padding_side = "left"
    result = extraction(model, texts, tokenizer=tok, prefix_tokens=6, suffix_tokens=6,
                        activations=True, progress=False)
    assert tok.padding_side == "left"  # given back as it was
    assert [r.extracted for r in result.records] == [True] * 12 + [False] * 12
    comparison = result.activations
    assert comparison["skipped"] is None and comparison["n_per_group"] == 12
    assert comparison["probe"]["n_features"] == 2 * 32 and comparison["probe"]["folds"] == 5
    assert "activations_seconds" in result.timings
    assert result.summary()["activations"] == comparison
    again = ExtractionResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result


def test_without_activations_and_old_json_read_as_none(memorized):
    model, tok, texts = memorized
    result = extraction(model, texts[:4], tokenizer=tok, prefix_tokens=6, suffix_tokens=6,
                        progress=False)
    assert result.activations is None
    old = result.to_dict()
    del old["activations"]  # written before the comparison existed
    assert ExtractionResult.from_dict(old) == result


def test_activation_settings_are_checked_before_decoding(memorized):
    model, tok, texts = memorized
    with pytest.raises(InvalidInputError, match="`activation_settings` must be an infomem Settings"):
        extraction(model, texts, tokenizer=tok, prefix_tokens=6, suffix_tokens=6, activations=True,
                   activation_settings={"bins": 10}, progress=False)
    with pytest.raises(InvalidInputError, match="`activations` must be True or False"):
        extraction(model, texts, tokenizer=tok, prefix_tokens=6, suffix_tokens=6, activations="yes",
                   progress=False)
