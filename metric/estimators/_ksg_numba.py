"""Numba KSG kernel: exact k-NN radii and marginal counts for many pairs of neurons.

Per neuron, once (`_ksg_prepare.prepare`): each example's rank and the sort order, a
split of the ranks into ~sqrt(S)/2 *columns* whose boundaries never separate equal
values, and the sorted values in *levels* for the counts (`_ksg_levels`).

Per pair (x, y), here, in one O(S) pass over y's sort order: the points are scattered
column by column (x's columns) into the padded grid of `_ksg_neighbours`, each column
sorted by y, each point recording where its y value falls in the two columns on either
side; then each point's k-th neighbour distance eps (`_ksg_neighbours`), and the
marginal counts ``#{j: |x_j - x_i| <= nextafter(eps, 0)}`` (likewise y) on the levels,
which equal a radius query exactly. Names follow the paper: S examples, point i, its
k-th neighbour distance eps. Imported lazily: numba compiles on first use and caches
to disk (`_numba_cache`).
"""

from __future__ import annotations

import numpy as np

from ._ksg_levels import psi_count_sum
from ._ksg_neighbours import (
    PAD,
    REGISTER_K,
    SIDES,
    column_edge_x,
    column_start,
    column_stop,
    hot_kernel,
    kth_any,
    kth_upto3,
)
from ._numba_cache import cached_njit
from ._simd import address, below

__all__ = ["ksg_pairs"]

_INF = np.inf
# Rows of the int32 scratch, per grid slot: the y rank of the point there, where its y
# falls in columns c + 1, c - 1, c + 2, c - 2, and (per column) the next free slot.
_Y_RANK = 0
_SPLITS = 1
_NEXT_SLOT = _SPLITS + 2 * SIDES
_INT_ROWS = _NEXT_SLOT + 1
_FLOAT_ROWS = 4  # float64 scratch: the grid's x and y, the radii by x rank and by y rank


@hot_kernel
def _pair_mi(neuron_x, neuron_y, levels, values, order, rank, column_of, column_bounds,
             column_counts, k, psi, float_rows, int_rows, best):
    """KSG MI of neurons neuron_x and neuron_y: scatter into x's columns, radii, counts."""
    s = values.shape[1]
    sorted_x = levels[neuron_x, 0]
    values_x = values[neuron_x]
    bounds = column_bounds[neuron_x]
    n_columns = column_counts[neuron_x]
    column_of_x = column_of[neuron_x]
    order_y = order[neuron_y]
    sorted_y = levels[neuron_y, 0]
    grid_x = float_rows[0]
    grid_y = float_rows[1]
    addr_x = address(grid_x)
    addr_y = address(grid_y)
    radius_by_x_rank = float_rows[2]
    radius_by_y_rank = float_rows[3]
    y_rank = int_rows[_Y_RANK]
    next_slot = int_rows[_NEXT_SLOT]
    for column in range(-SIDES, n_columns + SIDES):  # sentinels around every column
        lo = column_start(bounds, column, n_columns, s)
        hi = column_stop(bounds, column, n_columns, s)
        for j in range(lo - PAD, lo):
            grid_x[j] = 0.0
            grid_y[j] = -_INF
        for j in range(hi, hi + PAD):
            grid_x[j] = 0.0
            grid_y[j] = _INF
        next_slot[column + SIDES] = lo
    for m in range(s):  # scatter in y order (m: y rank): every column ends up sorted by y
        example = order_y[m]
        here = column_of_x[example] + SIDES
        slot = next_slot[here]
        next_slot[here] = slot + 1
        grid_x[slot] = values_x[example]
        grid_y[slot] = sorted_y[m]
        y_rank[slot] = m
        int_rows[_SPLITS, slot] = next_slot[here + 1]
        int_rows[_SPLITS + 1, slot] = next_slot[here - 1]
        int_rows[_SPLITS + 2, slot] = next_slot[here + 2]
        int_rows[_SPLITS + 3, slot] = next_slot[here - 2]
    for column in range(n_columns):
        edge_x = (column_edge_x(sorted_x, bounds, column + 1, n_columns, True),
                  column_edge_x(sorted_x, bounds, column - 1, n_columns, False),
                  column_edge_x(sorted_x, bounds, column + 2, n_columns, True),
                  column_edge_x(sorted_x, bounds, column - 2, n_columns, False),
                  column_edge_x(sorted_x, bounds, column + 3, n_columns, True),
                  column_edge_x(sorted_x, bounds, column - 3, n_columns, False))
        for i in range(column_start(bounds, column, n_columns, s), column_stop(bounds, column, n_columns, s)):
            if k <= REGISTER_K:
                splits = (int_rows[_SPLITS, i], int_rows[_SPLITS + 1, i], int_rows[_SPLITS + 2, i],
                          int_rows[_SPLITS + 3, i])
                eps = kth_upto3(i, column, grid_x, grid_y, addr_x, addr_y, sorted_x, bounds,
                                n_columns, s, splits, edge_x, k)
            else:
                eps = kth_any(i, column, grid_x, grid_y, sorted_x, bounds, n_columns, s, best, k)
            radius_by_y_rank[y_rank[i]] = below(eps)  # the reference counts within nextafter(eps, 0)
    rank_x = rank[neuron_x]
    for m in range(s):
        radius_by_x_rank[rank_x[order_y[m]]] = radius_by_y_rank[m]
    sum_x = psi_count_sum(levels[neuron_x], radius_by_x_rank, psi, s)
    sum_y = psi_count_sum(levels[neuron_y], radius_by_y_rank, psi, s)
    return psi[s] + psi[k] - sum_x / s - sum_y / s


@cached_njit(nogil=True)
def ksg_pairs(levels, values, order, rank, column_of, column_bounds, column_counts, rows, cols,
              k, psi):
    """KSG MI (nats) for pairs (rows[p], cols[p]) of prepared neurons.

    levels/order/rank/column_of/column_bounds/column_counts from `prepare`; values: the
    original values (n, S); psi[m] = digamma(m) for m in 0..S. Releases the GIL: callers
    run pieces of the pair list on threads (cheaper to compile than a numba parallel loop).
    """
    s = values.shape[1]
    # every column's points and two PADs, for up to column_bounds.shape[1] columns plus
    # the 2 SIDES empty ones
    size = s + PAD * (2 * column_bounds.shape[1] + 4 * SIDES)
    out = np.empty(rows.size, dtype=np.float64)
    float_rows = np.empty((_FLOAT_ROWS, size), dtype=np.float64)
    int_rows = np.empty((_INT_ROWS, size), dtype=np.int32)
    best = np.empty(k, dtype=np.float64)
    for p in range(rows.size):
        out[p] = _pair_mi(rows[p], cols[p], levels, values, order, rank, column_of, column_bounds,
                          column_counts, k, psi, float_rows, int_rows, best)
    return out
