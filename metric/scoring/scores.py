"""From activations to scores: entropy per neuron, MI over a neuron subset, per-layer
summaries, and the provenance that makes a Result reproducible and comparable."""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from infomem import estimators
from infomem.activations.data import fingerprint, load_inputs, subsample
from infomem.activations.hooks import Activations, Recorder, capture, capture_module, capture_with
from infomem.activations.models import is_plain_module
from infomem.errors import InvalidInputError
from infomem.estimators._validation import check_device, resolve_backend
from infomem.options import check_options, default, settings_conflict, split_options
from infomem.scoring import distributed, measures
from infomem.scoring.diagnostics import diagnose
from infomem.scoring.measures import plan_measures, prepare_unit_mem, with_unit_mem
from infomem.scoring.provenance import library_versions
from infomem.scoring.result import LayerSummary, Result
from infomem.scoring.settings import Settings

__all__ = ["score", "score_activations", "mi_neuron_indices"]

SCORE_GROUPS = ("settings", "loading", "inputs", "run", "unitmem")  # catalogue groups score() takes
_NOTCH = 1.57  # McGill et al. (1978): notched-box ~95% interval for the median


def mi_neuron_indices(layer_sizes: Sequence[int], settings: Settings) -> np.ndarray:
    """Columns entering MI: the first (or random) `mi_neurons_per_layer` of every layer."""
    per_layer = settings.mi_neurons_per_layer
    rng = np.random.default_rng(settings.seed if settings.mi_subset_seed is None
                                else settings.mi_subset_seed)
    chosen, start = [], 0
    for size in layer_sizes:
        m = size if per_layer is None else min(per_layer, size)
        if settings.mi_subset == "random":
            local = np.sort(rng.choice(size, size=m, replace=False))
        else:
            local = np.arange(m)
        chosen.append(start + local)
        start += size
    return np.concatenate(chosen).astype(np.int64)


def _mean_pairs(matrix: np.ndarray, diagonal: bool) -> float | None:
    """Mean over pairs i < j, or over the whole symmetric matrix as the paper did."""
    n = matrix.shape[0]
    if diagonal:
        return float(matrix.mean()) if n else None
    if n < 2:
        return None
    upper = np.triu_indices(n, k=1)
    return float(matrix[upper].mean())


def _layer_summary(name: str, h: np.ndarray, mi: float | None) -> LayerSummary:
    q1, median, q3 = np.percentile(h, [25, 50, 75])
    half = _NOTCH * (q3 - q1) / np.sqrt(len(h))  # clipped below at 0: entropy is never negative
    return LayerSummary(
        name=name,
        n_neurons=int(len(h)),
        mean_entropy=float(h.mean()),
        median_entropy=float(median),
        q1=float(q1),
        q3=float(q3),
        notch_low=float(max(median - half, 0.0)),
        notch_high=float(median + half),
        mean_mi=mi,
    )


def _mi_matrix(
    values: np.ndarray,
    codes: np.ndarray,
    n_bins: int,
    settings: Settings,
    *,
    progress: bool,
    backend: str,
    device: Any,
    ctx: distributed.DistContext | None,
) -> np.ndarray | None:
    if settings.mi_estimator == "none":
        return None
    if settings.mi_estimator == "binned":
        return estimators.binned_mi_from_codes(codes, n_bins, backend=backend, device=device)
    from tqdm.auto import tqdm

    n = values.shape[1]
    with tqdm(total=n * (n + 1) // 2, desc="mutual information", unit="pair",
              disable=not progress, leave=False, unit_scale=True) as bar:
        if n and resolve_backend(backend, device) == "numba":  # say why a first run stalls
            bar.set_postfix_str("loading the kernels (compiled on first use, ~20 s)")
            estimators.ksg_mi_pairs(values[: settings.k + 1, :1], [0], [0], k=settings.k)
            bar.set_postfix_str("")
        if ctx is not None:
            return distributed.sharded_ksg_mi(values, settings.k, ctx, backend=backend,
                                              device=device, progress=bar.update)
        return estimators.ksg_mi(
            np.ascontiguousarray(values), k=settings.k, backend=backend, device=device,
            progress=bar.update,
        )


