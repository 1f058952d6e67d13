"""The k-th neighbour search of the KSG kernel (`_ksg_neighbours`): its vector windows."""

from __future__ import annotations

import numpy as np


def test_vector_windows_equal_sorted_distances():
    """Both window tiers (4-wide intrinsics) return the 3 smallest of the multiset of
    their start values and the distances to the points a scalar loop would visit."""
    import numba

    from infomem.estimators import _ksg_neighbours as kn
    from infomem.estimators._simd import address

    @numba.njit
    def tiers(px, py, q, sides, b1, b2):
        ax, ay = address(px), address(py)
        first = kn.first_tier(ax, ay, q, sides, px[q], py[q], b1, b2, np.inf)
        return first, kn.second_tier(ax, ay, q, sides, px[q], py[q], *first)

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
