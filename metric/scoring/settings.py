"""Settings: every knob that changes the numbers, validated once, frozen.

Two results are comparable only if their settings (and sample count and inputs)
agree; :mod:`infomem.scoring.selection` enforces that.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from infomem.options import default, option, split_options

__all__ = ["Settings", "POOLINGS", "BINNINGS", "MI_ESTIMATORS", "MI_SUBSETS", "CORRECTIONS"]

POOLINGS = tuple(c for c in option("pooling").choices if c is not None)
BINNINGS = option("binning").choices
MI_ESTIMATORS = option("mi_estimator").choices
MI_SUBSETS = option("mi_subset").choices
CORRECTIONS = option("correction").choices


@dataclass(frozen=True)
class Settings:
    """The estimator and capture settings of one run: defaults and rules from the
    catalogue (:mod:`infomem.options`), which a test holds equal to these fields."""

    max_samples: int = default("max_samples")  # examples scored; more are subsampled with `seed`
    seed: int = default("seed")  # subsampling and random MI neuron subset
    bins: int = default("bins")  # equal-width bins for entropy (and binned MI)
    binning: str = default("binning")  # bin range: "global" | "layer" | "neuron"
    correction: str | None = default("correction")  # None | "miller-madow"
    paper_digitize: bool = default("paper_digitize")  # the paper code's np.digitize quirk
    k: int = default("k")  # KSG neighbours
    mi_estimator: str = default("mi_estimator")  # "ksg" | "binned" | "none"
    mi_neurons_per_layer: int | None = default("mi_neurons_per_layer")  # None = every neuron
    mi_subset: str = default("mi_subset")  # "first" | "random" (uses `seed`)
    mi_subset_seed: int | None = default("mi_subset_seed")  # None = `seed`
    mi_diagonal: bool = default("mi_diagonal")  # paper: average includes self-MI
    pooling: str | None = default("pooling")  # None = architecture default
    layers: tuple[str, ...] | None = default("layers")  # module names instead of blocks
    max_length: int = default("max_length")  # tokens per text
    batch_size: int = default("batch_size")  # speed only
    n_bootstrap: int = default("n_bootstrap")  # bootstrap resamples of examples
    intervals: int = default("intervals")  # replicates for 95% intervals (0 = none)
    interval_fraction: float = default("interval_fraction")  # examples per replicate
    interval_pairs: int = default("interval_pairs")  # MI pairs per replicate

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, option(f.name).check(getattr(self, f.name)))

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> Settings:
        """Build from keyword arguments, rejecting unknown names with the valid list."""
        return cls(**split_options(kwargs, ["settings"])["settings"])

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
        return {k: v for k, v in self.to_dict().items() if option(k).scores}
