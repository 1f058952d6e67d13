"""Input checks shared by the estimators: what was wrong, what arrived, what to do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from infomem.errors import InvalidInputError

BINNINGS = ("global", "layer", "neuron")
CORRECTIONS = (None, "miller-madow")
BACKENDS = ("auto", "numba", "cuda", "torch")  # KSG's; "cuda" is the numba.cuda kernel
BINNED_BACKENDS = ("auto", "numba", "torch")


def is_torch_tensor(x: Any) -> bool:
    """True for a ``torch.Tensor`` without importing torch."""
    return type(x).__module__.startswith("torch") and hasattr(x, "detach")


def check_int(value: Any, name: str, minimum: int) -> int:
    """Return ``value`` as an int >= ``minimum`` or raise InvalidInputError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidInputError(
            f"`{name}` must be an integer >= {minimum}; received {value!r} "
            f"({type(value).__name__})."
        )
    if value < minimum:
        raise InvalidInputError(
            f"`{name}` must be >= {minimum}; received {value}. Pass `{name}={minimum}` or more."
        )
    return int(value)


def check_choice(value: Any, name: str, choices: Sequence[Any]) -> Any:
    """Return ``value`` if it is one of ``choices`` or raise InvalidInputError."""
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise InvalidInputError(
            f"Unknown `{name}`={value!r}. Valid choices: {listed}."
        )
    return value


def _numba_gpu() -> bool:
    """True when numba.cuda (numba-cuda, the ``[gpu]`` extra) drives a real GPU."""
    try:
        from ._ksg_cuda import gpu_available
    except ImportError:  # numba-cuda without its CUDA bindings
        return False
    return gpu_available()


def resolve_backend(backend: str, device: Any, choices: Sequence[str] = BACKENDS) -> str:
    """The kernel family for ``backend`` among ``choices``.

    "auto" means numba on the CPU; on a CUDA ``device``, "cuda" (the numba.cuda kernel)
    where it is a choice and numba drives a real GPU, else torch.
    """
    check_choice(backend, "backend", choices)
    if backend != "auto":
        return backend
    if device is None or not str(device).startswith("cuda"):
        return "numba"
    return "cuda" if "cuda" in choices and _numba_gpu() else "torch"


def check_device(device: Any, what: str = "MI device", valid: str = "'cpu', 'cuda' or 'cuda:N'") -> Any:
    """``torch.device(device)`` if that device exists here, else a one-line error."""
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise InvalidInputError(
            f"Unknown {what} {device!r}. Use {valid}."
        ) from e
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise InvalidInputError(
                f"The {what} {device!r} needs a CUDA GPU, but torch finds none here (no GPU, or "
                f"a CPU-only torch build). Leave the {what} unset to run on the CPU."
            )
        if dev.index is not None and dev.index >= count:
            raise InvalidInputError(
                f"The {what} {device!r} does not exist: torch sees {count} CUDA GPU(s), "
                f"cuda:0 to cuda:{count - 1}."
            )
    return dev


def report_non_finite(per_col: np.ndarray) -> None:
    """Raise for per-column counts of NaN/inf values, if any is non-zero."""
    cols = np.flatnonzero(per_col)
    if cols.size == 0:
        return
    first = int(cols[0])
    more = f" (and {len(cols) - 1} other neuron column(s))" if len(cols) > 1 else ""
    raise InvalidInputError(
        f"Activations contain {int(per_col.sum())} NaN or infinite value(s): "
        f"{int(per_col[first])} in neuron column {first}{more}. "
        "Drop or repair those examples or neurons before estimating."
    )


