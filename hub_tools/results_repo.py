"""Push infomem results to a Hub dataset repo and read them back (the Space leaderboard).

The repo holds `results/infomem.jsonl` (score Results; see
:mod:`infomem.hub.results_records`), `results/extraction.jsonl` and `results/unitmem.jsonl`
when such results were pushed, and a README whose YAML carries the schema version and one
dataset config per file. A push reads the current files, merges (re-runs replace their
record) and commits what changed in one commit on top of the commit it read, so concurrent
pushes cannot silently drop each other's records.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infomem.errors import HubError, InvalidInputError, ResultFormatError

from .card_content import load_extraction, load_result, load_unitmem
from .card_text import join_card, parse_header, set_header_key, split_card
from .client import HubSession, check_repo_id, open_session
from .errors import CREATE_PR_INSTEAD
from .results_records import (
    KINDS,
    SCHEMA_KEY,
    SCHEMA_VERSION,
    dataset_card,
    dataset_configs,
    dump_records,
    from_record,
    kind_of,
    merge_records,
    parse_records,
    to_record,
)

__all__ = ["ResultsPush", "push_results", "load_results"]


@dataclass
class ResultsPush:
    dataset_id: str
    added: int
    replaced: int
    unchanged: int
    commit_url: str | None = None  # None when nothing changed
    pr_url: str | None = None

    def summary(self) -> str:
        counts = f"{self.added} added, {self.replaced} replaced, {self.unchanged} unchanged"
        if self.commit_url is None:
            return f"{self.dataset_id}: nothing to write ({counts})."
        where = self.pr_url or self.commit_url
        return f"{self.dataset_id}: {counts}; {where}"


_PATHS = {path: kind for kind, (path, _config) in KINDS.items()}


def _read(session: HubSession, dataset_id: str, revision: str) -> tuple[str | None, dict[str, str], set[str]]:
    """(README text, kind -> records text of the files present, all paths) at `revision`."""
    files = set(session.api.list_repo_files(dataset_id, repo_type="dataset", revision=revision))
    texts: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="infomem-results-") as cache:
        for path in ["README.md", *_PATHS]:
            if path in files:
                local = session.api.hf_hub_download(dataset_id, path, repo_type="dataset",
                                                    revision=revision, cache_dir=cache)
                texts[path] = Path(local).read_text(encoding="utf-8")
    readme = texts.pop("README.md", None)
    return readme, {_PATHS[path]: text for path, text in texts.items()}, files


def _check_schema(dataset_id: str, readme: str | None, results: dict[str, str], files: set[str]) -> bool:
    """Refuse a dataset repo holding something other than infomem results (v1).

    Returns whether the card already carries the schema marker.
    """
    meta = parse_header(split_card(readme).header) if readme is not None else {}
    version = meta.get(SCHEMA_KEY)
    if version is not None and version != SCHEMA_VERSION:
        raise ResultFormatError(
            f"Dataset `{dataset_id}` holds infomem results schema version {version!r}; this "
            f"infomem writes version {SCHEMA_VERSION}. Upgrade infomem or push to a new dataset repo."
        )
    others = files - {".gitattributes", "README.md", *_PATHS}
    if version is None and not results and others:
        raise ResultFormatError(
            f"Dataset `{dataset_id}` is not an infomem results dataset (it holds "
            f"{', '.join(sorted(others)[:3])}{', ...' if len(others) > 3 else ''} and no "
            f"`{SCHEMA_KEY}` in its card); push to a new or empty dataset repo."
        )
    return version is not None


_COMMANDS = "`infomem score --out`, `infomem extract --out` or `infomem unitmem --out`"


def _load(item: Any) -> Any:
    """A Result, ExtractionResult or UnitMemReport from one, its dict or its JSON path."""
    from infomem.scoring.extraction_result import FORMAT as EXTRACTION
    from infomem.scoring.files import read_json
    from infomem.scoring.unitmem_report import FORMAT as UNITMEM

    if not isinstance(item, (str, Path, dict)):
        return item  # a result object: kind_of refuses anything else
    data = read_json(item, what="result file", command=_COMMANDS)[0] if not isinstance(item, dict) else item
    form = data.get("format") if isinstance(data, dict) else None
    if form == EXTRACTION:
        return load_extraction(data)
    if form == UNITMEM:
        return load_unitmem(data)
    return load_result(item)  # a Result, or its one-line format error naming the file


def _commit_operations(dataset_id: str, readme: str | None, marked: bool,
                       changed: dict[str, str], kinds: set[str]) -> list[Any]:
    """The records files that changed, and the card when it needs a marker or configs for
    `kinds` (all present after the push)."""
    from huggingface_hub import CommitOperationAdd

    operations = [CommitOperationAdd(KINDS[kind][0], text.encode("utf-8"))
                  for kind, text in changed.items()]
    if readme is None:
        card = dataset_card(dataset_id, kinds)
    else:
        parts = split_card(readme)
        if not marked:  # a card written by hand: add the schema marker, keep the rest
            parts = set_header_key(parts, SCHEMA_KEY, SCHEMA_VERSION)
        configs = dataset_configs(parse_header(parts.header).get("configs"), kinds)
        if configs is not None:
            parts = set_header_key(parts, "configs", configs)
        card = join_card(parts)
    if card != readme:
        operations.append(CommitOperationAdd("README.md", card.encode("utf-8")))
    return operations


def push_results(
    dataset_id: str,
    results: Iterable[Any] | Any,
    *,
    token: str | None = None,
    create_pr: bool = False,
    private: bool = False,
    endpoint: str | None = None,
    commit_message: str | None = None,
) -> ResultsPush:
    """Add `results` (Results, ExtractionResults, UnitMemReports, their dicts or JSON paths)
    to the dataset repo `dataset_id`.

    Creates the repo if needed. One record per model x inputs x settings, in the file of its
    kind: pushing the same run twice leaves one record; a run that changed replaces its
    record. Nothing is committed when no record changes.
    """
    check_repo_id(dataset_id, "dataset")
    if isinstance(results, (str, Path, dict)) or hasattr(results, "settings"):
        results = [results]
    new: dict[str, list[dict[str, Any]]] = {}
    for item in results:
        loaded = _load(item)
        new.setdefault(kind_of(loaded), []).append(to_record(loaded))
    if not new:
        raise InvalidInputError("`results` is empty: pass at least one result (JSON path or Result).")
    session = open_session(token, endpoint=endpoint, action=f"push results to `{dataset_id}`")
    forbidden = None if create_pr else CREATE_PR_INSTEAD
    with session.errors("push results", dataset_id, "dataset", forbidden=forbidden):
        session.api.create_repo(dataset_id, repo_type="dataset", private=private, exist_ok=True)
        sha = session.api.dataset_info(dataset_id).sha
        readme, texts, files = _read(session, dataset_id, sha)
    marked = _check_schema(dataset_id, readme, texts, files)
    counts = {"added": 0, "replaced": 0, "unchanged": 0}
    changed: dict[str, str] = {}
    for kind, records in new.items():
        old = parse_records(texts.get(kind, ""), source=f"`{dataset_id}`/{KINDS[kind][0]}", kind=kind)
        merged, kind_counts = merge_records(old, records)
        counts = {k: counts[k] + kind_counts[k] for k in counts}
        if kind_counts["added"] or kind_counts["replaced"]:
            changed[kind] = dump_records(merged)
    outcome = ResultsPush(dataset_id, counts["added"], counts["replaced"], counts["unchanged"])
    if not changed:
        return outcome
    operations = _commit_operations(dataset_id, readme, marked, changed, {*texts, *changed})
    message = commit_message or (
        f"infomem: {counts['added']} result(s) added, {counts['replaced']} replaced")
    with session.errors("push results", dataset_id, "dataset", forbidden=forbidden):
        info = session.api.create_commit(dataset_id, operations, repo_type="dataset",
                                         commit_message=message, create_pr=create_pr,
                                         parent_commit=sha)
    outcome.commit_url, outcome.pr_url = info.commit_url, info.pr_url
    return outcome


def load_results(
    dataset_id: str,
    *,
    kind: str = "scores",
    token: str | None = None,
    revision: str | None = None,
    endpoint: str | None = None,
) -> list[Any]:
    """The results of `kind` stored in the dataset repo `dataset_id` (in file order).

    `kind`: "scores" (infomem Results, the default: what the leaderboard ranks),
    "extraction" (ExtractionResults), "unitmem" (UnitMemReports) or "all" (each present
    kind in that order; tell them apart by class, or by :func:`kind_of`).
    """
    check_repo_id(dataset_id, "dataset")
    kinds = list(KINDS) if kind == "all" else [kind]
    if kinds[0] not in KINDS:
        raise InvalidInputError(f"`kind` must be one of {', '.join(KINDS)} or all; received {kind!r}.")
    session = open_session(token, endpoint=endpoint, require_token=False,
                           action=f"read results from `{dataset_id}`")
    with session.errors("read results", dataset_id, "dataset"):
        sha = session.api.dataset_info(dataset_id, revision=revision).sha
        readme, texts, files = _read(session, dataset_id, sha)
    wanted = [k for k in kinds if k in texts]
    if not wanted:
        paths = " or ".join(f"`{KINDS[k][0]}`" for k in kinds)
        raise HubError(
            f"Dataset `{dataset_id}` has no {paths}: push results to it first with "
            "`infomem push-results`."
        )
    _check_schema(dataset_id, readme, texts, files)
    return [from_record(record) for k in wanted
            for record in parse_records(texts[k], source=f"`{dataset_id}`/{KINDS[k][0]}", kind=k)]
