"""The Compare tab's work: gather results (scored now or uploaded), refuse incomparable
ones, rank them, and agree them with extrinsic values (Kendall's tau).

Comparability, ranking and tau come from :func:`infomem.selection.compare`; this module
parses the form, scores the models named by id, and shapes the answer for display.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infomem.errors import InvalidInputError
from infomem.scoring.result import Result
from infomem.scoring.selection import SCORE_NAMES, unique_labels

from . import guards
from .handlers import (
    EstimatorChoice,
    InputSpec,
    Progress,
    Scorer,
    _no_progress,
    parse_lines,
)

__all__ = ["CompareView", "Ranking", "parse_extrinsic", "load_uploaded", "compare_results",
           "compare_models", "ranking_table", "BY", "EXPECT"]

BY = {"mean_entropy": "mean entropy (highest first)", "mean_mi": "mean MI (lowest first)",
      "median_entropy": "median entropy (highest first)"}
_PAIR = re.compile(r"^(?P<label>.+?)\s*(?:=|:|,|\t)\s*(?P<value>\S+)\s*$")


@dataclass(frozen=True)
class Ranking:
    """How to rank: by which score, and against which extrinsic values (the form's order)."""

    by: str = "mean_entropy"  # a key of BY
    extrinsic: str = ""  # `model = value` lines; empty: no Kendall's tau
    expect: str = "shortcut"  # a key of EXPECT: what the models differ in
    higher_is_better: bool = True  # for the extrinsic values

    def check(self, labels: Sequence[str]) -> dict[str, float]:
        """Refuse unknown choices and bad extrinsic lines; the extrinsic values by label."""
        if self.by not in BY:
            raise InvalidInputError(f"Rank by one of {', '.join(BY)}; received {self.by!r}.")
        if self.expect not in EXPECT:
            raise InvalidInputError(
                f"`expect` must be one of {', '.join(EXPECT)}; received {self.expect!r}."
            )
        return parse_extrinsic(self.extrinsic, labels)


@dataclass(frozen=True)
class CompareView:
    summary: str  # markdown: tau, notes
    table: Any  # pandas DataFrame, the ranking
    figure: Any  # matplotlib figure: entropy boxes side by side, MI per layer


def parse_extrinsic(text: str | None, labels: Sequence[str]) -> dict[str, float]:
    """Lines `label = value` (also `:`, `,` or a tab); labels must be among `labels`."""
    out: dict[str, float] = {}
    for line in parse_lines(text):
        match = _PAIR.match(line)
        if match is None:
            raise InvalidInputError(f"Cannot read the extrinsic value line {line!r}: write "
                                    "`model = value`, one per line.")
        label, raw = match["label"].strip(), match["value"]
        try:
            value = float(raw)
        except ValueError:
            raise InvalidInputError(
                f"Extrinsic value {raw!r} for {label!r} is not a number."
            ) from None
        if not math.isfinite(value):
            raise InvalidInputError(
                f"Extrinsic value for {label!r} must be finite; received {raw!r}."
            )
        if label not in labels:
            raise InvalidInputError(
                f"Extrinsic value given for {label!r}, which is not among the compared models: "
                f"{', '.join(labels)}."
            )
        out[label] = value
    if out and len(out) != len(labels):
        missing = [x for x in labels if x not in out]
        raise InvalidInputError(
            f"Give an extrinsic value for every compared model or for none; missing: "
            f"{', '.join(missing)}."
        )
    return out


def load_uploaded(paths: Sequence[str | Path] | None) -> list[Result]:
    """Uploaded result JSONs (``infomem score --out`` or the Score tab's download)."""
    return [Result.from_json(Path(p)) for p in (paths or [])]


EXPECT = {
    "shortcut": "Shortcut (heuristic) memorization: extrinsic = shortcut-free accuracy",
    "example": "Example-level memorization (e.g. random labels): extrinsic = test accuracy",
}


def ranking_table(comparison: Any) -> Any:
    """One row per model, best (most diverse activations) first."""
    import pandas as pd

    rows = []
    for position, row in enumerate(comparison.rows, start=1):
        item = {"#": position, "model": row.label,
                "mean entropy": round(row.mean_entropy, 4),
                "median entropy": round(row.median_entropy, 4),
                "mean MI": None if row.mean_mi is None else round(row.mean_mi, 4),
                "rank (entropy)": row.rank_entropy, "rank (MI)": row.rank_mi}
        if comparison.extrinsic_name:
            item["extrinsic"] = row.extrinsic
        rows.append(item)
    return pd.DataFrame(rows)


def compare_results(
    results: Sequence[Result],
    *,
    labels: Sequence[str] | None = None,
    ranking: Ranking | None = None,
    progress: Progress = _no_progress,
) -> CompareView:
    """Refuse incomparable results, rank, and compute Kendall's tau against extrinsic values."""
    from infomem.scoring.selection import compare

    from .handlers import detached

    ranking = ranking or Ranking()
    if len(results) < 2:
        raise InvalidInputError(
            f"Compare needs at least two results; received {len(results)}. Add model ids "
            "(one per line) or upload result JSONs."
        )
    labels = unique_labels(list(labels or [r.model_id for r in results]))
    extrinsic = ranking.check(labels)
    progress(0.9, "ranking")
    comparison = compare(list(results), by=ranking.by, extrinsic=extrinsic or None,
                         labels=labels, expect=ranking.expect,
                         higher_is_better=bool(ranking.higher_is_better))
    figure = detached(comparison.plot)
    return CompareView(summary=_summary(comparison), table=ranking_table(comparison),
                       figure=figure)


COMPARE_INTERVALS = 20  # replicates per model scored here: significance of every step


def compare_models(
    scorer: Scorer,
    model_ids_text: str,
    result_files: Sequence[str | Path] | None,
    inputs: InputSpec,
    choice: EstimatorChoice,
    *,
    ranking: Ranking | None = None,
    progress: Progress = _no_progress,
) -> CompareView:
    """Score the listed models on one set of inputs, add uploaded results, compare them all."""
    ids = list(dict.fromkeys(parse_lines(model_ids_text)))
    cap = scorer.config.max_models
    if len(ids) > cap:
        raise InvalidInputError(
            f"At most {cap} models per comparison on this Space; received {len(ids)}."
        )
    uploaded = load_uploaded(result_files)
    if len(ids) + len(uploaded) < 2:
        raise InvalidInputError("Compare needs at least two models: add model ids (one per "
                                "line) or upload result JSONs.")
    # Everything that can be refused without a model is refused before the first load.
    labels = unique_labels([*ids, *(r.model_id for r in uploaded)])
    (ranking or Ranking()).check(labels)
    choice.settings(scorer.config)
    inputs.score_kwargs(scorer.config)
    scored = []
    models = [guards.split_revision(line) for line in ids]
    for model_id, _ in models:  # refused before the first load, as above
        guards.resolve_model_id(model_id, scorer.config)
    for i, (model_id, revision) in enumerate(models):
        progress(0.85 * i / len(ids), f"scoring {ids[i]} ({i + 1}/{len(ids)})")
        scored.append(scorer.score(model_id, inputs, choice, revision=revision,
                                   return_mi_matrix=False, intervals=COMPARE_INTERVALS))
    return compare_results([*scored, *uploaded], labels=labels, ranking=ranking,
                           progress=progress)


def _tau_text(values: dict[str, float | None] | None) -> str:
    values = values or {}
    return (f"mean entropy **{_signed(values.get('mean_entropy'))}** · "
            f"mean MI **{_signed(values.get('mean_mi'))}**")


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.2f}"


