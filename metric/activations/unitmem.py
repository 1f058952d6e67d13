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
from infomem.activations.hooks import find_blocks, pool
from infomem.activations.views import Augment, view_rng
from infomem.errors import InvalidInputError

__all__ = ["NON_NEGATIVE", "CLIPPED", "ACTIVATIONS", "Target", "Runner", "find_targets",
           "capture_views", "module_runner", "loaded_runner"]

NON_NEGATIVE = frozenset({"ReLU", "ReLU6", "ReLUSquaredActivation", "Softplus"})
CLIPPED = frozenset({  # torch's and transformers' GELU and SiLU classes
    "GELU", "GELUActivation", "NewGELUActivation", "FastGELUActivation", "GELUTanh",
    "AccurateGELUActivation", "QuickGELUActivation", "ClippedGELUActivation",
    "SiLU", "SiLUActivation",
})
ACTIVATIONS = NON_NEGATIVE | CLIPPED
_NAMES_SHOWN = 4  # module names an error lists: enough to show their pattern, on one line

Runner = Callable[[list[Any], dict[str, Any]], None]  # forward one batch; may set state["mask"]


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
        return [t for i in layers for t in groups[int(i)]]
    except IndexError as e:
        raise InvalidInputError(
            f"Layer index out of range: the model has {len(groups)} layer(s) to hook; "
            f"received {list(layers)}."
        ) from e


@contextmanager
def _hooks(targets: Sequence[Target], sink: list[list[Any]],
           state: dict[str, Any]) -> Iterator[None]:
    """Clip (where the rule says so) and mean-pool each output into ``sink[i]``."""

    def make(i: int, clip: bool) -> Callable[..., None]:
        def hook(_module: Any, _inputs: Any, output: Any) -> None:
            hidden = output[0] if isinstance(output, (tuple, list)) else output
            if clip:
                hidden = hidden.clamp(min=0)  # per token, before the mean (never in place)
            pooled = pool(hidden, state.get("mask"), "mean")
            # A copy, never a view: a later in-place op would rewrite the recorded values.
            sink[i].append(pooled.detach().to("cpu", copy=True))

        return hook

    handles = [t.module.register_forward_hook(make(i, t.clip)) for i, t in enumerate(targets)]
    try:
        yield
    finally:
        for h in handles:
            h.remove()


@contextmanager
def _eval_mode(module: Any) -> Iterator[None]:
    was_training = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was_training)


def _check_calls(sink: list[list[Any]], targets: Sequence[Target], batches: int) -> None:
    """Each hooked module must run once per forward pass, or its rows would mix examples."""
    for t, chunks in zip(targets, sink, strict=True):
        if len(chunks) < batches:
            raise InvalidInputError(
                f"Module {t.name!r} ({t.activation}) did not run in the forward pass; pass "
                "`layers=` with modules the model runs (see `model.named_modules()`)."
            )
        if len(chunks) > batches:
            raise InvalidInputError(
                f"Module {t.name!r} ({t.activation}) ran {len(chunks) - batches + 1} times in one "
                "forward pass (one activation module shared by several layers?); pass `layers=` "
                "with modules that run once per pass."
            )


def _view_values(sink: list[list[Any]], targets: Sequence[Target]) -> list[np.ndarray]:
    """One view's S x N values per target; negatives refused now, before more views run."""
    import torch

    out = []
    for t, chunks in zip(targets, sink, strict=True):
        values = torch.cat(chunks).numpy().astype(np.float64)
        chunks.clear()
        if values.size and values.min() < 0:
            try:
                estimators.unit_mem(values)
            except InvalidInputError as e:
                raise InvalidInputError(f"Layer {t.name!r} ({t.activation}): {e}") from e
        out.append(values)
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
) -> list[np.ndarray]:
    """Per target, the S x N float64 mean over ``views`` views of each example's values.

    View 0 is the example itself; view a >= 1 is ``augment(item, view_rng(seed, i, a))``.
    ``run(batch, state)`` runs ``model`` on one batch of (augmented) items. Each view is
    checked for negative values before it enters the mean (a negative view cannot hide
    in a positive average); memory is one view's S x N per target plus the running sum.
    """
    import torch
    from tqdm.auto import tqdm

    if views > 1 and augment is None:
        raise InvalidInputError(f"{views} views need an `augment` callable; received None.")
    sink: list[list[Any]] = [[] for _ in targets]
    state: dict[str, Any] = {}
    totals: list[np.ndarray] = []
    bar = tqdm(total=len(items) * views, desc="unitmem capture", unit="view",
               disable=not progress, leave=False)
    with torch.inference_mode(), _eval_mode(model), _hooks(targets, sink, state), bar:
        for view in range(views):
            for done, start in enumerate(range(0, len(items), batch_size), start=1):
                rows = range(start, min(len(items), start + batch_size))
                batch = [items[i] if view == 0 or augment is None
                         else augment(items[i], view_rng(seed, i, view)) for i in rows]
                state["mask"] = None
                run(batch, state)
                _check_calls(sink, targets, done)
                bar.update(len(batch))
            values = _view_values(sink, targets)
            totals = values if not totals else [a + b for a, b in zip(totals, values, strict=True)]
    return [t / views for t in totals]


def module_runner(module: Any) -> Runner:
    """Forward a batch of rows (1-D arrays) through a plain torch module."""
    import torch

    device = next(module.parameters()).device

    def run(batch: list[Any], _state: dict[str, Any]) -> None:
        rows = np.stack([np.asarray(row, dtype=np.float32) for row in batch])
        module(torch.from_numpy(rows).to(device))

    return run


def loaded_runner(loaded: Any, *, max_length: int) -> Runner:
    """Encode a batch of texts or images with the model's processor and run it."""

    def run(batch: list[Any], state: dict[str, Any]) -> None:
        encoded = loaded.encode(batch, max_length=max_length)
        state["mask"] = encoded.get("attention_mask")
        loaded.forward_module(**encoded)

    return run
