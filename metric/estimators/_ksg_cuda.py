"""CUDA KSG kernel (numba.cuda): exact k-NN radii and marginal counts, one block per pair.

Per neuron, once, on the host (`CudaPairs`): the sorted values, the sort order and
each example's rank, uploaded once and shared by every pair.

Per pair (x = neuron a, y = neuron b), one block of ``threads`` threads:

1. the block gathers y into x's sort order (``yx[m]`` = y of the example at x-rank m)
   and that example's y-rank, into its row of a scratch buffer (global memory; the
   rows of the pairs in flight stay in L1/L2);
2. thread t takes the query points of x-rank t, t + threads, ... (a warp works on 32
   neighbours in x order, so its loads coalesce). k-th Chebyshev neighbour: an
   outward merge in x order, nearest x-gap first, until both x-gaps reach the current
   k-th distance. Exact: a point farther out in x order is no nearer in x (rounding
   is monotone), so no skipped point is nearer than the k-th distance;
3. marginal counts by binary searches on the sorted x and y values whose predicate
   is the distance the reference compares, ``|v_m - v_q| <= nextafter(eps, 0)``;
4. psi terms summed per thread in float64, then by a fixed-order tree over the
   block's row of a partial-sum buffer: the result does not depend on scheduling.
   (Global, not shared memory: the simulator's shared arrays race on creation.)

x is whichever of the two neurons has fewer tied pairs of values (KSG is symmetric),
since a run of equal x values has x-gap 0 and is always scanned whole. The kernels
do not validate; `ksg.ksg_mi_pairs` does. ``NUMBA_ENABLE_CUDASIM=1`` (set before
numba.cuda is imported) runs them on the CPU in numba's simulator.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from numba import cuda, float64

from infomem.errors import InvalidInputError

THREADS = 128  # threads per block on a GPU: 4 warps per pair, ~20 queries each at S=2500
SIM_THREADS = 8  # in the simulator every thread is a Python thread: few per block
SCRATCH_BYTES = 1 << 28  # gathered y values + ranks of the pairs of one launch (256 MiB)
_SCRATCH_PER_VALUE = 12  # float64 value + int32 rank per example and pair in flight
_INF = math.inf


def simulated() -> bool:
    """True when numba.cuda is its CPU simulator (``NUMBA_ENABLE_CUDASIM=1``)."""
    return type(cuda.gpus).__name__ == "FakeDeviceList"


def gpu_available() -> bool:
    """True when numba.cuda drives a real GPU (not the simulator): what "auto" needs."""
    return not simulated() and bool(cuda.is_available())


# ----------------------------------------------------------------- device functions
@cuda.jit(device=True)
def _within(d, eps):
    """``d <= nextafter(eps, 0)`` for d, eps >= 0: no double lies strictly between
    nextafter(eps, 0) and eps > 0, and nextafter(0, 0) = 0."""
    return d < eps or d == 0.0


@cuda.jit(device=True)
def _lower(a, b):
    """min(a, b) for floats that are not NaN (the built-in numba.cuda target of numba
    0.68 fails to type the two-argument ``min``/``max``)."""
    return a if a < b else b


@cuda.jit(device=True)
def _upper(a, b):
    """max(a, b) for floats that are not NaN."""
    return a if a > b else b


@cuda.jit(device=True)
def _last_within(v, q, s, eps):
    """Last m >= q with ``v[m] - v[q]`` within eps, v sorted ascending, length s."""
    vq = v[q]
    n = s - q
    while n > 1:  # the answer lies in [q, q + n)
        half = n >> 1
        if _within(v[q + half] - vq, eps):
            q += half
        n -= half
    return q


@cuda.jit(device=True)
def _first_within(v, q, eps):
    """First m <= q with ``v[q] - v[m]`` within eps, v sorted ascending."""
    vq = v[q]
    n = q + 1
    while n > 1:  # the answer lies in (q - n, q]
        half = n >> 1
        if _within(vq - v[q - half], eps):
            q -= half
        n -= half
    return q


@cuda.jit(device=True)
def _count(v, q, s, eps):
    """#{m : |v[m] - v[q]| <= nextafter(eps, 0)}, the point itself included (n + 1)."""
    return _last_within(v, q, s, eps) - _first_within(v, q, eps) + 1


