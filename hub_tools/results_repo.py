"""Push infomem results to a Hub dataset repo and read them back (the Space leaderboard).

The repo holds `results/infomem.jsonl` (see :mod:`infomem.hub.results_records`) and a
README whose YAML carries the schema version. A push reads the current file, merges
(re-runs replace their record) and commits both in one commit on top of the commit it
read, so concurrent pushes cannot silently drop each other's records.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infomem.errors import HubError, InvalidInputError, ResultFormatError

from .card_text import join_card, parse_header, set_header_key, split_card
from .cards import load_result
from .client import HubSession, open_session
from .errors import CREATE_PR_INSTEAD
from .results_records import (
    RESULTS_PATH,
    SCHEMA_KEY,
    SCHEMA_VERSION,
    dataset_card,
    dump_records,
    from_record,
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


def _read(session: HubSession, dataset_id: str, revision: str) -> tuple[str | None, str | None, set[str]]:
    """(README text, results text, all paths) at `revision`."""
    files = set(session.api.list_repo_files(dataset_id, repo_type="dataset", revision=revision))
    texts: dict[str, str | None] = {"README.md": None, RESULTS_PATH: None}
    with tempfile.TemporaryDirectory(prefix="infomem-results-") as cache:
        for path in texts:
            if path in files:
                local = session.api.hf_hub_download(dataset_id, path, repo_type="dataset",
                                                    revision=revision, cache_dir=cache)
                texts[path] = Path(local).read_text(encoding="utf-8")
    return texts["README.md"], texts[RESULTS_PATH], files


def _check_schema(dataset_id: str, readme: str | None, results: str | None, files: set[str]) -> bool:
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
    others = files - {".gitattributes", "README.md", RESULTS_PATH}
    if version is None and results is None and others:
        raise ResultFormatError(
            f"Dataset `{dataset_id}` is not an infomem results dataset (it holds "
            f"{', '.join(sorted(others)[:3])}{', ...' if len(others) > 3 else ''} and no "
            f"`{SCHEMA_KEY}` in its card); push to a new or empty dataset repo."
        )
    return version is not None


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
    """Add `results` (Results, dicts or JSON paths) to the dataset repo `dataset_id`.

    Creates the repo if needed. One record per model x inputs x settings: pushing the same
    run twice leaves one record; a run that changed replaces its record. Nothing is
    committed when no record changes.
    """
    if isinstance(results, (str, Path, dict)) or hasattr(results, "settings"):
        results = [results]
    loaded = [load_result(r) for r in results]
    if not loaded:
        raise InvalidInputError("`results` is empty: pass at least one result (JSON path or Result).")
    new = [to_record(r) for r in loaded]
    session = open_session(token, endpoint=endpoint, action=f"push results to `{dataset_id}`")
    forbidden = None if create_pr else CREATE_PR_INSTEAD
    with session.errors("push results", dataset_id, "dataset", forbidden=forbidden):
        session.api.create_repo(dataset_id, repo_type="dataset", private=private, exist_ok=True)
        sha = session.api.dataset_info(dataset_id).sha
        readme, text, files = _read(session, dataset_id, sha)
    marked = _check_schema(dataset_id, readme, text, files)
    old = parse_records(text or "", source=f"`{dataset_id}`/{RESULTS_PATH}")
    merged, counts = merge_records(old, new)
    outcome = ResultsPush(dataset_id, counts["added"], counts["replaced"], counts["unchanged"])
    if counts["added"] == counts["replaced"] == 0:
        return outcome
    from huggingface_hub import CommitOperationAdd

    operations = [CommitOperationAdd(RESULTS_PATH, dump_records(merged).encode("utf-8"))]
    if readme is None:
        operations.append(CommitOperationAdd("README.md", dataset_card(dataset_id).encode("utf-8")))
    elif not marked:  # a card written by hand: add the schema marker, keep the rest
        card = join_card(set_header_key(split_card(readme), SCHEMA_KEY, SCHEMA_VERSION))
        operations.append(CommitOperationAdd("README.md", card.encode("utf-8")))
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
    token: str | None = None,
    revision: str | None = None,
    endpoint: str | None = None,
) -> list[Any]:
    """The Results stored in the dataset repo `dataset_id` (in file order)."""
    session = open_session(token, endpoint=endpoint, require_token=False,
                           action=f"read results from `{dataset_id}`")
    with session.errors("read results", dataset_id, "dataset"):
        sha = session.api.dataset_info(dataset_id, revision=revision).sha
        readme, text, files = _read(session, dataset_id, sha)
    if text is None:
        raise HubError(
            f"Dataset `{dataset_id}` has no `{RESULTS_PATH}`: push results to it first with "
            "`infomem push-results`."
        )
    _check_schema(dataset_id, readme, text, files)
    return [from_record(r) for r in parse_records(text, source=f"`{dataset_id}`/{RESULTS_PATH}")]
