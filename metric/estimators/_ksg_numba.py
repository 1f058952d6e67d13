"""Numba KSG kernel: exact k-NN radii and marginal counts for many pairs of neurons.

Per neuron, once (`prepare`): sorted values, sort order, each example's rank, and a
split of the ranks into ~sqrt(S)/1.5 *columns* whose boundaries never separate equal
values. Per pair (x, y), in one O(S) pass over y's sort order, the points are scattered
column by column (x's columns), each column sorted by y; each point also records where
its y value falls in the two neighbouring columns.

k-th neighbour (Chebyshev): a fixed window of 2W points around the point in its own
column and in each neighbouring column is evaluated without branches (insertion
network on registers for k <= 3); one combined test then says whether anything outside
the windows could still be closer than the current k-th distance (a y-gap or a column's
x-gap below it), and only then the scans are extended. Marginal counts
``#{j: |x_j - x_i| <= r}`` use searches on the neuron's sorted values whose predicate
is that distance itself (8-ary steps in a 64- or 512-wide window, else binary), so they equal
a radius query exactly.

Every bound used to skip points is a floating-point difference with a value never
closer than the skipped points; rounding is monotone, so nothing that could change
the k-th distance is skipped. Imported lazily: numba compiles on first use, caches to disk.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import types
from numba.core.extending import intrinsic

_INF = np.inf
WINDOW = 4  # points evaluated on each side in the own and neighbouring columns
REGISTER_K = 3  # largest k served by the register insertion network


@intrinsic
def _select(typingctx, cond, a, b):
    """``a if cond else b`` on int64 as a select marked unpredictable (a cmov, not a branch)."""
    sig = types.int64(types.boolean, types.int64, types.int64)

    def codegen(context, builder, signature, args):
        inst = builder.select(args[0], args[1], args[2])
        inst.set_metadata("unpredictable", builder.module.add_metadata([]))
        return inst

    return sig, codegen


# ----------------------------------------------------------------------------- prepare
@numba.njit(nogil=True, cache=True)
def prepare(x, n_cols):
    """Per-neuron structures from x (n, S) float64 (one neuron per row).

    Returns xs (sorted values), order (argsort, stable), rank (inverse of order),
    colex (column of each example), bndp (n, n_cols + 3): bndp[c + 1] = first rank
    of column c, bndp[0] = 0, then S from bndp[g + 1] on), ncol (columns per neuron).
    """
    n, s = x.shape
    xs = np.empty((n, s), dtype=np.float64)
    order = np.empty((n, s), dtype=np.int32)
    rank = np.empty((n, s), dtype=np.int32)
    colex = np.empty((n, s), dtype=np.int32)
    bndp = np.full((n, n_cols + 3), s, dtype=np.int32)
    ncol = np.empty(n, dtype=np.int32)
    for a in range(n):
        o = np.argsort(x[a], kind="mergesort")
        v = xs[a]
        for m in range(s):
            order[a, m] = o[m]
            v[m] = x[a, o[m]]
            rank[a, o[m]] = m
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
    return xs, order, rank, colex, bndp, ncol


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
    """First position in [lo, hi) with py >= yq (hi if none)."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if py[mid] < yq:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True)
def _kth_slow(c, px, py, xs_a, bndp, g, lo, hi, hr, ll, j0, j1, r0, r1, l0, l1, xq, yq,
              b1, b2, b3):
    """Finish a k-NN search whose windows may have missed candidates."""
    b1, b2, b3 = _extend(px, py, lo, hi, j0, j1, xq, yq, b1, b2, b3)
    if c + 1 < g and xs_a[hi] - xq < b3:
        b1, b2, b3 = _extend(px, py, hi, hr, r0, r1, xq, yq, b1, b2, b3)
    if c > 0 and xq - xs_a[lo - 1] < b3:
        b1, b2, b3 = _extend(px, py, ll, lo, l0, l1, xq, yq, b1, b2, b3)
    left = c - 2
    right = c + 2
    while True:  # farther columns, nearest x-gap first
        bl = xq - xs_a[bndp[left + 2] - 1] if left >= 0 else _INF
        br = xs_a[bndp[right + 1]] - xq if right < g else _INF
        if bl <= br:
            if bl >= b3:
                break
            l2 = bndp[left + 1]
            h2 = bndp[left + 2]
            left -= 1
        else:
            if br >= b3:
                break
            l2 = bndp[right + 1]
            h2 = bndp[right + 2]
            right += 1
        sp = _lower_bound(py, l2, h2, yq)
        b1, b2, b3 = _extend(px, py, l2, h2, sp, sp, xq, yq, b1, b2, b3)
    return b3


