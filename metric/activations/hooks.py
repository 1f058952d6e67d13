"""Run a model over inputs and keep one pooled activation per neuron per example.

Forward hooks on the model's blocks (or on named modules) pool each output at once,
so only an S x N float32 matrix is kept, never the full sequences (METHOD.md,
"Which activations").
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from infomem.activations.models import LoadedModel
from infomem.errors import InvalidInputError

__all__ = ["Activations", "Recorder", "capture", "capture_with", "capture_module", "find_blocks",
           "pool", "pooled_hooks", "refuse_repeats"]


@dataclass(frozen=True)
class Activations:
    """Pooled activations: `values[s, n]` for example s and neuron n, layers side by side."""

    values: np.ndarray  # S x N float32
    layer_names: tuple[str, ...]
    layer_sizes: tuple[int, ...]
    info: dict[str, Any] = field(default_factory=dict)  # pooling, block path...

    def __post_init__(self) -> None:
        if self.values.ndim != 2 or self.values.shape[1] != sum(self.layer_sizes):
            raise InvalidInputError(
                f"Activations of shape {self.values.shape} do not match layer sizes "
                f"{self.layer_sizes} (expected S x {sum(self.layer_sizes)})."
            )

    @property
    def n_samples(self) -> int:
        return int(self.values.shape[0])

    @property
    def layer_slices(self) -> list[slice]:
        bounds = np.concatenate([[0], np.cumsum(self.layer_sizes)])
        return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def check_finite(self) -> None:
        """Raise naming the first layer with NaN or inf activations."""
        for name, sl in zip(self.layer_names, self.layer_slices, strict=True):
            bad = int(np.size(self.values[:, sl]) - np.isfinite(self.values[:, sl]).sum())
            if bad:
                raise InvalidInputError(
                    f"Layer {name!r} produced {bad} non-finite activation(s) (NaN or inf); "
                    "load the model in float32 (`torch_dtype='float32'`) or check its weights."
                )


# --- pooling ---------------------------------------------------------------------


def pool(output: Any, mask: Any, pooling: str) -> Any:
    """One vector per example from a module output (torch tensor, or a tuple of them).

    3-D (batch, tokens, width): first token, last non-padding token, or masked mean.
    4-D (batch, channels, h, w): global average over space. 2-D: as it is.
    """
    import torch

    hidden = output[0] if isinstance(output, (tuple, list)) else output
    if not isinstance(hidden, torch.Tensor):
        hidden = getattr(hidden, "last_hidden_state", None)
        if hidden is None:
            raise InvalidInputError(f"Cannot pool a module output of type {type(output).__name__}.")
    if hidden.dim() == 4:
        return hidden.float().mean(dim=(2, 3))
    if hidden.dim() == 2:
        return hidden.float()
    if hidden.dim() != 3:
        raise InvalidInputError(f"Cannot pool a {hidden.dim()}-D module output.")
    if pooling == "first" or mask is None:
        return hidden[:, 0].float() if pooling != "mean" else hidden.float().mean(dim=1)
    mask = mask.to(hidden.device)
    if pooling == "last":
        # Index of the last non-padding token, for right or left padding alike.
        positions = torch.arange(mask.shape[1], device=mask.device)
        last = (positions * mask.long()).argmax(dim=1)
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last].float()
    weights = mask.to(hidden.dtype).unsqueeze(-1)
    return ((hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1)).float()


# --- which modules ----------------------------------------------------------------


def find_blocks(model: Any) -> tuple[str, list[Any]]:
    """The model's list of blocks (transformer layers or CNN stages), shallowest first."""
    import torch

    config = getattr(model, "config", None)
    expected: set[int] = set()
    for attr in ("num_hidden_layers", "num_layers", "n_layer"):
        value = getattr(config, attr, None)
        if isinstance(value, int):
            expected.add(value)
    depths = getattr(config, "depths", None)
    if isinstance(depths, (list, tuple)):
        expected.add(len(depths))
    candidates = [
        (name, module)
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.ModuleList) and len(module) in expected and len(module) > 0
    ]
    if not candidates:
        raise InvalidInputError(
            f"Could not find the blocks of {type(model).__name__}; pass `layers=` with the "
            "module names to capture (see `model.named_modules()`)."
        )
    name, blocks = min(candidates, key=lambda c: c[0].count("."))
    return name, list(blocks)


