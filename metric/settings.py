"""Settings: every knob that changes the numbers, validated once, frozen.

Two results are comparable only if their settings (and sample count and inputs)
agree; :mod:`infomem.selection` enforces that.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from infomem.errors import InvalidInputError

__all__ = ["Settings", "POOLINGS", "BINNINGS", "MI_ESTIMATORS", "MI_SUBSETS", "CORRECTIONS"]

POOLINGS = ("first", "last", "mean")
BINNINGS = ("global", "layer", "neuron")
MI_ESTIMATORS = ("ksg", "binned", "none")
MI_SUBSETS = ("first", "random")
CORRECTIONS = (None, "miller-madow")

# Knobs that only change speed or memory, not the scores.
_RUNTIME_ONLY = frozenset({"batch_size"})


def _choice(name: str, value: Any, choices: tuple[Any, ...]) -> None:
    if value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise InvalidInputError(f"`{name}` must be one of {shown}; received {value!r}.")


def _at_least(name: str, value: Any, low: int, hint: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidInputError(
            f"`{name}` must be an integer >= {low}; received {value!r}.{hint}"
        )


@dataclass(frozen=True)
class Settings:
    """The estimator and capture settings of one run (METHOD.md defaults)."""

    max_samples: int = 2500  # examples scored; larger inputs are subsampled with `seed`
    seed: int = 0  # subsampling and random MI neuron subset
    bins: int = 100  # equal-width bins for entropy (and binned MI)
    binning: str = "global"  # bin range: "global" | "layer" | "neuron"
    correction: str | None = None  # None | "miller-madow"
    paper_digitize: bool = False  # reproduce the paper code's np.digitize quirk
    k: int = 3  # KSG neighbours
    mi_estimator: str = "ksg"  # "ksg" | "binned" | "none"
    mi_neurons_per_layer: int | None = 64  # None = every neuron
    mi_subset: str = "first"  # "first" | "random" (uses `seed`)
    mi_diagonal: bool = False  # paper: average includes self-MI
    pooling: str | None = None  # None = architecture default; "first" | "last" | "mean"
    layers: tuple[str, ...] | None = None  # module names to hook instead of block outputs
    max_length: int = 512  # tokens per text
    batch_size: int = 16  # speed only
    n_bootstrap: int = 0  # bootstrap resamples of examples for confidence intervals

    def __post_init__(self) -> None:
        _at_least("max_samples", self.max_samples, 1, " Use a positive sample count.")
        _at_least("seed", self.seed, 0)
        _at_least("bins", self.bins, 2, " Entropy needs at least two bins.")
        _choice("binning", self.binning, BINNINGS)
        _choice("correction", self.correction, CORRECTIONS)
        _at_least("k", self.k, 1, " KSG needs at least one neighbour (the paper uses 3).")
        _choice("mi_estimator", self.mi_estimator, MI_ESTIMATORS)
        if self.mi_neurons_per_layer is not None:
            _at_least("mi_neurons_per_layer", self.mi_neurons_per_layer, 1)
        _choice("mi_subset", self.mi_subset, MI_SUBSETS)
        _choice("pooling", self.pooling, (None, *POOLINGS))
        _at_least("max_length", self.max_length, 1)
        _at_least("batch_size", self.batch_size, 1)
        _at_least("n_bootstrap", self.n_bootstrap, 0)
        if self.layers is not None:
            if isinstance(self.layers, str):
                object.__setattr__(self, "layers", (self.layers,))
            object.__setattr__(self, "layers", tuple(str(x) for x in self.layers))
            if not self.layers:
                raise InvalidInputError("`layers` must name at least one module, or be None.")

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> Settings:
        """Build from keyword arguments, rejecting unknown names with the valid list."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise InvalidInputError(
                f"Unknown setting(s) {', '.join(unknown)}; valid settings: {', '.join(sorted(known))}."
            )
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        if self.layers is not None:
            out["layers"] = list(self.layers)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        known = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        if kwargs.get("layers") is not None:
            kwargs["layers"] = tuple(kwargs["layers"])
        return cls(**kwargs)

    def score_affecting(self) -> dict[str, Any]:
        """The knobs that change the numbers (everything but speed settings)."""
        return {k: v for k, v in self.to_dict().items() if k not in _RUNTIME_ONLY}
