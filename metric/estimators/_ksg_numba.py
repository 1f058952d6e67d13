"""Numba KSG kernel: exact k-NN radii and marginal counts for many pairs of neurons.

Per neuron, once (`prepare`): each example's rank and the sort order, a split of the
ranks into ~sqrt(S)/2 *columns* whose boundaries never separate equal values, and the
sorted values in *levels* (all values, every 8th, every 64th; and the same for the
negated values in reverse) for the counts.

Per pair (x, y), in one O(S) pass over y's sort order, the points are scattered column
by column (x's columns), each column sorted by y, with PAD sentinels below (y = -inf)
and above (y = +inf) every column and two empty columns at either end; each point also
records where its y value falls in the two columns on either side.

k-th neighbour (Chebyshev): fixed windows (OWN_WINDOW points above and below the
point in its own column, WINDOW on either side of its y in the next column on each
side, FAR_WINDOW in the one after) are evaluated four points at a time without
branches (`_simd.top3_blocks`); the sentinels make every window fit. One combined
test then says whether anything outside the windows could still be closer than the
current k-th distance (a y-gap past a window, or an x-gap to an unwindowed column,
below it); if so, a second tier of wider windows, the same test, and only then scalar
scans. Marginal counts ``#{j: |x_j - x_i| <= r}`` count the values within r with
8-wide compares on the levels (64 at a time, then 8, then 1), by the very difference
the reference compares, so they equal a radius query exactly.

Every bound used to skip points is a floating-point difference with a value never
closer than the skipped points; rounding is monotone, so nothing that could change
the k-th distance is skipped. Imported lazily: numba compiles on first use, caches to disk.
"""

from __future__ import annotations

import numba
import numpy as np

from ._simd import address, below, count8_within, select, top3_blocks

_INF = np.inf
SIDES = 2  # neighbouring columns windowed on each side
# Window sizes of the first and second tier: points evaluated above and below the
# query in its own column, and on either side of its y in the neighbouring columns
# (covered by blocks of 4; the far columns' points are rarely the nearest).
OWN_WINDOW = (8, 12)
WINDOW = (4, 8)  # in columns c +- 1
FAR_WINDOW = (2, 6)  # in columns c +- 2
PAD = OWN_WINDOW[1] + 1  # sentinels below and above each column
REGISTER_K = 3  # largest k served by the register insertion network
COLUMN_SIZE = 2.0  # columns of about COLUMN_SIZE * sqrt(S) points


def _kernel(fn):
    """njit, cached, without reference counting (numba's `_nrt` option): array arguments
    of inlined helpers would otherwise cost incref/decref calls inside the hot loops."""
    return numba.njit(cache=True, _nrt=False)(fn)  # type: ignore[call-overload]


def _own(lo: int, hi: int) -> tuple[int, ...]:
    """Starts of the 4-point blocks covering offsets [-hi, -lo) and (lo, hi] around the query."""
    return tuple(range(-hi, -lo, 4)) + tuple(range(lo + 1, hi + 1, 4))


def _side(lo: int, hi: int) -> tuple[int, ...]:
    """Starts of the 4-point blocks covering offsets [-hi, -lo) and [lo, hi) around a split."""
    if lo == 0:
        return tuple(range(-hi, hi, 4))
    return tuple(range(-hi, -lo, 4)) + tuple(range(lo, hi, 4))


def _tier(t: int):
    """The window intrinsic of tier t: the points between tier t - 1's windows and its own."""
    own, near, far = (((0,) + w)[t : t + 2] for w in (OWN_WINDOW, WINDOW, FAR_WINDOW))
    return top3_blocks(_own(*own), (_side(*near),) * 2 + (_side(*far),) * 2)


_tier1 = _tier(0)
_tier2 = _tier(1)


