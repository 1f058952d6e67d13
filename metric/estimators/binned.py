"""Binned mutual information between all pairs of neurons (not the paper's estimator).

``I(X; Y) = H(X) + H(Y) - H(X, Y)`` from the joint histogram of two neurons' bin codes
(the same binning as the entropy), in nats. With ``M = sum_cells c ln c`` over a
histogram of S values, ``H = ln S - M / S``, so ``I = ln S - (M_x + M_y - M_xy) / S``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from infomem.errors import InvalidInputError

from ._validation import BINNED_BACKENDS, check_device, resolve_backend
from .binning import bin_codes, bin_counts, check_codes
from .defaults import DEFAULT_BINS

__all__ = ["binned_mi_from_codes", "binned_mi"]

_DENSE_CELLS = 1 << 22  # largest joint table (cells) counted densely per thread


def _clogc_table(s: int) -> np.ndarray:
    c = np.arange(s + 1, dtype=np.float64)
    out = np.zeros(s + 1)
    out[1:] = c[1:] * np.log(c[1:])
    return out


def _dense_codes(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """Renumber each column's codes 0..d-1 (d = its number of distinct codes)."""
    out = np.empty(codes.shape, dtype=np.int64)
    d_max = 1
    for j in range(codes.shape[1]):
        uniq, inv = np.unique(codes[:, j], return_inverse=True)
        out[:, j] = inv.ravel()
        d_max = max(d_max, uniq.size)
    return out.astype(np.min_scalar_type(d_max - 1)), d_max


def _numba_joint_sums(codes: np.ndarray, n_bins: int, clogc: np.ndarray) -> np.ndarray:
    """(N, N) matrix of sum c ln c over each pair's joint histogram."""
    from . import _binned_kernels as kern

    if n_bins * n_bins > _DENSE_CELLS:
        codes, n_bins = _dense_codes(codes)
    # one code dtype for every call keeps numba to one compiled specialization
    codes_t = np.ascontiguousarray(codes.T, dtype=np.uint16 if n_bins <= (1 << 16) else np.int64)
    if n_bins * n_bins > _DENSE_CELLS:
        return kern.joint_clogc_sorted(codes_t, n_bins, clogc)
    counter = np.zeros(1, dtype=np.uint16 if codes.shape[0] < (1 << 16) else np.int64)
    return kern.joint_clogc_dense(codes_t, n_bins, clogc, counter)


def _checked_device(backend: str, s: int, device: Any) -> Any:
    """The torch backend's device (default CPU), once S is known to fit its exact counts."""
    if backend != "torch":
        return device
    from . import _binned_torch as kernel

    if s >= kernel.MAX_EXACT_EXAMPLES:
        raise InvalidInputError(
            f"The torch binned MI counts in float32, exact below {kernel.MAX_EXACT_EXAMPLES:,} "
            f"examples; received {s:,}. Use backend='numba'."
        )
    return check_device(device if device is not None else "cpu")


def _binned_mi(codes: np.ndarray, n_bins: int, backend: str, device: Any) -> np.ndarray:
    """`binned_mi_from_codes` on validated input; the one backend dispatch."""
    s = codes.shape[0]
    clogc = _clogc_table(s)
    marginal = clogc[bin_counts(codes, n_bins)].sum(axis=1)
    if backend == "torch":
        from ._binned_torch import joint_clogc

        joint = joint_clogc(*_dense_codes(codes), device=device)
    else:
        joint = _numba_joint_sums(codes, n_bins, clogc)
    mi = marginal[:, None] + marginal[None, :]  # exactly symmetric
    np.subtract(joint, mi, out=mi)
    mi /= s
    mi += np.log(s)
    return mi


def binned_mi_from_codes(
    codes: Any, n_bins: int, *, backend: str = "auto", device: Any = None
) -> np.ndarray:
    """Plug-in mutual information (nats) between every pair of columns of bin codes.

    Parameters
    ----------
    codes : integer array of shape (S, N)
        Bin index per value in [0, n_bins), e.g. from `bin_codes`.
    n_bins : int
        Number of possible codes.
    backend : {"auto", "numba", "torch"}, default "auto"
        "numba": joint histograms counted in parallel on the CPU. "torch": one-hot matrix
        products on ``device`` (for CUDA). "auto": torch on a CUDA ``device``, else numba.
    device : str or torch.device, optional
        Device of the torch backend (default CPU).

    Returns
    -------
    ndarray of shape (N, N), float64
        Symmetric; ``I[i, j] = H(X_i) + H(X_j) - H(X_i, X_j)`` with plug-in entropies
        of the (joint) code histograms, equal to ``sklearn.metrics.mutual_info_score``
        on the codes. The diagonal is each neuron's binned entropy.

    Notes
    -----
    Biased upward for small S (the plug-in joint entropy is biased downward); useful
    at very large N, where the KSG estimator is costly. Counts are exact integer
    histograms on every backend.
    """
    backend = resolve_backend(backend, device, BINNED_BACKENDS)
    arr, n_bins = check_codes(codes, n_bins)
    device = _checked_device(backend, arr.shape[0], device)
    return _binned_mi(arr, n_bins, backend, device)


def binned_mi(
    acts: Any,
    *,
    bins: int = DEFAULT_BINS,
    binning: str = "global",
    layer_sizes: Sequence[int] | None = None,
    paper_digitize: bool = False,
    backend: str = "auto",
    device: Any = None,
) -> np.ndarray:
    """Binned mutual information (nats) between every pair of neurons.

    ``binned_mi_from_codes(*bin_codes(acts, ...), backend=backend, device=device)``: see
    `bin_codes` for the binning (the same as `entropy`'s) and `binned_mi_from_codes`
    for the estimator and its backends.

    Returns
    -------
    ndarray of shape (N, N), float64, symmetric, diagonal = binned entropy.
    """
    backend = resolve_backend(backend, device, BINNED_BACKENDS)
    codes, n_bins = bin_codes(acts, bins=bins, binning=binning, layer_sizes=layer_sizes,
                              paper_digitize=paper_digitize)
    return _binned_mi(codes, n_bins, backend, _checked_device(backend, codes.shape[0], device))
