"""KSG mutual information between neurons (Kraskov et al. 2004, algorithm 1).

Layered as scikit-learn's ``_mutual_info``: kernels that compute and do not validate
(numba on the CPU in `_ksg_numba`, numba.cuda on a GPU in `_ksg_cuda`, brute-force
torch in `_ksg_torch`); one dispatcher that picks the backend's kernel (`_runner`);
one validation of the input (`_checked`); thin public functions with keyword-only
options. `ksg_mi_reference` is the per-pair oracle every fast path must equal.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import numpy as np

from infomem.errors import InfomemError, InvalidInputError

from ._validation import (
    check_acts,
    check_device,
    check_device_acts,
    check_int,
    check_k,
    check_pairs,
    is_torch_tensor,
    resolve_backend,
)
from .defaults import DEFAULT_K

__all__ = ["ksg_mi_reference", "ksg_mi_pairs", "ksg_mi"]

_PREP_CHUNK = 512  # neurons sorted at once while preparing
# Pairs per block of `ksg_mi` (progress calls, memory of the index arrays): the GPU
# needs many pairs per launch to fill its multiprocessors, torch's brute force few.
_BLOCK_PAIRS = {"numba": 16384, "cuda": 1 << 16, "torch": 4096}
# Pairs per thread task of the numba kernel: ~8 tasks per thread, at most 256 so the
# threads finish a block together (0.1 s idle instead of 0.2 s at N = 384), at least 16
# so that a task's overhead stays small.
_PIECES_PER_THREAD = 8
_PIECE_MAX = 256
_PIECE_MIN = 16
_T = TypeVar("_T")


def _psi_table(s: int) -> np.ndarray:
    """digamma(m) for m = 0..s (entry 0 unused, set to 0)."""
    from scipy.special import digamma

    table = digamma(np.arange(s + 1, dtype=np.float64))
    table[0] = 0.0
    return table


def ksg_mi_reference(x: Any, y: Any, *, k: int = DEFAULT_K) -> float:
    """Per-pair KSG estimate with scikit-learn's trees: the oracle for the fast paths.

    Computes exactly what scikit-learn's private
    ``sklearn.feature_selection._mutual_info._compute_mi_cc`` computes (Chebyshev
    k-NN radius over the joint space, ``np.nextafter(radius, 0)``, KDTree radius
    counts minus the point itself), but keeps negative values instead of clipping
    them to 0. Slow (two trees per pair); use `ksg_mi` for many pairs.

    Parameters
    ----------
    x, y : array of shape (S,)
        Activations of two neurons over the same S examples (S >= k + 1).
    k : int, default DEFAULT_K (3)
        Number of nearest neighbours.

    Returns
    -------
    float
        ``psi(S) + psi(k) - mean(psi(n_x + 1)) - mean(psi(n_y + 1))``, in nats.
    """
    from scipy.special import digamma

    nx, ny = _reference_counts(x, y, k)
    s = nx.size
    return float(
        digamma(s) + digamma(k) - np.mean(digamma(nx + 1)) - np.mean(digamma(ny + 1))
    )


def _reference_counts(x: Any, y: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(n_x, n_y), float arrays of shape (S,): `ksg_mi_reference`'s neighbour counts,
    by scikit-learn's trees, for tests of the kernels' counts."""
    try:
        from sklearn.neighbors import KDTree, NearestNeighbors
    except ImportError as e:
        raise InfomemError(
            "`ksg_mi_reference` needs scikit-learn; install it with "
            "`pip install scikit-learn` (or `pip install infomem[dev]`)."
        ) from e
    xa = np.asarray(x)
    ya = np.asarray(y)
    if xa.ndim != 1 or ya.ndim != 1 or xa.shape != ya.shape:
        raise InvalidInputError(
            f"`x` and `y` must be 1-D arrays of the same length; received shapes "
            f"{xa.shape} and {ya.shape}."
        )
    both = check_acts(np.stack([xa, ya], axis=1)).astype(np.float64)
    s = both.shape[0]
    k = check_k(k, s, both.shape)
    xcol, ycol = both[:, :1], both[:, 1:]
    nn = NearestNeighbors(metric="chebyshev", n_neighbors=k).fit(both)
    radius = np.nextafter(nn.kneighbors()[0][:, -1], 0)
    nx = np.array(
        KDTree(xcol, metric="chebyshev").query_radius(xcol, radius, count_only=True)
    ) - 1.0
    ny = np.array(
        KDTree(ycol, metric="chebyshev").query_radius(ycol, radius, count_only=True)
    ) - 1.0
    return nx, ny


def _n_threads() -> int:
    import numba

    return int(numba.get_num_threads())


