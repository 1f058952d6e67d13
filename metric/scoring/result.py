"""Result: the scores of one model on one set of inputs, with everything needed to
reproduce and compare them. Round-trips through JSON."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from infomem.scoring.files import FileFormat, JsonFile
from infomem.scoring.settings import Settings

if TYPE_CHECKING:
    from infomem.scoring.unitmem_report import UnitMemReport

__all__ = ["Result", "LayerSummary", "FORMAT", "FORMAT_VERSION", "HEAVY_FIELDS"]

FORMAT = "infomem-result"
FORMAT_VERSION = 1
HEAVY_FIELDS = ("neuron_entropy", "mi_matrix", "mi_neurons")  # per-neuron arrays, optional


@dataclass(frozen=True)
class LayerSummary:
    """Entropy distribution and within-layer MI of one captured layer (nats)."""

    name: str  # "layer.3" or a hooked module name
    n_neurons: int
    mean_entropy: float
    median_entropy: float
    q1: float  # 25th percentile of neuron entropies
    q3: float  # 75th percentile
    notch_low: float  # median - 1.57 IQR / sqrt(n): notched-box 95% interval
    notch_high: float
    mean_mi: float | None  # mean KSG/binned MI over pairs inside this layer

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class Result(JsonFile):
    """Activation-diversity scores of one model on one set of unlabeled inputs."""

    FILE: ClassVar[FileFormat] = FileFormat(FORMAT, FORMAT_VERSION, "result",
                                            "infomem score --out", "Result.to_json")

    mean_entropy: float
    median_entropy: float
    mean_mi: float | None  # None when mi_estimator="none"
    n_samples: int
    n_neurons: int
    per_layer: tuple[LayerSummary, ...]
    settings: Settings
    model: dict[str, Any] = field(default_factory=dict)  # id, revision, sha, architecture...
    data: dict[str, Any] = field(default_factory=dict)  # kind, dataset, split, column...
    versions: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    created_at: str = ""
    neuron_entropy: np.ndarray | None = field(default=None, repr=False, compare=False)
    mi_matrix: np.ndarray | None = field(default=None, repr=False, compare=False)
    mi_neurons: np.ndarray | None = field(default=None, repr=False, compare=False)
    bootstrap: dict[str, Any] | None = None  # {"mean_entropy": [lo, hi], ...} at 95%
    diagnostics: dict[str, Any] | None = None  # per-layer validity checks and warnings
    intervals: dict[str, Any] | None = None  # replicate scores and 95% intervals
    unitmem: UnitMemReport | None = None  # with measures=(..., "unitmem"): same model, inputs

    @property
    def warnings(self) -> list[str]:
        """Plain-words reasons a score may carry no signal (see infomem.scoring.diagnostics)."""
        return list((self.diagnostics or {}).get("warnings", []))

    # --- views -----------------------------------------------------------------
    @property
    def model_id(self) -> str:
        return str(self.model.get("id", "unknown"))

    def settings_dict(self) -> dict[str, Any]:
        """Every knob plus S, model, data source and versions (METHOD.md `settings`)."""
        return {
            **self.settings.to_dict(),
            "n_samples": self.n_samples,
            "model": dict(self.model),
            "data": dict(self.data),
            "versions": dict(self.versions),
        }

    def summary(self) -> dict[str, Any]:
        """Flat scores plus `per_layer` and `settings`: what the evaluate metric returns."""
        out: dict[str, Any] = {
            "mean_entropy": self.mean_entropy,
            "median_entropy": self.median_entropy,
            "mean_mi": self.mean_mi,
            "n_samples": self.n_samples,
            "n_neurons": self.n_neurons,
            "per_layer": [layer.to_dict() for layer in self.per_layer],
            "settings": self.settings_dict(),
        }
        if self.bootstrap is not None:
            out["bootstrap"] = self.bootstrap
        if self.diagnostics is not None:
            out["warnings"] = self.warnings
            out["diagnostics"] = self.diagnostics
        if self.intervals is not None:
            out["intervals"] = self.intervals
        if self.unitmem is not None:
            out["unitmem"] = self.unitmem.summary()
        return out

    def plot(self, path: str | Path | None = None) -> Any:
        """Per-layer entropy box plots and the MI matrix; saved to `path` if given.
        UnitMem, when measured, has its own figure: ``result.unitmem.plot()``."""
        from infomem.presentation.plots import plot_result

        return plot_result(self, path)

    def without_heavy(self, *, keep: tuple[str, ...] = ()) -> Result:
        """The same result without its per-neuron arrays (HEAVY_FIELDS) and UnitMem's
        per-unit arrays, but those named in ``keep`` ("unitmem" keeps UnitMem's)."""
        dropped: dict[str, Any] = {name: None for name in HEAVY_FIELDS if name not in keep}
        if self.unitmem is not None and "unitmem" not in keep:
            dropped["unitmem"] = self.unitmem.without_units()
        return replace(self, **dropped)

    # --- serialisation -----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = self.FILE.header()
        out.update(self.summary())
        out["settings"] = self.settings.to_dict()
        out.update(
            model=self.model,
            data=self.data,
            versions=self.versions,
            timings=self.timings,
            created_at=self.created_at,
        )
        for name in HEAVY_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = np.asarray(value).tolist()
        if self.unitmem is not None:  # the whole report, with its own format and version
            out["unitmem"] = self.unitmem.to_dict()
        return out

    @classmethod
    def _from_fields(cls, data: dict[str, Any], source: str) -> Result:
        return cls(
            mean_entropy=float(data["mean_entropy"]),
            median_entropy=float(data["median_entropy"]),
            mean_mi=_float_or_none(data.get("mean_mi")),
            n_samples=int(data["n_samples"]),
            n_neurons=int(data["n_neurons"]),
            per_layer=tuple(LayerSummary(**layer) for layer in data["per_layer"]),
            settings=Settings.from_dict(data["settings"]),
            model=dict(data.get("model") or {}),
            data=dict(data.get("data") or {}),
            versions=dict(data.get("versions") or {}),
            timings=dict(data.get("timings") or {}),
            created_at=str(data.get("created_at", "")),
            neuron_entropy=_array_or_none(data.get("neuron_entropy")),
            mi_matrix=_array_or_none(data.get("mi_matrix")),
            mi_neurons=_array_or_none(data.get("mi_neurons"), dtype=np.int64),
            bootstrap=data.get("bootstrap"),
            diagnostics=data.get("diagnostics"),
            intervals=data.get("intervals"),
            unitmem=_unit_mem_or_none(data.get("unitmem"), source),
        )


def _unit_mem_or_none(value: Any, source: str) -> UnitMemReport | None:
    """The nested UnitMem report (results written before it existed have none)."""
    from infomem.scoring.unitmem_report import UnitMemReport

    return None if value is None else UnitMemReport.from_dict(value, source=f"{source}'s unitmem")


def _array_or_none(value: Any, dtype: Any = np.float64) -> np.ndarray | None:
    return None if value is None else np.asarray(value, dtype=dtype)


