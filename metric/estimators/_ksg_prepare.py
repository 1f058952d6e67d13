"""KSG per-neuron preparation: sort order, ranks, columns and levels, once per neuron.

The columns split a neuron's ranks into ~sqrt(S)/2 runs of consecutive ranks whose
boundaries never separate equal values; the per-pair kernel scatters every pair into
the columns of its x neuron (`_ksg_neighbours`). The levels serve the marginal counts
(`_ksg_levels`).
"""

from __future__ import annotations

import numpy as np

from ._ksg_levels import fill_levels
from ._numba_cache import cached_njit

__all__ = ["COLUMN_SIZE", "prepare"]

# Columns of about COLUMN_SIZE * sqrt(S) points, sqrt(S) / 2 of them: a column's x-extent
# (1/n of the ranks) then matches the y-extent of the 4 points a first-tier window takes
# from each neighbouring column (4 n / S of the ranks); 1.5 before the 4-wide windows.
COLUMN_SIZE = 2.0


@cached_njit(nogil=True)
def prepare(x, target_columns, levels, order, rank, column_of, column_bounds, column_counts):
    """Fill the per-neuron structures for x (n, S) float64 (one neuron per row).

    levels (n, 2, levels_size(S)): levels of the sorted values and of their negatives
    in reverse; order (n, S): argsort (stable); rank: its inverse; column_of: column of
    each example; column_bounds (n, target_columns + 3): column_bounds[c + 1] = first
    rank of column c, column_bounds[0] = 0, then S from column_bounds[column_counts + 1]
    on; column_counts (n,): the columns found, at most ``target_columns`` (fewer where
    ties would straddle a boundary). Releases the GIL.
    """
    n, s = x.shape
    v = np.empty(s, dtype=np.float64)
    for a in range(n):
        o = np.argsort(x[a], kind="mergesort")
        for m in range(s):
            order[a, m] = o[m]
            v[m] = x[a, o[m]]
            rank[a, o[m]] = m
        column_bounds[a, :] = s
        found = 0
        column_bounds[a, 0] = 0
        column_bounds[a, 1] = 0
        for column in range(1, target_columns):
            start = (column * s) // target_columns
            while start < s and v[start - 1] == v[start]:  # ties stay in one column
                start += 1
            if start > column_bounds[a, found + 1] and start < s:
                found += 1
                column_bounds[a, found + 1] = start
        found += 1
        column_counts[a] = found
        for column in range(found):
            for m in range(column_bounds[a, column + 1], column_bounds[a, column + 2]):
                column_of[a, o[m]] = column
        fill_levels(levels[a, 0], v)
        fill_levels(levels[a, 1], -v[::-1])