@functools.cache
def _kernels(k: int, threads: int) -> Any:
    """The pair kernel for k neighbours and ``threads`` (a power of 2) per block."""

    @cuda.jit(device=True)
    def kth(xs, yx, q, s, best):
        """Chebyshev distance from point q (x-rank) to its k-th nearest other point."""
        for j in range(k):
            best[j] = _INF
        xq = xs[q]
        yq = yx[q]
        lo = q - 1
        hi = q + 1
        dlo = xq - xs[lo] if lo >= 0 else _INF
        dhi = xs[hi] - xq if hi < s else _INF
        while True:
            bk = best[k - 1]
            if dlo <= dhi:
                if dlo >= bk:  # and dhi >= dlo: nothing farther out is nearer
                    break
                d = _upper(dlo, abs(yx[lo] - yq))
                lo -= 1
                dlo = xq - xs[lo] if lo >= 0 else _INF
            else:
                if dhi >= bk:
                    break
                d = _upper(dhi, abs(yx[hi] - yq))
                hi += 1
                dhi = xs[hi] - xq if hi < s else _INF
            if d < bk:  # insert into the ascending k best: a min/max network, unrolled
                for j in range(k - 1, 0, -1):
                    best[j] = _lower(best[j], _upper(best[j - 1], d))
                best[0] = _lower(best[0], d)
        return best[k - 1]

    @cuda.jit
    def ksg_block(xs, order, rank, rows, cols, psi, yx, yr, part, out, keep, counts):
        """out[p] = KSG MI of neurons rows[p] (x) and cols[p] (y); block p, row p of the
        scratch yx, yr (S values) and part (threads values). If keep, counts (P, 2, S)
        receives n_x + 1, n_y + 1 by x-rank (a test hook)."""
        p = cuda.blockIdx.x
        t = cuda.threadIdx.x
        s = xs.shape[1]
        xa = xs[rows[p]]
        oa = order[rows[p]]
        yb = xs[cols[p]]
        rb = rank[cols[p]]
        yxp = yx[p]
        yrp = yr[p]
        for m in range(t, s, threads):
            r = rb[oa[m]]
            yrp[m] = r
            yxp[m] = yb[r]
        cuda.syncthreads()
        best = cuda.local.array(k, float64)
        acc = 0.0
        for q in range(t, s, threads):
            eps = kth(xa, yxp, q, s, best)
            nx = _count(xa, q, s, eps)
            ny = _count(yb, yrp[q], s, eps)
            acc += psi[nx] + psi[ny]
            if keep:
                counts[p, 0, q] = nx
                counts[p, 1, q] = ny
        pp = part[p]
        pp[t] = acc
        cuda.syncthreads()
        h = threads // 2
        while h > 0:
            if t < h:
                pp[t] += pp[t + h]
            cuda.syncthreads()
            h //= 2
        if t == 0:
            out[p] = psi[s] + psi[k] - pp[0] / s

    return ksg_block


# ---------------------------------------------------------------------------- host
def device_index(device: Any) -> int:
    """The CUDA ordinal of ``device`` (None, "cuda", "cuda:N" or a torch.device)."""
    text = "cuda" if device is None else str(device)
    name, _, index = text.partition(":")
    if name != "cuda" or not (index == "" or index.isdigit()):
        raise InvalidInputError(
            f"backend='cuda' runs on a CUDA device; received device={device!r}. "
            "Use 'cuda' or 'cuda:N', or another backend for the CPU."
        )
    ordinal = int(index or 0)
    count = len(cuda.gpus) if cuda.is_available() else 0
    if count == 0:
        raise InvalidInputError(
            "backend='cuda' needs a CUDA GPU visible to numba, but numba finds none (no GPU, "
            "or numba-cuda missing: `pip install infomem[gpu]`). Use backend='numba'."
        )
    if ordinal >= count:
        raise InvalidInputError(
            f"The device {device!r} does not exist: numba sees {count} CUDA GPU(s), "
            f"cuda:0 to cuda:{count - 1}."
        )
    return ordinal


def _tie_cost(xs: np.ndarray) -> np.ndarray:
    """Per row of sorted values: #{(i, j): x_i == x_j}, what a scan in x order pays for
    ties (a constant neuron costs S^2)."""
    cost = np.empty(xs.shape[0], dtype=np.int64)
    for a, row in enumerate(xs):
        runs = np.diff(np.flatnonzero(np.concatenate([[True], row[1:] != row[:-1], [True]])))
        cost[a] = runs @ runs
    return cost


