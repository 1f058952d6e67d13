"""Model selection: rank comparable results by entropy and MI, and check the ranking
against an extrinsic metric with Kendall's tau (Bansal, Pruthi & Belinkov, 2022, Table 2).

Scores are relative, so :func:`compare` first refuses results that are not comparable:
different score-affecting settings, sample count, inputs or architecture.

Sign convention
---------------
``Comparison.kendall_tau[score]`` is the plain Kendall tau-b between the score's values and
the extrinsic values across models, so its sign depends on the setup. The paper's finding
predicts it:

* ``expect="shortcut"`` (heuristic memorization; extrinsic = accuracy on a shortcut-free
  test set, higher is better): a model leaning on the shortcut has *lower* entropy,
  *higher* MI and *lower* shortcut-free accuracy, so tau(entropy, extrinsic) should be
  **+1** and tau(MI, extrinsic) **-1**.
* ``expect="example"`` (example-level memorization, e.g. random labels; extrinsic = test
  accuracy): memorizing models have *higher* entropy, *lower* MI and lower test accuracy,
  so tau(entropy, extrinsic) should be **-1** and tau(MI, extrinsic) **+1**.

For an extrinsic metric where lower is better (a generalization gap, an error rate),
pass ``higher_is_better=False`` and the expected signs flip. ``Comparison.agreement``
is tau times the expected sign: +1 means the score ranks the models exactly as the
extrinsic metric does, in the direction the paper found. That is the number the
paper's Table 2 reports.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infomem.errors import InvalidInputError
from infomem.scoring.comparable import check_comparable

if TYPE_CHECKING:
    from infomem.scoring.result import Result

__all__ = ["compare", "Comparison", "Row", "kendall_tau", "unique_labels", "EXPECTED_SIGNS", "SCORE_NAMES"]

SCORES = ("mean_entropy", "mean_mi")
BY = (*SCORES, "median_entropy")
# Sign of tau(score, extrinsic) the paper's finding predicts, for a higher-is-better metric.
EXPECTED_SIGNS: dict[str, dict[str, int]] = {
    "shortcut": {"mean_entropy": 1, "mean_mi": -1},
    "example": {"mean_entropy": -1, "mean_mi": 1},
}


@dataclass(frozen=True)
class Row:
    """One model in a comparison. Rank 1 = most diverse activations (highest entropy,
    lowest MI): the model least suspected of shortcut memorization."""

    label: str  # "alpha=0.5", or the file name / model id
    model_id: str  # result.model["id"]
    mean_entropy: float  # nats
    median_entropy: float  # nats
    mean_mi: float | None  # nats; None when scored with mi_estimator="none"
    rank_entropy: int  # 1 = highest mean entropy
    rank_mi: int | None  # 1 = lowest mean MI
    extrinsic: float | None = None  # the user's metric for this model, if given

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


SCORE_NAMES = {"mean_entropy": "mean entropy", "mean_mi": "mean MI"}


@dataclass(frozen=True)
class Comparison:
    """Models ranked by their scores, optionally against an extrinsic metric."""

    rows: tuple[Row, ...]  # ordered by `by`, best (most diverse) first
    by: str  # "mean_entropy" | "mean_mi" | "median_entropy"
    settings: dict[str, Any]  # the shared score-affecting settings
    n_samples: int
    extrinsic_name: str | None = None  # "shortcut_free_acc"
    kendall_tau: dict[str, float | None] | None = None  # tau-b(score, extrinsic), raw sign
    expect: str | None = None  # "shortcut" | "example" | None
    expected_sign: dict[str, int] | None = None  # sign of tau the paper predicts
    agreement: dict[str, float | None] | None = None  # tau x expected sign (Table 2)
    # Per adjacent pair of rows: the paired 95% interval of each score's difference.
    steps: tuple[dict[str, Any], ...] | None = None
    tau_intervals: dict[str, list[float] | None] | None = None  # 95%, over the replicates
    results: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    @property
    def labels(self) -> list[str]:
        return [row.label for row in self.rows]

    def undefined_taus(self) -> dict[str, str]:
        """Why a Kendall tau is None, in plain words, per score (tau-b needs both sides to vary)."""
        if self.kendall_tau is None:
            return {}
        extrinsic = {row.extrinsic for row in self.rows}
        reasons = {}
        for key in (k for k, v in self.kendall_tau.items() if v is None):
            values = {getattr(row, key) for row in self.rows}
            if None in values:
                reasons[key] = "some results were scored without MI"
            elif len(extrinsic) == 1:
                reasons[key] = f"every model has the same {self.extrinsic_name}"
            elif len(values) == 1:
                reasons[key] = f"every model has the same {SCORE_NAMES[key]}"
        return reasons

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "n_samples": self.n_samples,
            "extrinsic_name": self.extrinsic_name,
            "kendall_tau": self.kendall_tau,
            "kendall_tau_undefined": self.undefined_taus(),
            "expect": self.expect,
            "expected_sign": self.expected_sign,
            "agreement": self.agreement,
            "steps": None if self.steps is None else list(self.steps),
            "tau_intervals": self.tau_intervals,
            "rows": [row.to_dict() for row in self.rows],
            "settings": self.settings,
        }

    def table(self) -> Any:
        """A rich Table of the ranking, with Kendall tau and the significance of each step."""
        from infomem.presentation.tables import comparison_table

        return comparison_table(self)

    def plot(self, path: str | Path | None = None) -> Any:
        """Per-layer entropy boxes side by side and per-layer MI (see plots.plot_comparison)."""
        from infomem.presentation.plots import plot_comparison

        if not self.results:
            raise InvalidInputError(
                "This comparison holds no results to plot; build it with `compare(results)`."
            )
        return plot_comparison(list(self.results), self.labels, path)


# --- ranking and tau ---------------------------------------------------------------------


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Kendall tau-b (ties corrected) of two equal-length sequences; None when undefined
    (fewer than two values, or one side constant)."""
    from scipy.stats import kendalltau

    if len(x) != len(y):
        raise InvalidInputError(f"kendall_tau needs equal lengths; received {len(x)} and {len(y)}.")
    if len(x) < 2:
        return None
    tau = kendalltau(list(x), list(y), variant="b").statistic
    return None if tau is None or math.isnan(tau) else float(tau)


