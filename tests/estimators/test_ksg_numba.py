"""The numba per-pair kernel (`_ksg_numba`, through ``ksg_mi_pairs(backend="numba")``)
against the per-pair oracle, on data that reaches its second tier, scans and far columns."""

from __future__ import annotations

import numpy as np
import pytest

from infomem.estimators import ksg_mi_pairs

from .test_ksg import _all_pairs, _close, _dataset, _reference_pairs


@pytest.mark.parametrize("kind", ["gaussian", "correlated", "ties", "relu", "constant"])
def test_numba_s2500_selected_pairs(kind):
    a = _dataset(kind, 2500, seed=7)
    rows = np.array([0, 0, 2, 4, 1, 3])
    cols = np.array([1, 5, 3, 5, 1, 4])
    _close(ksg_mi_pairs(a, rows, cols, k=3, backend="numba"), _reference_pairs(a, rows, cols, 3))


@pytest.mark.parametrize("k", [1, 5])
def test_numba_s2500_other_k(k):
    a = _dataset("correlated", 2500, seed=8)
    rows, cols = np.array([0, 2, 4]), np.array([1, 4, 4])
    _close(ksg_mi_pairs(a, rows, cols, k=k, backend="numba"), _reference_pairs(a, rows, cols, k))


def test_heavy_tails_and_wide_columns():
    """Skewed data: long scans, far columns, windows that miss candidates."""
    rng = np.random.default_rng(12)
    a = np.stack(
        [rng.standard_cauchy(800), rng.exponential(size=800) ** 3, rng.normal(size=800),
         np.repeat(rng.normal(size=8), 100)],
        axis=1,
    )
    rows, cols = _all_pairs(4)
    _close(ksg_mi_pairs(a, rows, cols, k=3, backend="numba"), _reference_pairs(a, rows, cols, 3))


@pytest.mark.parametrize("s", [9, 511, 513, 1100])
def test_numba_scale_mismatch_counts_past_512(s):
    """y on a 1e3 scale: the radii are y's, so almost every x lies within them (counts
    past the 8-wide levels, binary-search fallback) while y counts stay small."""
    rng = np.random.default_rng(s)
    a = np.stack([rng.normal(size=s), 1e3 * rng.normal(size=s), np.round(rng.normal(size=s))], 1)
    rows, cols = np.array([0, 1, 2, 0]), np.array([1, 2, 0, 0])
    _close(ksg_mi_pairs(a, rows, cols, k=3, backend="numba"), _reference_pairs(a, rows, cols, 3))
