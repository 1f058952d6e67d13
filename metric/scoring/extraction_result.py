"""ExtractionResult: what :func:`infomem.extraction.extraction` measured, as data.

Per-example records, counts, rates, test statistics and (optionally) the activation
comparison; round-trips through plain JSON (``to_dict`` / ``from_dict``; results written
before the comparison existed read with ``activations=None``). The numbers are computed
in :mod:`infomem.scoring.extraction`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from infomem.estimators.membership import mann_whitney, wilson_interval
from infomem.scoring.files import FileFormat, JsonFile
from infomem.scoring.provenance import library_versions

__all__ = ["ExtractionRecord", "ExtractionResult", "summarize", "FORMAT", "FORMAT_VERSION"]

FORMAT = "infomem-extraction"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ExtractionRecord:
    """One text long enough to test: was its suffix extracted, and how likely is it."""

    index: int  # 3: position in the texts passed (skipped texts keep their numbers)
    extracted: bool  # True: all suffix tokens came out verbatim
    matched_fraction: float  # 0.75: share of suffix positions generated correctly
    min_k_prob: float  # -4.2: Min-K% Prob of the text, nats (higher = more memorized)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _records(items: Any) -> tuple[ExtractionRecord, ...]:
    return tuple(ExtractionRecord(int(r["index"]), bool(r["extracted"]), float(r["matched_fraction"]),
                                  float(r["min_k_prob"])) for r in items)


@dataclass(frozen=True)
class ExtractionResult(JsonFile):
    """Verbatim extraction and Min-K% of one causal LM on candidate (and reference) texts.

    Rates are over the used texts (those with at least prefix + suffix tokens). The test
    fields are None without a reference split; their p-values are one-sided (candidates
    more memorized than the reference) and their AUCs are P(candidate > reference).
    """

    FILE: ClassVar[FileFormat] = FileFormat(FORMAT, FORMAT_VERSION, "extraction result",
                                            "infomem extract --out", "ExtractionResult.to_json")

    extraction_rate: float  # 0.2: share of used candidates extracted
    extraction_rate_low: float  # 0.09: Wilson interval at settings["confidence"]
    extraction_rate_high: float  # 0.39
    n_extracted: int  # 6
    mean_matched_fraction: float  # 0.41
    mean_min_k_prob: float  # -3.7 nats
    n_texts: int  # 40: candidate texts passed
    n_used: int  # 30: long enough to test
    n_skipped: int  # 10: shorter than prefix + suffix tokens
    records: tuple[ExtractionRecord, ...]
    min_k_p_value: float | None = None  # 0.001
    min_k_auc: float | None = None  # 0.86
    matched_fraction_p_value: float | None = None  # 0.02
    matched_fraction_auc: float | None = None  # 0.64
    reference_extraction_rate: float | None = None  # 0.0
    reference_mean_matched_fraction: float | None = None  # 0.12
    reference_mean_min_k_prob: float | None = None  # -6.1 nats
    n_reference_texts: int | None = None  # 40
    n_reference_used: int | None = None  # 38
    n_reference_skipped: int | None = None  # 2
    reference_records: tuple[ExtractionRecord, ...] = ()
    # activations=True: extracted vs non-extracted texts' entropy, MI and probe AUC, or
    # `skipped` with the reason (infomem.scoring.extraction_activations.compare_groups)
    activations: dict[str, Any] | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # prefix_tokens, suffix_tokens, min_k...
    model: dict[str, Any] = field(default_factory=dict)  # id, architecture, num_parameters
    data: dict[str, Any] = field(default_factory=dict)  # the candidates: source, n, fingerprint
    reference_data: dict[str, Any] = field(default_factory=dict)  # the reference split, alike
    versions: dict[str, str] = field(default_factory=dict)  # infomem, torch, transformers...
    timings: dict[str, float] = field(default_factory=dict)  # decode_seconds, score_seconds

    def summary(self) -> dict[str, Any]:
        """The flat numbers with settings and model, without per-text records."""
        out = self.to_dict()
        out.pop("records")
        out.pop("reference_records")
        return out

    def to_dict(self) -> dict[str, Any]:
        """Flat numbers first, then records, settings, model and timings (JSON-ready)."""
        out: dict[str, Any] = self.FILE.header()
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("records", "reference_records"):
                value = [r.to_dict() for r in value]
            elif isinstance(value, dict):
                value = dict(value)
            out[f.name] = value
        return out

    @classmethod
    def _from_fields(cls, data: dict[str, Any], source: str) -> ExtractionResult:
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        kwargs["records"] = _records(data["records"])
        kwargs["reference_records"] = _records(data.get("reference_records", ()))
        return cls(**kwargs)


def summarize(
    records: tuple[ExtractionRecord, ...],
    n_texts: int,
    ref_records: tuple[ExtractionRecord, ...] | None,
    n_ref_texts: int | None,
    *,
    settings: dict[str, Any],
    model: dict[str, Any],
    timings: dict[str, float],
    activations: dict[str, Any] | None,
    data: dict[str, Any],
    reference_data: dict[str, Any],
) -> ExtractionResult:
    """Rates, means and (with a reference split) the two Mann-Whitney tests."""
    n_extracted = sum(r.extracted for r in records)
    low, high = wilson_interval(n_extracted, len(records))
    tests: dict[str, Any] = {}
    if ref_records is not None and n_ref_texts is not None:
        for key in ("min_k_prob", "matched_fraction"):
            test = mann_whitney([getattr(r, key) for r in records],
                                [getattr(r, key) for r in ref_records])
            name = "min_k" if key == "min_k_prob" else key
            tests[f"{name}_p_value"], tests[f"{name}_auc"] = test.p_value, test.auc
        tests.update(
            reference_extraction_rate=float(np.mean([r.extracted for r in ref_records])),
            reference_mean_matched_fraction=float(np.mean([r.matched_fraction for r in ref_records])),
            reference_mean_min_k_prob=float(np.mean([r.min_k_prob for r in ref_records])),
            n_reference_texts=n_ref_texts, n_reference_used=len(ref_records),
            n_reference_skipped=n_ref_texts - len(ref_records), reference_records=ref_records,
        )
    return ExtractionResult(
        extraction_rate=n_extracted / len(records), extraction_rate_low=low,
        extraction_rate_high=high, n_extracted=n_extracted,
        mean_matched_fraction=float(np.mean([r.matched_fraction for r in records])),
        mean_min_k_prob=float(np.mean([r.min_k_prob for r in records])),
        n_texts=n_texts, n_used=len(records), n_skipped=n_texts - len(records), records=records,
        settings=settings, model=model, timings=timings, activations=activations, data=data,
        reference_data=reference_data, versions=library_versions(), **tests,
    )
