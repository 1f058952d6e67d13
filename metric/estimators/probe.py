"""A cross-validated linear probe: how well do activations separate two groups of examples?

L2-regularised logistic regression fitted with scipy's L-BFGS (the objective of
scikit-learn's ``LogisticRegression(C=c)``: ``0.5 ||w||^2 + c * sum log-loss``, intercept
unpenalised), on features standardised with the training fold's mean and deviation,
scored by the AUC of each held-out fold (the Mann-Whitney statistic of
:mod:`infomem.estimators.membership`). Pure numpy/scipy: scikit-learn is a test oracle here,
not a dependency.

References
----------
Alain, G. & Bengio, Y. (2016). Understanding intermediate layers using linear classifier
probes. arXiv:1610.01644.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from infomem.errors import InvalidInputError
from infomem.estimators.membership import mann_whitney

__all__ = ["fit_logistic", "stratified_folds", "probe_auc", "ProbeResult", "PROBE_C", "PROBE_FOLDS"]

PROBE_C = 1.0  # inverse L2 strength, scikit-learn's default: many neurons, few examples
PROBE_FOLDS = 5  # held-out folds; each class must have at least this many examples
_GTOL = 1e-10  # L-BFGS gradient tolerance: coefficients settle to ~1e-6 of scikit-learn's
_MAX_ITER = 5000


def _loss(params: np.ndarray, x: np.ndarray, sign: np.ndarray, c: float) -> tuple[float, np.ndarray]:
    """Penalised log-loss and its gradient; ``sign`` is the label as -1 / +1."""
    from scipy.special import expit

    w, b = params[:-1], params[-1]
    margin = sign * (x @ w + b)
    loss = 0.5 * float(w @ w) + c * float(np.logaddexp(0.0, -margin).sum())
    weight = -c * sign * expit(-margin)  # d loss / d (x w + b), per example
    return loss, np.concatenate([w + x.T @ weight, [weight.sum()]])


def fit_logistic(x: Any, y: Any, *, c: float = PROBE_C) -> tuple[np.ndarray, float]:
    """L2 logistic regression: coefficients ``w`` (shape (F,)) and intercept ``b``.

    Parameters
    ----------
    x : array-like, shape (S, F)
    y : array-like of bool or 0/1, shape (S,); both classes present
    c : float, inverse regularisation strength (scikit-learn's ``C``)

    Returns
    -------
    (w, b) with P(y = 1 | x) = 1 / (1 + exp(-(x w + b))).
    """
    from scipy.optimize import minimize

    features, labels = _check(x, y)
    if not c > 0:
        raise InvalidInputError(f"`c` must be > 0; received {c!r}.")
    sign = np.where(labels, 1.0, -1.0)
    start = np.zeros(features.shape[1] + 1)
    fit = minimize(_loss, start, args=(features, sign, float(c)), jac=True, method="L-BFGS-B",
                   options={"gtol": _GTOL, "maxiter": _MAX_ITER})
    return fit.x[:-1], float(fit.x[-1])


def _check(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    features = np.asarray(x, dtype=np.float64)
    labels = np.asarray(y).astype(bool)
    if features.ndim != 2 or labels.shape != (features.shape[0],):
        raise InvalidInputError(f"A probe needs features (S, F) and labels (S,); received shapes "
                                f"{features.shape} and {labels.shape}.")
    if not np.isfinite(features).all():
        raise InvalidInputError("Probe features hold NaN or inf; check the activations.")
    if labels.all() or not labels.any():
        raise InvalidInputError("A probe needs examples of both classes; received one class only.")
    return features, labels


def stratified_folds(y: Any, folds: int, seed: int) -> list[np.ndarray]:
    """Held-out index sets: each class shuffled (seeded) and dealt round-robin to the folds,
    so fold sizes per class differ by at most one."""
    labels = np.asarray(y).astype(bool)
    fewest = int(min(labels.sum(), (~labels).sum()))
    if folds < 2 or fewest < folds:
        raise InvalidInputError(f"{folds} stratified folds need at least {folds} examples of each "
                                f"class and folds >= 2; the smaller class has {fewest}.")
    rng = np.random.default_rng(seed)
    out: list[list[int]] = [[] for _ in range(folds)]
    for cls in (True, False):
        members = rng.permutation(np.flatnonzero(labels == cls))
        for j, i in enumerate(members):
            out[j % folds].append(int(i))
    return [np.sort(np.array(f, dtype=np.int64)) for f in out]


def _standardise(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale with the training fold's statistics only; constant features stay at 0."""
    mean, sd = train.mean(axis=0), train.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (train - mean) / sd, (test - mean) / sd


class ProbeResult(NamedTuple):
    """Held-out AUCs of a linear probe, P(score of a positive > score of a negative)."""

    auc: float  # 0.83: mean over folds
    auc_sd: float  # 0.07: standard deviation over folds (their spread, not a standard error)
    fold_aucs: tuple[float, ...]
    folds: int
    c: float


def probe_auc(x: Any, y: Any, *, folds: int = PROBE_FOLDS, c: float = PROBE_C,
              seed: int = 0) -> ProbeResult:
    """Cross-validated AUC of an L2 logistic probe separating ``y`` from the features ``x``.

    Parameters
    ----------
    x : array-like, shape (S, F); y : array-like of bool, shape (S,)
    folds : stratified folds (each class needs at least ``folds`` examples)
    c : inverse L2 strength; seed : seeds the fold assignment

    Returns
    -------
    ProbeResult
        0.5 = the activations carry no linearly readable sign of the label; 1 = every
        held-out positive scores above every held-out negative.

    Notes
    -----
    The fold AUCs share training examples, so their spread understates the uncertainty of
    the mean; with few examples per fold each AUC moves in steps of 1 / (n+ n-).
    """
    features, labels = _check(x, y)
    aucs = []
    for test in stratified_folds(labels, folds, seed):
        train = np.setdiff1d(np.arange(len(labels)), test)
        fit_x, test_x = _standardise(features[train], features[test])
        w, b = fit_logistic(fit_x, labels[train], c=c)
        scores = test_x @ w + b
        aucs.append(mann_whitney(scores[labels[test]], scores[~labels[test]]).auc)
    return ProbeResult(float(np.mean(aucs)), float(np.std(aucs, ddof=1)), tuple(aucs), folds, float(c))
