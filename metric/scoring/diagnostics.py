"""Validity diagnostics: can these scores carry signal at all? (METHOD.md)

Exact estimators can still measure nothing: a few large neurons can set a global bin
range that every other neuron fits inside one bin, S can be too small for the bins, and
ReLU zeros are ties that KSG reads as zero distances. These checks need only the
captured values and bin codes; each threshold follows from the estimator itself (the
reason sits beside it) and was checked on synthetic cases, never tuned on experiments.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from infomem.activations.data import SMALL_SAMPLE_WARNING

__all__ = ["diagnose", "constant_pairs", "COLLAPSED_BINS", "COLLAPSE_WARN", "TIES_WARN", "SMALL_SAMPLE"]

# A neuron whose S values fall in at most 2 bins has entropy <= ln 2 = 0.69 nats: collapsed.
COLLAPSED_BINS = 2
# At least half the layer collapsed: its median entropy is then <= ln 2, whatever the model.
COLLAPSE_WARN = 0.5
# Continuous float32 activations tie in well under 1% of values at S = 2,500; ReLU outputs
# tie in about half. A tenth of tied values means many points with zero-distance neighbours,
# which KSG's continuity assumption does not cover.
TIES_WARN = 0.10
SMALL_SAMPLE = SMALL_SAMPLE_WARNING  # below it binned entropy is strongly biased (Paninski 2003)
_SETTERS = 2  # neurons named as setting each end of a bin range


def _occupied_bins(codes: np.ndarray) -> np.ndarray:
    """Number of distinct bins each neuron (column) occupies."""
    ordered = np.sort(codes, axis=0)
    return 1 + np.count_nonzero(np.diff(ordered, axis=0), axis=0)


def _tie_fraction(values: np.ndarray) -> np.ndarray:
    """Per neuron, the share of values equal to another value of the same neuron."""
    ordered = np.sort(values, axis=0)
    same = np.diff(ordered, axis=0) == 0
    tied = np.zeros(values.shape, dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    return tied.mean(axis=0)


def _setters(values: np.ndarray, cols: np.ndarray, names: Sequence[str],
             starts: np.ndarray) -> list[dict[str, Any]]:
    """The neurons whose minimum and maximum define the range of the columns ``cols``."""
    lows, highs = values[:, cols].min(axis=0), values[:, cols].max(axis=0)
    out = []
    for end, order in (("min", np.argsort(lows)[:_SETTERS]), ("max", np.argsort(-highs)[:_SETTERS])):
        for i in order:
            col = int(cols[i])
            layer = int(np.searchsorted(starts, col, side="right") - 1)
            out.append({"end": end, "layer": names[layer], "neuron": col - int(starts[layer]),
                        "value": float(lows[i] if end == "min" else highs[i])})
    return out


def diagnose(
    values: np.ndarray,
    codes: np.ndarray,
    *,
    layer_names: Sequence[str],
    layer_sizes: Sequence[int],
    bins: int,
    binning: str,
    k: int,
    mi_estimator: str,
    mi_columns: np.ndarray | None = None,
    mi_diagonal: bool = False,
) -> dict[str, Any]:
    """Per-layer diagnostics and plain-words warnings for one capture.

    Parameters
    ----------
    values : array (S, N)
        The captured activations.
    codes : array (S, N)
        Their bin indices under the binning actually used.

    Returns
    -------
    dict
        ``per_layer`` (collapsed fraction, constant neurons, median neuron range over the
        bin range, tie fraction), ``range`` (bin range and the neurons that set it, for
        global binning), ``sample`` (S, S per bin), ``warnings`` (one sentence each) and,
        for KSG given ``mi_columns``, ``constant_pairs`` (see :func:`constant_pairs`).
    """
    s = values.shape[0]
    starts = np.concatenate([[0], np.cumsum(layer_sizes)[:-1]]).astype(np.int64)
    occupied = _occupied_bins(codes)
    spans = values.max(axis=0) - values.min(axis=0)
    ties = _tie_fraction(values)
    per_layer: list[dict[str, Any]] = []
    warnings: list[str] = []
    ranges: list[dict[str, Any]] = []
    if binning == "global":
        ranges.append(_range_entry(values, np.arange(values.shape[1]), layer_names, starts, "all"))
    for name, start, size in zip(layer_names, starts, layer_sizes, strict=True):
        cols = np.arange(start, start + size)
        if binning == "layer":
            ranges.append(_range_entry(values, cols, layer_names, starts, name))
        width = _bin_range(ranges, name)
        ratio = float(np.median(spans[cols]) / width) if width else None
        per_layer.append({
            "name": name,
            "collapsed_fraction": float(np.mean(occupied[cols] <= COLLAPSED_BINS)),
            "one_bin_fraction": float(np.mean(occupied[cols] == 1)),
            "constant_neurons": int(np.count_nonzero(spans[cols] == 0)),
            "median_range_ratio": ratio,
            "tie_fraction": float(ties[cols].mean()),
        })
    warnings += _collapse_warnings(per_layer, ranges, bins, binning)
    if mi_estimator == "ksg":
        tied = [p["name"] for p in per_layer if p["tie_fraction"] >= TIES_WARN]
        if tied:
            share = max(p["tie_fraction"] for p in per_layer)
            warnings.append(
                f"KSG in {_names(tied)}: up to {share:.0%} of activation values are exact ties "
                "(e.g. ReLU zeros), which KSG reads as zero distances; score pre-activations "
                "or use --mi-estimator binned.")
    constant = sum(p["constant_neurons"] for p in per_layer)
    if constant:
        warnings.append(f"{constant} neuron(s) are constant over the inputs (entropy 0, MI 0 with "
                        "a varying neuron); they lower the means.")
    pairs = None
    if mi_estimator == "ksg" and mi_columns is not None:
        pairs = constant_pairs(int(np.count_nonzero(spans[mi_columns] == 0)), len(mi_columns),
                               s, k, diagonal=mi_diagonal)
        if pairs["pairs"]:
            warnings.append(
                f"KSG gives each of the {pairs['pairs']} pairs of constant neurons "
                f"({pairs['share']:.1%} of the MI pairs) psi(k) - psi(S) = {pairs['mi_each']:.2f} "
                f"nats, a tie artefact that moves mean MI by {pairs['mean_mi_shift']:+.3f} nats; "
                "compare models with different numbers of constant neurons with care.")
    if s < SMALL_SAMPLE:
        warnings.append(f"Only {s} examples: binned entropy is strongly biased down below "
                        f"{SMALL_SAMPLE} (Paninski 2003); compare only runs with the same S.")
    if s < bins:
        warnings.append(f"S = {s} is below the {bins} bins: entropy cannot exceed ln S = "
                        f"{math.log(s):.2f} nats; use fewer bins or more inputs.")
    if mi_estimator == "ksg" and s < 10 * (k + 1):
        warnings.append(f"S = {s} is small for KSG with k = {k}: its bias grows as S falls "
                        "toward k + 1; use more inputs.")
    out = {"per_layer": per_layer, "range": ranges,
           "sample": {"n_samples": s, "samples_per_bin": s / bins}, "warnings": warnings}
    if pairs is not None:
        out["constant_pairs"] = pairs
    return out


def constant_pairs(constant: int, n: int, s: int, k: int, *, diagonal: bool = False) -> dict[str, Any]:
    """KSG's value for a pair of constant neurons, and how much such pairs move mean MI.

    Every point of such a pair ties, so n_x = n_y = S - 1 and I = psi(k) - psi(S) < 0
    exactly. ``constant`` of the ``n`` MI neurons are constant; mean MI averages pairs
    i < j (``diagonal``: the whole matrix, where a constant neuron's self-MI is the same).
    """
    from scipy.special import digamma

    each = float(digamma(k) - digamma(s))
    if diagonal:
        pairs, total = constant * constant, n * n
    else:
        pairs, total = constant * (constant - 1) // 2, n * (n - 1) // 2
    share = pairs / total if total else 0.0
    return {"pairs": pairs, "share": share, "mi_each": each, "mean_mi_shift": share * each}


def _range_entry(values: np.ndarray, cols: np.ndarray, names: Sequence[str], starts: np.ndarray,
                 scope: str) -> dict[str, Any]:
    sub = values[:, cols]
    return {"scope": scope, "lo": float(sub.min()), "hi": float(sub.max()),
            "set_by": _setters(values, cols, names, starts)}


def _bin_range(ranges: list[dict[str, Any]], layer: str) -> float | None:
    """Width of the bin range a layer's neurons share (None: one range per neuron)."""
    for r in ranges:
        if r["scope"] in ("all", layer):
            return float(r["hi"] - r["lo"])
    return None


def _names(layers: Sequence[str]) -> str:
    return ", ".join(layers) if len(layers) <= 3 else f"{layers[0]} ... {layers[-1]} ({len(layers)} layers)"


def _range_setters(set_by: list[dict[str, Any]]) -> str:
    """'neuron 3 of a (5.1) and neuron 7 of b (-2) set', or one neuron that sets both ends."""
    top = next(s for s in set_by if s["end"] == "max")
    bottom = next(s for s in set_by if s["end"] == "min")
    if (top["layer"], top["neuron"]) == (bottom["layer"], bottom["neuron"]):
        return (f"neuron {top['neuron']} of {top['layer']} ({bottom['value']:.3g} to "
                f"{top['value']:.3g}) sets")
    return " and ".join(f"neuron {s['neuron']} of {s['layer']} ({s['value']:.3g})"
                        for s in (top, bottom)) + " set"


def _collapse_warnings(per_layer: list[dict[str, Any]], ranges: list[dict[str, Any]], bins: int,
                       binning: str) -> list[str]:
    collapsed = [p for p in per_layer if p["collapsed_fraction"] >= COLLAPSE_WARN]
    if not collapsed:
        return []
    share = max(p["collapsed_fraction"] for p in collapsed)
    text = (f"Entropy in {_names([p['name'] for p in collapsed])} carries little signal: up to "
            f"{share:.0%} of neurons fall in at most {COLLAPSED_BINS} of the {bins} bins")
    narrow = [p for p in collapsed
              if p["median_range_ratio"] is not None and p["median_range_ratio"] < COLLAPSED_BINS / bins]
    if narrow and ranges:
        ratio = min(p["median_range_ratio"] for p in narrow)
        text += (f", because {_range_setters(ranges[0]['set_by'])} the {binning} range and the "
                 f"typical neuron spans {ratio * 100:.2g}% of it; see --binning neuron (or "
                 "--pooling mean).")
    else:
        other = "" if binning == "neuron" else ", or --binning neuron"
        text += f"; the neurons barely vary over these inputs (try more varied inputs{other})."
    return [text]
