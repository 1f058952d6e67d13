"""Binned MI against sklearn.metrics.mutual_info_score on the bin codes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import mutual_info_score

import infomem.estimators.binned as binned_module
from infomem.estimators import bin_codes, binned_mi, binned_mi_from_codes, entropy


def _oracle(codes):
    n = codes.shape[1]
    return np.array([[mutual_info_score(codes[:, i], codes[:, j]) for j in range(n)] for i in range(n)])


def _acts(s=400, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(s, 9))
    a[:, 1] = a[:, 0] + 0.2 * a[:, 1]
    a[:, 2] = np.tanh(2 * a[:, 0])
    a[:, 3] = 0.0
    a[:, 4] = np.round(a[:, 4])
    a[:, 5] = np.maximum(a[:, 5], 0)
    return a


@pytest.mark.parametrize("binning", ["global", "neuron"])
def test_matches_mutual_info_score(binning):
    a = _acts()
    codes, n_bins = bin_codes(a, bins=30, binning=binning)
    m = binned_mi_from_codes(codes, n_bins)
    np.testing.assert_allclose(m, _oracle(codes), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(m, m.T)
    np.testing.assert_allclose(np.diag(m), entropy(a, bins=30, binning=binning), rtol=1e-12, atol=1e-15)
    assert m[0, 1] > m[0, 6] and m[3].max() == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_array_equal(binned_mi(a, bins=30, binning=binning), m)


def test_odd_and_tiny_sizes():
    for s, n in [(1, 1), (2, 3), (7, 5)]:
        codes = np.random.default_rng(s).integers(0, 4, size=(s, n))
        np.testing.assert_allclose(binned_mi_from_codes(codes, 4), _oracle(codes), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("limit", [200, 1])
def test_large_bin_counts_fall_back(monkeypatch, limit):
    """Renumbered dense codes (limit 200) and sort-based counting (limit 1) agree."""
    monkeypatch.setattr(binned_module, "_DENSE_CELLS", limit)
    codes = np.random.default_rng(3).integers(0, 50, size=(300, 6)).astype(np.int32)
    codes[:, 1] = codes[:, 0] // 2
    np.testing.assert_allclose(binned_mi_from_codes(codes, 50), _oracle(codes), rtol=1e-9, atol=1e-12)


def test_layer_binning_path():
    a = _acts(200, seed=4)
    codes, n_bins = bin_codes(a, bins=10, binning="layer", layer_sizes=[4, 5])
    np.testing.assert_array_equal(binned_mi(a, bins=10, binning="layer", layer_sizes=[4, 5]),
                                  binned_mi_from_codes(codes, n_bins))


def test_paper_digitize_and_backend_reach_binned_mi():
    """binned_mi bins as entropy does (paper_digitize included: its diagonal is entropy's)
    and passes the backend on."""
    a = _acts(300, seed=6)
    m = binned_mi(a, bins=20, paper_digitize=True, backend="torch", device="cpu")
    codes, n_bins = bin_codes(a, bins=20, paper_digitize=True)
    np.testing.assert_allclose(m, _oracle(codes), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.diag(m), entropy(a, bins=20, paper_digitize=True), rtol=1e-12)
    assert not np.allclose(np.diag(m), entropy(a, bins=20))


@pytest.mark.parametrize("binning", ["global", "neuron"])
def test_torch_backend_matches_mutual_info_score(binning):
    a = _acts()
    codes, n_bins = bin_codes(a, bins=30, binning=binning)
    m = binned_mi_from_codes(codes, n_bins, backend="torch")
    np.testing.assert_allclose(m, _oracle(codes), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(m, m.T)
    np.testing.assert_allclose(m, binned_mi_from_codes(codes, n_bins), rtol=1e-12, atol=1e-13)


def test_torch_backend_tiny_sizes_and_blocks(monkeypatch):
    """Tiny S, and blocks of 1-3 neurons (a budget far below N) give the same matrix."""
    import infomem.estimators._binned_torch as kernel

    for s, n in [(1, 1), (2, 3), (7, 5)]:
        codes = np.random.default_rng(s).integers(0, 4, size=(s, n))
        np.testing.assert_allclose(binned_mi_from_codes(codes, 4, backend="torch"), _oracle(codes),
                                   rtol=1e-9, atol=1e-12)
    codes = np.random.default_rng(5).integers(0, 6, size=(120, 8))
    codes[:, 2] = codes[:, 1] // 2
    whole = binned_mi_from_codes(codes, 6, backend="torch")
    for budget in (36, 100, 300):  # blocks of 1, 1 and 2 neurons of depth 6
        monkeypatch.setattr(kernel, "_BUDGET_CPU", budget)
        got = binned_mi_from_codes(codes, 6, backend="torch")
        np.testing.assert_allclose(got, whole, rtol=1e-12, atol=1e-13)
        np.testing.assert_array_equal(got, got.T)
    np.testing.assert_allclose(whole, _oracle(codes), rtol=1e-9, atol=1e-12)


def test_torch_backend_refuses_inexact_counts(monkeypatch):
    import infomem.estimators._binned_torch as kernel
    from infomem.errors import InvalidInputError

    monkeypatch.setattr(kernel, "MAX_EXACT_EXAMPLES", 10)
    with pytest.raises(InvalidInputError, match="backend='numba'"):
        binned_mi_from_codes(np.zeros((12, 2), dtype=np.int64), 3, backend="torch")


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs CUDA")
def test_cuda_binned_equals_oracle():
    codes, n_bins = bin_codes(_acts(2500, seed=6), bins=100)
    np.testing.assert_allclose(binned_mi_from_codes(codes, n_bins, device="cuda"), _oracle(codes),
                               rtol=1e-9, atol=1e-12)
