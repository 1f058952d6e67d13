"""Levels and the 8-wide searches behind the KSG marginal counts (`_ksg_levels`)."""

from __future__ import annotations

import numpy as np


def test_level_search_equals_brute_force_count():
    """The 8-wide level search behind the marginal counts, on ties, r = 0 and huge r."""
    import numba

    from infomem.estimators import _ksg_levels as kl
    from infomem.estimators._simd import address

    @numba.njit
    def counts(lv, r):
        s = r.size
        out = np.empty(s, dtype=np.int64)
        up, down = lv[0], lv[1]
        for q in range(s):
            hi = kl.last_within_levels(up, address(up), q, r[q], s)
            lo = kl.last_within_levels(down, address(down), s - 1 - q, r[q], s)
            out[q] = hi + lo - s + 2
        return out

    rng = np.random.default_rng(3)
    for s in (1, 8, 65, 700, 1500):
        v = np.sort(np.concatenate([np.round(rng.normal(size=s - s // 3), 1), np.zeros(s // 3)]))
        lv = np.empty((1, 2, kl.levels_size(s)))
        kl.fill_levels(lv[0, 0], v)
        kl.fill_levels(lv[0, 1], -v[::-1].copy())
        r = rng.choice([0.0, 1e-3, 0.05, 0.3, 2.0, 1e9], size=s)
        brute = (np.abs(v[None, :] - v[:, None]) <= r[:, None]).sum(1)
        np.testing.assert_array_equal(counts(lv[0], r), brute)
        # the psi sum over those counts (identity table: the counts' sum), radii by rank
        assert kl.psi_count_sum(lv[0], r, np.arange(s + 1.0), s) == brute.sum()
