"""UnitMem of a model on unlabeled inputs: which units single out one example, and which.

:func:`unit_mem_score` loads the model and inputs as :func:`infomem.score` does, captures
non-negative post-activation values per unit (rules in :mod:`infomem.activations.unitmem`:
ReLU outputs, CNN stage outputs averaged over space, transformer MLP activations with
GELU / SiLU clipped at 0 per token before the mean over the real tokens), averages A
views of each example (:mod:`infomem.activations.views`) and scores every unit with
:func:`infomem.estimators.unit_mem` (Wang, Dziedzic, Backes, Boenisch, NeurIPS 2024).

Reading the numbers: UnitMem is in [0, 1]; 1 means a unit fires for one example only.
A post-ReLU unit that is zero on at least half of the other examples has a median of 0
and UnitMem exactly 1 whatever its maximizer, so many units tie at 1 (``n_at_one``); the
top list breaks ties by the larger maximum activation. Untrained networks score high
too: compare only models of one architecture scored alike, in direction.
"""

from __future__ import annotations

import base64
import contextlib
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from infomem import estimators
from infomem.activations.data import fingerprint, load_inputs, subsample
from infomem.activations.models import check_loading_applies, is_plain_module
from infomem.activations.unitmem import (
    Runner,
    Target,
    capture_views,
    find_targets,
    loaded_runner,
    module_runner,
)
from infomem.activations.views import Augment, default_augment
from infomem.errors import InvalidInputError
from infomem.estimators.unitmem import UNIT_MEM_THRESHOLDS, UNIT_MEM_TOP_K
from infomem.options import check_options, default, split_options
from infomem.scoring.measures import check_views
from infomem.scoring.provenance import library_versions
from infomem.scoring.unitmem_report import LayerUnitMem, UnitExample, UnitMemReport

__all__ = ["unit_mem_score", "layer_unit_mem", "prepare", "score_prepared", "Prepared",
           "TEXT_CHARS"]

TEXT_CHARS = 200  # a top example's text is cut here: two lines of a terminal table
_THUMBNAIL_PX = 64  # longest side of a top example's thumbnail: legible in a row of eight
_POOLING = {"text": "mean over the real tokens", "image": "mean over the patches or space",
            "tensor": "none"}  # how token / spatial outputs become one value, per modality


def _top_units(result: estimators.UnitMemResult, texts: Sequence[str] | None,
               top_k: int) -> tuple[UnitExample, ...]:
    """Highest UnitMem first; ties by the larger maximum, then the lower unit index."""
    units = np.flatnonzero(result.defined)
    order = units[np.lexsort((units, -result.maximum[units], -result.values[units]))][:top_k]
    out = []
    for u in order:
        example = int(result.argmax[u])
        text = None if texts is None else texts[example][:TEXT_CHARS]
        out.append(UnitExample(int(u), float(result.values[u]), float(result.maximum[u]),
                               example, text))
    return tuple(out)


def layer_unit_mem(target: Target, mean: np.ndarray, *, texts: Sequence[str] | None = None,
                   top_k: int = UNIT_MEM_TOP_K,
                   thresholds: Sequence[float] = UNIT_MEM_THRESHOLDS) -> LayerUnitMem:
    """Score one layer's S x N per-example means (views already averaged)."""
    try:
        result = estimators.unit_mem(mean)
    except InvalidInputError as e:
        raise InvalidInputError(f"Layer {target.name!r} ({target.activation}): {e}") from e
    s = estimators.summarize_unit_mem(result, top_k=0, thresholds=thresholds)
    return LayerUnitMem(
        name=target.name, activation=target.activation, clipped=target.clip,
        n_units=s.n_units, n_defined=s.n_defined, mean=s.mean, median=s.median, q1=s.q1,
        q3=s.q3, share_above=s.share_above,
        n_at_one=int(np.sum(result.values[result.defined] == 1.0)),
        top=_top_units(result, texts, top_k), values=result.values, argmax=result.argmax,
    )


def _thumbnails(items: Sequence[Any], layers: Sequence[LayerUnitMem]) -> dict[int, str]:
    """Base64 PNG thumbnails of the images that maximize the listed top units."""
    out = {}
    for example in sorted({t.example for layer in layers for t in layer.top}):
        image = items[example].convert("RGB")
        image.thumbnail((_THUMBNAIL_PX, _THUMBNAIL_PX))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        out[example] = base64.b64encode(buffer.getvalue()).decode("ascii")
    return out


