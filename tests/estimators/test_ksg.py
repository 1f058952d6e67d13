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
    return np.array([ksg_mi_reference(a[:, i], a[:, j], k) for i, j in zip(rows, cols, strict=True)])


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
                ours = ksg_mi_reference(a[:, i], a[:, j], k)
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
    got = ksg_mi_pairs(a, rows, cols, k, backend=backend)
    _close(got, _reference_pairs(a, rows, cols, k))


@pytest.mark.parametrize("backend", CPU_BACKENDS)
@pytest.mark.parametrize("k", [1, 3, 5])
def test_smallest_sample_k_plus_one(backend, k):
    s = k + 1
    for kind in ("gaussian", "ties", "constant"):
        a = _dataset(kind, s, seed=s)[:, [0, 1, 2, 4]]
        rows, cols = _all_pairs(a.shape[1])
        _close(ksg_mi_pairs(a, rows, cols, k, backend=backend), _reference_pairs(a, rows, cols, k))


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_two_examples(backend):
    a = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, -3.0]])
    rows, cols = _all_pairs(3)
    _close(ksg_mi_pairs(a, rows, cols, 1, backend=backend), _reference_pairs(a, rows, cols, 1))


@pytest.mark.parametrize("kind", ["gaussian", "correlated", "ties", "relu", "constant"])
def test_numba_s2500_selected_pairs(kind):
    a = _dataset(kind, 2500, seed=7)
    rows = np.array([0, 0, 2, 4, 1, 3])
    cols = np.array([1, 5, 3, 5, 1, 4])
    _close(ksg_mi_pairs(a, rows, cols, 3, backend="numba"), _reference_pairs(a, rows, cols, 3))


@pytest.mark.parametrize("k", [1, 5])
def test_numba_s2500_other_k(k):
    a = _dataset("correlated", 2500, seed=8)
    rows, cols = np.array([0, 2, 4]), np.array([1, 4, 4])
    _close(ksg_mi_pairs(a, rows, cols, k, backend="numba"), _reference_pairs(a, rows, cols, k))


@pytest.mark.slow
def test_torch_s2500_selected_pairs():
    a = _dataset("ties", 2500, seed=9)
    rows, cols = np.array([0, 2, 4]), np.array([1, 3, 4])
    _close(ksg_mi_pairs(a, rows, cols, 3, backend="torch"), _reference_pairs(a, rows, cols, 3))


def test_heavy_tails_and_wide_columns():
    """Skewed data: long scans, far columns, windows that miss candidates."""
    rng = np.random.default_rng(12)
    a = np.stack(
        [rng.standard_cauchy(800), rng.exponential(size=800) ** 3, rng.normal(size=800),
         np.repeat(rng.normal(size=8), 100)],
        axis=1,
    )
    rows, cols = _all_pairs(4)
    _close(ksg_mi_pairs(a, rows, cols, 3, backend="numba"), _reference_pairs(a, rows, cols, 3))


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_matrix_symmetric_diagonal_and_blocking(backend):
    a = _dataset("correlated", 60, seed=3)
    seen = []
    m = ksg_mi(a, 3, backend=backend, progress=seen.append, block_pairs=5)
    n = a.shape[1]
    assert m.shape == (n, n)
    np.testing.assert_array_equal(m, m.T)
    assert sum(seen) == n * (n + 1) // 2 and len(seen) > 1
    rows, cols = _all_pairs(n)
    _close(m[rows, cols], _reference_pairs(a, rows, cols, 3))
    np.testing.assert_array_equal(ksg_mi(a, 3, backend=backend), m)


def test_self_mi_without_ties_is_psi_s_minus_psi_k():
    from scipy.special import digamma

    a = np.random.default_rng(4).normal(size=(500, 3))
    diag = np.diag(ksg_mi(a, 3))
    # no ties: n_x = n_y = k for every point
    np.testing.assert_allclose(diag, digamma(500) - digamma(3), rtol=1e-12)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
@pytest.mark.parametrize("k", [3, 5])
def test_bivariate_gaussian_closed_form(rho, k):
    """I = -0.5 ln(1 - rho^2); the mean over 8 samples of S=2500 (std ~0.008) within 0.03."""
    rng = np.random.default_rng(100 + int(10 * rho))
    cov = [[1.0, rho], [rho, 1.0]]
    a = np.concatenate([rng.multivariate_normal([0.0, 0.0], cov, size=2500) for _ in range(8)], 1)
    est = ksg_mi_pairs(a, np.arange(0, 16, 2), np.arange(1, 16, 2), k)
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
    _close(ksg_mi_pairs(a, rows, cols, 3, device="cuda"), ref)
    m = ksg_mi(torch.from_numpy(a).cuda(), 3, backend="auto", device="cuda")
    _close(m[rows, cols], ref)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_thread_count_does_not_change_values(monkeypatch, threads):
    """Pieces of the pair list run on threads; any split gives the one-thread matrix."""
    import infomem.estimators.ksg as ksg_module

    a = _dataset("correlated", 300, seed=4)
    monkeypatch.setattr(ksg_module, "_n_threads", lambda: 1)
    one = ksg_mi(a, 3)
    monkeypatch.setattr(ksg_module, "_n_threads", lambda: threads)
    np.testing.assert_array_equal(ksg_mi(a, 3), one)
    rows, cols = np.triu_indices(6)
    np.testing.assert_array_equal(ksg_mi_pairs(a, rows, cols, 3), one[rows, cols])


