"""Activations of memorized text: do the extracted texts look different inside the model?

After :func:`infomem.scoring.extraction.extraction`, the model's activations on the
candidate texts are captured (as ``infomem.score`` captures them: one pooled vector per
block and text) and split into the extracted and the non-extracted texts. Each group is
scored with infomem's entropy and KSG MI at the same S (the larger group subsampled,
seeded, to the smaller's size) and the same settings, with subsampling intervals, and a
cross-validated linear probe (:mod:`infomem.estimators.probe`) asks whether the
activations separate the two groups at all.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from infomem.activations.hooks import Activations, capture
from infomem.errors import InvalidInputError
from infomem.estimators.probe import PROBE_FOLDS, probe_auc
from infomem.scoring import distributed
from infomem.scoring.intervals import LEVEL, interval
from infomem.scoring.scores import score_activations
from infomem.scoring.settings import Settings

__all__ = ["compare_extracted", "compare_groups", "capture_texts", "comparison_settings",
           "check_comparison_settings", "check_feeds", "MIN_GROUP", "COMPARISON_INTERVALS"]

MIN_GROUP = 10  # per group: the smallest S that gets intervals, and 2 per class per probe fold
COMPARISON_INTERVALS = 50  # subsampling replicates per group (infomem's `intervals`)
_STREAM = 16  # the group subsample draws from its own random stream of `seed`
SCORES = ("mean_entropy", "mean_mi")


def comparison_settings(*, batch_size: int = 8, max_length: int = 512, seed: int = 0) -> Settings:
    """infomem's default estimator settings, with intervals, for the group comparison."""
    return Settings(intervals=COMPARISON_INTERVALS, batch_size=batch_size, max_length=max_length,
                    seed=seed)


def check_comparison_settings(settings: Any) -> Settings:
    """``settings`` if it is an infomem Settings (checked before any model work)."""
    if not isinstance(settings, Settings):
        raise InvalidInputError(f"`activation_settings` must be an infomem Settings; received "
                                f"{type(settings).__name__}.")
    return settings


def check_feeds(n_texts: int, settings: Settings, ctx: distributed.DistContext | None) -> None:
    """Refuse, before decoding, a capture that would leave a rank without a batch."""
    if ctx is not None and n_texts <= (ctx.world - 1) * settings.batch_size:
        raise InvalidInputError(
            f"{n_texts} texts long enough cannot feed {ctx.world} processes with batch size "
            f"{settings.batch_size} for `activations`; use fewer processes or a smaller batch size."
        )


def compare_extracted(model: Any, tokenizer: Any, texts: Sequence[str], indices: Sequence[int],
                      extracted: Sequence[bool], settings: Settings, *,
                      ctx: distributed.DistContext | None = None, progress: bool = False) -> dict[str, Any]:
    """Capture ``texts[indices]`` with a causal LM and :func:`compare_groups` them by
    ``extracted``; no capture when a group is too small to compare."""
    from infomem.activations.models import wrap_model

    labels = np.asarray(extracted, dtype=bool)
    if min(labels.sum(), (~labels).sum()) < _needed(settings):
        return _skipped(labels, settings)
    side = getattr(tokenizer, "padding_side", None)
    try:  # wrap_model pads on the right for capture; the caller's tokenizer is given back as it was
        loaded = wrap_model(model, tokenizer, kind="text-decoder")
        acts = capture_texts(loaded, [texts[i] for i in indices], settings, ctx, progress=progress)
    finally:
        if side is not None:
            tokenizer.padding_side = side
    return compare_groups(acts, labels, settings)


def capture_texts(loaded: Any, texts: Sequence[str], settings: Settings,
                  ctx: distributed.DistContext | None, *, progress: bool) -> Activations:
    """Activations of ``texts`` (in order), batches split over the ranks when there are several."""
    options = {"pooling": settings.pooling, "layers": settings.layers,
               "batch_size": settings.batch_size, "max_length": settings.max_length}
    if ctx is None:
        return capture(loaded, list(texts), progress=progress, **options)
    mine = distributed.batch_shard(len(texts), settings.batch_size, ctx.rank, ctx.world)
    local = capture(loaded, [texts[i] for i in mine], progress=progress, **options)
    values = distributed.merge_batches(ctx.all_gather(local.values), len(texts), settings.batch_size)
    return Activations(values, local.layer_names, local.layer_sizes, local.info)


def _needed(settings: Settings) -> int:
    return max(MIN_GROUP, 2 * (settings.k + 1), PROBE_FOLDS)


def _skipped(labels: np.ndarray, settings: Settings) -> dict[str, Any]:
    """Counts and settings; ``skipped`` gives the reason when a group is too small, else None."""
    need = _needed(settings)
    n_e, n_n = int(labels.sum()), int((~labels).sum())
    reason = None
    if min(n_e, n_n) < need:
        reason = (f"{n_e} of the {labels.size} tested texts were extracted and {n_n} were not; "
                  f"comparing activations needs at least {need} in each group.")
    return {"n_extracted": n_e, "n_not_extracted": n_n, "min_group": need, "level": LEVEL,
            "seed": settings.seed, "settings": settings.to_dict(), "skipped": reason}