class CudaPairs:
    """Per-neuron sorted arrays on one GPU, and the kernel for one k.

    Parameters
    ----------
    x : float64 array of shape (n, S)
        One neuron per row, validated (finite, S >= k + 1).
    k : int
        Number of nearest neighbours.
    device : str or torch.device, optional
        "cuda" or "cuda:N" (default: GPU 0).
    psi : float64 array of shape (S + 1,)
        digamma(m) for m = 0..S.
    threads : int, optional
        Threads per block, a power of 2 (default THREADS on a GPU, SIM_THREADS in
        the simulator); values depend on it only through the summation order.
    """

    def __init__(self, x: np.ndarray, k: int, device: Any, psi: np.ndarray,
                 threads: int | None = None):
        self.gpu = cuda.gpus[device_index(device)]
        self.threads = threads or (SIM_THREADS if simulated() else THREADS)
        n, s = x.shape
        self.order = np.argsort(x, axis=1, kind="stable").astype(np.int32)
        xs = np.take_along_axis(x, self.order, axis=1)
        rank = np.empty((n, s), dtype=np.int32)
        np.put_along_axis(rank, self.order, np.arange(s, dtype=np.int32)[None, :], axis=1)
        self.tie_cost = _tie_cost(xs)
        self.chunk = max(1, SCRATCH_BYTES // (_SCRATCH_PER_VALUE * s))
        with self.gpu:
            self.d_xs = cuda.to_device(xs)
            self.d_order = cuda.to_device(self.order)
            self.d_rank = cuda.to_device(rank)
            self.d_psi = cuda.to_device(psi)
            self.no_counts = cuda.device_array((1, 2, 1), dtype=np.int32)
        self.kernel = _kernels(k, self.threads)
        self.scratch: tuple[Any, Any, Any] | None = None  # (yx, yr, part), on first use

    def pairs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """KSG MI (nats) of pairs (rows[p], cols[p]) of the prepared neurons, shape (P,)."""
        return self._run(rows, cols, False)[0]

    def counts(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(MI of shape (P,), int32 counts of shape (P, 2, S)): n_x + 1 of neuron rows[p]
        and n_y + 1 of neuron cols[p] for each example, in example order. For tests."""
        mi, by_rank, swap = self._run(rows, cols, True)
        out = np.empty_like(by_rank)
        for p in range(by_rank.shape[0]):
            scanned = cols[p] if swap[p] else rows[p]
            out[p][:, self.order[scanned]] = by_rank[p][::-1] if swap[p] else by_rank[p]
        return mi, out

    def _run(self, rows: np.ndarray, cols: np.ndarray, keep: bool):
        """Launches of at most `chunk` pairs; the neuron with fewer ties is scanned as x."""
        swap = self.tie_cost[rows] > self.tie_cost[cols]
        r = np.where(swap, cols, rows).astype(np.int32)
        c = np.where(swap, rows, cols).astype(np.int32)
        s = self.d_xs.shape[1]
        mi = np.empty(r.size, dtype=np.float64)
        counts = np.empty((r.size, 2, s), dtype=np.int32) if keep else None
        chunk = min(self.chunk, max(1, r.size))
        with self.gpu:
            if self.scratch is None or self.scratch[0].shape[0] < chunk:
                self.scratch = (cuda.device_array((chunk, s), dtype=np.float64),
                                cuda.device_array((chunk, s), dtype=np.int32),
                                cuda.device_array((chunk, self.threads), dtype=np.float64))
            yx, yr, part = self.scratch
            for start in range(0, r.size, chunk):
                stop = min(r.size, start + chunk)
                res = cuda.device_array(stop - start, dtype=np.float64)
                cnt = cuda.device_array((stop - start, 2, s), np.int32) if keep else self.no_counts
                self.kernel[stop - start, self.threads](
                    self.d_xs, self.d_order, self.d_rank, cuda.to_device(r[start:stop]),
                    cuda.to_device(c[start:stop]), self.d_psi, yx, yr, part, res, keep, cnt)
                mi[start:stop] = res.copy_to_host()
                if counts is not None:
                    counts[start:stop] = cnt.copy_to_host()
        return mi, counts, swap
