"""Equal-width binning of activations and the binned (plug-in) entropy per neuron.

Bin assignment is numpy.histogram's, computed for all neurons at once; entropy is
``H = -sum_b p_b ln p_b`` in nats with an optional Miller-Madow correction. Layered as
scikit-learn's ``_mutual_info``: private kernels on validated arrays (`_codes`,
`_entropy`), one validation per input kind (`_check_binning`, `check_codes`), thin
public functions with keyword-only options.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from infomem.errors import InvalidInputError

from ._validation import (
    BINNINGS,
    CORRECTIONS,
    check_acts,
    check_choice,
    check_int,
    check_layer_sizes,
)
from .defaults import DEFAULT_BINS

__all__ = ["bin_codes", "entropy_from_codes", "entropy"]

_CHUNK_COLS = 512  # columns binned at once: bounds temporary memory


def _column_ranges(arr: np.ndarray, binning: str, sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Per-column (lo, hi) in the array's dtype for the chosen binning (``sizes``: the
    neurons per layer, for "layer")."""
    n = arr.shape[1]
    if binning == "global":
        lo = np.full(n, arr.min(), dtype=arr.dtype)
        hi = np.full(n, arr.max(), dtype=arr.dtype)
    elif binning == "neuron":
        lo, hi = arr.min(axis=0), arr.max(axis=0)
    else:
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        lo = np.repeat(np.minimum.reduceat(arr, starts, axis=1).min(axis=0), sizes)
        hi = np.repeat(np.maximum.reduceat(arr, starts, axis=1).max(axis=0), sizes)
    return lo, hi


def _histogram_edges(lo: np.ndarray, hi: np.ndarray, bins: int, dtype: np.dtype) -> np.ndarray:
    """(bins+1, N) edges, each column ``np.linspace(float(lo), float(hi), bins+1)``.

    One linspace call per distinct range, exactly as ``np.histogram`` builds them
    (Python-float endpoints, result cast to the data's dtype).
    """
    edges = np.empty((bins + 1, lo.size), dtype=dtype)
    pairs, inverse = np.unique(np.stack([lo, hi]), axis=1, return_inverse=True)
    for u in range(pairs.shape[1]):
        a, b = float(pairs[0, u]), float(pairs[1, u])
        if a == b:
            b = a + 1.0  # unused: degenerate ranges go to bin 0
        edges[:, inverse.ravel() == u] = np.linspace(
            a, b, bins + 1, endpoint=True, dtype=dtype
        )[:, None]
    return edges


def _histogram_index(
    a: np.ndarray, lo: np.ndarray, hi: np.ndarray, edges: np.ndarray, bins: int
) -> np.ndarray:
    """numpy.histogram's bin index for every value of ``a`` (S x n), column ranges lo/hi.

    Mirrors numpy's uniform-bin path: a first guess ``((a - lo) / (hi - lo)) * bins``
    in the data's dtype, then corrected by comparing against the edges.
    """
    dt = a.dtype
    degenerate = lo == hi
    denom = (hi.astype(np.float64) - lo.astype(np.float64)).astype(dt)
    denom[degenerate] = 1
    f = ((a - lo) / denom) * dt.type(bins)
    idx = f.astype(np.intp)
    idx[idx == bins] -= 1
    idx -= a < np.take_along_axis(edges, idx, axis=0)
    idx += (a >= np.take_along_axis(edges, idx + 1, axis=0)) & (idx != bins - 1)
    idx[:, degenerate] = 0
    return idx


def _paper_index(a: np.ndarray, lo: np.ndarray, hi: np.ndarray, bins: int) -> np.ndarray:
    """The paper code's ``np.digitize(a, np.histogram(a, bins)[1])`` minus 1, per range."""
    idx = np.empty(a.shape, dtype=np.intp)
    pairs, inverse = np.unique(np.stack([lo, hi]), axis=1, return_inverse=True)
    inverse = inverse.ravel()
    for u in range(pairs.shape[1]):
        cols = np.flatnonzero(inverse == u)
        edges = np.histogram_bin_edges(pairs[:, u].astype(a.dtype), bins=bins)
        idx[:, cols] = np.digitize(a[:, cols], edges) - 1
    return idx


def _check_binning(
    acts: Any, bins: Any, binning: Any, layer_sizes: Any
) -> tuple[np.ndarray, int, list[int]]:
    """(activations, B, neurons per layer; [] unless "layer"): the binning options,
    validated once."""
    arr = check_acts(acts)
    bins = check_int(bins, "bins", 2)
    check_choice(binning, "binning", BINNINGS)
    sizes = check_layer_sizes(layer_sizes, arr.shape[1]) if binning == "layer" else []
    return arr, bins, sizes


def _codes(
    arr: np.ndarray, bins: int, binning: str, sizes: list[int], paper_digitize: bool
) -> tuple[np.ndarray, int]:
    """`bin_codes` on validated input."""
    lo, hi = _column_ranges(arr, binning, sizes)
    n_bins = bins + 1 if paper_digitize else bins
    codes = np.empty(arr.shape, dtype=np.min_scalar_type(n_bins - 1))
    if paper_digitize:
        for start in range(0, arr.shape[1], _CHUNK_COLS):
            sl = slice(start, start + _CHUNK_COLS)
            codes[:, sl] = _paper_index(arr[:, sl], lo[sl], hi[sl], bins)
        return codes, n_bins
    edges = _histogram_edges(lo, hi, bins, arr.dtype)
    for start in range(0, arr.shape[1], _CHUNK_COLS):
        sl = slice(start, start + _CHUNK_COLS)
        codes[:, sl] = _histogram_index(arr[:, sl], lo[sl], hi[sl], edges[:, sl], bins)
    return codes, n_bins


