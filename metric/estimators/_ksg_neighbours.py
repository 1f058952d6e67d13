"""KSG k-th neighbour distance (Chebyshev) of every point of a pair, on the column grid.

The grid: a pair's points scattered into the x neuron's columns, each column sorted by
y, with PAD sentinels below (y = -inf) and above (y = +inf) every column and SIDES
empty columns at either end (`column_start`, `column_stop`). Point i of column c also
knows where its y falls in columns c + 1, c - 1, c + 2, c - 2 (its *splits*).

For k <= REGISTER_K (`kth_upto3`): fixed windows, OWN_WINDOW points above and below i
in its own column, WINDOW on either side of its split in c +- 1 and FAR_WINDOW in
c +- 2, evaluated 4 points at a time without branches (`_simd.top3_blocks`); the
sentinels make every window fit. One combined test then says whether anything outside
the windows could still be closer than the current k-th distance (a y-gap past a
window, or an x-gap to an unwindowed column, below it); if so, a second tier of wider
windows, the same test, and only then scalar scans. For larger k (`kth_any`), scans
with a sorted array of the k best. Every bound used to skip points is a floating-point
difference with a value never closer than the skipped points; rounding is monotone, so
nothing that could change the k-th distance is skipped.
"""

from __future__ import annotations

import numba
import numpy as np

from ._numba_cache import cached_njit
from ._simd import WINDOW_LANES, select, top3_blocks

__all__ = ["SIDES", "PAD", "REGISTER_K", "column_start", "column_stop", "column_edge_x",
           "kth_upto3", "kth_any", "hot_kernel"]

_INF = np.inf
# Window sizes (first tier, second tier), in points, each a whole number of WINDOW_LANES
# blocks. The first tier settles ~77% of the queries (README's profile at S = 2,500:
# 23% go on to the second tier, 10% to the scans).
OWN_WINDOW = (8, 12)  # above and below the query in its own column (nearest in x): 2, then 3 blocks a side
WINDOW = (4, 8)  # either side of the query's split in columns c +- 1: 1, then 2 blocks a side
FAR_WINDOW = (2, 6)  # c +- 2, rarely nearest: 2 not 4 saves 2 of 12 blocks; 22.8% not 22.2% reach tier 2
SIDES = 2  # columns windowed on each side; from c +- 3 on, only scans, behind their x-gap
PAD = OWN_WINDOW[1] + 1  # sentinels below and above each column: the widest window + the slot tested past it
REGISTER_K = 3  # largest k kept in three registers (first, second, third): the paper's k = 3

# njit, cached, without reference counting (numba's `_nrt` option): array arguments of
# inlined helpers would otherwise cost incref/decref calls inside the hot loops.
hot_kernel = cached_njit(_nrt=False)


def _own_blocks(lo: int, hi: int) -> tuple[int, ...]:
    """Starts of the blocks covering offsets [-hi, -lo) and (lo, hi] around the query."""
    return tuple(range(-hi, -lo, WINDOW_LANES)) + tuple(range(lo + 1, hi + 1, WINDOW_LANES))


def _split_blocks(lo: int, hi: int) -> tuple[int, ...]:
    """Starts of the blocks covering offsets [-hi, -lo) and [lo, hi) around a split."""
    if lo == 0:
        return tuple(range(-hi, hi, WINDOW_LANES))
    return tuple(range(-hi, -lo, WINDOW_LANES)) + tuple(range(lo, hi, WINDOW_LANES))


def _window_tier(tier: int):
    """The window intrinsic of a tier: the points between the previous tier's windows and its own."""
    own, near, far = (((0,) + w)[tier : tier + 2] for w in (OWN_WINDOW, WINDOW, FAR_WINDOW))
    return top3_blocks(_own_blocks(*own), (_split_blocks(*near),) * 2 + (_split_blocks(*far),) * 2)


first_tier = _window_tier(0)
second_tier = _window_tier(1)


# ----------------------------------------------------------------------------- layout
@numba.njit(inline="always")
def column_start(bounds, column, n_columns, s):
    """First slot of a column (-SIDES <= column < n_columns + SIDES; the outer ones are
    empty): its points, then the PAD sentinels below and above each column before it and
    its own PAD below."""
    base = 0 if column < 0 else (s if column >= n_columns else bounds[column + 1])
    return base + PAD * (2 * column + 2 * SIDES + 1)