def _on_threads(run: Callable[[int, int], _T], n_items: int, piece: int) -> list[_T]:
    """``run(start, stop)`` over [0, n_items) in pieces of ``piece``, on numba's thread count
    (the kernels release the GIL), results in order."""
    bounds = [(i, min(n_items, i + piece)) for i in range(0, n_items, piece)]
    threads = min(_n_threads(), len(bounds))
    if threads <= 1:
        return [run(a, b) for a, b in bounds]
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(threads)
    try:
        return list(pool.map(lambda ab: run(*ab), bounds))
    finally:  # on Ctrl-C, drop the pieces not started yet
        pool.shutdown(wait=True, cancel_futures=True)


def _neuron_rows(arr: np.ndarray, neurons: np.ndarray) -> np.ndarray:
    """(n, S) float64, one neuron per row: the kernels' distances are the reference's."""
    x = np.empty((neurons.size, arr.shape[0]), dtype=np.float64)
    for start in range(0, neurons.size, _PREP_CHUNK):
        sl = slice(start, start + _PREP_CHUNK)
        x[sl] = arr[:, neurons[sl]].T
    return x


class _Prepared:
    """Per-neuron sort order, ranks, columns and search levels for the numba kernel."""

    def __init__(self, arr: np.ndarray, neurons: np.ndarray):
        from ._ksg_levels import levels_size
        from ._ksg_prepare import COLUMN_SIZE, prepare

        s, n = arr.shape[0], neurons.size
        self.x = _neuron_rows(arr, neurons)
        target_columns = max(1, round(math.sqrt(s) / COLUMN_SIZE))
        self.levels = np.empty((n, 2, levels_size(s)), dtype=np.float64)
        self.order = np.empty((n, s), dtype=np.int32)
        self.rank = np.empty((n, s), dtype=np.int32)
        self.column_of = np.empty((n, s), dtype=np.int32)
        self.column_bounds = np.empty((n, target_columns + 3), dtype=np.int32)
        self.column_counts = np.empty(n, dtype=np.int32)
        fields = (self.levels, self.order, self.rank, self.column_of, self.column_bounds,
                  self.column_counts)

        def run(a: int, b: int) -> None:
            prepare(self.x[a:b], target_columns, *(f[a:b] for f in fields))

        _on_threads(run, n, max(1, -(-n // _n_threads())))
        self.psi = _psi_table(s)


def _numba_pairs(prep: _Prepared, rows: np.ndarray, cols: np.ndarray, k: int) -> np.ndarray:
    """Pairs given as indices into the prepared neurons."""
    from ._ksg_numba import ksg_pairs

    def run(a: int, b: int) -> np.ndarray:
        return ksg_pairs(prep.levels, prep.x, prep.order, prep.rank, prep.column_of,
                         prep.column_bounds, prep.column_counts, rows[a:b], cols[a:b], k, prep.psi)

    piece = int(max(_PIECE_MIN, min(_PIECE_MAX, rows.size // (_PIECES_PER_THREAD * _n_threads()) + 1)))
    return np.concatenate(_on_threads(run, rows.size, piece))


def _checked(acts: Any, k: Any, backend: str, device: Any) -> tuple[Any, int, Any]:
    """(activations, k, device), validated for ``backend``: a float numpy array, or for
    torch a tensor on a GPU, checked where it lies; torch's device resolved (default:
    the tensor's, else the CPU)."""
    if backend == "torch" and is_torch_tensor(acts) and acts.device.type != "cpu":
        data = check_device_acts(acts)
        device = check_device(device) if device is not None else data.device
    else:
        data = check_acts(acts, min_examples=1)
        if backend == "torch":
            device = check_device(device if device is not None else "cpu")
    return data, check_k(k, data.shape[0], tuple(data.shape)), device


def _runner(data: Any, neurons: np.ndarray, k: int, backend: str,
            device: Any) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The one backend dispatch: prepare ``neurons`` (columns of the `_checked` data)
    once for ``backend``'s kernel; return ``run(rows, cols)``, the MI of pairs given as
    indices into them."""
    if backend == "torch":
        from ._ksg_torch import TorchPairs, neuron_rows

        return TorchPairs(neuron_rows(data, neurons, device), k, _psi_table(data.shape[0])).pairs
    if backend == "cuda":
        try:
            from ._ksg_cuda import CudaPairs
        except ImportError as e:  # numba-cuda without its CUDA bindings
            raise InfomemError(
                f"backend='cuda' cannot load numba.cuda ({e}). Install the GPU extra, "
                "`pip install infomem[gpu]`, or use backend='numba'."
            ) from e
        return CudaPairs(_neuron_rows(data, neurons), k, device, _psi_table(data.shape[0])).pairs
    prep = _Prepared(data, neurons)
    return lambda r, c: _numba_pairs(prep, r, c, k)


def ksg_mi_pairs(
    acts: Any,
    rows: Any,
    cols: Any,
    *,
    k: int = DEFAULT_K,
    backend: str = "auto",
    device: Any = None,
) -> np.ndarray:
    """KSG mutual information (nats) for the given pairs of neurons.

    Parameters
    ----------
    acts : array or torch tensor of shape (S, N)
        Activations, S examples x N neurons, finite; S >= k + 1.
    rows, cols : integer arrays of shape (P,)
        Pair p is neurons ``(rows[p], cols[p])``; ``rows[p] == cols[p]`` gives the
        self-MI. The building block for blocking, pair sharding and the GPU path.
    k : int, default DEFAULT_K (3)
        Number of nearest neighbours.
    backend : {"auto", "numba", "cuda", "torch"}, default "auto"
        "numba": compiled CPU kernel, parallel over pairs. "cuda": numba.cuda kernel on
        a GPU (`pip install infomem[gpu]`; runs in numba's CPU simulator under
        ``NUMBA_ENABLE_CUDASIM=1``). "torch": brute-force tensor kernel on ``device``
        (CPU or CUDA; O(S^2) per pair). "auto": on a CUDA ``device``, "cuda" where numba
        drives a real GPU, else "torch"; otherwise "numba".
    device : str or torch.device, optional
        Device of the cuda backend ("cuda" or "cuda:N", default GPU 0) or of the torch
        backend (default: the tensor's device, else CPU).

    Returns
    -------
    ndarray of shape (P,), float64
        Equal to `ksg_mi_reference` on each pair (same neighbour counts; values
        agree to rounding of the final sums), negative values kept.
    """
    backend = resolve_backend(backend, device)
    data, k, device = _checked(acts, k, backend, device)
    r, c = check_pairs(rows, cols, data.shape[1])
    if r.size == 0:
        return np.empty(0, dtype=np.float64)
    neurons, inverse = np.unique(np.concatenate([r, c]), return_inverse=True)
    run = _runner(data, neurons, k, backend, device)
    inverse = inverse.astype(np.int64)
    return run(inverse[: r.size], inverse[r.size :])


def _pair_blocks(n: int, block_pairs: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Pairs i <= j in row-major order, in blocks of about ``block_pairs`` pairs."""
    i = 0
    while i < n:
        rows, total = [], 0
        while i < n and (total == 0 or total + (n - i) <= block_pairs):
            rows.append(i)
            total += n - i
            i += 1
        r = np.concatenate([np.full(n - a, a, dtype=np.int64) for a in rows])
        c = np.concatenate([np.arange(a, n, dtype=np.int64) for a in rows])
        yield r, c


def ksg_mi(
    acts: Any,
    *,
    k: int = DEFAULT_K,
    backend: str = "auto",
    device: Any = None,
    progress: Callable[[int], Any] | None = None,
    block_pairs: int | None = None,
) -> np.ndarray:
    """KSG mutual information (nats) between every pair of neurons.

    Kraskov-Stoegbauer-Grassberger estimator (algorithm 1) as in the paper, i.e. as
    scikit-learn's ``_compute_mi_cc`` without its clip to 0: eps_i = Chebyshev
    distance to the k-th nearest other point in the joint space,
    ``n_x(i) = #{j != i: |x_j - x_i| < eps_i}`` (likewise n_y), and
    ``I = psi(S) + psi(k) - mean(psi(n_x + 1)) - mean(psi(n_y + 1))``.

    Parameters
    ----------
    acts : array or torch tensor of shape (S, N)
        Activations, S examples x N neurons, finite; S >= k + 1.
    k : int, default DEFAULT_K (3)
        Number of nearest neighbours.
    backend : {"auto", "numba", "cuda", "torch"}, default "auto"
        See `ksg_mi_pairs`.
    device : str or torch.device, optional
        Device of the cuda or torch backend.
    progress : callable, optional
        Called after each block with the number of pairs finished since the last
        call; the calls add up to N (N + 1) / 2 (pairs i <= j, diagonal included).
    block_pairs : int, optional
        Pairs per block (default 16384 for numba, 65536 for cuda, 4096 for torch).
        Memory stays bounded by the N x N result plus per-neuron structures (~45 bytes
        per value; on the GPU 16 bytes per value and a 256 MiB scratch).

    Returns
    -------
    ndarray of shape (N, N), float64
        Symmetric; the diagonal is each neuron's self-MI (about psi(S) - psi(k) for
        a neuron without ties). Each entry equals `ksg_mi_reference` on that pair.

    Notes
    -----
    Can be slightly negative for independent neurons; the sign is kept. Exact
    duplicates give eps_i = 0 and counts of the equal values only, as in the
    reference.

    References
    ----------
    A. Kraskov, H. Stoegbauer and P. Grassberger, "Estimating mutual information",
    Phys. Rev. E 69, 066138 (2004).
    """
    backend = resolve_backend(backend, device)
    block = check_int(block_pairs if block_pairs is not None else _BLOCK_PAIRS[backend],
                      "block_pairs", 1)
    data, k, device = _checked(acts, k, backend, device)
    n = data.shape[1]
    run = _runner(data, np.arange(n), k, backend, device)
    out = np.empty((n, n), dtype=np.float64)
    for r, c in _pair_blocks(n, block):
        vals = run(r, c)
        out[r, c] = vals
        out[c, r] = vals
        if progress is not None:
            progress(int(r.size))
    return out