def _summary(comparison: Any) -> str:
    s = comparison.settings
    lines = [
        f"Ranked by **{BY[comparison.by]}** · {len(comparison.rows)} models · "
        f"S = {comparison.n_samples} · {s.get('bins')} bins ({s.get('binning')}) · "
        f"k = {s.get('k')} · MI: {s.get('mi_estimator')}. Rank 1 = most diverse activations "
        "(highest entropy, lowest MI): the model least suspected of shortcut memorization.",
    ]
    if comparison.kendall_tau is not None:
        lines.append("Kendall's tau between each score and the extrinsic values: "
                     + _tau_text(comparison.kendall_tau))
        lines.extend(f"No tau for {SCORE_NAMES[k]}: {why}."
                     for k, why in comparison.undefined_taus().items())
        if comparison.agreement is not None:
            lines.append(f"Agreement with the paper's expected direction ({comparison.expect}; "
                         "+1 = the score ranks the models exactly as the extrinsic metric "
                         "does): " + _tau_text(comparison.agreement))
    else:
        lines.append("Give extrinsic values (e.g. accuracy on a shortcut-free test set) to see "
                     "how well each score's ranking agrees with them (Kendall's tau).")
    lines.append(_steps_text(comparison))
    return "\n\n".join(lines)


def _steps_text(comparison: Any) -> str:
    """Which ranking steps are significant (paired 95% intervals), in words."""
    if comparison.steps is None:
        return ("No paired intervals: uploaded results need replicates on the same inputs "
                "(`infomem score --intervals 20`) for the significance of each step.")
    shown = [f"{s['a']} vs {s['b']}: {s['difference']:+.3f} [{s['low']:+.3f}, {s['high']:+.3f}] "
             + ("**significant**" if s["significant"] else "not significant")
             for s in comparison.steps if s["score"] == comparison.by]
    taus = comparison.tau_intervals or {}
    tau = "; ".join(f"{k.replace('_', ' ')} tau 95% [{v[0]:+.2f}, {v[1]:+.2f}]"
                    for k, v in taus.items() if v is not None)
    return (f"Each step of the ranking by {BY[comparison.by]} (paired 95% interval of the "
            "difference): " + "; ".join(shown) + (f". {tau}." if tau else "."))