@numba.njit(inline="always")
def column_stop(bounds, column, n_columns, s):
    """One past the last slot of a column's points."""
    base = 0 if column < 0 else (s if column >= n_columns else bounds[column + 2])
    return base + PAD * (2 * column + 2 * SIDES + 1)


@numba.njit(inline="always")
def column_edge_x(sorted_x, bounds, column, n_columns, first):
    """x of a column's first (first=True) or last point; +-inf for the empty outer columns."""
    if first:
        return sorted_x[bounds[column + 1]] if column < n_columns else _INF
    return sorted_x[bounds[column + 2] - 1] if column >= 0 else -_INF


# ------------------------------------------------------------------- k-NN, k <= 3
@numba.njit(inline="always")
def _insert3(grid_x, grid_y, j, x_i, y_i, first, second, third):
    """Insert the distance of point j into the ascending (first, second, third), branch-free."""
    t = max(abs(grid_x[j] - x_i), abs(grid_y[j] - y_i))
    new_first = min(first, t)
    t = max(first, t)
    new_second = min(second, t)
    t = max(second, t)
    return new_first, new_second, min(third, t)


@numba.njit(inline="always")
def _scan3(grid_x, grid_y, lo, hi, done_lo, done_hi, x_i, y_i, first, second, third):
    """[done_lo, done_hi) of a y-sorted column [lo, hi) done: go on up and down while dy < third."""
    j = done_hi
    while j < hi and grid_y[j] - y_i < third:
        first, second, third = _insert3(grid_x, grid_y, j, x_i, y_i, first, second, third)
        j += 1
    j = done_lo - 1
    while j >= lo and y_i - grid_y[j] < third:
        first, second, third = _insert3(grid_x, grid_y, j, x_i, y_i, first, second, third)
        j -= 1
    return first, second, third


@numba.njit(inline="always")
def _lower_bound(grid_y, lo, hi, y_i):
    """First position in [lo, hi) with grid_y >= y_i (hi if none); halvings without branches."""
    if lo == hi:
        return lo
    n = hi - lo
    while n > 1:
        half = n >> 1
        lo = select(grid_y[lo + half] < y_i, lo + half, lo)
        n -= half
    return lo + np.int64(grid_y[lo] < y_i)


@numba.njit(inline="always")
def _kth3_scans(i, column, grid_x, grid_y, sorted_x, bounds, n_columns, s, splits, x_gaps,
                x_i, y_i, first, second, third):
    """Finish a k-NN search whose windows may have missed candidates, by scalar scans."""
    own = OWN_WINDOW[1]
    first, second, third = _scan3(
        grid_x, grid_y, column_start(bounds, column, n_columns, s),
        column_stop(bounds, column, n_columns, s), i - own, i + own + 1, x_i, y_i,
        first, second, third)
    for side in range(2 * SIDES):  # columns c + 1, c - 1, c + 2, c - 2
        if x_gaps[side] < third:
            other = column + (side >> 1) + 1 if side % 2 == 0 else column - (side >> 1) - 1
            width = WINDOW[1] if side < 2 else FAR_WINDOW[1]
            first, second, third = _scan3(
                grid_x, grid_y, column_start(bounds, other, n_columns, s),
                column_stop(bounds, other, n_columns, s), splits[side] - width,
                splits[side] + width, x_i, y_i, first, second, third)
    left = column - SIDES - 1
    right = column + SIDES + 1
    while True:  # farther columns, nearest x-gap first
        gap_left = x_i - sorted_x[bounds[left + 2] - 1] if left >= 0 else _INF
        gap_right = sorted_x[bounds[right + 1]] - x_i if right < n_columns else _INF
        if gap_left <= gap_right:
            if gap_left >= third:
                break
            other = left
            left -= 1
        else:
            if gap_right >= third:
                break
            other = right
            right += 1
        lo = column_start(bounds, other, n_columns, s)
        hi = column_stop(bounds, other, n_columns, s)
        split = _lower_bound(grid_y, lo, hi, y_i)
        first, second, third = _scan3(grid_x, grid_y, lo, hi, split, split, x_i, y_i,
                                      first, second, third)
    return third


