"""The card's verbatim-extraction block: what was measured, on which texts, the rates, the
membership test, the activations of extracted vs other texts (when measured) and a verdict
in plain words. Pure: ExtractionResult in, Markdown out.

The block has its own markers (EXTRACTION_START / EXTRACTION_END), apart from the
activation-score section, so each is replaced in place without touching the other. It
shows counts and statistics only, never the texts themselves.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from .card_format import describe_data, interval_cell, model_line, number
from .card_text import EXTRACTION_END, EXTRACTION_START, join_card, replace_section, split_card

__all__ = ["render_extraction", "annotate_extraction_text", "activations_block", "ALPHA"]

ALPHA = 0.05  # level at which the verdict calls the membership test significant
_MARKERS = {"start_marker": EXTRACTION_START, "end_marker": EXTRACTION_END}


def _p(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.3g}"


def _what(ex: Any) -> str:
    s = ex.settings
    prefix, suffix, k = s.get("prefix_tokens"), s.get("suffix_tokens"), s.get("min_k")
    share = f"{k:.0%}" if isinstance(k, (int, float)) else "k%"
    return (
        f"**What was measured.** Each candidate text's first {prefix} tokens were given to "
        f"{model_line(ex.model)}, which greedy-decoded {suffix} more. A text counts as *extracted* "
        f"when all {suffix} match the text (Carlini et al. 2022); *matched fraction* is the "
        f"share of those {suffix} positions that match; *Min-K% Prob* (Shi et al. 2024) is the "
        f"mean of the lowest {share} token log-probabilities of the text, in nats (higher: "
        "more familiar to the model)."
    )


def _texts(data: dict[str, Any] | None, total: int, used: int, skipped: int, need: int) -> str:
    source = describe_data(data) if data else "texts whose source this result does not record"
    return (f"{source}; {total} texts, {used} long enough to test, {skipped} skipped as "
            f"shorter than {need} tokens")


def _data(ex: Any) -> str:
    s = ex.settings
    need = int(s.get("prefix_tokens") or 0) + int(s.get("suffix_tokens") or 0)
    text = "**Data.** Candidates: " + _texts(getattr(ex, "data", None), ex.n_texts, ex.n_used,
                                             ex.n_skipped, need)
    if ex.n_reference_texts is not None:
        text += ". Reference (texts the model cannot have seen): " + _texts(
            getattr(ex, "reference_data", None), ex.n_reference_texts, ex.n_reference_used,
            ex.n_reference_skipped, need)
    return text + "."


def _level(ex: Any) -> str:
    """The interval's confidence level, e.g. "95%"."""
    return f"{float(ex.settings.get('confidence') or 0.95):.0%}"


def _rates(ex: Any) -> list[str]:
    level = _level(ex)
    rows = [f"| Texts | Extracted | Extraction rate ({level} Wilson interval) | Mean matched fraction "
            "| Mean Min-K% Prob (nats) |", "|---|---:|---|---:|---:|",
            f"| Candidates ({ex.n_used}) | {ex.n_extracted} | {ex.extraction_rate:.1%} "
            f"({ex.extraction_rate_low:.1%} - {ex.extraction_rate_high:.1%}) | "
            f"{number(ex.mean_matched_fraction, 3)} | {number(ex.mean_min_k_prob, 3)} |"]
    if ex.n_reference_used is not None:
        extracted = round(ex.reference_extraction_rate * ex.n_reference_used)
        rows.append(f"| Reference ({ex.n_reference_used}) | {extracted} | "
                    f"{ex.reference_extraction_rate:.1%} | "
                    f"{number(ex.reference_mean_matched_fraction, 3)} | "
                    f"{number(ex.reference_mean_min_k_prob, 3)} |")
    return rows


def _membership(ex: Any) -> list[str]:
    if ex.min_k_p_value is None:
        return ["**Membership test.** None: no reference texts were given. Pass texts the model "
                "cannot have seen (`--reference-file`) to test whether the candidates look more "
                "familiar to it."]
    return ["**Membership test**, candidates vs reference (one-sided Mann-Whitney U; AUC = "
            "P(candidate > reference)):", "",
            "| Signal | AUC | p |", "|---|---:|---:|",
            f"| Min-K% Prob | {number(ex.min_k_auc, 3)} | {_p(ex.min_k_p_value)} |",
            f"| Matched fraction | {number(ex.matched_fraction_auc, 3)} | "
            f"{_p(ex.matched_fraction_p_value)} |"]


