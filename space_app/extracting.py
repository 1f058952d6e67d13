"""The Extraction tab's work: verbatim extraction and Min-K% of a causal LM on candidate texts.

No gradio here. The request is checked first (a causal LM's id, the size cap, the texts
and their count), then the model is loaded (or taken from the tab's cache) and
:func:`infomem.extraction` measures; its errors (one-line InfomemError messages)
propagate to the UI boundary.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infomem.activations.models import ModelCache, load_model
from infomem.errors import InvalidInputError
from infomem.options import default
from infomem.scoring.extraction_result import ExtractionResult
from infomem.scoring.files import dump_json
from infomem.scoring.selection import model_label

from . import guards
from .config import ENV_VARS, SpaceConfig
from .handlers import Progress, _no_progress, _whole, download_name, parse_lines

__all__ = ["ExtractionRequest", "ExtractionView", "causal_lms", "run_extraction",
           "extraction_table", "TABLE_COLUMNS", "EXAMPLE_MODEL"]

EXAMPLE_MODEL = "HuggingFaceTB/SmolLM2-135M"  # a causal LM under the Space's default size cap
TABLE_COLUMNS = ["split", "#", "text start", "matched fraction", "extracted", "Min-K% (nats)"]
_TEXT_START = 60  # characters of each text shown in the table


@dataclass(frozen=True)
class ExtractionRequest:
    """The Extraction tab's form, in the API's order (numbers arrive as the form sends them)."""

    model_id: str = ""  # a causal LM's Hub id, e.g. "HuggingFaceTB/SmolLM2-135M"
    texts: str = ""  # candidate texts, one per line
    file: str | None = None  # or candidates in a file: .txt one per line, or a table
    column: str = ""  # the table's text column (guessed when empty)
    reference: str = ""  # texts the model cannot have seen, one per line (optional)
    prefix_tokens: float = default("prefix_tokens")
    suffix_tokens: float = default("suffix_tokens")
    min_k: float = default("min_k")
    activations: bool = default("activations")  # then compare extracted vs other texts
    revision: str = ""  # of the model: a branch, tag or commit; empty: its default branch (last,
    # so that positional API calls from before it keep working)

    @classmethod
    def from_form(cls, values: dict[str, Any]) -> ExtractionRequest:
        """Cleared text boxes (None) take their defaults; numbers go as sent, to be checked."""
        texts = {f.name: f.default for f in dataclasses.fields(cls)
                 if f.default is None or isinstance(f.default, str)}
        kwargs: dict[str, Any] = {name: value or texts[name] if name in texts else value
                                  for name, value in values.items()}
        return cls(**kwargs)


def _number(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"`{name}` must be a number; received {value!r}.") from None


def _model(request: ExtractionRequest, space: SpaceConfig) -> tuple[str, str | None]:
    """A causal LM's id and revision, refused before loading when the id is the encoder
    default or the model is too large."""
    model_id = guards.resolve_model_id(request.model_id, space)
    if model_id is None:
        raise InvalidInputError(
            f"Extraction needs a causal LM (a decoder with an LM head): enter its Hub id, e.g. "
            f"`{EXAMPLE_MODEL}`; the embedded default, all-MiniLM-L6-v2, is an encoder.")
    revision = guards.resolve_revision(request.revision)
    guards.check_model_size(model_id, guards.estimate_parameters(model_id, revision), space)
    return model_id, revision


def causal_lms(space: SpaceConfig) -> ModelCache:
    """The causal LMs the Extraction tab loaded last (the Space's `cached_models` of them):
    loading one takes longer than measuring a few texts. Each LoadedModel's lock is held
    while it decodes, so two requests for one model run one after the other."""
    return ModelCache(max_models=space.cached_models, loader=functools.partial(load_model, causal_lm=True))


def _check_count(n: int, what: str, space: SpaceConfig) -> None:
    if n > space.max_samples:
        raise InvalidInputError(
            f"{n} {what} texts are over this Space's cap of {space.max_samples} per request "
            f"({ENV_VARS['max_samples']}); pass fewer, or run `infomem extract` on your own "
            "machine.")


def candidate_texts(request: ExtractionRequest, space: SpaceConfig) -> list[str]:
    """The pasted lines or the uploaded file's texts (one source, at most the cap)."""
    from infomem.activations.data import load_inputs

    pasted = parse_lines(request.texts)
    if pasted and request.file:
        raise InvalidInputError("Give the candidate texts either pasted or as a file, not both: "
                                "clear the text box or remove the file.")
    if not (pasted or request.file):
        raise InvalidInputError("No candidate texts: paste one text per line, or upload a .txt "
                                "(one text per line), .csv, .json, .jsonl or .parquet file.")
    if pasted:
        _check_count(len(pasted), "candidate", space)
        return pasted
    data = load_inputs(None, file=request.file, column=request.column.strip() or None,
                       max_samples=space.max_samples)
    _check_count(int(data.info.get("n_available") or len(data.items)), "candidate", space)
    return list(data.items)


@dataclass(frozen=True)
class ExtractionView:
    """Everything the Extraction tab shows for one result."""

    headline: str  # markdown: rates with intervals, the membership test
    table: Any  # pandas DataFrame, one row per text tested
    result_path: str  # downloadable result JSON
    scores: dict[str, Any]  # the flat numbers for API clients


def extraction_table(result: ExtractionResult, texts: Sequence[str],
                     reference: Sequence[str] | None) -> Any:
    import pandas as pd

    splits = [("candidate", result.records, texts), ("reference", result.reference_records,
                                                     reference or [])]
    rows = [[split, r.index, source[r.index][:_TEXT_START], round(r.matched_fraction, 4),
             r.extracted, round(r.min_k_prob, 4)]
            for split, records, source in splits for r in records]
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def _test_lines(result: ExtractionResult, shared: int) -> list[str]:
    if result.min_k_auc is None:
        return ["Add reference texts the model cannot have seen (e.g. written after its "
                "release) for a membership test: are the candidates more memorized than them?"]
    lines = [
        f"**Membership test**, candidates vs {result.n_reference_used} reference texts "
        f"(one-sided Mann-Whitney U): Min-K% AUC **{result.min_k_auc:.2f}** "
        f"(p = {result.min_k_p_value:.2g}) · matched-fraction AUC "
        f"**{result.matched_fraction_auc:.2f}** (p = {result.matched_fraction_p_value:.2g}) · "
        f"reference extraction rate {result.reference_extraction_rate:.1%}. AUC 0.5: no "
        "difference; near 1: the candidates look seen."]
    if shared:
        lines.append(f"> **Warning.** {shared} reference texts are also candidates; the "
                     "reference should hold texts the model cannot have seen.")
    return lines


def _headline(result: ExtractionResult, shared: int) -> str:
    from infomem.hub.card_extraction import activations_block

    s, compared = result.settings, activations_block(result)
    return "\n\n".join([
        f"### Extraction from {model_label(result.model)}",
        f"**{result.n_extracted} of {result.n_used} texts extracted** (rate "
        f"{result.extraction_rate:.1%}, 95% interval {result.extraction_rate_low:.1%} – "
        f"{result.extraction_rate_high:.1%}) · mean matched fraction "
        f"{result.mean_matched_fraction:.3f} · mean Min-K% Prob {result.mean_min_k_prob:.2f} nats",
        f"P = {s['prefix_tokens']} prompt tokens, L = {s['suffix_tokens']} tokens that must "
        f"come out verbatim, Min-K% over the lowest {s['min_k']:.0%} · {result.n_skipped} of "
        f"{result.n_texts} texts skipped (shorter than P + L tokens)",
        *_test_lines(result, shared),
        *(["\n".join(compared).strip()] if compared else []),
        "*Extracted*: greedy decoding from the first P tokens reproduces the next L exactly "
        "(Carlini et al. 2022). *Min-K% Prob*: the mean of the lowest token log-probabilities "
        "(Shi et al. 2024); higher means the model finds the text more familiar.",
    ])


def run_extraction(request: ExtractionRequest, space: SpaceConfig, models: ModelCache,
                   folder: Path, *, progress: Progress = _no_progress) -> ExtractionView:
    """Check everything cheap first, then load the causal LM (or take it cached) and measure."""
    import infomem

    prefix = _whole(request.prefix_tokens, "prefix_tokens")
    suffix = _whole(request.suffix_tokens, "suffix_tokens")
    min_k = _number(request.min_k, "min_k")
    model_id, revision = _model(request, space)
    texts = candidate_texts(request, space)
    reference = parse_lines(request.reference) or None
    _check_count(len(reference or ()), "reference", space)
    progress(0.05, f"loading {model_id}")
    loaded = models.get(model_id, revision=revision)
    with loaded.lock:
        result = infomem.extraction(loaded, texts, prefix_tokens=prefix, suffix_tokens=suffix,
                                    min_k=min_k, reference=reference, progress=True,
                                    activations=request.activations)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / download_name(model_id, "extraction")
    dump_json(result.to_dict(), path)
    shared = len(set(texts) & set(reference or ()))
    return ExtractionView(headline=_headline(result, shared),
                          table=extraction_table(result, texts, reference),
                          result_path=str(path), scores=result.summary())
