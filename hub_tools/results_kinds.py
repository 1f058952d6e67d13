"""Records of the results that are not activation scores: extraction results and UnitMem
reports. Pure: keys, flat columns and the stored result, and back.

A key hashes the kind, the model (and the commit it resolved to), what the result was
measured on and its settings, so a re-run replaces its record and a run on other inputs,
settings or model revisions adds one. An extraction result that does not record its inputs
is keyed by which texts were long enough and which came out verbatim (the same inputs give
the same pattern), so runs on different texts of equal count do not replace each other.
UnitMem records leave out the example texts of the top units: a shared dataset should not
republish snippets of someone's training data.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["EXTRACTION_PATH", "UNITMEM_PATH", "model_pins", "record_key", "columns", "from_columns"]

EXTRACTION_PATH = "results/extraction.jsonl"
UNITMEM_PATH = "results/unitmem.jsonl"
# Where the inputs came from (as results_records' score keys), and what they were.
_SOURCE_KEYS = ("kind", "dataset", "config", "split", "column", "revision", "path", "fingerprint")


def _hash(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _source(data: dict[str, Any] | None) -> dict[str, Any]:
    return {k: data[k] for k in _SOURCE_KEYS if data and data.get(k) is not None}


def _inputs(data: dict[str, Any] | None, records: Any, n_texts: int | None) -> dict[str, Any]:
    """What an extraction ran on: its recorded source, else the pattern of its records."""
    source = _source(data)
    if source.get("fingerprint"):
        return {"source": source, "n_texts": n_texts}
    return {"source": source, "n_texts": n_texts,
            "pattern": [[r.index, r.extracted] for r in records]}


def model_pins(model: dict[str, Any]) -> dict[str, Any]:
    """The Hub commit and GGUF file a model was loaded from, where recorded: they join a
    record's key only then, so records that predate them keep their keys."""
    return {k: model[k] for k in ("sha", "gguf_file") if model.get(k)}


def record_key(result: Any, kind: str) -> str:
    """16 hex digits: kind x model x inputs x settings (see the module docstring)."""
    model = str(result.model.get("id") or "")
    if kind == "extraction":
        return _hash({"kind": kind, "model": model, **model_pins(result.model),
                      "settings": result.settings,
                      "candidates": _inputs(getattr(result, "data", None), result.records,
                                            result.n_texts),
                      "reference": _inputs(getattr(result, "reference_data", None),
                                           result.reference_records, result.n_reference_texts)})
    return _hash({"kind": kind, "model": model, "sha": result.model.get("sha"),
                  "data": _source(result.data), "n_samples": result.n_samples,
                  "settings": result.settings})


def _data_name(data: dict[str, Any] | None) -> str | None:
    data = data or {}
    return data.get("dataset") or data.get("path") or data.get("kind")


def _extraction_columns(ex: Any) -> dict[str, Any]:
    s = ex.settings
    return {
        "model_id": ex.model.get("id"), "architecture": ex.model.get("architecture"),
        "num_parameters": ex.model.get("num_parameters"),
        "dataset": _data_name(getattr(ex, "data", None)),
        "prefix_tokens": s.get("prefix_tokens"), "suffix_tokens": s.get("suffix_tokens"),
        "min_k": s.get("min_k"), "n_texts": ex.n_texts, "n_used": ex.n_used,
        "n_skipped": ex.n_skipped, "n_extracted": ex.n_extracted,
        "extraction_rate": ex.extraction_rate, "extraction_rate_low": ex.extraction_rate_low,
        "extraction_rate_high": ex.extraction_rate_high,
        "mean_matched_fraction": ex.mean_matched_fraction, "mean_min_k_prob": ex.mean_min_k_prob,
        "n_reference_used": ex.n_reference_used,
        "reference_extraction_rate": ex.reference_extraction_rate,
        "min_k_auc": ex.min_k_auc, "min_k_p_value": ex.min_k_p_value,
        "matched_fraction_auc": ex.matched_fraction_auc,
        "matched_fraction_p_value": ex.matched_fraction_p_value,
        "result": ex.to_dict(),
    }


def _weighted(report: Any, value: Any) -> float | None:
    """Mean of `value(layer)` over all defined units of the report (None when none is)."""
    pairs = [(layer.n_defined, value(layer)) for layer in report.per_layer
             if layer.n_defined and value(layer) is not None]
    total = sum(n for n, _ in pairs)
    return sum(n * v for n, v in pairs) / total if total else None


def _without_texts(report: Any) -> dict[str, Any]:
    from infomem.scoring.unitmem_report import FORMAT, FORMAT_VERSION

    summary = report.summary()
    for layer in summary["per_layer"]:
        layer["top"] = [{**top, "text": None} for top in layer["top"]]
    return {"format": FORMAT, "format_version": FORMAT_VERSION, **summary,
            "created_at": report.created_at}


def _unitmem_columns(report: Any) -> dict[str, Any]:
    s = report.settings
    return {
        "model_id": report.model.get("id"), "model_sha": report.model.get("sha"),
        "architecture": report.model.get("architecture"), "dataset": _data_name(report.data),
        "n_samples": report.n_samples, "augmentations": s.get("augmentations"),
        "seed": s.get("seed"), "n_layers": len(report.per_layer),
        "mean_unitmem": _weighted(report, lambda x: x.mean),
        "share_above_0_5": _weighted(report, lambda x: x.share_above.get(0.5)),
        "share_above_0_9": _weighted(report, lambda x: x.share_above.get(0.9)),
        "created_at": report.created_at,
        "result": _without_texts(report),
    }


def columns(result: Any, kind: str) -> dict[str, Any]:
    """The flat columns and the stored result of an extraction or UnitMem record."""
    return _extraction_columns(result) if kind == "extraction" else _unitmem_columns(result)


def from_columns(record: dict[str, Any], kind: str, *, source: str) -> Any:
    """The ExtractionResult or UnitMemReport a record of `kind` holds."""
    from infomem.scoring.extraction_result import ExtractionResult
    from infomem.scoring.unitmem_report import UnitMemReport

    if kind == "extraction":
        return ExtractionResult.from_dict(record.get("result"))
    return UnitMemReport.from_dict(record.get("result"), source=source)
