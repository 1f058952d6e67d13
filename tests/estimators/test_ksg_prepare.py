"""Per-neuron preparation of the numba KSG kernel (`_ksg_prepare`): what the per-pair
kernel relies on, above all that no column boundary separates equal values."""

from __future__ import annotations

import numpy as np

from infomem.estimators._ksg_levels import levels_size
from infomem.estimators._ksg_prepare import prepare


def test_order_ranks_columns_and_levels():
    rng = np.random.default_rng(5)
    s, target = 300, 9
    x = np.stack([rng.normal(size=s), np.round(rng.normal(size=s), 1), np.full(s, 2.5),
                  np.repeat(rng.normal(size=4), s // 4), np.maximum(rng.normal(size=s), 0)])
    n = x.shape[0]
    levels = np.empty((n, 2, levels_size(s)))
    order, rank, column_of = (np.empty((n, s), dtype=np.int32) for _ in range(3))
    bounds = np.empty((n, target + 3), dtype=np.int32)
    counts = np.empty(n, dtype=np.int32)
    prepare(x, target, levels, order, rank, column_of, bounds, counts)

    assert counts[0] == target and counts[2] == 1  # no ties: all columns; constant: one
    for a in range(n):
        v = x[a][order[a]]
        np.testing.assert_array_equal(order[a], np.argsort(x[a], kind="stable"))
        np.testing.assert_array_equal(rank[a][order[a]], np.arange(s))
        g = int(counts[a])
        b = bounds[a]
        assert 1 <= g <= target and b[0] == b[1] == 0
        assert np.all(np.diff(b[1 : g + 2]) > 0) and np.all(b[g + 1 :] == s)
        assert np.all(v[b[2 : g + 1] - 1] < v[b[2 : g + 1]])  # ties never straddle columns
        np.testing.assert_array_equal(column_of[a][order[a]], np.repeat(np.arange(g), np.diff(b[1 : g + 2])))
        np.testing.assert_array_equal(levels[a, 0, :s], v)
        np.testing.assert_array_equal(levels[a, 1, :s], -v[::-1])