def _bootstrap(
    codes: np.ndarray, n_bins: int, mi_cols: np.ndarray, settings: Settings
) -> dict[str, list[float]]:
    """95% percentile intervals over examples resampled with replacement.

    Entropy (and binned MI) only: resampling duplicates examples, and duplicates are
    ties that KSG treats as zero distances, so KSG intervals would be biased.
    """
    rng = np.random.default_rng(settings.seed)
    s = codes.shape[0]
    stats: dict[str, list[float]] = {"mean_entropy": [], "median_entropy": []}
    for _ in range(settings.n_bootstrap):
        rows = codes[rng.integers(0, s, size=s)]
        h = estimators.entropy_from_codes(rows, n_bins, correction=settings.correction)
        stats["mean_entropy"].append(float(h.mean()))
        stats["median_entropy"].append(float(np.median(h)))
        if settings.mi_estimator == "binned":
            mi = estimators.binned_mi_from_codes(rows[:, mi_cols], n_bins)
            stats.setdefault("mean_mi", []).append(_mean_pairs(mi, settings.mi_diagonal) or 0.0)
    return {k: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] for k, v in stats.items()}


def score_activations(
    acts: Activations,
    settings: Settings | None = None,
    *,
    model_info: dict[str, Any] | None = None,
    data_info: dict[str, Any] | None = None,
    return_mi_matrix: bool = False,
    progress: bool = False,
    mi_backend: str = "auto",
    mi_device: Any = None,
    timings: dict[str, float] | None = None,
    ctx: distributed.DistContext | None = None,
) -> Result:
    """Score captured activations: pure numbers in, a Result out.

    With a distributed context the KSG pairs are split across the ranks.
    """
    settings = settings or Settings()
    timings = dict(timings or {})
    _check_sample_size(acts.n_samples, settings)
    acts.check_finite()
    values = acts.values

    t0 = time.perf_counter()
    codes, n_bins = estimators.bin_codes(
        values, bins=settings.bins, binning=settings.binning,
        layer_sizes=acts.layer_sizes, paper_digitize=settings.paper_digitize,
    )
    h = estimators.entropy_from_codes(codes, n_bins, correction=settings.correction)
    timings["entropy"] = time.perf_counter() - t0
    cols = mi_neuron_indices(acts.layer_sizes, settings)
    checks = diagnose(values, codes, layer_names=acts.layer_names, layer_sizes=acts.layer_sizes,
                      bins=settings.bins, binning=settings.binning, k=settings.k,
                      mi_estimator=settings.mi_estimator, mi_columns=cols,
                      mi_diagonal=settings.mi_diagonal)
    for text in checks["warnings"]:
        warnings.warn(text, UserWarning, stacklevel=2)

    t0 = time.perf_counter()
    mi = _mi_matrix(values[:, cols], codes[:, cols], n_bins, settings,
                    progress=progress, backend=mi_backend, device=mi_device, ctx=ctx)
    timings["mi"] = time.perf_counter() - t0

    per_layer = []
    for name, sl in zip(acts.layer_names, acts.layer_slices, strict=True):
        inside = np.flatnonzero((cols >= sl.start) & (cols < sl.stop))
        layer_mi = None if mi is None else _mean_pairs(mi[np.ix_(inside, inside)], settings.mi_diagonal)
        per_layer.append(_layer_summary(name, h[sl], layer_mi))

    full = {"mean_entropy": float(h.mean()), "median_entropy": float(np.median(h)),
            "mean_mi": None if mi is None else _mean_pairs(mi, settings.mi_diagonal)}
    t0 = time.perf_counter()
    intervals = _intervals(acts, cols, settings, full) if settings.intervals else None
    if settings.intervals:
        timings["intervals"] = time.perf_counter() - t0
    return Result(
        mean_entropy=float(h.mean()),
        median_entropy=float(np.median(h)),
        mean_mi=full["mean_mi"],
        n_samples=acts.n_samples,
        n_neurons=int(values.shape[1]),
        per_layer=tuple(per_layer),
        settings=settings,
        model=dict(model_info or {}),
        data=dict(data_info or {}),
        versions=library_versions(),
        timings={k: round(v, 4) for k, v in timings.items()},
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        neuron_entropy=h,
        mi_matrix=mi if return_mi_matrix else None,
        mi_neurons=cols if return_mi_matrix else None,
        bootstrap=_bootstrap(codes, n_bins, cols, settings) if settings.n_bootstrap else None,
        diagnostics=checks,
        intervals=intervals,
    )


