"""KSG estimator: every fast path against the sklearn-based per-pair oracle."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from infomem.estimators import ksg_mi, ksg_mi_pairs, ksg_mi_reference

CPU_BACKENDS = ["numba", "torch"]


def _close(got, ref):
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)


def _reference_pairs(a, rows, cols, k):
    return np.array([ksg_mi_reference(a[:, i], a[:, j], k=k) for i, j in zip(rows, cols, strict=True)])


def _all_pairs(n):
    r, c = np.triu_indices(n)
    return r, c


def _dataset(kind: str, s: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    g = rng.normal(size=(s, 6))
    if kind == "gaussian":
        return g
    if kind == "correlated":
        z = rng.normal(size=(s, 1))
        return np.concatenate([z + 0.1 * g[:, :2], z + g[:, 2:4], np.tanh(3 * z) + 0.2 * g[:, 4:]], 1)
    if kind == "ties":  # rounded values, integers, repeated rows
        a = np.concatenate([np.round(g[:, :2], 1), np.round(2 * g[:, 2:4]), np.round(g[:, 4:], 2)], 1)
        a[s // 2 :] = a[: s - s // 2]
        return a
    if kind == "relu":  # many exact zeros
        return np.maximum(g + 0.5 * rng.normal(size=(s, 1)), 0.0)
    if kind == "constant":
        a = g.copy()
        a[:, 1] = 0.0
        a[:, 4] = -2.5
        return a
    raise ValueError(kind)


def test_reference_equals_sklearn_private_estimator():
    from sklearn.feature_selection._mutual_info import _compute_mi_cc

    for kind in ("gaussian", "correlated", "ties", "relu"):
        a = _dataset(kind, 120, seed=5)
        for i, j in [(0, 1), (0, 2), (2, 3), (4, 5), (1, 1)]:
            for k in (1, 3):
                ours = ksg_mi_reference(a[:, i], a[:, j], k=k)
                theirs = _compute_mi_cc(a[:, i].copy(), a[:, j].copy(), k)
                assert max(0.0, ours) == pytest.approx(theirs, rel=1e-12, abs=1e-15)


def test_reference_keeps_negative_values():
    rng = np.random.default_rng(11)
    values = [ksg_mi_reference(*rng.normal(size=(2, 60)), k=3) for _ in range(20)]
    assert min(values) < 0.0


@pytest.mark.parametrize("backend", CPU_BACKENDS)
@pytest.mark.parametrize("kind", ["gaussian", "correlated", "ties", "relu", "constant"])
@pytest.mark.parametrize("k", [1, 3, 5])
def test_pairs_equal_reference_s50(backend, kind, k):
    a = _dataset(kind, 50, seed=k)
    rows, cols = _all_pairs(a.shape[1])
    got = ksg_mi_pairs(a, rows, cols, k=k, backend=backend)
    _close(got, _reference_pairs(a, rows, cols, k))


@pytest.mark.parametrize("backend", CPU_BACKENDS)
@pytest.mark.parametrize("k", [1, 3, 5])
def test_smallest_sample_k_plus_one(backend, k):
    s = k + 1
    for kind in ("gaussian", "ties", "constant"):
        a = _dataset(kind, s, seed=s)[:, [0, 1, 2, 4]]
        rows, cols = _all_pairs(a.shape[1])
        _close(ksg_mi_pairs(a, rows, cols, k=k, backend=backend), _reference_pairs(a, rows, cols, k))


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_two_examples(backend):
    a = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, -3.0]])
    rows, cols = _all_pairs(3)
    _close(ksg_mi_pairs(a, rows, cols, k=1, backend=backend), _reference_pairs(a, rows, cols, 1))


@pytest.mark.slow
def test_torch_s2500_selected_pairs():
    a = _dataset("ties", 2500, seed=9)
    rows, cols = np.array([0, 2, 4]), np.array([1, 3, 4])
    _close(ksg_mi_pairs(a, rows, cols, k=3, backend="torch"), _reference_pairs(a, rows, cols, 3))


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_matrix_symmetric_diagonal_and_blocking(backend):
    a = _dataset("correlated", 60, seed=3)
    seen = []
    m = ksg_mi(a, k=3, backend=backend, progress=seen.append, block_pairs=5)
    n = a.shape[1]
    assert m.shape == (n, n)
    np.testing.assert_array_equal(m, m.T)
    assert sum(seen) == n * (n + 1) // 2 and len(seen) > 1
    rows, cols = _all_pairs(n)
    _close(m[rows, cols], _reference_pairs(a, rows, cols, 3))
    np.testing.assert_array_equal(ksg_mi(a, k=3, backend=backend), m)


def test_self_mi_without_ties_is_psi_s_minus_psi_k():
    from scipy.special import digamma

    a = np.random.default_rng(4).normal(size=(500, 3))
    diag = np.diag(ksg_mi(a, k=3))
    # no ties: n_x = n_y = k for every point
    np.testing.assert_allclose(diag, digamma(500) - digamma(3), rtol=1e-12)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
@pytest.mark.parametrize("k", [3, 5])
def test_bivariate_gaussian_closed_form(rho, k):
    """I = -0.5 ln(1 - rho^2); the mean over 8 samples of S=2500 (std ~0.008) within 0.03."""
    rng = np.random.default_rng(100 + int(10 * rho))
    cov = [[1.0, rho], [rho, 1.0]]
    a = np.concatenate([rng.multivariate_normal([0.0, 0.0], cov, size=2500) for _ in range(8)], 1)
    est = ksg_mi_pairs(a, np.arange(0, 16, 2), np.arange(1, 16, 2), k=k)
    assert est.mean() == pytest.approx(-0.5 * np.log(1 - rho**2), abs=0.03)
    assert est.std() < 0.06


def test_pairs_accept_any_order_and_repeats():
    a = _dataset("gaussian", 40, seed=2)
    rows, cols = np.array([5, 0, 5, 3, 3]), np.array([0, 5, 0, 3, 1])
    got = ksg_mi_pairs(a, rows, cols)
    _close(got, _reference_pairs(a, rows, cols, 3))
    assert got[0] == got[1] == got[2]
    assert ksg_mi_pairs(a, [], []).shape == (0,)


def test_float32_and_torch_inputs():
    a = _dataset("gaussian", 80, seed=6).astype(np.float32)
    rows, cols = _all_pairs(6)
    ref = _reference_pairs(a.astype(np.float64), rows, cols, 3)
    _close(ksg_mi_pairs(a, rows, cols), ref)
    _close(ksg_mi_pairs(torch.from_numpy(a), rows, cols, backend="torch"), ref)
    _close(ksg_mi_pairs(torch.from_numpy(a), rows, cols, backend="numba"), ref)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_backend_equals_reference():
    a = _dataset("ties", 300, seed=1)
    rows, cols = _all_pairs(a.shape[1])
    ref = _reference_pairs(a, rows, cols, 3)
    _close(ksg_mi_pairs(a, rows, cols, k=3, device="cuda"), ref)
    m = ksg_mi(torch.from_numpy(a).cuda(), k=3, backend="auto", device="cuda")
    _close(m[rows, cols], ref)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_thread_count_does_not_change_values(monkeypatch, threads):
    """Pieces of the pair list run on threads; any split gives the one-thread matrix."""
    import infomem.estimators.ksg as ksg_module

    a = _dataset("correlated", 300, seed=4)
    monkeypatch.setattr(ksg_module, "_n_threads", lambda: 1)
    one = ksg_mi(a, k=3)
    monkeypatch.setattr(ksg_module, "_n_threads", lambda: threads)
    np.testing.assert_array_equal(ksg_mi(a, k=3), one)
    rows, cols = np.triu_indices(6)
    np.testing.assert_array_equal(ksg_mi_pairs(a, rows, cols, k=3), one[rows, cols])
