"""KSG marginal counts: per-neuron *levels* of sorted values and 8-wide searches on them.

A levels row holds one neuron's S sorted values, then every 8th of them, then every
64th, each part padded with +inf. The count ``#{m : |v_m - v_i| <= r}`` is the
distance from the last value within r above v_i to the last one below it (searched on
the row of negated values in reverse). Each search is three 8-wide counts (every 64th
value, then every 8th, then all) that compare the very difference the reference
compares, ``v_m - v_i <= r``, so the counts equal a radius query exactly; past 512
values, a binary search.
"""

from __future__ import annotations

import numba
import numpy as np

from ._numba_cache import cached_njit
from ._simd import COUNT_LANES, address, count8_within, select

__all__ = ["levels_size", "fill_levels", "last_within_levels", "psi_count_sum"]

_INF = np.inf
LANES = COUNT_LANES  # fan-out of the levels: the values one `count8_within` compares
STRIDE8 = LANES  # part 2 keeps every 8th value: one count there spans 64 values
STRIDE64 = LANES * LANES  # part 3 keeps every 64th: one count there spans 512 values
SHIFT64 = 6  # log2(STRIDE64): i >> SHIFT64 is i // 64 for i >= 0, without the sign fix-up
REACH = LANES * STRIDE64  # 512: what the three counts resolve; part 1 is padded by a REACH block


@numba.njit(inline="always")
def _level_offsets(s):
    """Start of the every-8th and of the every-64th values in a levels row."""
    # all S values and at least REACH of +inf padding, in whole REACH blocks: the
    # deepest 8-wide load lies less than REACH past the query's 64-block
    n_all = ((s + REACH - 1) // REACH + 1) * REACH
    return n_all, n_all + n_all // STRIDE8 + LANES


@cached_njit()
def levels_size(s):
    """Length of a levels row for S values."""
    every8_at, every64_at = _level_offsets(s)
    return every64_at + every8_at // STRIDE64 + LANES


@numba.njit(inline="always")
def fill_levels(row, v):
    """row = sorted v, then its every-8th, then its every-64th values, each part padded
    with +inf far enough for any 8-wide load of `last_within_levels`."""
    s = v.size
    every8_at, every64_at = _level_offsets(s)
    row[:] = _INF
    row[:s] = v
    for m in range(0, s, STRIDE8):
        row[every8_at + m // STRIDE8] = v[m]
    for m in range(0, s, STRIDE64):
        row[every64_at + m // STRIDE64] = v[m]


@numba.njit(inline="always")
def _last_within_search(v, base, n, v_start, radius):
    """Last m in [base, base + n) with v[m] - v_start <= radius (true at base, then
    false); halvings without branches."""
    while n > 1:
        half = n >> 1
        base = select(v[base + half] - v_start <= radius, base + half, base)
        n -= half
    return base


@numba.njit(inline="always")
def last_within_levels(row, addr, start, radius, s):
    """Last m >= start with row[m] - row[start] <= radius (radius >= 0), for a levels row
    at address ``addr``.

    Each 8-wide count starts at or below the answer, so it covers a true prefix whose
    length is the count (no branches): the count of every-64th values picks the
    64-block, the every-8th values the 8-block, the values the position.
    """
    every8_at, every64_at = _level_offsets(s)
    v_start = row[start]
    block64 = start >> SHIFT64
    n64 = count8_within(addr, every64_at + block64 + 1, v_start, radius)
    if n64 == LANES:  # 512 values or more within radius
        return _last_within_search(row, start, s - start, v_start, radius)
    block8 = LANES * (block64 + n64)
    block8 += count8_within(addr, every8_at + block8, v_start, radius) - 1
    return LANES * block8 + count8_within(addr, LANES * block8, v_start, radius) - 1


@numba.njit(inline="always")
def psi_count_sum(levels, radius, psi, s):
    """sum over i of psi(#{m : |v[m] - v[i]| <= radius[i]}), radius by rank, for one
    neuron's levels (its ascending row and its negated, reversed row)."""
    ascending = levels[0]
    descending = levels[1]
    addr_up = address(ascending)
    addr_down = address(descending)
    total = 0.0
    for i in range(s):
        last_up = last_within_levels(ascending, addr_up, i, radius[i], s)
        last_down = last_within_levels(descending, addr_down, s - 1 - i, radius[i], s)
        total += psi[last_up + last_down - s + 2]  # first within = s - 1 - last_down
    return total
