"""The Score tab's UnitMem: which units single out one example, on the model and inputs scored.

No gradio here. :func:`infomem.unit_mem_score` runs on the Scorer's cached model with the
form's inputs, sample count and seed; its errors propagate to the UI boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infomem.activations.models import DEFAULT_MODEL_ID
from infomem.errors import InvalidInputError
from infomem.scoring.selection import model_label
from infomem.scoring.unitmem_report import UnitMemReport

from . import guards
from .handlers import (
    EstimatorChoice,
    InputSpec,
    Progress,
    Scorer,
    _no_progress,
    _whole,
    download_name,
)

__all__ = ["UnitMemView", "unit_mem_view", "layer_table", "top_table", "LAYER_COLUMNS",
           "TOP_COLUMNS", "CAVEAT", "MAX_VIEWS"]

MAX_VIEWS = 8  # A views multiply the forward passes; 8 x the sample cap stays interactive
_TOP_SHOWN = 20  # top units listed across layers: one screen of a table
LAYER_COLUMNS = ["layer", "activation", "units", "defined", "mean", "median", "q1", "q3",
                 "share > 0.5", "share > 0.9", "at 1.0"]
TOP_COLUMNS = ["layer", "unit", "UnitMem", "max activation", "example", "text"]
CAVEAT = ("**Caveat.** In infomem's ground truth (an MNIST MLP fit to 300 injected random "
          "labels) the examples that maximize the top units were no more often the mislabeled "
          "ones than chance: read UnitMem as where units are selective, not as a list of "
          "memorized examples.")


@dataclass(frozen=True)
class UnitMemView:
    """Everything the Score tab shows for one UnitMem report."""

    headline: str  # markdown, with the caveat
    layers: Any  # pandas DataFrame, one row per hooked module
    top: Any  # pandas DataFrame, the highest-UnitMem units with their maximizing example
    report_path: str  # downloadable UnitMem JSON


def _views(value: Any) -> int:
    views = _whole(value, "augmentations")
    if views > MAX_VIEWS:
        raise InvalidInputError(
            f"`augmentations` = {views} is over this Space's {MAX_VIEWS} views per example; "
            "lower it, or run `infomem unitmem` on your own machine.")
    return views


def layer_table(report: UnitMemReport) -> Any:
    import pandas as pd

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 4)

    rows = [[x.name, x.activation, x.n_units, x.n_defined, r(x.mean), r(x.median), r(x.q1),
             r(x.q3), r(x.share_above.get(0.5)), r(x.share_above.get(0.9)), x.n_at_one]
            for x in report.per_layer]
    return pd.DataFrame(rows, columns=LAYER_COLUMNS)


def top_table(report: UnitMemReport) -> Any:
    """The top units of every layer, highest UnitMem first (ties: the larger maximum)."""
    import pandas as pd

    units = [(x.name, t) for x in report.per_layer for t in x.top]
    units.sort(key=lambda item: (-item[1].value, -item[1].maximum))
    rows = [[name, t.unit, round(t.value, 4), round(t.maximum, 4), t.example, t.text or ""]
            for name, t in units[:_TOP_SHOWN]]
    return pd.DataFrame(rows, columns=TOP_COLUMNS)


def _headline(report: UnitMemReport) -> str:
    s = report.settings
    means = [x.mean for x in report.per_layer if x.mean is not None]
    spread = (f"mean UnitMem per layer {min(means):.3f} – {max(means):.3f}" if means
              else "no unit is active on these inputs")
    units = sum(x.n_units for x in report.per_layer)
    return "\n\n".join([
        f"### UnitMem of {model_label(report.model)}",
        f"S = {report.n_samples} examples · A = {s['augmentations']} view(s) ({s['augment']}) "
        f"· {units} units in {len(report.per_layer)} layers · {spread}",
        "UnitMem is in [0, 1]; 1 = the unit fires for one example only. A post-ReLU unit that "
        "is zero on half the other examples scores exactly 1 whatever its maximizer (*at 1.0*).",
        CAVEAT,
    ])


def unit_mem_view(scorer: Scorer, model_text: str | None, inputs: InputSpec,
                  choice: EstimatorChoice,
                  augmentations: Any, folder: Path, *, revision: str | None = None,
                  progress: Progress = _no_progress) -> UnitMemView:
    """Check the request, run UnitMem on the cached model, and shape the tables and the file."""
    import infomem

    settings = choice.settings(scorer.config)  # the sample cap and the seed, as Score checks them
    source = inputs.score_kwargs(scorer.config)
    views = _views(augmentations)
    model_id = guards.resolve_model_id(model_text, scorer.config)
    revision = guards.resolve_revision(revision)
    progress(0.05, f"loading {model_id or DEFAULT_MODEL_ID}")
    loaded = scorer.load(model_id, revision)
    progress(0.2, "capturing the units' activations")
    report = infomem.unit_mem_score(loaded, augmentations=views, seed=settings.seed,
                                    max_samples=settings.max_samples, progress=True, **source)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / download_name(str(report.model.get("id") or "model"), "unitmem")
    report.to_json(path)
    return UnitMemView(headline=_headline(report), layers=layer_table(report),
                       top=top_table(report), report_path=str(path))