@numba.njit(inline="always")
def _may_miss(grid_y, i, y_i, splits, x_gaps, far_gap, own, near, far, third):
    """Could a point outside the windows (own each way in the own column, near and far
    around the splits in columns c +- 1 and c +- 2) or in a farther column (x-gap
    ``far_gap``) be closer than third? Bitwise, not short-circuit: no branches; the
    sentinels make a window's test false at its column's end."""
    miss = (grid_y[i + own + 1] - y_i < third) | (y_i - grid_y[i - own - 1] < third) | (far_gap < third)
    for side in range(2 * SIDES):
        split = splits[side]
        width = near if side < 2 else far
        miss |= (x_gaps[side] < third) & (
            (grid_y[split + width] - y_i < third) | (y_i - grid_y[split - width - 1] < third))
    return miss


@numba.njit(inline="always")
def kth_upto3(i, column, grid_x, grid_y, addr_x, addr_y, sorted_x, bounds, n_columns, s,
              splits, edge_x, k):
    """Chebyshev distance from point i (in ``column``) to its k-th nearest other point, k <= 3.

    The 3 smallest of {-inf x (3 - k)} + the distances seen, so the k-th smallest seen
    is the third. splits: positions of i's y in columns c + 1, c - 1, c + 2, c - 2;
    edge_x: x of the nearest point of those columns and of columns c + 3, c - 3.
    """
    x_i = grid_x[i]
    y_i = grid_y[i]
    first, second, third = first_tier(addr_x, addr_y, i, splits, x_i, y_i,
                                      -_INF if k < 3 else _INF, -_INF if k < 2 else _INF, _INF)
    x_gaps = (edge_x[0] - x_i, x_i - edge_x[1], edge_x[2] - x_i, x_i - edge_x[3])
    far_gap = min(edge_x[4] - x_i, x_i - edge_x[5])
    if _may_miss(grid_y, i, y_i, splits, x_gaps, far_gap, OWN_WINDOW[0], WINDOW[0],
                 FAR_WINDOW[0], third):
        first, second, third = second_tier(addr_x, addr_y, i, splits, x_i, y_i, first, second, third)
        if _may_miss(grid_y, i, y_i, splits, x_gaps, far_gap, OWN_WINDOW[1], WINDOW[1],
                     FAR_WINDOW[1], third):
            third = _kth3_scans(i, column, grid_x, grid_y, sorted_x, bounds, n_columns, s,
                                splits, x_gaps, x_i, y_i, first, second, third)
    return third


# ------------------------------------------------------------------- k-NN, any k
@numba.njit(inline="always")
def _insert(best, k, d):
    """Insert distance d into the ascending k best."""
    if d < best[k - 1]:
        j = k - 1
        while j > 0 and best[j - 1] > d:
            best[j] = best[j - 1]
            j -= 1
        best[j] = d


@hot_kernel
def _scan_k(grid_x, grid_y, lo, hi, start, x_i, y_i, best, k):
    """Scan [lo, hi) (y-sorted) up from start and down from start-1 while dy < best[k-1]."""
    j = start
    while j < hi and grid_y[j] - y_i < best[k - 1]:
        _insert(best, k, max(abs(grid_x[j] - x_i), grid_y[j] - y_i))
        j += 1
    j = start - 1
    while j >= lo and y_i - grid_y[j] < best[k - 1]:
        _insert(best, k, max(abs(grid_x[j] - x_i), y_i - grid_y[j]))
        j -= 1


@hot_kernel
def kth_any(i, column, grid_x, grid_y, sorted_x, bounds, n_columns, s, best, k):
    """Same distance as `kth_upto3`, for any k, with a sorted array of the k best."""
    for j in range(k):
        best[j] = _INF
    x_i = grid_x[i]
    y_i = grid_y[i]
    _scan_k(grid_x, grid_y, i + 1, column_stop(bounds, column, n_columns, s), i + 1, x_i, y_i, best, k)
    _scan_k(grid_x, grid_y, column_start(bounds, column, n_columns, s), i, i, x_i, y_i, best, k)
    left = column - 1
    right = column + 1
    while True:  # other columns, nearest x-gap first
        gap_left = x_i - sorted_x[bounds[left + 2] - 1] if left >= 0 else _INF
        gap_right = sorted_x[bounds[right + 1]] - x_i if right < n_columns else _INF
        if gap_left <= gap_right:
            if gap_left >= best[k - 1]:
                break
            other = left
            left -= 1
        else:
            if gap_right >= best[k - 1]:
                break
            other = right
            right += 1
        lo = column_start(bounds, other, n_columns, s)
        hi = column_stop(bounds, other, n_columns, s)
        _scan_k(grid_x, grid_y, lo, hi, _lower_bound(grid_y, lo, hi, y_i), x_i, y_i, best, k)
    return best[k - 1]