def activations_block(ex: Any) -> list[str]:
    """Markdown lines: entropy, MI and a probe of extracted vs other texts, and the
    warnings on those scores (`infomem extract --activations`; also the Space's view)."""
    found = getattr(ex, "activations", None)
    title = "**Activations of extracted vs other candidates.**"
    if found is None:
        return []
    if found.get("skipped"):
        return [f"{title} Not compared: {found['skipped']}", ""]
    level = f"{float(found.get('level') or 0.95):.0%}"
    rows = [f"{title} The model's activations on the two groups, scored alike on "
            f"{found['n_per_group']} texts each ({level} intervals; the difference is "
            "extracted minus not, significant when its interval excludes 0):", "",
            "| Texts | Count | Mean entropy (nats) | Mean MI (nats) |", "|---|---:|---|---|"]
    for key, label, count in (("extracted", "Extracted", found["n_extracted"]),
                              ("not_extracted", "Not extracted", found["n_not_extracted"]),
                              ("difference", "Difference", "")):
        signed = key == "difference"
        rows.append(f"| {label} | {count} | {interval_cell(found[key], 'mean_entropy', signed=signed)}"
                    f" | {interval_cell(found[key], 'mean_mi', signed=signed)} |")
    probe = found["probe"]
    rows += ["", f"A linear probe on the {probe['n_features']} recorded activations tells the groups apart "
             f"with held-out AUC {number(probe['auc'], 3)} (sd {number(probe['auc_sd'], 3)} over "
             f"{probe['folds']} folds; 0.5 = no separation). This is association: extracted texts "
             "may also differ in length, frequency or how often they were seen.", ""]
    if found.get("warnings"):
        rows += ["Warnings on these scores:", "", *(f"- {w}" for w in found["warnings"]), ""]
    return rows


def _verdict(ex: Any) -> str:
    if not ex.n_extracted:
        text = (f"None of the {ex.n_used} candidate texts came out word for word (the rate is "
                f"below {ex.extraction_rate_high:.1%} at {_level(ex)} confidence). That does not show "
                "they were unseen: memorized text that greedy decoding does not reproduce is missed.")
    elif ex.reference_extraction_rate:
        text = (f"The model wrote out {ex.n_extracted} of {ex.n_used} candidate texts word for "
                f"word, but also {ex.reference_extraction_rate:.1%} of the reference texts it "
                "cannot have seen: part of this is text predictable to any model, not memorization.")
    else:
        text = (f"The model wrote out {ex.n_extracted} of {ex.n_used} candidate texts word for "
                "word: it has memorized at least those.")
    if ex.min_k_p_value is None:
        return text
    if ex.min_k_p_value < ALPHA and (ex.min_k_auc or 0) > 0.5:
        return text + (f" Min-K% separates the candidates from the reference (p < {ALPHA}): "
                       "consistent with the candidates being in the training data.")
    return text + (f" Min-K% does not separate the candidates from the reference at the {ALPHA} "
                   "level: no evidence of membership beyond the verbatim matches.")


def render_extraction(extraction: Any, *, result_path: str | None = None,
                      newline: str = "\n") -> str:
    """The marked extraction block (markers included, no trailing newline)."""
    ex = extraction
    lines = [
        EXTRACTION_START,
        "<!-- Written by `infomem card --extraction`: edits between these markers are replaced "
        "on the next run. -->",
        "## Verbatim extraction (infomem)",
        "",
        "*A separate measurement from infomem's activation scores: whether the model writes "
        "out candidate texts word for word. It reads the model's generated tokens"
        + (", and compares the activations of the texts it wrote out with the others'.*"
           if getattr(ex, "activations", None) else ", not its activations.*"),
        "",
        _what(ex), "", _data(ex), "", *_rates(ex), "", *_membership(ex), "", *activations_block(ex),
        f"**Verdict.** {_verdict(ex)}",
        "",
    ]
    footer = "<sub>Computed with `infomem extract`"
    if result_path:
        footer += f"; full result: [{result_path}]({result_path})"
    lines += [footer + ".</sub>", EXTRACTION_END]
    return newline.join(lines)


def annotate_extraction_text(card_text: str, extraction: Any, *,
                             result_path: str | None = None) -> str:
    """`card_text` with the extraction block written in (appended if missing); every other
    byte kept, so running it twice changes nothing."""
    parts = split_card(card_text)
    block = render_extraction(extraction, result_path=result_path, newline=parts.newline)
    body = replace_section(parts.body, block, parts.newline, **_MARKERS)
    return join_card(replace(parts, body=body))