def _module_inputs(inputs: Any, source: dict[str, Any], max_samples: int,
                   seed: int) -> tuple[np.ndarray, dict[str, Any]]:
    """The S x F rows a plain torch module is scored on, subsampled like the other inputs."""
    named = sorted(k for k, v in source.items() if v not in (None, False))
    if named:
        raise InvalidInputError(
            f"A plain torch module takes `inputs=` as an S x F tensor, not {', '.join(named)}; "
            "load the rows yourself and pass them as `inputs`."
        )
    if inputs is None:
        raise InvalidInputError(
            "A plain torch module needs `inputs=` as an S x F tensor or array; received none.")
    array = np.asarray(inputs.detach().cpu() if hasattr(inputs, "detach") else inputs)
    if array.ndim < 2:
        raise InvalidInputError(
            f"A plain torch module needs S x F inputs; received shape {array.shape}.")
    rows = array[subsample(len(array), max_samples, seed)]
    return rows, {"kind": "tensor", "n_available": len(array), "n_used": len(rows),
                  "fingerprint": fingerprint([rows])}


@dataclass(frozen=True)
class Prepared:
    """What one capture needs: the items, the module run and hooked, and provenance."""

    items: Sequence[Any]
    modality: str  # "text" | "image" | "tensor"
    forward: Any  # the module run (and put in eval mode)
    run: Runner
    targets: list[Target]
    lock: Any  # held during the capture: hooks live on the model
    model_info: dict[str, Any]
    data_info: dict[str, Any]


def prepare(source: Any, items: Sequence[Any], *, layers: tuple[str, ...] | None,
            max_length: int, data_info: dict[str, Any]) -> Prepared:
    """Find the modules to hook in a plain torch module (items: rows) or a LoadedModel.

    Runs no forward pass, so a model without a usable activation module is refused here,
    before any capture (:func:`infomem.score` calls it before its entropy capture too).
    """
    if is_plain_module(source):
        name = type(source).__name__
        return Prepared(list(items), "tensor", source, module_runner(source),
                        find_targets(source, layers, in_blocks=False), contextlib.nullcontext(),
                        {"id": name, "architecture": name, "kind": "module"}, data_info)
    source.check_inputs(items)
    forward = source.forward_module
    return Prepared(items, source.modality, forward,
                    loaded_runner(source, max_length=max_length), find_targets(forward, layers),
                    source.lock, dict(source.info), data_info)


def _check_examples(n: int) -> None:
    """Refuse, before the model loads, a sample without the rest that UnitMem compares to."""
    if n < 2:
        raise InvalidInputError(
            f"UnitMem needs at least 2 examples (the maximizing one and the rest); received {n}. "
            "Pass more inputs.")


def _load(model: Any, inputs: Any, tokenizer: Any, layers: tuple[str, ...] | None, *,
          max_samples: int, seed: int, max_length: int, load: dict[str, Any],
          source: dict[str, Any]) -> Prepared:
    """Load the model and inputs as :func:`infomem.score` does, then :func:`prepare`."""
    from infomem.activations.models import LoadedModel, load_model, wrap_model

    if is_plain_module(model):
        rows, data_info = _module_inputs(inputs, source, max_samples, seed)
        _check_examples(len(rows))
        return prepare(model, list(rows), layers=layers, max_length=max_length,
                       data_info=data_info)
    data = load_inputs(inputs, max_samples=max_samples, seed=seed, **source)
    _check_examples(len(data.items))
    if isinstance(model, LoadedModel):
        loaded = model
    elif model is None or isinstance(model, (str, Path)):
        loaded = load_model(model, **load)
    elif tokenizer is None:
        raise InvalidInputError(
            "A loaded transformers model needs its tokenizer or image processor: pass `tokenizer=`.")
    else:
        loaded = wrap_model(model, tokenizer)
    return prepare(loaded, data.items, layers=layers, max_length=max_length, data_info=data.info)


def _augment_name(views: int, augment: Augment | None, modality: str) -> str:
    """How views 2..A were made, as the report records it, e.g. "default (text)"."""
    if views == 1:
        return "none"
    if augment is None:
        return f"default ({modality})"
    return str(getattr(augment, "__name__", type(augment).__name__))


