"""Pure converters from a Result to model-card data: model-index eval results (the older
convention), `.eval_results/*.yaml` files (the current one) and the annotated card text.

No network here; :mod:`infomem.hub.cards` does the I/O.
"""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from typing import Any

from infomem.errors import InvalidInputError

from .card_section import render_section
from .card_text import join_card, parse_header, replace_section, set_header_key, split_card

__all__ = [
    "METRICS",
    "SOURCE_NAME",
    "PAPER_URL",
    "EVAL_RESULTS_DIR",
    "check_result_model",
    "eval_results",
    "merge_model_index",
    "eval_result_files",
    "is_hub_dataset",
    "annotate_card_text",
    "our_source_url",
]

SOURCE_NAME = "infomem"
PAPER_URL = "https://arxiv.org/abs/2210.09404"
EVAL_RESULTS_DIR = ".eval_results"
TASK_NAME = "Activation diversity (infomem)"

# (Result attribute, metric type, display name)
METRICS = (
    ("mean_entropy", "infomem_mean_entropy", "Mean neuron entropy (nats)"),
    ("median_entropy", "infomem_median_entropy", "Median neuron entropy (nats)"),
    ("mean_mi", "infomem_mean_mi", "Mean pairwise mutual information (nats)"),
)
_OUR_PREFIX = "infomem_"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")


def check_result_model(result: Any, repo_id: str, *, force: bool = False,
                       what: str = "result") -> None:
    """Refuse to put a result (a score result, or `what` else) on another model's card unless
    `force`."""
    model_id = str(result.model.get("id") or "")
    if force or model_id.rstrip("/") == repo_id.rstrip("/"):
        return
    raise InvalidInputError(
        f"The {what} is for model `{model_id or 'unknown'}`, not `{repo_id}`: its numbers would "
        "describe another model. Score this model, or pass `force=True` (`--force`) if the "
        "result really belongs to it (e.g. it was scored from a local copy)."
    )


def is_hub_dataset(data: dict[str, Any]) -> bool:
    """Whether the inputs came from a Hub dataset id (not a local path or memory)."""
    dataset = str(data.get("dataset") or "")
    return data.get("kind") == "dataset" and bool(_HUB_ID.match(dataset)) and ".." not in dataset


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _task_type(result: Any) -> str:
    kind = str(result.model.get("kind") or "")
    return "image-feature-extraction" if "vision" in kind or "image" in kind else "feature-extraction"


def _dataset_fields(result: Any) -> dict[str, Any]:
    data = result.data
    if data.get("dataset"):
        dataset_type = name = str(data["dataset"])
    elif data.get("kind") == "file":
        dataset_type, name = "local-file", str(data.get("path") or "file")
    else:
        dataset_type, name = "unlabeled-inputs", "Unlabeled inputs"
    args = {k: data[k] for k in ("column", "fingerprint") if data.get(k)}
    return {
        "dataset_type": dataset_type,
        "dataset_name": name,
        "dataset_config": data.get("config") or None,
        "dataset_split": data.get("split") or None,
        "dataset_revision": data.get("revision") or None,
        "dataset_args": args or None,
    }


def _metric_args(result: Any) -> dict[str, Any]:
    s = result.settings
    out = {
        "n_samples": result.n_samples, "bins": s.bins, "binning": s.binning, "k": s.k,
        "mi_estimator": s.mi_estimator, "mi_neurons_per_layer": s.mi_neurons_per_layer,
        "pooling": s.pooling or result.model.get("pooling"), "correction": s.correction,
    }
    return {k: v for k, v in out.items() if v is not None}


def eval_results(result: Any, *, source_url: str | None = None) -> list[Any]:
    """huggingface_hub EvalResults for the headline scores (MI left out when not computed)."""
    from huggingface_hub import EvalResult

    common = {**_dataset_fields(result), "task_type": _task_type(result), "task_name": TASK_NAME,
              "metric_args": _metric_args(result), "source_name": SOURCE_NAME,
              "source_url": source_url or PAPER_URL}
    out = []
    for attr, metric_type, name in METRICS:
        value = getattr(result, attr)
        if value is not None:
            out.append(EvalResult(metric_type=metric_type, metric_name=name,
                                  metric_value=_rounded(value), **common))
    return out


def _is_ours(entry: Any) -> bool:
    source = entry.get("source") if isinstance(entry, dict) else None
    return isinstance(source, dict) and source.get("name") == SOURCE_NAME


def our_source_url(card_text: str) -> str | None:
    """The `source.url` of infomem's model-index results in `card_text`, if it has any."""
    index = parse_header(split_card(card_text).header).get("model-index")
    for entry in index if isinstance(index, list) else []:
        results = entry.get("results") if isinstance(entry, dict) else None
        for result in results if isinstance(results, list) else []:
            if _is_ours(result):
                return str(result["source"].get("url") or "") or None
    return None


