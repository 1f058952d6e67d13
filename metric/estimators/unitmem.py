"""UnitMem: how strongly each unit singles out one example (Wang et al., NeurIPS 2024).

For unit u, with mu[i, u] the mean activation of u over the views of example i,
``m = max_i mu[i, u]`` and ``med`` the median of mu[:, u] with that one maximizing
example removed, ``UnitMem(u) = (m - med) / (m + med)``. Label-free; pure numpy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from infomem.errors import InvalidInputError

from ._validation import check_choice, check_int, is_torch_tensor, report_non_finite

__all__ = [
    "UNIT_MEM_THRESHOLDS",
    "UNIT_MEM_TOP_K",
    "UnitMemResult",
    "UnitMemSummary",
    "TopUnit",
    "unit_mem",
    "summarize_unit_mem",
]

# 0.5: the maximum is at least 3x the median of the other examples (a clear favourite);
# 0.9: at least 19x, the unit fires for essentially one example.
UNIT_MEM_THRESHOLDS = (0.5, 0.9)
UNIT_MEM_TOP_K = 10  # units listed with their maximizing example: one screen of a table
_UNDEFINED = ("nan", "raise")


@dataclasses.dataclass(frozen=True)
class UnitMemResult:
    """Per-unit UnitMem of one set of activations (N units)."""

    values: np.ndarray  # (N,) float64 in [0, 1]; NaN where not `defined`
    argmax: np.ndarray  # (N,) int64: the maximizing example (lowest index among ties)
    defined: np.ndarray  # (N,) bool: False for all-zero units (m + med == 0)
    maximum: np.ndarray  # (N,) float64: m, the largest per-example mean
    median_rest: np.ndarray  # (N,) float64: med, the median without the maximizing example
    n_examples: int  # S, e.g. 3000
    n_views: int  # A, views averaged per example, e.g. 1


@dataclasses.dataclass(frozen=True)
class TopUnit:
    """One high-UnitMem unit and the example that maximizes it."""

    unit: int  # column index of the unit, e.g. 17
    value: float  # its UnitMem, e.g. 0.97
    example: int  # index of its maximizing example, e.g. 412


@dataclasses.dataclass(frozen=True)
class UnitMemSummary:
    """Distribution of UnitMem over the defined units of one layer."""

    n_units: int  # e.g. 256
    n_defined: int  # units that are not all zero, e.g. 250
    mean: float | None  # None when no unit is defined
    median: float | None
    q1: float | None  # 25th percentile
    q3: float | None  # 75th percentile
    share_above: dict[float, float | None]  # threshold -> share of defined units > t
    top: tuple[TopUnit, ...]  # highest UnitMem first


def _as_views(acts: Any) -> np.ndarray:
    """Validate S x N or S x A x N activations; return them as float64 S x A x N."""
    if is_torch_tensor(acts):
        acts = acts.detach().cpu().numpy()
    arr = np.asarray(acts)
    if arr.dtype.kind not in "biuf":
        raise InvalidInputError(
            f"UnitMem activations must be numeric; received dtype {arr.dtype}. "
            "Convert them with `np.asarray(acts, dtype=np.float32)`."
        )
    if arr.ndim not in (2, 3):
        raise InvalidInputError(
            f"UnitMem activations must be 2-D (examples x units) or 3-D (examples x views x "
            f"units); received a {arr.ndim}-D array of shape {arr.shape}."
        )
    arr = arr.astype(np.float64)
    if arr.ndim == 2:
        arr = arr[:, None, :]
    s, a, n = arr.shape
    if s < 2:
        raise InvalidInputError(
            "UnitMem needs at least 2 examples (the maximizing one and the rest); received "
            f"{s} (activations of shape {np.shape(acts)}). Provide more examples."
        )
    if a < 1 or n < 1:
        raise InvalidInputError(
            "UnitMem needs at least 1 view per example and 1 unit; received activations of "
            f"shape {np.shape(acts)}. Pass (S, N) or (S, A, N) with A >= 1 and N >= 1."
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        report_non_finite(bad.sum(axis=(0, 1)))
    _refuse_negative(arr)
    return arr


def _refuse_negative(arr: np.ndarray) -> None:
    """One-line refusal of negative activations (GELU outputs, pre-activations)."""
    per_unit = (arr < 0).sum(axis=(0, 1))
    units = np.flatnonzero(per_unit)
    if units.size == 0:
        return
    raise InvalidInputError(
        f"UnitMem needs non-negative activations; received {int(per_unit.sum())} negative "
        f"value(s) in {units.size} unit(s) (first: unit {int(units[0])}, minimum "
        f"{float(arr.min()):.3g}). Capture a non-negative post-activation module (e.g. a ReLU "
        "output); GELU outputs and pre-activations can be negative and are refused."
    )


def _unit_mem_kernel(mu: np.ndarray) -> tuple[np.ndarray, ...]:
    """(values, argmax, maximum, median_rest) of per-example means ``mu`` (S x N, S >= 2).

    The S-1 values left after removing one maximum are the S-1 smallest order
    statistics, so their median is the mean of order statistics (S-2)//2 and (S-1)//2.
    """
    s, n = mu.shape
    lo, hi = (s - 2) // 2, (s - 1) // 2
    part = np.partition(mu, sorted({lo, hi}), axis=0)
    med = 0.5 * (part[lo] + part[hi])
    argmax = mu.argmax(axis=0)
    m = mu[argmax, np.arange(n)]
    denom = m + med
    values = np.full(n, np.nan)
    np.divide(m - med, denom, out=values, where=denom > 0)
    return values, argmax.astype(np.int64), m, med


def unit_mem(acts: Any, *, undefined: Literal["nan", "raise"] = "nan") -> UnitMemResult:
    """UnitMem of every unit: how much its strongest example stands out from the rest.

    Parameters
    ----------
    acts : array of shape (S, N) or (S, A, N)
        Non-negative activations of N units on S >= 2 examples, one value per example
        and unit, or A >= 1 augmented views per example (averaged per example first).
        A numpy array or torch tensor; computed in float64.
    undefined : {"nan", "raise"}, default "nan"
        All-zero units have ``m + med == 0`` and no UnitMem. "nan" gives NaN there and
        ``defined = False``; "raise" refuses them with InvalidInputError.

    Returns
    -------
    UnitMemResult
        ``values`` (N,) in [0, 1], ``argmax`` (N,) the maximizing example, ``defined``
        (N,), ``maximum`` and ``median_rest`` (N,), the two terms of the ratio.

    Notes
    -----
    ``UnitMem(u) = (m - med) / (m + med)`` with ``m = max_i mu[i, u]`` and ``med`` the
    median of ``mu[:, u]`` with the maximizing example removed (for S = 2, the other
    example's value). 1 means the unit fires for one example only, 0 that its maximum
    equals the median (e.g. a constant positive unit). Ties for the maximum: ``argmax``
    is the lowest index among them (numpy's rule); the value does not depend on which
    tied example is removed.

    The ratio is bounded only for non-negative activations, so negative values are
    refused. Capture the output of a non-negative post-activation module (ReLU, or
    ReLU then spatial mean for conv channels). GELU and SiLU outputs and
    pre-activations can be negative (GELU down to about -0.17): use a non-negative
    module where the model has one; where it has none, UnitMem does not apply.

    On sparse units (ReLU outputs that are zero for more than half of the examples)
    ``med = 0`` and UnitMem is 1 however many examples activate the unit.

    References
    ----------
    Wang, Dziedzic, Backes, Boenisch, "Localizing Memorization in SSL Vision Encoders",
    NeurIPS 2024.

    Examples
    --------
    >>> r = unit_mem(np.array([[4.0, 1.0], [1.0, 1.0], [1.0, 1.0]]))
    >>> r.values.tolist(), r.argmax.tolist()
    ([0.6, 0.0], [0, 0])
    """
    check_choice(undefined, "undefined", _UNDEFINED)
    views = _as_views(acts)
    values, argmax, m, med = _unit_mem_kernel(views.mean(axis=1))
    defined = ~np.isnan(values)
    if undefined == "raise" and not defined.all():
        zero = np.flatnonzero(~defined)
        raise InvalidInputError(
            f"UnitMem is undefined for {zero.size} all-zero unit(s) (first: unit {int(zero[0])}); "
            "drop those units or pass `undefined='nan'` to get NaN and a `defined` mask."
        )
    return UnitMemResult(values, argmax, defined, m, med, views.shape[0], views.shape[1])


def summarize_unit_mem(
    result: UnitMemResult,
    *,
    top_k: int = UNIT_MEM_TOP_K,
    thresholds: Sequence[float] = UNIT_MEM_THRESHOLDS,
) -> UnitMemSummary:
    """Distribution of UnitMem over the defined units, and the top units.

    Call it once per layer, on that layer's units.

    Parameters
    ----------
    result : UnitMemResult
        From :func:`unit_mem`; undefined (all-zero) units are skipped.
    top_k : int, default UNIT_MEM_TOP_K
        How many units to list, highest UnitMem first (ties: lower unit index first).
    thresholds : sequence of float, default UNIT_MEM_THRESHOLDS
        ``share_above[t]`` is the share of defined units with UnitMem > t.

    Returns
    -------
    UnitMemSummary
        mean, median, quartiles and shares (None when no unit is defined), top units.
    """
    top_k = check_int(top_k, "top_k", 0)
    vals = result.values[result.defined]
    units = np.flatnonzero(result.defined)
    order = units[np.argsort(-vals, kind="stable")][:top_k]
    top = tuple(TopUnit(int(u), float(result.values[u]), int(result.argmax[u])) for u in order)
    share = {float(t): float(np.mean(vals > t)) if vals.size else None for t in thresholds}
    if not vals.size:
        return UnitMemSummary(result.values.size, 0, None, None, None, None, share, top)
    q1, median, q3 = (float(q) for q in np.percentile(vals, [25, 50, 75]))
    return UnitMemSummary(result.values.size, int(vals.size), float(vals.mean()), median, q1, q3,
                          share, top)