@numba.njit(inline="always")
def _kth_small(q, c, px, py, spl_l, spl_r, xs_a, bndp, g, k, s):
    """Chebyshev distance from point q (column c) to its k-th nearest other point, k <= 3.

    Three registers hold the 3 smallest distances of {-inf x (3 - k)} + seen points,
    so the k-th smallest seen is always b3.
    """
    w = WINDOW
    b1 = -_INF if k < 3 else _INF
    b2 = -_INF if k < 2 else _INF
    b3 = _INF
    xq = px[q]
    yq = py[q]
    lo = bndp[c + 1]
    hi = bndp[c + 2]
    j1 = min(hi, q + w + 1)
    for j in range(q + 1, j1):
        b1, b2, b3 = _ev(px, py, j, xq, yq, b1, b2, b3)
    j0 = max(lo, q - w)
    for j in range(j0, q):
        b1, b2, b3 = _ev(px, py, j, xq, yq, b1, b2, b3)
    hr = bndp[c + 3]
    r0 = max(hi, spl_r[q] - w)
    r1 = min(hr, spl_r[q] + w)
    for j in range(r0, r1):
        b1, b2, b3 = _ev(px, py, j, xq, yq, b1, b2, b3)
    ll = bndp[c]
    l0 = max(ll, spl_l[q] - w)
    l1 = min(lo, spl_l[q] + w)
    for j in range(l0, l1):
        b1, b2, b3 = _ev(px, py, j, xq, yq, b1, b2, b3)
    # one combined test (bitwise: no short-circuit branches) for anything the windows missed
    top = s - 1
    own = ((j1 < hi) & (py[min(j1, top)] - yq < b3)) | (
        (j0 > lo) & (yq - py[max(j0 - 1, 0)] < b3)
    )
    right = (
        (c + 1 < g)
        & (xs_a[min(hi, top)] - xq < b3)
        & (((r1 < hr) & (py[min(r1, top)] - yq < b3)) | ((r0 > hi) & (yq - py[max(r0 - 1, 0)] < b3)))
    )
    left = (
        (c > 0)
        & (xq - xs_a[max(lo - 1, 0)] < b3)
        & (((l1 < lo) & (py[min(l1, top)] - yq < b3)) | ((l0 > ll) & (yq - py[max(l0 - 1, 0)] < b3)))
    )
    far = ((c >= 2) & (xq - xs_a[max(ll - 1, 0)] < b3)) | (
        (c + 2 < g) & (xs_a[min(hr, top)] - xq < b3)
    )
    if own | right | left | far:
        b3 = _kth_slow(c, px, py, xs_a, bndp, g, lo, hi, hr, ll, j0, j1, r0, r1, l0, l1,
                       xq, yq, b1, b2, b3)
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


@numba.njit(cache=True)
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


@numba.njit(cache=True)
def _kth_any(q, c, px, py, xs_a, bndp, g, best, k):
    """Same distance as `_kth_small`, for any k, with a sorted array of the k best."""
    for j in range(k):
        best[j] = _INF
    xq = px[q]
    yq = py[q]
    _scan(px, py, q + 1, bndp[c + 2], q + 1, xq, yq, best, k)
    _scan(px, py, bndp[c + 1], q, q, xq, yq, best, k)
    left = c - 1
    right = c + 1
    while True:
        bl = xq - xs_a[bndp[left + 2] - 1] if left >= 0 else _INF
        br = xs_a[bndp[right + 1]] - xq if right < g else _INF
        if bl <= br:
            if bl >= best[k - 1]:
                break
            lo = bndp[left + 1]
            hi = bndp[left + 2]
            left -= 1
        else:
            if br >= best[k - 1]:
                break
            lo = bndp[right + 1]
            hi = bndp[right + 2]
            right += 1
        _scan(px, py, lo, hi, _lower_bound(py, lo, hi, yq), xq, yq, best, k)
    return best[k - 1]


# ----------------------------------------------------------------- marginal counts
@numba.njit(inline="always")
def _last_true_up(v, base, n, vq, r):
    """Last m in [base, base + n) with v[m] - vq <= r (true at base, then false)."""
    while n > 1:
        half = n >> 1
        base = _select(v[base + half] - vq <= r, base + half, base)
        n -= half
    return base


@numba.njit(inline="always")
def _last_true_down(v, base, n, vq, r):
    """Last m in [base, base + n) with vq - v[m] > r (true at base, then false)."""
    while n > 1:
        half = n >> 1
        base = _select(vq - v[base + half] > r, base + half, base)
        n -= half
    return base


@numba.njit(inline="always")
def _up8(v, b, vq, r, stride):
    """Last m in [b, b + 8 * stride) with v[m] - vq <= r at resolution ``stride`` (64 or 8;
    8 also resolves the last step). True at b, false past the range."""
    c = 0
    for i in range(1, 8):
        c += np.int64(v[b + stride * i] - vq <= r)
    b = b + stride * c
    if stride == 8:
        c = 0
        for i in range(1, 8):
            c += np.int64(v[b + i] - vq <= r)
        b = b + c
    return b