def _resolve_layers(
    model: Any, layers: Sequence[str] | None
) -> tuple[list[str], list[Any], str | None]:
    """(names, modules, block path) for the requested layers or all blocks."""
    modules = dict(model.named_modules())
    if layers is None or all(str(x).lstrip("-").isdigit() for x in layers):
        path, blocks = find_blocks(model)
        indices = range(len(blocks)) if layers is None else [int(x) for x in layers]
        try:
            chosen = [(i % len(blocks), blocks[i]) for i in indices]
        except IndexError as e:
            raise InvalidInputError(
                f"Layer index out of range: the model has {len(blocks)} blocks; "
                f"received {list(layers or [])}."
            ) from e
        names = [f"layer.{i}" for i, _ in chosen]
        refuse_repeats(names, layers)
        return names, [m for _, m in chosen], path
    missing = [x for x in layers if x not in modules]
    if missing:
        sample = ", ".join(list(modules)[1:6])
        raise InvalidInputError(
            f"Module(s) {missing} not found in {type(model).__name__}; "
            f"names look like: {sample}, ... (see `model.named_modules()`)."
        )
    return list(layers), [modules[x] for x in layers], None


def refuse_repeats(names: Sequence[str], layers: Sequence[str] | None) -> None:
    """One line when two indices (e.g. 1 and -5 of 6 blocks) name the same layer."""
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidInputError(
            f"Layers {list(layers or [])} name {', '.join(twice)} more than once (negative "
            "indices count from the last one); name each layer once.")


# --- hooks ------------------------------------------------------------------------


class Recorder:
    """What one set of hooks recorded: ``chunks[i]`` holds module i's pooled batches."""

    def __init__(self, n_modules: int) -> None:
        self.chunks: list[list[Any]] = [[] for _ in range(n_modules)]
        self.mask: Any = None  # the running batch's attention mask (None: nothing padded)
        self.batches = 0  # forward passes started since the last `clear`

    def start(self, mask: Any) -> None:
        """Called before each forward pass: the hooks pool with this batch's mask."""
        self.mask = mask
        self.batches += 1

    def clear(self) -> None:
        for chunks in self.chunks:
            chunks.clear()
        self.batches = 0


@contextmanager
def pooled_hooks(
    modules: Sequence[Any], pooling: str, *, clip: Sequence[bool] | None = None
) -> Iterator[Recorder]:
    """Pool each module's output into a Recorder as the forward pass runs.

    ``clip[i]``: module i's output is clipped at 0 per token before pooling (UnitMem's
    rule for GELU / SiLU). Several hook sets can record one forward pass side by side.
    """
    recorder = Recorder(len(modules))
    clips = list(clip) if clip is not None else [False] * len(modules)

    def make(i: int, clipped: bool) -> Callable[..., None]:
        def hook(_module: Any, _inputs: Any, output: Any) -> None:
            if clipped:  # never in place: the model reads this output next
                output = (output[0] if isinstance(output, (tuple, list)) else output).clamp(min=0)
            pooled = pool(output, recorder.mask, pooling)
            # A copy, never a view: a later in-place op (ReLU(inplace=True), `x += y`)
            # would otherwise rewrite the recorded values (`.to("cpu")` on CPU is a no-op).
            recorder.chunks[i].append(pooled.detach().to("cpu", copy=True))

        return hook

    handles = [m.register_forward_hook(make(i, c))
               for i, (m, c) in enumerate(zip(modules, clips, strict=True))]
    try:
        yield recorder
    finally:
        for h in handles:
            h.remove()


# --- capture ----------------------------------------------------------------------