def bin_codes(
    acts: Any,
    *,
    bins: int = DEFAULT_BINS,
    binning: str = "global",
    layer_sizes: Sequence[int] | None = None,
    paper_digitize: bool = False,
) -> tuple[np.ndarray, int]:
    """Equal-width bin index of every activation.

    Parameters
    ----------
    acts : array of shape (S, N)
        Activations, S examples x N neurons, finite.
    bins : int, default DEFAULT_BINS (100)
        Number of equal-width bins B (>= 2).
    binning : {"global", "layer", "neuron"}, default "global"
        Where the range [lo, hi] comes from: all values, each layer's values
        (needs ``layer_sizes``), or each neuron's values.
    layer_sizes : sequence of int, optional
        Neurons per layer (consecutive columns), summing to N; for ``binning="layer"``.
    paper_digitize : bool, default False
        Reproduce the paper code: ``np.digitize(a, edges)`` with the B+1 edges of
        ``np.histogram(a, B)``, which puts the values equal to the maximum alone in an
        extra bin (codes 0..B, so ``n_bins = B + 1``).

    Returns
    -------
    codes : ndarray of shape (S, N), smallest unsigned integer dtype that fits
        Bin index per value. Identical to the bin ``np.histogram(a, bins=B,
        range=(float(lo), float(hi)))`` assigns: edges ``linspace(lo, hi, B+1)`` in the
        data's dtype (float16/32/64; other inputs become float64), a value on an edge
        goes to the bin above, the last bin is closed. A range with hi == lo puts every
        value in bin 0.
    n_bins : int
        B, or B + 1 with ``paper_digitize``.
    """
    arr, bins, sizes = _check_binning(acts, bins, binning, layer_sizes)
    return _codes(arr, bins, binning, sizes, paper_digitize)


def check_codes(codes: Any, n_bins: Any) -> tuple[np.ndarray, int]:
    """Validate integer bin codes (S x N) and their bin count."""
    n_bins = check_int(n_bins, "n_bins", 1)
    arr = np.asarray(codes)
    if arr.ndim != 2 or arr.dtype.kind not in "iu":
        raise InvalidInputError(
            "`codes` must be a 2-D integer array (examples x neurons), as returned by "
            f"`bin_codes`; received shape {arr.shape} and dtype {arr.dtype}."
        )
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InvalidInputError(
            f"`codes` must have at least one example and one neuron; received shape {arr.shape}."
        )
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= n_bins:
        raise InvalidInputError(
            f"`codes` must lie in [0, n_bins - 1] = [0, {n_bins - 1}]; received values from "
            f"{lo} to {hi}. Pass the `n_bins` returned by `bin_codes`."
        )
    return arr, n_bins


def bin_counts(codes: np.ndarray, n_bins: int) -> np.ndarray:
    """(N, n_bins) histogram of each column's codes."""
    s, n = codes.shape
    out = np.empty((n, n_bins), dtype=np.int64)
    step = max(1, (1 << 24) // max(s, n_bins))
    for start in range(0, n, step):
        block = codes[:, start : start + step].astype(np.int64)
        m = block.shape[1]
        flat = (block + np.arange(m, dtype=np.int64) * n_bins).ravel()
        out[start : start + m] = np.bincount(flat, minlength=m * n_bins).reshape(m, n_bins)
    return out


def _entropy(codes: np.ndarray, n_bins: int, correction: str | None) -> np.ndarray:
    """`entropy_from_codes` on validated input."""
    from scipy.special import entr

    counts = bin_counts(codes, n_bins)
    s = codes.shape[0]
    h = entr(counts / s).sum(axis=1)
    if correction == "miller-madow":
        h += (np.count_nonzero(counts, axis=1) - 1) / (2.0 * s)
    return h


def entropy_from_codes(codes: Any, n_bins: int, *, correction: str | None = None) -> np.ndarray:
    """Plug-in entropy (nats) of each column of bin codes.

    Parameters
    ----------
    codes : integer array of shape (S, N)
        Bin index per value, in [0, n_bins).
    n_bins : int
        Number of possible codes.
    correction : {None, "miller-madow"}, default None
        ``"miller-madow"`` adds ``(m - 1) / (2 S)``, m = number of non-empty bins
        (Miller 1955), reducing the plug-in estimator's downward bias.

    Returns
    -------
    ndarray of shape (N,), float64
        ``H = -sum_b p_b ln p_b``, p_b = count_b / S; a constant neuron has H = 0.
    """
    check_choice(correction, "correction", CORRECTIONS)
    arr, n_bins = check_codes(codes, n_bins)
    return _entropy(arr, n_bins, correction)


def entropy(
    acts: Any,
    *,
    bins: int = DEFAULT_BINS,
    binning: str = "global",
    layer_sizes: Sequence[int] | None = None,
    correction: str | None = None,
    paper_digitize: bool = False,
) -> np.ndarray:
    """Binned entropy (nats) of each neuron's activations.

    ``entropy_from_codes(*bin_codes(acts, ...), correction=correction)``; see `bin_codes`
    for the binning options and `entropy_from_codes` for ``correction``. Binned entropy
    is biased downward for small S (Paninski 2003).

    Returns
    -------
    ndarray of shape (N,), float64

    References
    ----------
    Bansal, Pruthi & Belinkov, "Measures of Information Reflect Memorization Patterns",
    NeurIPS 2022. Paninski, "Estimation of entropy and mutual information", Neural
    Computation 15, 2003.
    """
    check_choice(correction, "correction", CORRECTIONS)
    arr, bins, sizes = _check_binning(acts, bins, binning, layer_sizes)
    return _entropy(*_codes(arr, bins, binning, sizes, paper_digitize), correction)