@numba.njit(inline="always")
def _dn8(v, b, vq, r, stride):
    """Mirror of `_up8` downwards: first m in (b - 8 * stride, b] with vq - v[m] <= r."""
    c = 0
    for i in range(1, 8):
        c += np.int64(vq - v[b - stride * i] <= r)
    b = b - stride * c
    if stride == 8:
        c = 0
        for i in range(1, 8):
            c += np.int64(vq - v[b - i] <= r)
        b = b - c
    return b


@numba.njit(inline="always")
def _count_within(v, p, r, s):
    """#{m : |v[m] - v[p]| <= r} for sorted v (r >= 0), the point itself included."""
    vq = v[p]
    if p + 64 <= s and not (v[p + 63] - vq <= r):
        b = p
        upper = _up8(v, b, vq, r, 8)
    elif p + 512 <= s and not (v[p + 511] - vq <= r):
        b = _up8(v, p, vq, r, 64)
        upper = _up8(v, b, vq, r, 8)
    else:
        upper = _last_true_up(v, p, s - p, vq, r)
    if p >= 64 and vq - v[p - 64] > r:
        lower = _dn8(v, p, vq, r, 8)
    elif p >= 512 and vq - v[p - 512] > r:
        b = _dn8(v, p, vq, r, 64)
        lower = _dn8(v, b, vq, r, 8)
    elif vq - v[0] <= r:
        lower = 0
    else:
        lower = _last_true_down(v, 0, p, vq, r) + 1
    return upper - lower + 1


# ----------------------------------------------------------------------- per pair
@numba.njit(cache=True)
def _pair_mi(a, b, xs, xo, order, rank, colex, bndp_all, ncol, k, psi, work, iwork, best):
    s = xs.shape[1]
    xs_a = xs[a]
    ys_b = xs[b]
    xo_a = xo[a]
    bndp = bndp_all[a]
    g = ncol[a]
    cx = colex[a]
    order_b = order[b]
    rank_a = rank[a]
    px = work[0]
    py = work[1]
    rad = work[2]
    prx = iwork[0]
    pry = iwork[1]
    spl_l = iwork[2]
    spl_r = iwork[3]
    fill = iwork[4]
    for c in range(g + 2):
        fill[c] = bndp[c]
    for t in range(s):  # scatter in y order: every column ends up sorted by y
        idx = order_b[t]
        c = cx[idx]
        pos = fill[c + 1]
        fill[c + 1] = pos + 1
        px[pos] = xo_a[idx]
        py[pos] = ys_b[t]
        prx[pos] = rank_a[idx]
        pry[pos] = t
        spl_l[pos] = fill[c]
        spl_r[pos] = fill[c + 2]
    for c in range(g):
        for q in range(bndp[c + 1], bndp[c + 2]):
            if k <= REGISTER_K:
                rad[q] = _kth_small(q, c, px, py, spl_l, spl_r, xs_a, bndp, g, k, s)
            else:
                rad[q] = _kth_any(q, c, px, py, xs_a, bndp, g, best, k)
    bits = rad[:s].view(np.int64)
    for q in range(s):
        bits[q] -= np.int64(bits[q] > 0)  # nextafter(eps, 0) for finite eps >= 0
    sum_x = 0.0
    sum_y = 0.0
    for q in range(s):
        sum_x += psi[_count_within(xs_a, prx[q], rad[q], s)]
        sum_y += psi[_count_within(ys_b, pry[q], rad[q], s)]
    return psi[s] + psi[k] - sum_x / s - sum_y / s


@numba.njit(nogil=True, cache=True)
def ksg_pairs(xs, xo, order, rank, colex, bndp, ncol, rows, cols, k, psi):
    """KSG MI (nats) for pairs (rows[p], cols[p]) of prepared neurons.

    xs/order/rank/colex/bndp/ncol from `prepare`; xo: original values (n, S);
    psi[m] = digamma(m) for m in 0..S. Releases the GIL: callers run pieces of the
    pair list on threads (cheaper to compile than a numba parallel loop).
    """
    s = xs.shape[1]
    out = np.empty(rows.size, dtype=np.float64)
    work = np.empty((3, s), dtype=np.float64)
    iwork = np.empty((5, max(s, bndp.shape[1])), dtype=np.int32)
    best = np.empty(k, dtype=np.float64)
    for p in range(rows.size):
        out[p] = _pair_mi(rows[p], cols[p], xs, xo, order, rank, colex, bndp, ncol, k,
                          psi, work, iwork, best)
    return out
