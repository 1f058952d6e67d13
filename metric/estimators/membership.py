"""Membership statistics of extraction: exact match, Min-K% Prob, Mann-Whitney U, rates.

Pure functions on token ids and per-example numbers (no model), used by
:mod:`infomem.scoring.extraction` and tested against scipy and hand-made sequences.

References
----------
Carlini, N. et al. (2022). Quantifying Memorization Across Neural Language Models. ICLR 2023.
Shi, W. et al. (2024). Detecting Pretraining Data from Large Language Models. ICLR 2024.
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
JASA 22, 209-212.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from infomem.errors import InvalidInputError

__all__ = ["matched_fraction", "is_extracted", "min_k_prob", "check_min_k", "mann_whitney",
           "MannWhitney", "wilson_interval", "CONFIDENCE"]

CONFIDENCE = 0.95  # two-sided level of the rate intervals, as infomem's bootstrap intervals
_ROUNDING = 1e-9  # k * n computed in floats: 0.29 * 100 = 28.999999999999996 must count 29


def _token_arrays(generated: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
    gen, tgt = np.asarray(generated), np.asarray(target)
    if gen.shape != tgt.shape or gen.ndim not in (1, 2) or gen.shape[-1] == 0:
        raise InvalidInputError(
            "`generated` and `target` must be token ids of the same shape, (L,) or (n, L) "
            f"with L >= 1; received shapes {gen.shape} and {tgt.shape}."
        )
    return gen, tgt


def matched_fraction(generated: Any, target: Any) -> Any:
    """Share of suffix positions where the generated token equals the target token.

    Parameters
    ----------
    generated, target : array-like of int, shape (L,) or (n, L)
        Greedy continuation and true suffix, compared position by position (a shifted
        copy of the suffix matches nowhere).

    Returns
    -------
    float, or ndarray of shape (n,) for 2-D input
    """
    gen, tgt = _token_arrays(generated, target)
    out = (gen == tgt).mean(axis=-1)
    return float(out) if gen.ndim == 1 else out


def is_extracted(generated: Any, target: Any) -> Any:
    """True where all L suffix tokens were generated verbatim (k-extractable).

    Takes the same arrays as :func:`matched_fraction`; returns a bool, or a bool array
    of shape (n,) for 2-D input.
    """
    gen, tgt = _token_arrays(generated, target)
    out = (gen == tgt).all(axis=-1)
    return bool(out) if gen.ndim == 1 else out


def check_min_k(k: Any) -> float:
    """``k`` as a float in (0, 1], or a one-line error naming `min_k`."""
    if isinstance(k, bool) or not isinstance(k, (int, float, np.floating)) or not 0 < k <= 1:
        raise InvalidInputError(f"`min_k` must be in (0, 1]; received {k!r}. The paper uses 0.2.")
    return float(k)


def min_k_prob(token_logprobs: Any, k: float = 0.2) -> float:
    """Min-K% Prob: mean of the lowest ``k`` share of a text's token log-probabilities.

    Parameters
    ----------
    token_logprobs : array-like of float, shape (n,)
        log p(x_t | x_<t) of each scored token, in nats.
    k : float, default 0.2
        Share of tokens averaged, in (0, 1].

    Returns
    -------
    float
        In nats, <= 0; higher (closer to 0) means the text looks more memorized.

    Notes
    -----
    The count is ``max(1, floor(k * n))``: floor as the authors' reference code
    (``int(len(x) * ratio)``), at least one token so texts shorter than 1/k still score.
    """
    values = np.asarray(token_logprobs, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise InvalidInputError(
            f"`token_logprobs` must be a non-empty 1-D array; received shape {values.shape}."
        )
    check_min_k(k)
    count = max(1, math.floor(k * values.size + _ROUNDING))
    return float(np.sort(values)[:count].mean())


class MannWhitney(NamedTuple):
    """One-sided Mann-Whitney U test of members > reference."""

    p_value: float  # 0.003: chance of a U this large if both splits come from one distribution
    auc: float  # 0.81: P(member > reference) + P(tie) / 2 = U / (n1 n2)
    u: float  # U statistic of the members


def _sample(values: Any, name: str) -> np.ndarray:
    out = np.asarray(values, dtype=np.float64)
    if out.ndim != 1 or out.size == 0 or not np.isfinite(out).all():
        raise InvalidInputError(
            f"`{name}` must be a non-empty 1-D array of finite numbers; received shape {out.shape}."
        )
    return out


def mann_whitney(members: Any, reference: Any) -> MannWhitney:
    """One-sided Mann-Whitney U test: are the members' values larger than the reference's?

    Parameters
    ----------
    members, reference : array-like of float
        Per-example statistics (higher = more memorized) of the two splits.

    Returns
    -------
    MannWhitney
        ``p_value``, ``auc`` (U / (n1 n2); 0.5 = no difference, 1 = every member above
        every reference example) and ``u``.

    Notes
    -----
    U counts ties as one half (mid-ranks). The p-value is the normal approximation with
    tie and continuity corrections (scipy's ``method="asymptotic"``); it is accurate from
    about 8 examples per split. All values equal: p = 1.
    """
    from scipy import stats

    x, y = _sample(members, "members"), _sample(reference, "reference")
    n1, n2 = x.size, y.size
    pooled = np.concatenate([x, y])
    u = float(stats.rankdata(pooled)[:n1].sum() - n1 * (n1 + 1) / 2)
    n = n1 + n2
    _, counts = np.unique(pooled, return_counts=True)
    ties = float((counts**3 - counts).sum())
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance <= 0:
        return MannWhitney(1.0, u / (n1 * n2), u)
    z = (u - n1 * n2 / 2 - 0.5) / math.sqrt(variance)
    return MannWhitney(float(np.clip(stats.norm.sf(z), 0.0, 1.0)), u / (n1 * n2), u)


def wilson_interval(successes: int, n: int, *, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval of a binomial rate ``successes / n`` (two-sided).

    Unlike the normal interval it stays inside [0, 1] and is not empty at 0 or n
    successes (Wilson 1927; Brown, Cai & DasGupta 2001).
    """
    from scipy import stats

    if n < 1 or not 0 <= successes <= n:
        raise InvalidInputError(f"A rate needs 0 <= successes <= n and n >= 1; received {successes}/{n}.")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = successes / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, center - half)  # exact ends: no 1e-18 from rounding
    high = 1.0 if successes == n else min(1.0, center + half)
    return low, high
