"""Result records for a shared results dataset: stable keys, flat columns, the file format.

Pure: Results in, JSON lines and a dataset card out (and back). One record per
model x data x settings; a re-run of the same triple replaces its record.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from infomem.errors import ResultFormatError

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "RESULTS_PATH",
    "SCHEMA_KEY",
    "record_key",
    "to_record",
    "from_record",
    "parse_records",
    "dump_records",
    "merge_records",
    "dataset_card",
]

SCHEMA = "infomem-results"
SCHEMA_VERSION = 1
SCHEMA_KEY = "infomem_results_schema"  # top-level key in the dataset card's YAML
RESULTS_PATH = "results/infomem.jsonl"
# Where the inputs came from: a record names its source even when two sources hold equal texts.
_SOURCE_KEYS = ("kind", "dataset", "config", "split", "column", "revision", "path")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def record_key(result: Any) -> str:
    """16 hex digits identifying a model x what makes it comparable (inputs, S, settings,
    architecture): re-runs of the same replace each other."""
    from infomem.scoring.comparable import comparable_hash

    source = {k: result.data.get(k) for k in _SOURCE_KEYS if result.data.get(k) is not None}
    return comparable_hash(result, extra={"model": str(result.model.get("id") or ""),
                                          "source": source}, digits=16)


def to_record(result: Any) -> dict[str, Any]:
    """Flat columns for tables (the Space leaderboard, the dataset viewer) + the full result."""
    full = json.loads(result.without_heavy().to_json())  # plain JSON, non-finite as null
    s = result.settings
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "key": record_key(result),
        "model_id": result.model.get("id"),
        "model_sha": result.model.get("sha"),
        "architecture": result.model.get("architecture"),
        "dataset": result.data.get("dataset") or result.data.get("path") or result.data.get("kind"),
        "config": result.data.get("config"),
        "split": result.data.get("split"),
        "column": result.data.get("column"),
        "mean_entropy": result.mean_entropy,
        "median_entropy": result.median_entropy,
        "mean_mi": result.mean_mi,
        "n_samples": result.n_samples,
        "n_neurons": result.n_neurons,
        "bins": s.bins,
        "k": s.k,
        "mi_estimator": s.mi_estimator,
        "mi_neurons_per_layer": s.mi_neurons_per_layer,
        "settings_hash": hashlib.sha256(_canonical(s.score_affecting()).encode()).hexdigest()[:12],
        "created_at": result.created_at,
        "result": full,
    }


def from_record(record: dict[str, Any]) -> Any:
    from infomem.scoring.result import Result

    return Result.from_dict(record.get("result"), source=f"results record {record.get('key')!r}")


def parse_records(text: str, *, source: str) -> list[dict[str, Any]]:
    """Records of a JSON-lines file; refuses lines of another schema or version."""
    records = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise ResultFormatError(f"{source}, line {n}, is not JSON ({e}).") from e
        if not isinstance(record, dict) or record.get("schema") != SCHEMA or "key" not in record:
            raise ResultFormatError(
                f"{source}, line {n}, is not an infomem results record; this file holds other "
                "data. Push infomem results to a dataset repo of their own."
            )
        if record.get("schema_version") != SCHEMA_VERSION:
            raise ResultFormatError(
                f"{source}, line {n}, has results schema version {record.get('schema_version')!r}; "
                f"this infomem reads version {SCHEMA_VERSION}. Upgrade infomem or use a new "
                "dataset repo."
            )
        records.append(record)
    return records


def dump_records(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in records)


def merge_records(
    old: list[dict[str, Any]], new: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """`old` with `new` records added or replacing the ones with the same key (in place)."""
    merged = list(old)
    position = {r["key"]: i for i, r in enumerate(merged)}
    counts = {"added": 0, "replaced": 0, "unchanged": 0}
    for record in new:
        i = position.get(record["key"])
        if i is None:
            position[record["key"]] = len(merged)
            merged.append(record)
            counts["added"] += 1
        elif merged[i] == record:
            counts["unchanged"] += 1
        else:
            merged[i] = record
            counts["replaced"] += 1
    return merged, counts


def dataset_card(dataset_id: str) -> str:
    """README.md of a new results dataset: schema marker, data config, column guide."""
    import yaml

    header = yaml.safe_dump({
        SCHEMA_KEY: SCHEMA_VERSION,
        "pretty_name": f"infomem results ({dataset_id})",
        "tags": ["infomem", "memorization", "interpretability", "evaluation-results"],
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": RESULTS_PATH}]}],
    }, sort_keys=False)
    return (
        f"---\n{header}---\n\n# infomem results\n\n"
        "Activation-diversity scores (per-neuron entropy and pairwise mutual information; "
        "Bansal, Pruthi & Belinkov, NeurIPS 2022) written by `infomem push-results`. "
        f"`{RESULTS_PATH}` holds one JSON record per model x inputs x settings; pushing the "
        "same run again replaces its record.\n\n"
        "| column | meaning |\n|---|---|\n"
        "| key | stable hash of model id, inputs and score-affecting settings |\n"
        "| model_id, model_sha | the model and the commit it was scored at |\n"
        "| dataset, config, split, column | the unlabeled inputs |\n"
        "| mean_entropy, median_entropy, mean_mi | the scores, in nats |\n"
        "| n_samples, bins, k, mi_estimator, mi_neurons_per_layer | settings that make runs comparable |\n"
        "| result | the full infomem result (per-layer summaries, settings, versions) |\n\n"
        "Compare only records with the same architecture, inputs and settings "
        "(`settings_hash`). Binned entropy is biased downward for small S; the scores are "
        "evidence to compare models, not a calibrated probability of memorization.\n"
    )