def _intervals(acts: Activations, cols: np.ndarray, settings: Settings,
               full: dict[str, float | None]) -> dict[str, Any] | None:
    """Replicate scores and 95% intervals (infomem.scoring.intervals); None when S is too small."""
    from infomem.scoring.intervals import score_replicates

    if acts.n_samples < max(10, 2 * (settings.k + 1)):
        warnings.warn(f"No intervals: S = {acts.n_samples} is too small to subsample.",
                      stacklevel=3)
        return None
    return score_replicates(acts.values, acts.layer_sizes, cols, settings, full=full)


def score(
    model: Any = None,
    inputs: Any = None,
    *,
    tokenizer: Any = None,
    settings: Settings | None = None,
    progress: bool = True,
    mi_backend: str = "auto",
    model_cache: Any = None,
    **options: Any,
) -> Result:
    """Score a model's activation diversity on unlabeled inputs.

    Parameters
    ----------
    model : str, Path, transformers model, torch.nn.Module or None
        Hub id or local path (None: the embedded MiniLM), a loaded transformers model
        (pass its ``tokenizer`` or image processor too), or a plain torch MLP (then
        ``inputs`` is an S x F tensor).
    inputs : list of str, list of PIL images, datasets.Dataset, tensor, or None
        The unlabeled examples; or use ``dataset=``/``file=``; None: the bundled sample.
    settings : Settings, optional
        All estimator settings at once; or pass them as keywords, not both.
    **options
        Any option of the catalogue (:mod:`infomem.options`): settings such as
        ``max_samples=2500, bins=100, k=3, binning="global"``; model loading
        (``revision``, ``device_map``, ``torch_dtype``, ``max_memory``, ``offload_folder``,
        ``gguf_file``, ``trust_remote_code``, ``token``); inputs (``dataset``, ``config``, ``split``,
        ``column``, ``data_revision``, ``file``, ``streaming``); ``mi_device``,
        ``return_mi_matrix``; ``measures`` and UnitMem's ``augmentations``, ``augment``,
        ``unitmem_layers`` (rules in :mod:`infomem.scoring.measures`).

    Returns
    -------
    Result
        Mean/median entropy and mean MI in nats, per-layer summaries, settings; with
        ``measures=("entropy", "mi", "unitmem")`` also ``unitmem``, a UnitMemReport equal
        to :func:`infomem.unit_mem_score` on the same model, inputs, seed and sample.
    """
    from infomem.activations.models import LoadedModel, check_loading_applies, load_model, wrap_model

    groups = split_options(options, SCORE_GROUPS)
    settings_conflict(settings, list(groups["settings"]))
    load, run = check_options(groups["loading"]), check_options(groups["run"])
    check_loading_applies(model, load)
    ctx = distributed.context()
    settings, unitmem = plan_measures(
        run.pop("measures", default("measures")), settings or Settings(**groups["settings"]),
        mi_keyword=groups["settings"].get("mi_estimator"), settings_given=settings is not None,
        unitmem=groups["unitmem"], distributed=ctx is not None)
    source = check_options(groups["inputs"])
    mi_device = run.get("mi_device")
    if mi_device is not None:  # before any download or forward pass
        check_device(mi_device)
    scoring: dict[str, Any] = {"return_mi_matrix": bool(run.get("return_mi_matrix")),
                               "mi_backend": mi_backend}
    timings: dict[str, float] = {}
    progress = progress and (ctx is None or ctx.is_main)
    if ctx is not None and load.get("device_map") is None and ctx.device.type == "cuda":
        load["device_map"] = {"": ctx.device.index}
    if is_plain_module(model):
        array = np.asarray(inputs.detach().cpu() if hasattr(inputs, "detach") else inputs)
        _check_finite_rows(array)
        rows = array[subsample(len(array), settings.max_samples, settings.seed)]
        _check_sample_size(len(rows), settings)
        data_info = {"kind": "tensor", "n_total": len(array), "n_used": len(rows),
                     "fingerprint": fingerprint([rows])}
        prep = prepare_unit_mem(unitmem, model, list(rows), settings=settings,
                                data_info=data_info)
        t0 = time.perf_counter()
        acts = capture_module(model, rows, layers=settings.layers,
                              batch_size=max(256, settings.batch_size))
        timings["capture"] = time.perf_counter() - t0
        info = {"id": type(model).__name__, "architecture": type(model).__name__, "kind": "module"}
        result = score_activations(acts, settings, model_info=info, data_info=data_info,
                                   progress=progress, mi_device=mi_device, timings=timings,
                                   **scoring)
        return with_unit_mem(result, unitmem, prep, settings=settings, progress=progress)

    data = load_inputs(inputs, max_samples=settings.max_samples, seed=settings.seed, **source)
    _check_sample_size(len(data.items), settings)
    t0 = time.perf_counter()
    if isinstance(model, LoadedModel):
        loaded = model
    elif model is None or isinstance(model, (str, Path)):
        loaded = (model_cache.get if model_cache is not None else load_model)(model, **load)
    else:
        if tokenizer is None:
            raise InvalidInputError(
                "A loaded transformers model needs its tokenizer or image processor: pass `tokenizer=`."
            )
        loaded = wrap_model(model, tokenizer)
    timings["load"] = time.perf_counter() - t0
    prep = prepare_unit_mem(unitmem, loaded, data.items, settings=settings, data_info=data.info)

    t0 = time.perf_counter()
    acts, recorders = _capture(loaded, data.items, settings, ctx, progress,
                               measures.unit_mem_hooks(prep))
    first = measures.first_view(prep, recorders)  # UnitMem's view 0, recorded by the same passes
    timings["capture"] = time.perf_counter() - t0
    model_info = {**loaded.info, "pooling": acts.info.get("pooling")}
    data_info = {**data.info, "n_truncated": acts.info.get("n_truncated", 0)}
    if ctx is not None:
        model_info["processes"] = ctx.world
        mi_device = mi_device if mi_device is not None else ctx.device
    result = score_activations(acts, settings, model_info=model_info, data_info=data_info,
                               progress=progress, mi_device=mi_device, timings=timings,
                               ctx=ctx, **scoring)
    return with_unit_mem(result, unitmem, prep, settings=settings, progress=progress, first=first)