def score_prepared(prep: Prepared, *, augmentations: int, augment: Augment | None,
                   layers: tuple[str, ...] | None, seed: int, max_samples: int,
                   max_length: int, batch_size: int, progress: bool,
                   timings: dict[str, float] | None = None,
                   first: Sequence[np.ndarray] | None = None) -> UnitMemReport:
    """Capture A views of the prepared items, score every unit, and build the report.

    ``first``: view 0's values when another capture's passes recorded them
    (:func:`infomem.score` shares its entropy pass); then only views 2..A run here.
    """
    timings = dict(timings or {})
    t0 = time.perf_counter()
    augment_name = _augment_name(augmentations, augment, prep.modality)
    if augmentations > 1 and augment is None:
        augment = default_augment(prep.modality, prep.items)
    with prep.lock:
        means = capture_views(prep.run, prep.forward, prep.items, prep.targets,
                              views=augmentations, augment=augment, seed=seed,
                              batch_size=batch_size, progress=progress, first=first)
    timings["capture"] = time.perf_counter() - t0
    texts = prep.items if prep.modality == "text" else None
    per_layer = tuple(layer_unit_mem(t, m, texts=texts)
                      for t, m in zip(prep.targets, means, strict=True))
    settings = {"augmentations": augmentations, "augment": augment_name,
                "seed": seed, "max_samples": max_samples, "max_length": max_length,
                "layers": None if layers is None else list(layers),
                "clipped": any(t.clip for t in prep.targets), "pooling": _POOLING[prep.modality],
                "thresholds": list(UNIT_MEM_THRESHOLDS),
                "top_k": UNIT_MEM_TOP_K}
    return UnitMemReport(
        per_layer=per_layer, n_samples=len(prep.items), settings=settings,
        model=prep.model_info, data=prep.data_info, versions=library_versions(),
        timings={k: round(v, 4) for k, v in timings.items()},
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        thumbnails=_thumbnails(prep.items, per_layer) if prep.modality == "image" else {},
    )


def unit_mem_score(
    model: Any = None,
    inputs: Any = None,
    *,
    tokenizer: Any = None,
    layers: Sequence[str] | None = None,
    augmentations: int = default("augmentations"),
    augment: Augment | None = None,
    seed: int = default("seed"),
    max_samples: int = default("max_samples"),
    batch_size: int = default("batch_size"),
    max_length: int = default("max_length"),
    progress: bool = True,
    **load_and_input_options: Any,
) -> UnitMemReport:
    """UnitMem of every captured unit, per layer, with the examples that maximize the top units.

    Parameters
    ----------
    model : str, Path, transformers model, LoadedModel, torch.nn.Module or None
        As for :func:`infomem.score`: a Hub id or path (None: the embedded MiniLM), a loaded
        transformers model with ``tokenizer``, or a plain torch module with activation
        modules (``nn.ReLU``), scored on ``inputs`` given as an S x F tensor.
    inputs : list of str, list of PIL images, datasets.Dataset, tensor or None
        The unlabeled examples (usually the training split); None: the bundled texts.
    layers : sequence of str, optional
        Block indices or module names to hook instead of the defaults
        (:mod:`infomem.activations.unitmem`); named modules must be non-negative, or GELU/SiLU.
    augmentations : int, default 1
        A, views per example, averaged before UnitMem: the example itself and A - 1
        augmented views (1: no augmentation).
    augment : callable ``augment(item, rng) -> item``, optional
        Makes views 2..A from a text, PIL image or input row and a seeded
        ``numpy.random.Generator``; default: :func:`infomem.activations.views.default_augment`.
    seed : int, default 0
        Subsampling and the views' generators.
    max_samples, batch_size, max_length : int
        Examples scored (larger inputs are subsampled), examples per forward pass, tokens
        per text.
    **load_and_input_options
        Model loading (``revision``, ``device_map``, ``torch_dtype``...) and input options
        (``dataset``, ``split``, ``column``, ``file``...) of :mod:`infomem.options`.

    Returns
    -------
    UnitMemReport
        Per layer: the UnitMem distribution (mean, median, quartiles, share above 0.5 and
        0.9), ties at 1.0, the top units with their maximizing example; settings, provenance.
    """
    checked = check_options({"layers": layers, "seed": seed, "max_samples": max_samples,
                             "batch_size": batch_size, "max_length": max_length})
    views = check_views(augmentations, augment)
    groups = split_options(load_and_input_options, ("loading", "inputs"))
    load, source = check_options(groups["loading"]), check_options(groups["inputs"])
    check_loading_applies(model, load)
    t0 = time.perf_counter()
    prep = _load(model, inputs, tokenizer, checked["layers"], max_samples=max_samples,
                 seed=seed, max_length=max_length, load=load, source=source)
    return score_prepared(prep, augmentations=views, augment=augment,
                          layers=checked["layers"], seed=seed, max_samples=max_samples,
                          max_length=max_length, batch_size=batch_size, progress=progress,
                          timings={"load": time.perf_counter() - t0})
