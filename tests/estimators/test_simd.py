"""The LLVM vector intrinsics of `_simd` against numpy, lane by lane."""

from __future__ import annotations

import numba
import numpy as np

from infomem.estimators._simd import COUNT_LANES, address, below, count8_within, select


def test_below_is_nextafter_towards_zero():
    x = np.concatenate([[0.0, 5e-324, 1e-310, 1.0, 2.0, 1e300, np.finfo(float).max],
                        np.random.default_rng(1).exponential(size=100)])
    got = numba.njit(lambda v: np.array([below(t) for t in v]))(x)
    np.testing.assert_array_equal(got, np.nextafter(x, 0.0))


def test_count8_within_counts_the_values_within_r():
    """#{i < 8 : v[start + i] - vq <= r}, also on +inf padding, r = 0 and ties."""

    @numba.njit
    def count(v, start, vq, r):
        return count8_within(address(v), start, vq, r)

    rng = np.random.default_rng(4)
    v = np.concatenate([np.round(rng.normal(size=60), 1), np.full(COUNT_LANES, np.inf)])
    for _ in range(300):
        start = int(rng.integers(0, v.size - COUNT_LANES + 1))
        vq = float(v[int(rng.integers(0, 60))])
        r = float(rng.choice([0.0, 0.1, 0.5, 3.0, np.inf]))
        assert count(v, start, vq, r) == int(np.sum(v[start : start + COUNT_LANES] - vq <= r))


def test_select_is_a_conditional():
    pick = numba.njit(lambda c, a, b: select(c, a, b))
    assert pick(True, 3, -7) == 3 and pick(False, 3, -7) == -7
