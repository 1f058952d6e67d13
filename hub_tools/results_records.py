"""Result records for a shared results dataset: stable keys, flat columns, the file format.

Pure: results in, JSON lines and a dataset card out (and back). One record per
model x data x settings; a re-run of the same triple replaces its record. Each kind of
result has its own file (and dataset config), so readers of one never meet another's
records: score Results in `results/infomem.jsonl`, extraction results and UnitMem
reports (:mod:`infomem.hub.results_kinds`) beside it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from infomem.errors import InvalidInputError, ResultFormatError

from . import results_kinds

__all__ = [
    "KINDS",
    "kind_of",
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
    "dataset_configs",
]

SCHEMA = "infomem-results"
SCHEMA_VERSION = 1
SCHEMA_KEY = "infomem_results_schema"  # top-level key in the dataset card's YAML
RESULTS_PATH = "results/infomem.jsonl"
# kind -> (file, dataset config name); "scores" keeps the first dataset's layout.
KINDS = {"scores": (RESULTS_PATH, "default"), "extraction": (results_kinds.EXTRACTION_PATH, "extraction"),
         "unitmem": (results_kinds.UNITMEM_PATH, "unitmem")}
# Where the inputs came from: a record names its source even when two sources hold equal texts.
_SOURCE_KEYS = ("kind", "dataset", "config", "split", "column", "revision", "path")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def kind_of(result: Any) -> str:
    """"scores", "extraction" or "unitmem": which file a result's record goes to."""
    from infomem.scoring.extraction_result import ExtractionResult
    from infomem.scoring.result import Result
    from infomem.scoring.unitmem_report import UnitMemReport

    for cls, kind in ((Result, "scores"), (ExtractionResult, "extraction"),
                      (UnitMemReport, "unitmem")):
        if isinstance(result, cls):
            return kind
    raise InvalidInputError(
        f"Cannot make a results record of a {type(result).__name__}; pass an infomem Result, "
        "ExtractionResult or UnitMemReport (or a JSON file of one).")


def record_key(result: Any) -> str:
    """16 hex digits identifying a model (its id, and the commit and GGUF file it was loaded
    from where recorded) x what makes it comparable (inputs, S, settings, architecture):
    re-runs of the same replace each other, other revisions add a record. Keys of other
    kinds hash their kind too, so they never meet a score record's."""
    from infomem.scoring.comparable import comparable_hash

    kind = kind_of(result)
    if kind != "scores":
        return results_kinds.record_key(result, kind)

    source = {k: result.data.get(k) for k in _SOURCE_KEYS if result.data.get(k) is not None}
    # Two revisions or GGUF files of one repo are two models; merge_records re-keys stored
    # records, whose keys may predate them.
    return comparable_hash(result, extra={"model": str(result.model.get("id") or ""),
                                          "source": source, **results_kinds.model_pins(result.model)},
                           digits=16)


def to_record(result: Any) -> dict[str, Any]:
    """Flat columns for tables (the Space leaderboard, the dataset viewer) + the full result."""
    kind = kind_of(result)
    if kind != "scores":
        header = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "kind": kind,
                  "key": record_key(result)}
        return {**header, **results_kinds.columns(result, kind)}
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
    """The result a record holds: a Result, ExtractionResult or UnitMemReport by its kind."""
    kind = record.get("kind", "scores")
    source = f"results record {record.get('key')!r}"
    if kind not in KINDS:
        raise ResultFormatError(
            f"{source} is of kind {kind!r}; this infomem reads {', '.join(KINDS)}. Upgrade infomem.")
    if kind != "scores":
        return results_kinds.from_columns(record, kind, source=source)
    from infomem.scoring.result import Result

    return Result.from_dict(record.get("result"), source=source)


def parse_records(text: str, *, source: str, kind: str = "scores") -> list[dict[str, Any]]:
    """Records of a JSON-lines file of `kind`; refuses lines of another schema, version or
    kind."""
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
        if record.get("kind", "scores") != kind:
            raise ResultFormatError(
                f"{source}, line {n}, is a {record.get('kind')!r} record in the {kind!r} file; "
                "move it to its own file or push it again with this infomem."
            )
        records.append(record)
    return records


def dump_records(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in records)


def merge_records(
    old: list[dict[str, Any]], new: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """`old` with `new` records added or replacing the ones with the same key (in place).
    Stored records are matched by the key this infomem gives their result, so a record
    keyed by an older rule is replaced by its re-push, not duplicated."""
    merged = list(old)
    position = {_current_key(r): i for i, r in enumerate(merged)}
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


def _current_key(record: dict[str, Any]) -> str:
    """The key of the result a stored record holds, or its stored key if it cannot be read."""
    try:
        return record_key(from_record(record))
    except (ResultFormatError, KeyError, TypeError, ValueError, AttributeError):
        return str(record["key"])


def _config(kind: str) -> dict[str, Any]:
    path, name = KINDS[kind]
    return {"config_name": name, "data_files": [{"split": "train", "path": path}]}


def dataset_configs(existing: Any, kinds: Iterable[str]) -> list[Any] | None:
    """`existing` dataset configs plus one for each of `kinds` it lacks; None: nothing to add.

    With scores alone none is needed (the viewer finds the one file); with more kinds each
    file gets its own config, or the viewer would mix records of different shapes.
    """
    present = list(existing) if isinstance(existing, list) else []
    names = {c.get("config_name") for c in present if isinstance(c, dict)}
    wanted = [k for k in KINDS if k in set(kinds)]
    if existing is None and wanted == ["scores"]:
        return None
    missing = [_config(k) for k in wanted if KINDS[k][1] not in names]
    return present + missing if missing else None


def dataset_card(dataset_id: str, kinds: Iterable[str] = ("scores",)) -> str:
    """README.md of a new results dataset: schema marker, data configs, column guide."""
    import yaml

    header = yaml.safe_dump({
        SCHEMA_KEY: SCHEMA_VERSION,
        "pretty_name": f"infomem results ({dataset_id})",
        "tags": ["infomem", "memorization", "interpretability", "evaluation-results"],
        "configs": dataset_configs(None, kinds) or [_config("scores")],
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
        "evidence to compare models, not a calibrated probability of memorization.\n\n"
        f"Other kinds of result have their own file and config: `{results_kinds.EXTRACTION_PATH}` "
        "(config `extraction`, `infomem extract`: verbatim-extraction rates and the membership "
        f"test) and `{results_kinds.UNITMEM_PATH}` (config `unitmem`, `infomem unitmem`: "
        "per-layer UnitMem, without example texts).\n"
    )
