"""The leaderboard: results from a Hub dataset (``infomem push-results``) or a local folder,
as one table that can be filtered by architecture and data and sorted by any score.

Rows are only comparable within one *group*: same inputs (fingerprint), sample count and
score-affecting settings. The table shows the group so readers do not rank across them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infomem.errors import InvalidInputError, ResultFormatError
from infomem.scoring.comparable import comparable_hash
from infomem.scoring.result import Result
from infomem.scoring.selection import model_label

__all__ = ["Leaderboard", "load_leaderboard", "describe_source", "results_from_folder", "rows", "filter_rows",
           "COLUMNS", "SORTABLE"]

COLUMNS = ["model", "architecture", "parameters (M)", "data", "S", "bins", "k", "MI estimator",
           "mean entropy", "median entropy", "mean MI", "group", "created"]
SORTABLE = ["mean entropy", "median entropy", "mean MI", "model", "parameters (M)", "created"]
_MAX_FILES = 5000  # a folder with more is refused rather than read for minutes


@dataclass(frozen=True)
class Leaderboard:
    """Rows (one dict per result) plus what could not be read."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""
    skipped: list[str] = field(default_factory=list)  # files that are not infomem results

    def choices(self, column: str) -> list[str]:
        return sorted({str(r[column]) for r in self.rows if r.get(column) not in (None, "")})


def results_from_folder(folder: str | Path) -> tuple[list[Result], list[str]]:
    """Every infomem result JSON under `folder` (recursively); unreadable ones are listed."""
    root = Path(folder)
    if not root.is_dir():
        raise InvalidInputError(f"Results folder {str(root)!r} does not exist or is not a folder.")
    paths = sorted(root.rglob("*.json"))
    if len(paths) > _MAX_FILES:
        raise InvalidInputError(
            f"Results folder {str(root)!r} holds {len(paths)} JSON files; the leaderboard reads "
            f"at most {_MAX_FILES}. Point it at a smaller folder."
        )
    results, skipped = [], []
    for path in paths:
        try:
            results.append(Result.from_json(path))
        except ResultFormatError:
            skipped.append(str(path.relative_to(root)))  # names only: no server paths shown
    return results, skipped


def _results_from_hub(dataset_id: str) -> list[Result]:
    from infomem.hub import load_results

    return list(load_results(dataset_id))


def describe_source(source: str | Path | None) -> str:
    """How the page names the source: a Hub dataset id, or a local folder's name only."""
    if source is None or str(source).strip() == "":
        return ""
    text = str(source).strip()
    path = Path(text).expanduser()
    return f"the folder `{path.name}`" if path.is_dir() else f"the dataset `{text}`"


def load_leaderboard(source: str | Path | None) -> Leaderboard:
    """Read results from a local folder (if `source` is one) or a Hub dataset id."""
    if source is None or str(source).strip() == "":
        return Leaderboard(source="")
    text = str(source).strip()
    if Path(text).expanduser().is_dir():
        results, skipped = results_from_folder(Path(text).expanduser())
    else:
        results, skipped = _results_from_hub(text), []
    return Leaderboard(rows=rows(results), source=describe_source(text), skipped=skipped)


def _data_label(result: Result) -> str:
    data = result.data
    if data.get("dataset"):
        parts = [str(data["dataset"])] + [str(data[k]) for k in ("config", "split", "column")
                                          if data.get(k)]
        return "/".join(parts)
    return str(data.get("path") or data.get("kind") or "inputs")


def group_key(result: Result) -> str:
    """Short hash of what makes results comparable (infomem.selection.comparable_key)."""
    return comparable_hash(result, digits=8)


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def rows(results: Sequence[Result]) -> list[dict[str, Any]]:
    out = []
    for r in results:
        params = r.model.get("num_parameters")
        out.append({
            "model": model_label(r.model),
            "architecture": str(r.model.get("architecture") or "unknown"),
            "parameters (M)": None if params is None else round(params / 1e6, 2),
            "data": _data_label(r),
            "S": r.n_samples,
            "bins": r.settings.bins,
            "k": r.settings.k,
            "MI estimator": r.settings.mi_estimator,
            "mean entropy": _round(r.mean_entropy),
            "median entropy": _round(r.median_entropy),
            "mean MI": _round(r.mean_mi),
            "group": group_key(r),
            "created": r.created_at,
        })
    return out


def filter_rows(
    table: Sequence[dict[str, Any]],
    *,
    architectures: Sequence[str] = (),
    data: Sequence[str] = (),
    search: str = "",
    sort_by: str = "mean entropy",
    descending: bool = False,
) -> Any:
    """The rows that match every filter, sorted (missing values last), as a DataFrame."""
    import pandas as pd

    if sort_by not in SORTABLE:
        raise InvalidInputError(
            f"Cannot sort by {sort_by!r}; choose one of: {', '.join(SORTABLE)}."
        )
    needle = search.strip().lower()
    kept = [
        r for r in table
        if (not architectures or r["architecture"] in architectures)
        and (not data or r["data"] in data)
        and (not needle or needle in r["model"].lower())
    ]
    frame = pd.DataFrame(kept, columns=COLUMNS)
    if frame.empty:
        return frame
    return frame.sort_values(sort_by, ascending=not descending, na_position="last",
                             kind="stable").reset_index(drop=True)
