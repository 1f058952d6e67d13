"""UnitMemReport: per-layer UnitMem of one model on one set of inputs, with provenance.

Data and pure converters only (JSON round-trip); :func:`infomem.unit_mem_score`
builds it (also inside ``Result.unitmem``), :mod:`infomem.presentation.unitmem_plot` draws it,
:mod:`infomem.presentation.unitmem_tables` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from infomem.scoring.files import FileFormat, JsonFile

__all__ = ["UnitMemReport", "LayerUnitMem", "UnitExample", "FORMAT", "FORMAT_VERSION"]

FORMAT = "infomem-unitmem"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class UnitExample:
    """One high-UnitMem unit and the example that maximizes it."""

    unit: int  # column of the unit in its layer, e.g. 17
    value: float  # its UnitMem, e.g. 1.0
    maximum: float  # m: its largest per-example mean activation (breaks ties), e.g. 0.83
    example: int  # index in the scored sample (after subsampling), e.g. 412
    text: str | None = None  # that example's text, cut to ~200 characters; None for images


@dataclass(frozen=True)
class LayerUnitMem:
    """UnitMem distribution over the units of one hooked module."""

    name: str  # module path, e.g. "encoder.layer.0.intermediate.intermediate_act_fn"
    activation: str  # class of the hooked module, e.g. "GELUActivation"
    clipped: bool  # outputs clipped at 0 per token before pooling (GELU, SiLU)
    n_units: int  # e.g. 1536
    n_defined: int  # units that are not all zero, e.g. 1523
    mean: float | None  # over the defined units; None when none is defined
    median: float | None
    q1: float | None  # 25th percentile
    q3: float | None  # 75th percentile
    share_above: dict[float, float | None]  # threshold -> share of defined units > it
    n_at_one: int  # units with UnitMem exactly 1.0 (median of the rest 0): tied at the top
    top: tuple[UnitExample, ...]  # highest UnitMem first; ties: larger maximum, lower unit
    values: np.ndarray | None = field(default=None, repr=False, compare=False)  # (n_units,)
    argmax: np.ndarray | None = field(default=None, repr=False, compare=False)  # (n_units,)

    def summary(self) -> dict[str, Any]:
        """Everything but the per-unit arrays, as plain JSON types."""
        out = {f.name: getattr(self, f.name) for f in fields(self)
               if f.name not in ("values", "argmax", "top", "share_above")}
        out["share_above"] = {str(t): v for t, v in self.share_above.items()}
        out["top"] = [{f.name: getattr(t, f.name) for f in fields(t)} for t in self.top]
        return out

    def to_dict(self) -> dict[str, Any]:
        out = self.summary()
        for name in ("values", "argmax"):
            value = getattr(self, name)
            out[name] = None if value is None else np.asarray(value).tolist()  # NaN: undefined
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LayerUnitMem:
        values, argmax = data.get("values"), data.get("argmax")
        return cls(
            **{k: data[k] for k in ("name", "activation", "clipped", "n_units", "n_defined",
                                    "mean", "median", "q1", "q3", "n_at_one")},
            share_above={float(t): v for t, v in data["share_above"].items()},
            top=tuple(UnitExample(**t) for t in data["top"]),
            values=None if values is None else np.array(
                [np.nan if v is None else v for v in values], dtype=np.float64),
            argmax=None if argmax is None else np.asarray(argmax, dtype=np.int64),
        )


@dataclass(frozen=True)
class UnitMemReport(JsonFile):
    """UnitMem per layer (Wang et al., NeurIPS 2024): in [0, 1], 1 = a unit fires for one
    example only. Compare only models scored alike (same inputs, views and seed)."""

    FILE: ClassVar[FileFormat] = FileFormat(FORMAT, FORMAT_VERSION, "UnitMem report",
                                            "infomem unitmem --out", "UnitMemReport.to_json")

    per_layer: tuple[LayerUnitMem, ...]
    n_samples: int  # S, examples scored, e.g. 600
    settings: dict[str, Any]  # augmentations, augment, seed, max_samples, clipped, layers...
    model: dict[str, Any] = field(default_factory=dict)  # id, architecture, kind...
    data: dict[str, Any] = field(default_factory=dict)  # kind, n_used, fingerprint...
    versions: dict[str, str] = field(default_factory=dict)  # e.g. {"torch": "2.13.0"}
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    created_at: str = ""  # ISO time, e.g. "2025-01-01T12:00:00+00:00"
    thumbnails: dict[int, str] = field(default_factory=dict, repr=False)  # example -> PNG, base64

    def layer(self, name: str) -> LayerUnitMem:
        """The layer called ``name``; KeyError lists the names."""
        for layer in self.per_layer:
            if layer.name == name:
                return layer
        raise KeyError(f"No layer {name!r}; layers: {', '.join(x.name for x in self.per_layer)}")

    def without_units(self) -> UnitMemReport:
        """The same report without the per-unit arrays (the summaries and top units stay)."""
        return replace(self, per_layer=tuple(replace(x, values=None, argmax=None)
                                             for x in self.per_layer))

    def summary(self) -> dict[str, Any]:
        """Per-layer statistics and top units, settings and provenance; no per-unit arrays."""
        return {"n_samples": self.n_samples, "per_layer": [x.summary() for x in self.per_layer],
                "settings": dict(self.settings), "model": dict(self.model),
                "data": dict(self.data), "versions": dict(self.versions)}

    def to_dict(self) -> dict[str, Any]:
        return {**self.FILE.header(), **self.summary(),
                "per_layer": [x.to_dict() for x in self.per_layer],
                "timings": dict(self.timings), "created_at": self.created_at,
                "thumbnails": {str(k): v for k, v in self.thumbnails.items()}}

    @classmethod
    def _from_fields(cls, data: dict[str, Any], source: str) -> UnitMemReport:
        return cls(
            per_layer=tuple(LayerUnitMem.from_dict(x) for x in data["per_layer"]),
            n_samples=int(data["n_samples"]), settings=dict(data["settings"]),
            model=dict(data.get("model") or {}), data=dict(data.get("data") or {}),
            versions=dict(data.get("versions") or {}), timings=dict(data.get("timings") or {}),
            created_at=str(data.get("created_at", "")),
            thumbnails={int(k): v for k, v in (data.get("thumbnails") or {}).items()},
        )

    def plot(self, path: str | Path | None = None) -> Any:
        """Per-layer UnitMem distributions, and the top examples' thumbnails for images."""
        from infomem.presentation.unitmem_plot import plot_unit_mem

        return plot_unit_mem(self, path)