@pytest.mark.parametrize("s", [9, 511, 513, 1100])
def test_numba_scale_mismatch_counts_past_512(s):
    """y on a 1e3 scale: the radii are y's, so almost every x lies within them (counts
    past the 8-wide levels, binary-search fallback) while y counts stay small."""
    rng = np.random.default_rng(s)
    a = np.stack([rng.normal(size=s), 1e3 * rng.normal(size=s), np.round(rng.normal(size=s))], 1)
    rows, cols = np.array([0, 1, 2, 0]), np.array([1, 2, 0, 0])
    _close(ksg_mi_pairs(a, rows, cols, 3, backend="numba"), _reference_pairs(a, rows, cols, 3))


def test_level_search_equals_brute_force_count():
    """The 8-wide level search behind the marginal counts, on ties, r = 0 and huge r."""
    import numba

    from infomem.estimators import _ksg_numba as kn

    @numba.njit
    def counts(lv, r):
        s = r.size
        out = np.empty(s, dtype=np.int64)
        up, down = lv[0], lv[1]
        for q in range(s):
            hi = kn._upper(up, kn.address(up), q, r[q], s)
            lo = kn._upper(down, kn.address(down), s - 1 - q, r[q], s)
            out[q] = hi + lo - s + 2
        return out

    rng = np.random.default_rng(3)
    for s in (1, 8, 65, 700, 1500):
        v = np.sort(np.concatenate([np.round(rng.normal(size=s - s // 3), 1), np.zeros(s // 3)]))
        lv = np.empty((1, 2, kn.levels_size(s)))
        kn._fill_levels(lv[0, 0], v)
        kn._fill_levels(lv[0, 1], -v[::-1].copy())
        r = rng.choice([0.0, 1e-3, 0.05, 0.3, 2.0, 1e9], size=s)
        brute = (np.abs(v[None, :] - v[:, None]) <= r[:, None]).sum(1)
        np.testing.assert_array_equal(counts(lv[0], r), brute)


def test_vector_windows_equal_sorted_distances():
    """Both window tiers (4-wide intrinsics) return the 3 smallest of the multiset of
    their start values and the distances to the points a scalar loop would visit."""
    import numba

    from infomem.estimators import _ksg_numba as kn

    @numba.njit
    def tiers(px, py, q, sides, b1, b2):
        ax, ay = kn.address(px), kn.address(py)
        first = kn._tier1(ax, ay, q, sides, px[q], py[q], b1, b2, np.inf)
        return first, kn._tier2(ax, ay, q, sides, px[q], py[q], *first)

    (own1, own2), near, far = kn.OWN_WINDOW, kn.WINDOW, kn.FAR_WINDOW
    rng = np.random.default_rng(8)
    for trial in range(50):
        px = np.round(rng.normal(size=200), 1)
        py = rng.normal(size=200)
        py[rng.integers(0, 200, 10)] = rng.choice([np.inf, -np.inf], 10)  # like sentinels
        q = int(rng.integers(20, 180))
        py[q] = 0.5
        sides = tuple(int(i) for i in rng.integers(20, 180, 4))
        k = 1 + trial % 3
        b1 = -np.inf if k < 3 else np.inf
        b2 = -np.inf if k < 2 else np.inf
        seen = list(np.full(3 - k, -np.inf))
        got = tiers(px, py, q, sides, b1, b2)
        for tier, own in enumerate([(0, own1), (own1, own2)]):
            idx = [q + i for i in range(own[0] + 1, own[1] + 1)]
            idx += [q - i for i in range(own[0] + 1, own[1] + 1)]
            for s, w in zip(sides, [near, near, far, far], strict=True):  # columns c+-1, c+-2
                lo, hi = (0, w[0]) if tier == 0 else w
                idx += [s + i for i in [*range(-hi, -lo), *range(lo, hi)]]
            seen += list(np.maximum(np.abs(px[idx] - px[q]), np.abs(py[idx] - py[q])))
            np.testing.assert_array_equal(got[tier], np.sort(seen)[:3])


def test_below_is_nextafter_towards_zero():
    import numba

    from infomem.estimators._simd import below

    x = np.concatenate([[0.0, 5e-324, 1e-310, 1.0, 2.0, 1e300, np.finfo(float).max],
                        np.random.default_rng(1).exponential(size=100)])
    got = numba.njit(lambda v: np.array([below(t) for t in v]))(x)
    np.testing.assert_array_equal(got, np.nextafter(x, 0.0))