# ----------------------------------------------------------------------------- prepare
@numba.njit(inline="always")
def _level_offsets(s):
    """Start of the every-8th and of the every-64th values in a levels row."""
    n0 = ((s + 511) // 512 + 1) * 512
    return n0, n0 + n0 // 8 + 8


@numba.njit(cache=True)
def levels_size(s):
    """Length of a levels row for S values."""
    o1, o2 = _level_offsets(s)
    return o2 + o1 // 64 + 8


@numba.njit(inline="always")
def _fill_levels(row, v):
    """row = sorted v, then its every-8th, then its every-64th values, each part padded
    with +inf far enough for any 8-wide load of `_upper`."""
    s = v.size
    o1, o2 = _level_offsets(s)
    row[:] = _INF
    row[:s] = v
    for i in range(0, s, 8):
        row[o1 + i // 8] = v[i]
    for i in range(0, s, 64):
        row[o2 + i // 64] = v[i]


@numba.njit(nogil=True, cache=True)
def prepare(x, n_cols, lv, order, rank, colex, bndp, ncol):
    """Fill the per-neuron structures for x (n, S) float64 (one neuron per row).

    lv (n, 2, levels_size(S)): levels of the sorted values and of their negatives in
    reverse; order (n, S): argsort (stable); rank: its inverse; colex: column of each
    example; bndp (n, n_cols + 3): bndp[c + 1] = first rank of column c, bndp[0] = 0,
    then S from bndp[g + 1] on; ncol: columns per neuron (g). Releases the GIL.
    """
    n, s = x.shape
    v = np.empty(s, dtype=np.float64)
    for a in range(n):
        o = np.argsort(x[a], kind="mergesort")
        for m in range(s):
            order[a, m] = o[m]
            v[m] = x[a, o[m]]
            rank[a, o[m]] = m
        bndp[a, :] = s
        g = 0
        bndp[a, 0] = 0
        bndp[a, 1] = 0
        for c in range(1, n_cols):
            b = (c * s) // n_cols
            while b < s and v[b - 1] == v[b]:
                b += 1
            if b > bndp[a, g + 1] and b < s:
                g += 1
                bndp[a, g + 1] = b
        g += 1
        ncol[a] = g
        for c in range(g):
            for m in range(bndp[a, c + 1], bndp[a, c + 2]):
                colex[a, o[m]] = c
        _fill_levels(lv[a, 0], v)
        _fill_levels(lv[a, 1], -v[::-1])


# ----------------------------------------------------------------------------- layout
@numba.njit(inline="always")
def _start(bndp, c, g, s):
    """First slot of column c (-SIDES <= c < g + SIDES; the outer ones are empty) in the
    padded scatter arrays."""
    base = 0 if c < 0 else (s if c >= g else bndp[c + 1])
    return base + PAD * (2 * c + 2 * SIDES + 1)


@numba.njit(inline="always")
def _stop(bndp, c, g, s):
    """One past the last slot of column c's points."""
    base = 0 if c < 0 else (s if c >= g else bndp[c + 2])
    return base + PAD * (2 * c + 2 * SIDES + 1)


@numba.njit(inline="always")
def _edge(xs_a, bndp, c, g, first):
    """x of column c's first (first=True) or last point; +-inf for the empty outer columns."""
    if first:
        return xs_a[bndp[c + 1]] if c < g else _INF
    return xs_a[bndp[c + 2] - 1] if c >= 0 else -_INF


# ------------------------------------------------------------------- k-NN, k <= 3
@numba.njit(inline="always")
def _ev(px, py, j, xq, yq, b1, b2, b3):
    """Insert the distance of point j into the ascending (b1, b2, b3), branch-free."""
    t = max(abs(px[j] - xq), abs(py[j] - yq))
    n1 = min(b1, t)
    t = max(b1, t)
    n2 = min(b2, t)
    t = max(b2, t)
    return n1, n2, min(b3, t)


@numba.njit(inline="always")
def _extend(px, py, lo, hi, j0, j1, xq, yq, b1, b2, b3):
    """[j0, j1) of a y-sorted column [lo, hi) done: go on up and down while dy < b3."""
    j = j1
    while j < hi and py[j] - yq < b3:
        b1, b2, b3 = _ev(px, py, j, xq, yq, b1, b2, b3)
        j += 1
    j = j0 - 1
    while j >= lo and yq - py[j] < b3:
        b1, b2, b3 = _ev(px, py, j, xq, yq, b1, b2, b3)
        j -= 1
    return b1, b2, b3


@numba.njit(inline="always")
def _lower_bound(py, lo, hi, yq):
    """First position in [lo, hi) with py >= yq (hi if none); halvings without branches."""
    if lo == hi:
        return lo
    n = hi - lo
    while n > 1:
        half = n >> 1
        lo = select(py[lo + half] < yq, lo + half, lo)
        n -= half
    return lo + np.int64(py[lo] < yq)


@numba.njit(inline="always")
def _kth_slow(q, c, px, py, xs_a, bndp, g, s, sides, gaps, xq, yq, b1, b2, b3):
    """Finish a k-NN search whose windows may have missed candidates."""
    wo = OWN_WINDOW[1]
    b1, b2, b3 = _extend(px, py, _start(bndp, c, g, s), _stop(bndp, c, g, s), q - wo,
                         q + wo + 1, xq, yq, b1, b2, b3)
    for i in range(2 * SIDES):  # sides (c + 1, c - 1, c + 2, c - 2)
        if gaps[i] < b3:
            cn = c + (i >> 1) + 1 if i % 2 == 0 else c - (i >> 1) - 1
            w = WINDOW[1] if i < 2 else FAR_WINDOW[1]
            b1, b2, b3 = _extend(px, py, _start(bndp, cn, g, s), _stop(bndp, cn, g, s),
                                 sides[i] - w, sides[i] + w, xq, yq, b1, b2, b3)
    left = c - SIDES - 1
    right = c + SIDES + 1
    while True:  # farther columns, nearest x-gap first
        bl = xq - xs_a[bndp[left + 2] - 1] if left >= 0 else _INF
        br = xs_a[bndp[right + 1]] - xq if right < g else _INF
        if bl <= br:
            if bl >= b3:
                break
            cn = left
            left -= 1
        else:
            if br >= b3:
                break
            cn = right
            right += 1
        lo = _start(bndp, cn, g, s)
        hi = _stop(bndp, cn, g, s)
        sp = _lower_bound(py, lo, hi, yq)
        b1, b2, b3 = _extend(px, py, lo, hi, sp, sp, xq, yq, b1, b2, b3)
    return b3


@numba.njit(inline="always")
def _missed(py, q, yq, sides, gaps, far, wo, w, wf, b3):
    """Could a point outside the windows (wo each way in the own column, w and wf around
    the splits in columns c +- 1 and c +- 2) or in a farther column (x-gap ``far``) be
    closer than b3? Bitwise, not short-circuit: no branches; the sentinels make a
    window's test false at its column's end."""
    miss = (py[q + wo + 1] - yq < b3) | (yq - py[q - wo - 1] < b3) | (far < b3)
    for i in range(2 * SIDES):
        sp = sides[i]
        ws = w if i < 2 else wf
        miss |= (gaps[i] < b3) & ((py[sp + ws] - yq < b3) | (yq - py[sp - ws - 1] < b3))
    return miss


@numba.njit(inline="always")
def _kth_small(q, c, px, py, ax, ay, xs_a, bndp, g, s, sides, edges, k):
    """Chebyshev distance from point q (column c) to its k-th nearest other point, k <= 3.

    The 3 smallest of {-inf x (3 - k)} + the distances seen, so the k-th smallest seen
    is the third. sides: positions of q's y in columns c + 1, c - 1, c + 2, c - 2;
    edges: x of the nearest point of those columns and of columns c + 3, c - 3.
    """
    xq = px[q]
    yq = py[q]
    b1, b2, b3 = _tier1(ax, ay, q, sides, xq, yq, -_INF if k < 3 else _INF,
                        -_INF if k < 2 else _INF, _INF)
    gaps = (edges[0] - xq, xq - edges[1], edges[2] - xq, xq - edges[3])
    far = min(edges[4] - xq, xq - edges[5])
    if _missed(py, q, yq, sides, gaps, far, OWN_WINDOW[0], WINDOW[0], FAR_WINDOW[0], b3):
        b1, b2, b3 = _tier2(ax, ay, q, sides, xq, yq, b1, b2, b3)
        if _missed(py, q, yq, sides, gaps, far, OWN_WINDOW[1], WINDOW[1], FAR_WINDOW[1], b3):
            b3 = _kth_slow(q, c, px, py, xs_a, bndp, g, s, sides, gaps, xq, yq, b1, b2, b3)
    return b3


# ------------------------------------------------------------------- k-NN, any k
@numba.njit(inline="always")
def _insert(best, k, d):
    if d < best[k - 1]:
        j = k - 1
        while j > 0 and best[j - 1] > d:
            best[j] = best[j - 1]
            j -= 1
        best[j] = d


@_kernel
def _scan(px, py, lo, hi, start, xq, yq, best, k):
    """Scan [lo, hi) (y-sorted) up from start and down from start-1 while dy < best[k-1]."""
    j = start
    while j < hi and py[j] - yq < best[k - 1]:
        _insert(best, k, max(abs(px[j] - xq), py[j] - yq))
        j += 1
    j = start - 1
    while j >= lo and yq - py[j] < best[k - 1]:
        _insert(best, k, max(abs(px[j] - xq), yq - py[j]))
        j -= 1


@_kernel
def _kth_any(q, c, px, py, xs_a, bndp, g, s, best, k):
    """Same distance as `_kth_small`, for any k, with a sorted array of the k best."""
    for j in range(k):
        best[j] = _INF
    xq = px[q]
    yq = py[q]
    _scan(px, py, q + 1, _stop(bndp, c, g, s), q + 1, xq, yq, best, k)
    _scan(px, py, _start(bndp, c, g, s), q, q, xq, yq, best, k)
    left = c - 1
    right = c + 1
    while True:
        bl = xq - xs_a[bndp[left + 2] - 1] if left >= 0 else _INF
        br = xs_a[bndp[right + 1]] - xq if right < g else _INF
        if bl <= br:
            if bl >= best[k - 1]:
                break
            cn = left
            left -= 1
        else:
            if br >= best[k - 1]:
                break
            cn = right
            right += 1
        lo = _start(bndp, cn, g, s)
        hi = _stop(bndp, cn, g, s)
        _scan(px, py, lo, hi, _lower_bound(py, lo, hi, yq), xq, yq, best, k)
    return best[k - 1]


# ----------------------------------------------------------------- marginal counts
@numba.njit(inline="always")
def _last_within(v, base, n, vq, r):
    """Last m in [base, base + n) with v[m] - vq <= r (true at base, then false)."""
    while n > 1:
        half = n >> 1
        base = select(v[base + half] - vq <= r, base + half, base)
        n -= half
    return base


@numba.njit(inline="always")
def _upper(v, addr, p, r, s):
    """Last m >= p with v[m] - v[p] <= r (r >= 0), for a levels row v at address addr.

    Three 8-wide counts, every 64th value, then every 8th, then all: each block starts
    at or below the answer, so it holds a true prefix whose length is the count (no
    branches); past 512 values, a binary search.
    """
    o1, o2 = _level_offsets(s)
    vq = v[p]
    h = p >> 6
    c = count8_within(addr, o2 + h + 1, vq, r)
    if c == 8:
        return _last_within(v, p, s - p, vq, r)
    b = 8 * (h + c)
    b += count8_within(addr, o1 + b, vq, r) - 1
    return 8 * b + count8_within(addr, 8 * b, vq, r) - 1


@numba.njit(inline="always")
def _psi_counts(lv, rad, psi, s):
    """sum over q of psi(#{m : |v[m] - v[q]| <= rad[q]}), rad by rank, lv a neuron's levels."""
    up = lv[0]
    down = lv[1]
    a_up = address(up)
    a_down = address(down)
    total = 0.0
    for q in range(s):
        hi = _upper(up, a_up, q, rad[q], s)
        lo = _upper(down, a_down, s - 1 - q, rad[q], s)  # first m = s - 1 - lo
        total += psi[hi + lo - s + 2]
    return total


# ----------------------------------------------------------------------- per pair
@_kernel
def _pair_mi(a, b, lv, xo, order, rank, colex, bndp_all, ncol, k, psi, work, iwork, best):
    """KSG MI of neurons a (x) and b (y): scatter into a's columns, radii, counts."""
    s = xo.shape[1]
    xs_a = lv[a, 0]
    xo_a = xo[a]
    bndp = bndp_all[a]
    g = ncol[a]
    cx = colex[a]
    order_b = order[b]
    ys_b = lv[b, 0]
    px = work[0]
    py = work[1]
    ax = address(px)
    ay = address(py)
    radx = work[2]
    rady = work[3]
    pry = iwork[0]
    fill = iwork[1 + 2 * SIDES]
    for c in range(-SIDES, g + SIDES):  # sentinels around every column
        lo = _start(bndp, c, g, s)
        hi = _stop(bndp, c, g, s)
        for j in range(lo - PAD, lo):
            px[j] = 0.0
            py[j] = -_INF
        for j in range(hi, hi + PAD):
            px[j] = 0.0
            py[j] = _INF
        fill[c + SIDES] = lo
    for t in range(s):  # scatter in y order: every column ends up sorted by y
        idx = order_b[t]
        c = cx[idx] + SIDES
        pos = fill[c]
        fill[c] = pos + 1
        px[pos] = xo_a[idx]
        py[pos] = ys_b[t]
        pry[pos] = t
        iwork[1, pos] = fill[c + 1]
        iwork[2, pos] = fill[c - 1]
        iwork[3, pos] = fill[c + 2]
        iwork[4, pos] = fill[c - 2]
    for c in range(g):
        edges = (_edge(xs_a, bndp, c + 1, g, True), _edge(xs_a, bndp, c - 1, g, False),
                 _edge(xs_a, bndp, c + 2, g, True), _edge(xs_a, bndp, c - 2, g, False),
                 _edge(xs_a, bndp, c + 3, g, True), _edge(xs_a, bndp, c - 3, g, False))
        for q in range(_start(bndp, c, g, s), _stop(bndp, c, g, s)):
            if k <= REGISTER_K:
                sides = (iwork[1, q], iwork[2, q], iwork[3, q], iwork[4, q])
                r = _kth_small(q, c, px, py, ax, ay, xs_a, bndp, g, s, sides, edges, k)
            else:
                r = _kth_any(q, c, px, py, xs_a, bndp, g, s, best, k)
            rady[pry[q]] = below(r)  # the reference counts within nextafter(eps, 0)
    rank_a = rank[a]
    for t in range(s):
        radx[rank_a[order_b[t]]] = rady[t]
    sum_x = _psi_counts(lv[a], radx, psi, s)
    sum_y = _psi_counts(lv[b], rady, psi, s)
    return psi[s] + psi[k] - sum_x / s - sum_y / s


@numba.njit(nogil=True, cache=True)
def ksg_pairs(lv, xo, order, rank, colex, bndp, ncol, rows, cols, k, psi):
    """KSG MI (nats) for pairs (rows[p], cols[p]) of prepared neurons.

    lv/order/rank/colex/bndp/ncol from `prepare`; xo: original values (n, S);
    psi[m] = digamma(m) for m in 0..S. Releases the GIL: callers run pieces of the
    pair list on threads (cheaper to compile than a numba parallel loop).
    """
    s = xo.shape[1]
    size = s + PAD * (2 * bndp.shape[1] + 4 * SIDES)
    out = np.empty(rows.size, dtype=np.float64)
    work = np.empty((4, size), dtype=np.float64)
    iwork = np.empty((2 + 2 * SIDES, size), dtype=np.int32)
    best = np.empty(k, dtype=np.float64)
    for p in range(rows.size):
        out[p] = _pair_mi(rows[p], cols[p], lv, xo, order, rank, colex, bndp, ncol, k,
                          psi, work, iwork, best)
    return out
