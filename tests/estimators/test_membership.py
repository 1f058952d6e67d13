"""Membership statistics: exact match and matched fraction on hand-made tokens, Min-K%
token counts, Mann-Whitney and Wilson against scipy, and their bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from infomem.errors import InvalidInputError
from infomem.estimators.membership import (
    is_extracted,
    mann_whitney,
    matched_fraction,
    min_k_prob,
    wilson_interval,
)


def test_match_logic_on_hand_made_tokens():
    target = [7, 8, 9, 10]
    assert is_extracted([7, 8, 9, 10], target) and matched_fraction([7, 8, 9, 10], target) == 1.0
    assert not is_extracted([7, 8, 0, 10], target) and matched_fraction([7, 8, 0, 10], target) == 0.75
    # Position by position: the suffix shifted by one matches nowhere.
    assert matched_fraction([8, 9, 10, 11], target) == 0.0
    assert matched_fraction([0, 0, 0, 10], target) == 0.25
    gen = np.array([[1, 2, 3], [1, 2, 4], [5, 5, 5]])
    tgt = np.array([[1, 2, 3], [1, 2, 3], [1, 2, 3]])
    np.testing.assert_array_equal(is_extracted(gen, tgt), [True, False, False])
    np.testing.assert_allclose(matched_fraction(gen, tgt), [1.0, 2 / 3, 0.0])
    with pytest.raises(InvalidInputError, match="same shape"):
        matched_fraction([1, 2, 3], [1, 2])
    with pytest.raises(InvalidInputError, match="same shape"):
        is_extracted([], [])


def test_min_k_prob_counts():
    values = [-1.0, -2.0, -3.0, -4.0, -5.0]
    assert min_k_prob(values, 0.2) == -5.0  # floor(0.2 * 5) = 1 token
    assert min_k_prob(values, 0.5) == -4.5  # floor(2.5) = 2 tokens
    assert min_k_prob(values, 1.0) == -3.0
    assert min_k_prob([-1.0, -2.0], 0.2) == -2.0  # floor(0.4) = 0, at least one token
    hundred = -np.arange(1, 101, dtype=float)
    assert min_k_prob(hundred, 0.29) == pytest.approx(-np.mean(np.arange(72, 101)))  # 29, not 28
    for bad in (0.0, 1.5, -0.2):
        with pytest.raises(InvalidInputError, match="min_k"):
            min_k_prob(values, bad)
    with pytest.raises(InvalidInputError, match="non-empty"):
        min_k_prob([], 0.2)


@pytest.mark.parametrize("n1,n2,seed", [(10, 12, 0), (30, 25, 1), (8, 40, 2), (50, 50, 3)])
def test_mann_whitney_against_scipy(n1, n2, seed):
    rng = np.random.default_rng(seed)
    for members, reference in [
        (rng.normal(0.3, 1, n1), rng.normal(0, 1, n2)),
        (rng.integers(0, 4, n1).astype(float), rng.integers(0, 3, n2).astype(float)),  # ties
        (rng.normal(-1, 1, n1), rng.normal(0, 1, n2)),  # members lower: p near 1
    ]:
        ours = mann_whitney(members, reference)
        theirs = stats.mannwhitneyu(members, reference, alternative="greater", method="asymptotic")
        assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9, abs=1e-12)
        assert ours.u == pytest.approx(theirs.statistic)
        assert ours.auc == pytest.approx(theirs.statistic / (n1 * n2))


def test_mann_whitney_edges():
    assert mann_whitney([1.0, 1.0], [1.0, 1.0, 1.0]) == (1.0, 0.5, 3.0)
    assert mann_whitney([5.0, 6.0, 7.0], [1.0, 2.0]).auc == 1.0
    with pytest.raises(InvalidInputError, match="reference"):
        mann_whitney([1.0], [])
    with pytest.raises(InvalidInputError, match="members"):
        mann_whitney([float("nan")], [1.0])


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (1, 1), (17, 250)])
def test_wilson_against_scipy(k, n):
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson_interval(k, n) == pytest.approx((ci.low, ci.high), abs=1e-12)
    low, high = wilson_interval(k, n)
    assert (low == 0.0) == (k == 0) and (high == 1.0) == (k == n)
