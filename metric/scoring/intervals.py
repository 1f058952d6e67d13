"""Intervals for the headline scores, and for the difference between two models.

Replicates subsample the examples without replacement (m = ``interval_fraction`` x S):
never with replacement, since duplicated rows are exact ties that bias KSG strongly down
(METHOD.md). MI replicates use one fixed random subset of ``interval_pairs`` pairs: the
mean over ~74k pairs is well estimated from a few thousand, and fixed pairs keep the
replicates' spread about the examples alone.

A replicate's score is the score at size m, biased (binned entropy falls with S). The
interval reported is for the full-sample score: the replicates' deviations from their own
mean (so the size-m bias cancels) scaled by the finite-population factor
``sqrt(m / (S - m))`` (delete-d jackknife; Shao & Wu 1989, Politis & Romano 1994), added
to the full-sample value. Two results scored on the same inputs with the same interval
settings use the same example subsets, so their replicate differences are paired.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from infomem import estimators

__all__ = ["score_replicates", "interval", "paired_difference", "tau_interval", "LEVEL",
           "pairing_key"]

LEVEL = 0.95  # two-sided coverage of every interval
_SEED_STREAM = 2022  # replicate subsets draw from their own stream, not the subsampling one
SCORES = ("mean_entropy", "median_entropy", "mean_mi")


def _rows(n: int, fraction: float, replicates: int, seed: int) -> tuple[int, list[np.ndarray]]:
    m = min(n - 1, max(2, int(round(fraction * n))))
    rng = np.random.default_rng([seed, _SEED_STREAM])
    return m, [np.sort(rng.choice(n, size=m, replace=False)) for _ in range(replicates)]


def _pairs(n_cols: int, n_pairs: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A fixed random set of pairs i < j of MI columns (all of them if fewer)."""
    rows, cols = np.triu_indices(n_cols, k=1)
    if len(rows) > n_pairs:
        keep = np.sort(np.random.default_rng([seed, _SEED_STREAM, 1]).choice(
            len(rows), size=n_pairs, replace=False))
        rows, cols = rows[keep], cols[keep]
    return rows.astype(np.int64), cols.astype(np.int64)


def score_replicates(values: np.ndarray, layer_sizes: Sequence[int], mi_cols: np.ndarray,
                     settings: Any, *, full: dict[str, float | None]) -> dict[str, Any]:
    """Replicate scores on example subsets and the intervals they give for ``full``."""
    s = values.shape[0]
    m, subsets = _rows(s, settings.interval_fraction, settings.intervals, settings.seed)
    pr, pc = _pairs(len(mi_cols), settings.interval_pairs, settings.seed)
    reps: dict[str, list[float]] = {key: [] for key in SCORES}
    for rows in subsets:
        sub = values[rows]
        codes, n_bins = estimators.bin_codes(sub, bins=settings.bins, binning=settings.binning,
                                             layer_sizes=layer_sizes,
                                             paper_digitize=settings.paper_digitize)
        h = estimators.entropy_from_codes(codes, n_bins, correction=settings.correction)
        reps["mean_entropy"].append(float(h.mean()))
        reps["median_entropy"].append(float(np.median(h)))
        if settings.mi_estimator == "ksg" and len(pr):
            mi = estimators.ksg_mi_pairs(np.ascontiguousarray(sub[:, mi_cols]), pr, pc, k=settings.k)
            reps["mean_mi"].append(float(np.mean(mi)))
        elif settings.mi_estimator == "binned" and len(pr):
            mi = estimators.binned_mi_from_codes(codes[:, mi_cols], n_bins)
            reps["mean_mi"].append(float(mi[pr, pc].mean()))
    reps = {k: v for k, v in reps.items() if v and full.get(k) is not None}
    return {
        "replicates": settings.intervals, "fraction": settings.interval_fraction,
        "size": m, "pairs": int(len(pr)), "seed": settings.seed, "level": LEVEL,
        "values": reps,
        "intervals": {k: interval(float(full[k]), v, m, s) for k, v in reps.items()},  # type: ignore[arg-type]
    }


def _scale(m: int, s: int) -> float:
    return math.sqrt(m / (s - m))


def interval(full: float, replicates: Sequence[float], m: int, s: int) -> list[float]:
    """The LEVEL interval of a full-sample score from its size-m replicates."""
    dev = np.asarray(replicates, dtype=np.float64)
    dev = (dev - dev.mean()) * _scale(m, s)
    tail = (1 - LEVEL) / 2 * 100
    lo, hi = np.percentile(dev, [tail, 100 - tail])
    return [float(full + lo), float(full + hi)]


def pairing_key(intervals: dict[str, Any] | None) -> tuple[Any, ...] | None:
    """What must agree for two results' replicates to be paired (same example subsets)."""
    if not intervals:
        return None
    return tuple(intervals.get(k) for k in ("replicates", "fraction", "size", "pairs", "seed"))


def paired_difference(a: dict[str, Any], b: dict[str, Any], key: str, full_diff: float,
                      n_samples: int) -> dict[str, Any] | None:
    """Interval of score(a) - score(b) from paired replicates; None without them."""
    va, vb = a["values"].get(key), b["values"].get(key)
    if va is None or vb is None:
        return None
    diffs = np.asarray(va) - np.asarray(vb)
    low, high = interval(full_diff, diffs, int(a["size"]), n_samples)
    return {"score": key, "difference": full_diff, "low": low, "high": high,
            "significant": bool(low > 0 or high < 0)}


def tau_interval(per_model: Sequence[Sequence[float]], extrinsic: Sequence[float]) -> list[float] | None:
    """Percentile interval of Kendall tau over the replicates (each at size m)."""
    from infomem.scoring.selection import kendall_tau

    reps = np.asarray(per_model, dtype=np.float64)  # models x replicates
    taus = [kendall_tau(list(reps[:, r]), list(extrinsic)) for r in range(reps.shape[1])]
    present = [t for t in taus if t is not None]
    if not present:
        return None
    tail = (1 - LEVEL) / 2 * 100
    lo, hi = np.percentile(present, [tail, 100 - tail])
    return [float(lo), float(hi)]
