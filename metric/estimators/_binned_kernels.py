"""Numba kernels for the binned MI matrix: sums of c ln c over joint histograms.

Imported lazily by `infomem.estimators.binned` (numba compiles on first use and
caches to disk, `_numba_cache`).
"""

from __future__ import annotations

import numba
import numpy as np

from ._numba_cache import cached_njit


@numba.njit(inline="always")
def _task_rows(task, n):
    """Rows t and n - 1 - t of parallel task t (one row where they meet), so that every
    task has ~n pairs (a, b >= a): as a range, 2 steps of n - 1 - 2t."""
    t = np.int64(task)
    return range(t, n - t, max(1, n - 1 - 2 * t))


@cached_njit(parallel=True)
def joint_clogc_dense(codes_t, n_bins, clogc, counter):
    """sum over joint cells of c ln c for every pair i <= j, with a dense counter.

    codes_t: (N, S) integer codes; clogc[c] = c ln c for c in 0..S; counter: a
    1-element array whose dtype is the counter dtype. Returns (N, N), symmetric.
    Work is split in tasks pairing row t with row N-1-t so every task has ~N pairs.
    """
    n, s = codes_t.shape
    out = np.empty((n, n), dtype=np.float64)
    for task in numba.prange((n + 1) // 2):
        cnt = np.zeros(n_bins * n_bins, dtype=counter.dtype)
        shifted = np.empty(s, dtype=np.int32)
        for a in _task_rows(task, n):
            row = codes_t[a]
            for q in range(s):
                shifted[q] = row[q] * n_bins
            for b in range(a, n):
                col = codes_t[b]
                for q in range(s):
                    cnt[shifted[q] + col[q]] += 1
                # four partial sums break the floating-point add dependency chain
                acc0 = 0.0
                acc1 = 0.0
                acc2 = 0.0
                acc3 = 0.0
                q = 0
                while q + 4 <= s:
                    cell = shifted[q] + col[q]
                    acc0 += clogc[cnt[cell]]
                    cnt[cell] = 0
                    cell = shifted[q + 1] + col[q + 1]
                    acc1 += clogc[cnt[cell]]
                    cnt[cell] = 0
                    cell = shifted[q + 2] + col[q + 2]
                    acc2 += clogc[cnt[cell]]
                    cnt[cell] = 0
                    cell = shifted[q + 3] + col[q + 3]
                    acc3 += clogc[cnt[cell]]
                    cnt[cell] = 0
                    q += 4
                while q < s:
                    cell = shifted[q] + col[q]
                    acc0 += clogc[cnt[cell]]
                    cnt[cell] = 0
                    q += 1
                total = (acc0 + acc1) + (acc2 + acc3)
                out[a, b] = total
                out[b, a] = total
    return out


@cached_njit(parallel=True)
def joint_clogc_sorted(codes_t, n_bins, clogc):
    """Same sums as `joint_clogc_dense`, by sorting joint codes (for huge n_bins)."""
    n, s = codes_t.shape
    out = np.empty((n, n), dtype=np.float64)
    for task in numba.prange((n + 1) // 2):
        joint = np.empty(s, dtype=np.int64)
        for a in _task_rows(task, n):
            row = codes_t[a]
            for b in range(a, n):
                col = codes_t[b]
                for q in range(s):
                    joint[q] = np.int64(row[q]) * n_bins + col[q]
                joint.sort()
                acc = 0.0
                run = 1
                for q in range(1, s):
                    if joint[q] == joint[q - 1]:
                        run += 1
                    else:
                        acc += clogc[run]
                        run = 1
                acc += clogc[run]
                out[a, b] = acc
                out[b, a] = acc
    return out