def _strip_ours(entry: dict[str, Any]) -> dict[str, Any] | None:
    """`entry` without our metrics; None if nothing of it is left."""
    metrics = entry.get("metrics")
    if not isinstance(metrics, list):
        return entry
    kept = [m for m in metrics
            if not (isinstance(m, dict) and str(m.get("type", "")).startswith(_OUR_PREFIX))]
    if len(kept) == len(metrics):
        return entry
    return {**entry, "metrics": kept} if kept else None


def merge_model_index(existing: Any, ours: list[dict[str, Any]], model_name: str) -> list[Any]:
    """`existing` model-index with our results replaced (in place) and others' kept."""
    if not isinstance(existing, list) or not existing or not isinstance(existing[0], dict):
        return [{"name": model_name, "results": ours}]
    index = copy.deepcopy(existing)
    position = None
    for n, entry in enumerate(index):
        if not isinstance(entry, dict) or not isinstance(entry.get("results"), list):
            continue
        kept: list[Any] = []
        for result in entry["results"]:
            stripped = None if _is_ours(result) else _strip_ours(result)
            if stripped is None and position is None and n == 0:
                position = len(kept)
            if stripped is not None:
                kept.append(stripped)
        entry["results"] = kept
    first = index[0]
    results = first.setdefault("results", [])
    if not isinstance(results, list):
        raise InvalidInputError("The card's `model-index[0].results` is not a list; fix the card's YAML.")
    at = len(results) if position is None else position
    results[at:at] = ours
    return index


def eval_result_files(result: Any, *, source_url: str | None = None) -> dict[str, str]:
    """`.eval_results/infomem_<score>.yaml` files (path -> YAML) for a Hub dataset input.

    The Hub links these entries to a benchmark dataset, so inputs that are not a Hub
    dataset (local files, in-memory texts, the bundled sample) give no files.
    """
    import yaml
    from huggingface_hub import EvalResultEntry, eval_result_entries_to_yaml

    if not is_hub_dataset(result.data):
        return {}
    data = result.data
    s = result.settings
    notes = (f"infomem; S={result.n_samples}, bins={s.bins} ({s.binning}), k={s.k}, "
             f"MI={s.mi_estimator} over {s.mi_neurons_per_layer or 'all'} neurons/layer; nats; "
             "relative score: compare models of one architecture on the same inputs and settings")
    files = {}
    for attr, metric_type, _name in METRICS:
        value = getattr(result, attr)
        if value is None:
            continue
        entry = EvalResultEntry(
            dataset_id=str(data["dataset"]), task_id=metric_type, value=_rounded(value),
            dataset_revision=data.get("revision") or None, date=result.created_at or None,
            source_url=source_url or PAPER_URL, source_name=SOURCE_NAME, notes=notes,
        )
        text = yaml.safe_dump(eval_result_entries_to_yaml([entry]), sort_keys=False,
                              allow_unicode=True, width=1000)
        files[f"{EVAL_RESULTS_DIR}/{metric_type}.yaml"] = text
    return files


def _model_name(meta: dict[str, Any], repo_id: str | None, result: Any) -> str:
    index = meta.get("model-index")
    if isinstance(index, list) and index and isinstance(index[0], dict) and index[0].get("name"):
        return str(index[0]["name"])
    base = repo_id or str(result.model.get("id") or "model")
    return base.rstrip("/").split("/")[-1]


def annotate_card_text(
    card_text: str,
    result: Any,
    *,
    repo_id: str | None = None,
    plot_path: str | None = None,
    result_path: str | None = None,
    source_url: str | None = None,
    force: bool = False,
    unitmem: Any = None,
) -> str:
    """`card_text` with infomem's eval results and section written in; pure and idempotent.

    Only the `model-index` key of the YAML header (added if missing) and the section
    between the infomem markers (appended if missing) change; every other byte is kept.
    With `repo_id`, a result for another model is refused unless `force`. `unitmem` (a
    UnitMemReport) adds its subsection, as a result carrying one does.
    """
    if repo_id is not None:
        check_result_model(result, repo_id, force=force)
    parts = split_card(card_text)
    meta = parse_header(parts.header)
    ours = _our_model_index_results(result, source_url)
    index = merge_model_index(meta.get("model-index"), ours, _model_name(meta, repo_id, result))
    if parts.header is None or meta.get("model-index") != index:
        parts = set_header_key(parts, "model-index", index)
    section = render_section(result, plot_path=plot_path, result_path=result_path,
                             unitmem=unitmem, newline=parts.newline)
    return join_card(replace(parts, body=replace_section(parts.body, section, parts.newline)))


def _our_model_index_results(result: Any, source_url: str | None) -> list[dict[str, Any]]:
    from huggingface_hub.repocard_data import eval_results_to_model_index

    index = eval_results_to_model_index("infomem", eval_results(result, source_url=source_url))
    return index[0]["results"]