def check_acts(acts: Any, *, min_examples: int = 1, why: str = "") -> np.ndarray:
    """Validate an S x N activation array and return it as a floating numpy array.

    float16/float32/float64 arrays keep their dtype (binning follows numpy's dtype
    rules); other numeric inputs become float64. Torch tensors are moved to the CPU.
    """
    if is_torch_tensor(acts):
        acts = acts.detach().cpu().numpy()
    try:
        arr = np.asarray(acts)
    except Exception as e:  # pragma: no cover - exotic inputs
        raise InvalidInputError(
            f"Activations must be an array of shape (examples, neurons); received "
            f"{type(acts).__name__} that numpy cannot convert."
        ) from e
    if arr.dtype.kind not in "biuf":
        raise InvalidInputError(
            f"Activations must be numeric (float); received dtype {arr.dtype}. "
            "Convert them with `np.asarray(acts, dtype=np.float32)`."
        )
    if arr.ndim != 2:
        raise InvalidInputError(
            f"Activations must be 2-D (examples x neurons); received a {arr.ndim}-D "
            f"array of shape {arr.shape}. Reshape to (S, N), e.g. `acts.reshape(len(acts), -1)`."
        )
    if arr.dtype.kind != "f" or arr.dtype.itemsize > 8:
        arr = arr.astype(np.float64)
    s, n = arr.shape
    if n == 0:
        raise InvalidInputError(
            f"Activations have no neurons (shape {arr.shape}); pass at least one column."
        )
    if s < min_examples:
        raise InvalidInputError(
            f"Need at least {min_examples} example(s){why}; received {s} "
            f"(activations of shape {arr.shape}). Provide more examples."
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        report_non_finite(bad.sum(axis=0))
    return arr


def check_device_acts(t: Any) -> Any:
    """Validate an S x N activation tensor where it lies (a GPU), without copying it to
    the host: the checks and messages of `check_acts`. Returns ``t.detach()``."""
    import torch

    t = t.detach()
    if t.ndim != 2:
        raise InvalidInputError(
            f"Activations must be 2-D (examples x neurons); received a {t.ndim}-D "
            f"tensor of shape {tuple(t.shape)}. Reshape to (S, N)."
        )
    if t.is_complex() or t.dtype == torch.bool:
        raise InvalidInputError(
            f"Activations must be real numbers; received dtype {t.dtype}."
        )
    if t.shape[1] == 0 or t.shape[0] == 0:
        raise InvalidInputError(
            f"Activations must have examples and neurons; received shape {tuple(t.shape)}."
        )
    report_non_finite((~torch.isfinite(t)).sum(dim=0).cpu().numpy())
    return t


def check_k(k: Any, s: int, shape: tuple[int, ...]) -> int:
    """``k`` as an int >= 1 that S examples (activations of ``shape``) can serve: S >= k + 1."""
    k = check_int(k, "k", 1)
    if s < k + 1:
        raise InvalidInputError(
            f"KSG with k={k} needs at least k+1 = {k + 1} examples; received {s} "
            f"(activations of shape {shape}). Provide more examples or lower `k`."
        )
    return k


def check_layer_sizes(layer_sizes: Any, n_neurons: int) -> list[int]:
    """Validate per-layer neuron counts for ``binning="layer"``."""
    if layer_sizes is None:
        raise InvalidInputError(
            '`binning="layer"` needs `layer_sizes` (neurons per layer, summing to '
            f"{n_neurons}); received None. Pass e.g. `layer_sizes=[{n_neurons}]` "
            'or use `binning="global"`.'
        )
    try:
        sizes = [int(v) for v in layer_sizes]
        ok = all(float(v) == int(v) for v in layer_sizes)
    except (TypeError, ValueError) as e:
        raise InvalidInputError(
            f"`layer_sizes` must be a sequence of positive integers; received {layer_sizes!r}."
        ) from e
    if not ok or not sizes or min(sizes) < 1:
        raise InvalidInputError(
            f"`layer_sizes` must be a non-empty sequence of positive integers; "
            f"received {list(layer_sizes)!r}."
        )
    if sum(sizes) != n_neurons:
        raise InvalidInputError(
            f"`layer_sizes` must sum to the number of neurons ({n_neurons}); received "
            f"{sizes} (sum {sum(sizes)})."
        )
    return sizes


def check_pairs(rows: Any, cols: Any, n_neurons: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate pair index arrays and return them as int64."""
    r = np.asarray(rows)
    c = np.asarray(cols)
    if r.ndim != 1 or c.ndim != 1 or r.shape != c.shape:
        raise InvalidInputError(
            "`rows` and `cols` must be 1-D index arrays of the same length; received "
            f"shapes {r.shape} and {c.shape}."
        )
    for name, a in (("rows", r), ("cols", c)):
        if a.size and a.dtype.kind not in "iu":
            raise InvalidInputError(
                f"`{name}` must hold integer neuron indices; received dtype {a.dtype}."
            )
        if a.size and (a.min() < 0 or a.max() >= n_neurons):
            raise InvalidInputError(
                f"`{name}` indices must lie in [0, {n_neurons - 1}] for {n_neurons} neurons; "
                f"received values from {a.min()} to {a.max()}."
            )
    return r.astype(np.int64, copy=False), c.astype(np.int64, copy=False)