def _ranks(values: Sequence[float | None], *, descending: bool) -> list[int | None]:
    """Competition ranks (1, 2, 2, 4) starting at 1; None stays None."""
    present = [v for v in values if v is not None]
    out: list[int | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        better = sum(1 for w in present if (w > v if descending else w < v))
        out.append(better + 1)
    return out


def _extrinsic_values(
    extrinsic: Sequence[float] | Mapping[str, float] | None, labels: Sequence[str]
) -> list[float] | None:
    if extrinsic is None:
        return None
    if isinstance(extrinsic, Mapping):
        missing = [label for label in labels if label not in extrinsic]
        unknown = [key for key in extrinsic if key not in labels]
        if missing or unknown:
            raise InvalidInputError(
                f"`extrinsic` must give one value per result label {list(labels)}; "
                f"missing {missing}, unknown {unknown}."
            )
        values = [extrinsic[label] for label in labels]
    else:
        values = list(extrinsic)
        if len(values) != len(labels):
            raise InvalidInputError(
                f"`extrinsic` has {len(values)} values for {len(labels)} results; "
                "give one per result."
            )
    try:
        out = [float(v) for v in values]
    except (TypeError, ValueError) as e:
        raise InvalidInputError(f"`extrinsic` values must be numbers; received {values!r}.") from e
    if not all(math.isfinite(v) for v in out):
        raise InvalidInputError(f"`extrinsic` values must be finite; received {out!r}.")
    return out


def unique_labels(labels: Sequence[str]) -> list[str]:
    """Labels made unique by numbering repeats: a, b, a (2), a (3)."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def model_label(model: dict[str, Any]) -> str:
    """The model's id, with the commit and GGUF file it was loaded from when recorded:
    "org/m @ 0123456 (m.Q4.gguf)", so two revisions of one repo read apart."""
    label = str(model.get("id") or "unknown")
    if model.get("sha"):
        label += f" @ {str(model['sha'])[:7]}"
    if model.get("gguf_file"):
        label += f" ({model['gguf_file']})"
    return label


def _labels_for(results: Sequence[Result], labels: Sequence[str] | None) -> list[str]:
    """The labels given, or the model ids; an id that repeats is told apart by its commit."""
    if labels is None:
        ids = [r.model_id for r in results]
        labels = [model_label(r.model) if ids.count(i) > 1 else i
                  for i, r in zip(ids, results, strict=True)]
    labels = [str(x) for x in labels]
    if len(labels) != len(results):
        raise InvalidInputError(f"`labels` has {len(labels)} names for {len(results)} results.")
    return unique_labels(labels)


def compare(
    results: Sequence[Result],
    by: str = "mean_entropy",
    extrinsic: Sequence[float] | Mapping[str, float] | None = None,
    labels: Sequence[str] | None = None,
    *,
    extrinsic_name: str = "extrinsic",
    expect: str | None = "shortcut",
    higher_is_better: bool = True,
    allow_different_data: bool = False,
) -> Comparison:
    """Rank comparable results by entropy and MI; Kendall tau against an extrinsic metric.

    Parameters
    ----------
    results : sequence of Result
        At least two results scored with identical settings, S, inputs and architecture;
        otherwise :class:`~infomem.errors.IncompatibleResultsError` names what differs.
    by : {"mean_entropy", "mean_mi", "median_entropy"}
        Order of the rows: highest entropy first, or lowest MI first.
    extrinsic : sequence of float, or mapping label -> float, optional
        The metric the ranking should predict, one value per result (e.g. accuracy on a
        shortcut-free test set).
    labels : sequence of str, optional
        Names of the results (default: their model ids, de-duplicated).
    expect : {"shortcut", "example"} or None
        Which memorization the candidates differ in; sets the expected sign of each tau
        (module docstring) and ``Comparison.agreement``.
    higher_is_better : bool
        Whether a higher extrinsic value is better; False flips the expected signs.
    allow_different_data : bool
        Compare results scored on different inputs (same S and settings). Off by default:
        the scores are only meaningful on the same inputs.

    Returns
    -------
    Comparison
        Rows ordered by ``by``, Kendall tau-b per score, the expected signs and agreement.
    """
    results = list(results)
    if len(results) < 2:
        raise InvalidInputError(f"compare needs at least two results; received {len(results)}.")
    if by not in BY:
        raise InvalidInputError(f"`by` must be one of {', '.join(BY)}; received {by!r}.")
    if expect is not None and expect not in EXPECTED_SIGNS:
        raise InvalidInputError(
            f"`expect` must be 'shortcut', 'example' or None; received {expect!r}."
        )
    labels = _labels_for(results, labels)
    check_comparable(results, labels, allow_different_data=allow_different_data)
    if by == "mean_mi" and any(r.mean_mi is None for r in results):
        raise InvalidInputError("Cannot rank by `mean_mi`: some results were scored without MI.")
    values = _extrinsic_values(extrinsic, labels)

    rank_h = _ranks([r.mean_entropy for r in results], descending=True)
    rank_mi = _ranks([r.mean_mi for r in results], descending=False)
    rows = [
        Row(label=label, model_id=r.model_id, mean_entropy=r.mean_entropy,
            median_entropy=r.median_entropy, mean_mi=r.mean_mi, rank_entropy=int(rh or 0),
            rank_mi=rm, extrinsic=None if values is None else values[i])
        for i, (label, r, rh, rm) in enumerate(zip(labels, results, rank_h, rank_mi, strict=True))
    ]
    order = sorted(range(len(rows)), key=lambda i: _sort_key(rows[i], by))

    taus = signs = agreement = None
    if values is not None:
        taus = {
            "mean_entropy": kendall_tau([r.mean_entropy for r in results], values),
            "mean_mi": None if any(r.mean_mi is None for r in results)
            else kendall_tau([float(r.mean_mi) for r in results], values),  # type: ignore[arg-type]
        }
        if expect is not None:
            flip = 1 if higher_is_better else -1
            signs = {k: v * flip for k, v in EXPECTED_SIGNS[expect].items()}
            agreement = {k: None if taus[k] is None else taus[k] * signs[k] for k in SCORES}  # type: ignore[operator]
    ordered = [results[i] for i in order]
    steps, tau_iv = _significance(ordered, [labels[i] for i in order],
                                  None if values is None else [values[i] for i in order])
    return Comparison(
        rows=tuple(rows[i] for i in order),
        by=by,
        settings=results[0].settings.score_affecting(),
        n_samples=results[0].n_samples,
        extrinsic_name=None if values is None else extrinsic_name,
        kendall_tau=taus,
        expect=expect if values is not None else None,
        expected_sign=signs,
        agreement=agreement,
        steps=steps,
        tau_intervals=tau_iv,
        results=tuple(ordered),
    )


def _significance(
    results: Sequence[Result], labels: Sequence[str], extrinsic: Sequence[float] | None
) -> tuple[tuple[dict[str, Any], ...] | None, dict[str, list[float] | None] | None]:
    """Paired intervals per adjacent pair, and tau intervals: only when every result has
    replicates on the same example subsets (infomem.scoring.intervals)."""
    from infomem.scoring.intervals import paired_difference, pairing_key, tau_interval

    keys = {pairing_key(r.intervals) for r in results}
    if len(keys) != 1 or None in keys:
        return None, None
    steps = []
    for i in range(len(results) - 1):
        a, b = results[i], results[i + 1]
        for key in SCORES:
            fa, fb = getattr(a, key), getattr(b, key)
            if fa is None or fb is None:
                continue
            step = paired_difference(a.intervals, b.intervals, key, fa - fb, a.n_samples)  # type: ignore[arg-type]
            if step is not None:
                steps.append({"a": labels[i], "b": labels[i + 1], **step})
    taus = None
    if extrinsic is not None:
        taus = {key: tau_interval([r.intervals["values"][key] for r in results], extrinsic)  # type: ignore[index]
                if all(key in r.intervals["values"] for r in results) else None  # type: ignore[index]
                for key in SCORES}
    return tuple(steps), taus


def _sort_key(row: Row, by: str) -> tuple[float, str]:
    if by == "mean_mi":
        return (float(row.mean_mi or 0.0), row.label)
    return (-float(getattr(row, by)), row.label)