def _check_finite_rows(array: np.ndarray) -> None:
    """Name the input rows holding NaN or inf: the activations would be non-finite too."""
    if not np.issubdtype(array.dtype, np.number):
        return
    bad = np.flatnonzero(~np.isfinite(array.reshape(len(array), -1)).all(axis=1))
    if bad.size:
        shown = ", ".join(str(i) for i in bad[:5]) + (", ..." if bad.size > 5 else "")
        raise InvalidInputError(f"{bad.size} input row(s) hold NaN or inf values (rows {shown}); "
                                "remove or impute them before scoring.")


def _check_sample_size(n: int, settings: Settings) -> None:
    """Refuse a sample of one example (every entropy and MI would be 0 by definition) and a
    KSG run whose sample cannot hold k + 1 points, before any model work."""
    if n < 2:
        raise InvalidInputError(
            f"Scoring needs at least 2 examples; received {n}: over one example every neuron "
            "is constant, so its entropy and MI are 0 by definition. Pass more inputs.")
    if settings.mi_estimator == "ksg" and n < settings.k + 1:
        raise InvalidInputError(
            f"KSG MI needs at least k+1 = {settings.k + 1} examples; received {n}. Pass more "
            "inputs, lower `k`, or set mi_estimator='binned'."
        )


def _capture(
    loaded: Any, items: list[Any], settings: Settings,
    ctx: distributed.DistContext | None, progress: bool,
    extra: list[AbstractContextManager[Recorder]],
) -> tuple[Activations, list[Recorder]]:
    """Capture all items here (``extra`` hooks too), or this rank's batches from every rank."""
    options = {"pooling": settings.pooling, "layers": settings.layers,
               "batch_size": settings.batch_size, "max_length": settings.max_length}
    if ctx is None:
        return capture_with(loaded, items, extra, progress=progress, **options)
    mine = distributed.batch_shard(len(items), settings.batch_size, ctx.rank, ctx.world)
    if not mine:
        raise InvalidInputError(
            f"{len(items)} examples cannot feed {ctx.world} processes with batch size "
            f"{settings.batch_size}; use fewer processes or a smaller batch size."
        )
    local = capture(loaded, [items[i] for i in mine], progress=progress, **options)
    parts = ctx.all_gather(local.values)
    values = distributed.merge_batches(parts, len(items), settings.batch_size)
    return Activations(values, local.layer_names, local.layer_sizes, local.info), []