def _group_scores(acts: Activations, rows: np.ndarray, settings: Settings) -> Any:
    sub = Activations(acts.values[rows], acts.layer_names, acts.layer_sizes, acts.info)
    with warnings.catch_warnings():  # kept in the result's `warnings` instead
        warnings.simplefilter("ignore")
        return score_activations(sub, settings)


def _summary(value: float | None, low_high: Sequence[float] | None, key: str) -> dict[str, Any]:
    low, high = low_high if low_high is not None else (None, None)
    return {key: value, f"{key}_low": low, f"{key}_high": high}


def _group(result: Any) -> dict[str, Any]:
    found = (result.intervals or {}).get("intervals", {})
    out: dict[str, Any] = {}
    for key in SCORES:
        out.update(_summary(getattr(result, key), found.get(key), key))
    return out


def _difference(a: Any, b: Any, m: int) -> dict[str, Any]:
    """a - b with an interval from independent replicates (see :func:`compare_groups`)."""
    out: dict[str, Any] = {}
    for key in SCORES:
        va, vb = getattr(a, key), getattr(b, key)
        diff = None if va is None or vb is None else float(va - vb)
        reps_a = (a.intervals or {}).get("values", {}).get(key)
        reps_b = (b.intervals or {}).get("values", {}).get(key)
        bounds = None
        if diff is not None and reps_a and reps_b:
            bounds = interval(diff, np.asarray(reps_a) - np.asarray(reps_b), int(a.intervals["size"]), m)
        out.update(_summary(diff, bounds, key))
        out[f"{key}_significant"] = None if bounds is None else bool(bounds[0] > 0 or bounds[1] < 0)
    return out


def compare_groups(acts: Activations, extracted: Any, settings: Settings) -> dict[str, Any]:
    """Entropy, MI and a linear probe of extracted vs non-extracted texts' activations.

    Parameters
    ----------
    acts : Activations of the tested texts, rows in the order of ``extracted``
    extracted : array-like of bool, one per row
    settings : the estimator settings of both groups (``seed`` draws the subsample, the
        replicates and the probe folds)

    Returns
    -------
    dict
        ``n_extracted``, ``n_not_extracted``, ``n_per_group`` (S of both scores), then
        ``extracted`` / ``not_extracted`` (``mean_entropy``, ``mean_mi`` in nats with
        ``_low`` / ``_high`` at ``level``), ``difference`` (extracted minus not, with its
        interval and ``_significant``: the interval excludes 0) and ``probe`` (mean held-out
        AUC over stratified folds, ``auc_sd`` their spread; AUC > 0.5 = higher probe score
        for extracted texts). When a group has fewer than ``min_group`` texts, ``skipped``
        says why in plain words and no number is given.

    Notes
    -----
    The groups hold different texts, so the difference interval is unpaired: each group's
    rows are in random order and its replicates subsample them independently of the other
    group's, so replicate differences vary as var(extracted) + var(not extracted), the
    variance of a difference of independent samples, scaled as infomem's intervals are
    (delete-d jackknife). It covers which texts of each group were drawn, not a different
    model, other neurons or other settings. Each group is binned over its own range, as
    ``infomem.score`` bins any input set, so a difference may come from the activations'
    range as well as their spread. A difference or a probe AUC above 0.5 is association:
    extracted texts may also differ in length, frequency or how often they were seen.
    The probe uses every text of both groups (AUC does not depend on the class balance).
    """
    labels = np.asarray(extracted, dtype=bool)
    if labels.shape != (acts.n_samples,):
        raise InvalidInputError(f"`extracted` needs one flag per activation row ({acts.n_samples}); "
                                f"received {labels.shape}.")
    out = _skipped(labels, settings)
    if out["skipped"] is not None:
        return out
    m = min(out["n_extracted"], out["n_not_extracted"])
    rng = np.random.default_rng([settings.seed, _STREAM])
    rows_e = rng.choice(np.flatnonzero(labels), size=m, replace=False)  # random order: see Notes
    rows_n = rng.choice(np.flatnonzero(~labels), size=m, replace=False)
    res_e, res_n = _group_scores(acts, rows_e, settings), _group_scores(acts, rows_n, settings)
    probe = probe_auc(acts.values, labels, seed=settings.seed)
    out.update(
        n_per_group=m, extracted=_group(res_e), not_extracted=_group(res_n),
        difference=_difference(res_e, res_n, m),
        probe={"auc": probe.auc, "auc_sd": probe.auc_sd, "fold_aucs": list(probe.fold_aucs),
               "folds": probe.folds, "c": probe.c, "n_features": int(acts.values.shape[1])},
        warnings=list(dict.fromkeys([*res_e.warnings, *res_n.warnings])),
    )
    return out
