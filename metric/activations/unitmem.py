"""Capture for UnitMem: one non-negative post-activation value per unit per example.

Which modules are hooked (METHOD.md, "UnitMem"):

- **plain torch module**: every activation module (class name in :data:`ACTIVATIONS`,
  e.g. ``nn.ReLU``), in definition order. A model that applies its activation as a
  function (``torch.relu(x)``) has no module to hook and is refused: pass ``layers=``.
- **CNN** (a transformers vision model whose blocks hold ``nn.Conv2d``, e.g. ResNet):
  the output of each stage, which ends in a ReLU, averaged over space.
- **transformers**: the MLP activation modules under each block, e.g. BERT's
  ``encoder.layer.N.intermediate.intermediate_act_fn``, GPT-2's ``h.N.mlp.act``, ViT's
  ``encoder.layer.N.intermediate.intermediate_act_fn``, Llama's ``layers.N.mlp.act_fn``;
  token outputs are averaged over the real (non-padding) tokens; images have no padding.
- ``layers=``: block indices (transformers: the modules of those blocks) or module names,
  hooked as they are.

Negative values. UnitMem's ratio is bounded only for non-negative activations. The
activations in :data:`CLIPPED` have a bounded, small negative part (GELU >= -0.170,
QuickGELU >= -0.164, SiLU >= -0.279): their outputs are clipped at 0 per token
*before* the mean over tokens, i.e. UnitMem describes where a unit fires positively.
Anything else that is negative (pre-activations, tanh, a residual stream) is refused
by :func:`infomem.estimators.unit_mem` with its own message, prefixed by the layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from infomem import estimators
from infomem.activations.hooks import Recorder, find_blocks, pooled_hooks, refuse_repeats
from infomem.activations.views import Augment, view_rng
from infomem.errors import InvalidInputError

__all__ = ["NON_NEGATIVE", "CLIPPED", "ACTIVATIONS", "Target", "Runner", "find_targets",
           "recording", "view_values", "capture_views", "module_runner", "loaded_runner"]

NON_NEGATIVE = frozenset({"ReLU", "ReLU6", "ReLUSquaredActivation", "Softplus"})
CLIPPED = frozenset({  # torch's and transformers' GELU and SiLU classes
    "GELU", "GELUActivation", "NewGELUActivation", "FastGELUActivation", "GELUTanh",
    "AccurateGELUActivation", "QuickGELUActivation", "ClippedGELUActivation",
    "SiLU", "SiLUActivation",
})
ACTIVATIONS = NON_NEGATIVE | CLIPPED
_NAMES_SHOWN = 4  # module names an error lists: enough to show their pattern, on one line

Runner = Callable[[list[Any], Recorder], None]  # forward one batch, after recorder.start(mask)


@dataclass(frozen=True)
class Target:
    """One hooked module: its values form one layer of the report."""

    name: str  # module path, e.g. "encoder.layer.0.intermediate.intermediate_act_fn"
    module: Any = field(repr=False, compare=False)
    activation: str  # the module's class name, e.g. "GELUActivation"
    clip: bool  # clip at 0 per token before pooling (class in CLIPPED)


def _target(name: str, module: Any) -> Target:
    cls = type(module).__name__
    return Target(name, module, cls, cls in CLIPPED)


def _activation_modules(root: Any, prefix: str) -> list[Target]:
    return [_target(f"{prefix}{name}", m) for name, m in root.named_modules()
            if name and type(m).__name__ in ACTIVATIONS]


def _groups(model: Any, in_blocks: bool) -> list[list[Target]]:
    """The default targets, one group per block (plain modules: one per activation)."""
    import torch

    if not in_blocks:
        found = _activation_modules(model, "")
        if not found:
            raise InvalidInputError(
                f"{type(model).__name__} has no activation module to hook (none of "
                f"{', '.join(sorted(NON_NEGATIVE))}...); it may apply its activation as a function. "
                "Pass `layers=` with the names of non-negative modules (see `model.named_modules()`)."
            )
        return [[t] for t in found]
    path, blocks = find_blocks(model)
    groups = []
    for i, block in enumerate(blocks):
        if any(isinstance(m, torch.nn.Conv2d) for m in block.modules()):
            groups.append([Target(f"{path}.{i}", block, type(block).__name__, False)])
            continue
        found = _activation_modules(block, f"{path}.{i}.")
        if not found:
            raise InvalidInputError(
                f"Block {path}.{i} of {type(model).__name__} has no activation module to hook "
                f"(none of {', '.join(sorted(ACTIVATIONS))}); pass `layers=` with the names "
                "of its non-negative post-activation modules."
            )
        groups.append(found)
    return groups


def find_targets(model: Any, layers: Sequence[str] | None = None, *,
                 in_blocks: bool = True) -> list[Target]:
    """The modules to hook: the defaults, the default groups of some blocks, or names.

    ``in_blocks`` is False for a plain torch module (search all of it; ``layers`` are module
    names, which are digits in an ``nn.Sequential``), True for a transformers model (search
    under its blocks, see :func:`infomem.activations.find_blocks`; digits are block indices).
    """
    by_name = not in_blocks or not all(str(x).lstrip("-").isdigit() for x in layers or ())
    if layers is not None and by_name:
        modules = dict(model.named_modules())
        missing = [x for x in layers if x not in modules]
        if missing:
            found = [n for n, m in modules.items() if type(m).__name__ in ACTIVATIONS]
            sample = ", ".join(found[:_NAMES_SHOWN]) + (", ..." if len(found) > _NAMES_SHOWN else "")
            raise InvalidInputError(
                f"Module(s) {missing} not found in {type(model).__name__}; its activation "
                f"modules are: {sample or 'none'} (see `model.named_modules()`)."
            )
        return [_target(x, modules[x]) for x in layers]
    groups = _groups(model, in_blocks)
    if layers is None:
        return [t for g in groups for t in g]
    try:
        chosen = [t for i in layers for t in groups[int(i)]]
    except IndexError as e:
        raise InvalidInputError(
            f"Layer index out of range: the model has {len(groups)} layer(s) to hook; "
            f"received {list(layers)}."
        ) from e
    refuse_repeats([t.name for t in chosen], layers)
    return chosen


@contextmanager
def _eval_mode(module: Any) -> Iterator[None]:
    was_training = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was_training)


@contextmanager
def recording(model: Any, targets: Sequence[Target]) -> Iterator[Recorder]:
    """UnitMem's hooks on ``targets``, with ``model`` in eval mode while they record.

    Each output is clipped at 0 per token where the rule says so, then averaged over
    the real tokens (or space); :func:`infomem.activations.hooks.capture_with` runs these
    hooks in the entropy capture's forward passes.
    """
    with _eval_mode(model), pooled_hooks([t.module for t in targets], "mean",
                                         clip=[t.clip for t in targets]) as recorder:
        yield recorder


def _check_calls(recorder: Recorder, targets: Sequence[Target]) -> None:
    """Each hooked module must run once per forward pass, or its rows would mix examples."""
    batches = recorder.batches
    for t, chunks in zip(targets, recorder.chunks, strict=True):
        if len(chunks) < batches:
            raise InvalidInputError(
                f"Module {t.name!r} ({t.activation}) did not run in the forward pass; pass "
                "`layers=` with modules the model runs (see `model.named_modules()`)."
            )
        if len(chunks) > batches:
            raise InvalidInputError(
                f"Module {t.name!r} ({t.activation}) ran {len(chunks) // batches} times in one "
                "forward pass (one activation module shared by several layers?); pass `layers=` "
                "with modules that run once per pass."
            )


def view_values(recorder: Recorder, targets: Sequence[Target]) -> list[np.ndarray]:
    """One view's S x N float64 values per target, from the passes ``recorder`` saw.

    Checks that each module ran once per pass and refuses negatives now, before more
    views run (a negative view cannot hide in a positive average); clears the recorder.
    """
    import torch

    _check_calls(recorder, targets)
    out = []
    for t, chunks in zip(targets, recorder.chunks, strict=True):
        values = torch.cat(chunks).numpy().astype(np.float64)
        if values.size and values.min() < 0:
            try:
                estimators.unit_mem(values)
            except InvalidInputError as e:
                raise InvalidInputError(f"Layer {t.name!r} ({t.activation}): {e}") from e
        out.append(values)
    recorder.clear()
    return out


def capture_views(
    run: Runner,
    model: Any,
    items: Sequence[Any],
    targets: Sequence[Target],
    *,
    views: int = 1,
    augment: Augment | None = None,
    seed: int = 0,
    batch_size: int = 16,
    progress: bool = False,
    first: Sequence[np.ndarray] | None = None,
) -> list[np.ndarray]:
    """Per target, the S x N float64 mean over ``views`` views of each example's values.

    View 0 is the example itself; view a >= 1 is ``augment(item, view_rng(seed, i, a))``.
    ``run(batch, recorder)`` runs ``model`` on one batch of (augmented) items. ``first``:
    view 0's values (:func:`view_values`) when another capture's passes recorded them;
    then only views 1 .. A-1 run here. Memory is one view's S x N per target plus the sum.
    """
    if views > 1 and augment is None:
        raise InvalidInputError(f"{views} views need an `augment` callable; received None.")
    totals = [] if first is None else list(first)
    todo = range(0 if first is None else 1, views)
    if todo:
        totals = _run_views(run, model, items, targets, todo, totals, augment=augment,
                            seed=seed, batch_size=batch_size, progress=progress)
    return [t / views for t in totals]


def _run_views(run: Runner, model: Any, items: Sequence[Any], targets: Sequence[Target],
               todo: range, totals: list[np.ndarray], *, augment: Augment | None, seed: int,
               batch_size: int, progress: bool) -> list[np.ndarray]:
    """``totals`` plus the values of views ``todo``, each view summed as it completes."""
    import torch
    from tqdm.auto import tqdm

    bar = tqdm(total=len(items) * len(todo), desc="unitmem capture", unit="view",
               disable=not progress, leave=False)
    with torch.inference_mode(), recording(model, targets) as recorder, bar:
        for view in todo:
            for start in range(0, len(items), batch_size):
                rows = range(start, min(len(items), start + batch_size))
                batch = [items[i] if view == 0 or augment is None
                         else augment(items[i], view_rng(seed, i, view)) for i in rows]
                run(batch, recorder)
                _check_calls(recorder, targets)
                bar.update(len(batch))
            values = view_values(recorder, targets)
            totals = values if not totals else [a + b for a, b in zip(totals, values, strict=True)]
    return totals


def module_runner(module: Any) -> Runner:
    """Forward a batch of rows (1-D arrays) through a plain torch module."""
    import torch

    device = next(module.parameters()).device

    def run(batch: list[Any], recorder: Recorder) -> None:
        rows = np.stack([np.asarray(row, dtype=np.float32) for row in batch])
        recorder.start(None)
        module(torch.from_numpy(rows).to(device))

    return run


def loaded_runner(loaded: Any, *, max_length: int) -> Runner:
    """Encode a batch of texts or images with the model's processor and run it."""

    def run(batch: list[Any], recorder: Recorder) -> None:
        encoded = loaded.encode(batch, max_length=max_length)
        recorder.start(encoded.get("attention_mask"))
        loaded.forward_module(**encoded)

    return run
