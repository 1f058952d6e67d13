"""What goes on a model card, loaded and checked before any Hub traffic, and the pure edit
that writes it in.

A card carries up to three things: a score Result (the activation-diversity section and
eval results), a UnitMemReport (a subsection of that section) and an ExtractionResult (its
own block). Each arrives as an object, its dict or a JSON path; bad input fails here, in
one line, before a token is checked or a file read from the Hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infomem.errors import InvalidInputError

from .card_data import annotate_card_text, check_result_model
from .card_extraction import annotate_extraction_text

__all__ = ["CardContent", "load_result", "load_unitmem", "load_extraction", "load_card_content",
           "write_card"]


def _load_as(value: Any, cls: Any, *, name: str, command: str) -> Any:
    """A `cls` from one, its dict or its JSON path; one line naming `name` for anything else."""
    if isinstance(value, cls):
        return value
    if isinstance(value, dict):
        return cls.from_dict(value, source=f"`{name}`")
    if isinstance(value, (str, Path)):
        return cls.from_json(value)
    raise InvalidInputError(
        f"`{name}` must be an infomem {cls.__name__}, its dict or a JSON path written by "
        f"`{command}`; received {type(value).__name__}."
    )


def load_result(result: Any) -> Any:
    """A Result from a Result, a dict or a JSON path."""
    from infomem.scoring.result import Result

    return _load_as(result, Result, name="result", command="infomem score --out")


def load_unitmem(report: Any) -> Any:
    """A UnitMemReport from a report, its dict or the JSON path `infomem unitmem --out` wrote."""
    from infomem.scoring.unitmem_report import UnitMemReport

    return _load_as(report, UnitMemReport, name="unitmem", command="infomem unitmem --out")


def load_extraction(extraction: Any) -> Any:
    """An ExtractionResult from one, its dict or the JSON path `infomem extract --out` wrote."""
    from infomem.scoring.extraction_result import ExtractionResult

    return _load_as(extraction, ExtractionResult, name="extraction", command="infomem extract --out")


@dataclass(frozen=True)
class CardContent:
    """The loaded results to write; at least one of `result` and `extraction` is set."""

    result: Any | None  # infomem.Result: the activation-score section
    extraction: Any | None  # ExtractionResult: the extraction block
    unitmem: Any | None  # UnitMemReport: overrides the one `result` carries, if any


def load_card_content(result: Any = None, *, extraction: Any = None, unitmem: Any = None,
                      repo_id: str | None = None, force: bool = False) -> CardContent:
    """Load each given result; with `repo_id`, refuse one for another model unless `force`."""
    if unitmem is not None and result is None:
        raise InvalidInputError(
            "`--unitmem` (`unitmem`) adds a subsection to the activation-score section: pass "
            "the score result (RESULT, `result`) too.")
    if result is None and extraction is None:
        raise InvalidInputError(
            "Nothing to write: pass a score result (RESULT, `result`), an extraction result "
            "(`--extraction`, `extraction`), or both.")
    content = CardContent(
        None if result is None else load_result(result),
        None if extraction is None else load_extraction(extraction),
        None if unitmem is None else load_unitmem(unitmem),
    )
    if repo_id is not None:
        for item, what in ((content.result, "result"), (content.extraction, "extraction result"),
                           (content.unitmem, "UnitMem report")):
            if item is not None:
                check_result_model(item, repo_id, force=force, what=what)
    return content


def write_card(card_text: str, content: CardContent, *, repo_id: str | None = None,
               plot_path: str | None = None, result_path: str | None = None,
               extraction_path: str | None = None, source_url: str | None = None) -> str:
    """`card_text` with each of `content`'s parts written in its place; pure and idempotent.

    The score section and eval results change only with a result, the extraction block only
    with an extraction result; every other byte of the card is kept. Model ids are checked
    by :func:`load_card_content`.
    """
    if content.result is not None:
        card_text = annotate_card_text(card_text, content.result, repo_id=repo_id,
                                       plot_path=plot_path, result_path=result_path,
                                       source_url=source_url, force=True, unitmem=content.unitmem)
    if content.extraction is not None:
        card_text = annotate_extraction_text(card_text, content.extraction,
                                             result_path=extraction_path)
    return card_text