def _batches(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def _progress(total: int, enabled: bool, desc: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="ex", disable=not enabled, leave=False)


def capture(
    loaded: LoadedModel,
    items: Sequence[Any],
    *,
    pooling: str | None = None,
    layers: Sequence[str] | None = None,
    batch_size: int = 16,
    max_length: int = 512,
    progress: bool = True,
) -> Activations:
    """Run `loaded.model` over texts or images and pool each block's output."""
    acts, _ = capture_with(loaded, items, (), pooling=pooling, layers=layers,
                           batch_size=batch_size, max_length=max_length, progress=progress)
    return acts


def capture_with(
    loaded: LoadedModel,
    items: Sequence[Any],
    extra: Sequence[AbstractContextManager[Recorder]],
    *,
    pooling: str | None = None,
    layers: Sequence[str] | None = None,
    batch_size: int = 16,
    max_length: int = 512,
    progress: bool = True,
) -> tuple[Activations, list[Recorder]]:
    """:func:`capture`, with more hook sets recording the same forward passes.

    ``extra`` are hook sets not yet entered (e.g. UnitMem's, see
    :func:`infomem.activations.unitmem.recording`); they are entered under the model's
    lock and each gets every batch's mask, so one pass over the inputs feeds them all.
    Returns the activations and the extra sets' recorders, in order.
    """
    import torch

    loaded.check_inputs(items)
    truncated = loaded.n_truncated(items, max_length=max_length)
    if truncated:
        warnings.warn(f"{truncated} of {len(items)} texts are longer than "
                      f"{loaded.max_tokens(max_length)} tokens and were cut to that length "
                      "(`max_length` / --max-length, up to the model's limit).", stacklevel=4)
    pooling = pooling or loaded.default_pooling
    model = loaded.forward_module
    names, modules, path = _resolve_layers(model, layers)
    bar = _progress(len(items), progress, "capture")
    with loaded.lock, torch.inference_mode(), ExitStack() as stack, bar:
        own = stack.enter_context(pooled_hooks(modules, pooling))
        others = [stack.enter_context(hooks) for hooks in extra]
        for sl in _batches(len(items), batch_size):
            batch = loaded.encode(items[sl], max_length=max_length)
            for recorder in (own, *others):
                recorder.start(batch.get("attention_mask"))
            model(**batch)
            bar.update(sl.stop - sl.start)
    acts = _stack(own.chunks, names, {"pooling": pooling, "blocks": path, "kind": loaded.kind,
                                      "n_truncated": truncated})
    return acts, others


def capture_module(
    module: Any,
    inputs: Any,
    *,
    layers: Sequence[str] | None = None,
    batch_size: int = 256,
    progress: bool = False,
) -> Activations:
    """Pre-activations of a plain torch MLP's hidden Linear layers (or named modules).

    By default every ``torch.nn.Linear`` but the last (the output layer) is hooked:
    the paper used pre-ReLU values because ReLU's exact zeros distort KSG.
    """
    import torch

    if not isinstance(inputs, torch.Tensor):
        inputs = torch.as_tensor(np.asarray(inputs), dtype=torch.float32)
    if layers is None:
        linears = [(n, m) for n, m in module.named_modules() if isinstance(m, torch.nn.Linear)]
        if len(linears) < 2:
            raise InvalidInputError(
                f"{type(module).__name__} has {len(linears)} Linear layer(s); a plain module "
                "needs hidden Linear layers, or pass `layers=` with module names."
            )
        names = [n for n, _ in linears[:-1]]
        modules = [m for _, m in linears[:-1]]
    else:
        names, modules, _ = _resolve_layers(module, layers)
    device = next(module.parameters()).device
    was_training = module.training
    module.eval()
    bar = _progress(len(inputs), progress, "capture")
    try:
        with torch.inference_mode(), pooled_hooks(modules, "first") as recorder, bar:
            for sl in _batches(len(inputs), batch_size):
                module(inputs[sl].to(device))
                bar.update(sl.stop - sl.start)
    finally:
        module.train(was_training)
    return _stack(recorder.chunks, names, {"pooling": None, "blocks": None, "kind": "module"})


def _stack(sink: list[list[Any]], names: Sequence[str], info: dict[str, Any]) -> Activations:
    import torch

    if not sink or not sink[0]:
        raise InvalidInputError("No activations were captured: were there any inputs?")
    per_layer = [torch.cat(chunks).numpy().astype(np.float32, copy=False) for chunks in sink]
    values = np.ascontiguousarray(np.concatenate(per_layer, axis=1))
    return Activations(values, tuple(names), tuple(a.shape[1] for a in per_layer), info)
