"""Write infomem scores into a model's card on the Hub, as a pull request by default.

One commit carries everything (README.md, the plot, the result JSON, the
`.eval_results/` files), so a failure leaves nothing half-written. A run whose card
and files would not change writes nothing and opens no PR. The scores' `source_url`
points at the result JSON on the revision written (`refs/pr/N` for a PR), where it exists;
a new PR learns its number from its first commit, so a second one there sets the link.
"""

from __future__ import annotations

import difflib
import io
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from infomem.errors import InvalidInputError

from .card_data import (
    EVAL_RESULTS_DIR,
    METRICS,
    annotate_card_text,
    check_result_model,
    eval_result_files,
    our_source_url,
)
from .client import HubSession, open_session
from .errors import forbidden_advice

__all__ = ["CardUpdate", "annotate_model_card", "annotate_card_file", "load_result", "PLOT_PATH",
           "RESULT_PATH", "COMMIT_TITLE"]

PLOT_PATH = "infomem/scores.png"
RESULT_PATH = "infomem/result.json"
COMMIT_TITLE = "infomem: add activation-diversity scores to the model card"
_OUR_EVAL_FILES = tuple(f"{EVAL_RESULTS_DIR}/{metric}.yaml" for _a, metric, _n in METRICS)
_DESCRIPTION = (
    "Adds label-free memorization diagnostics computed with infomem (Bansal, Pruthi & "
    "Belinkov, NeurIPS 2022): model-index eval results, `.eval_results/` entries and a "
    "section with per-layer entropy, MI, settings and known limits. Only the infomem "
    "parts of the card change."
)
_LINK_MESSAGE = "infomem: link the scores to the result in this pull request"


@dataclass
class CardUpdate:
    """What `annotate_model_card` did (or, with `dry_run`, would do)."""

    repo_id: str
    changed: bool  # False: the card already holds exactly these scores
    diff: str  # unified diff of README.md ("" when unchanged)
    files: list[str] = field(default_factory=list)  # paths written (or to write)
    deleted: list[str] = field(default_factory=list)  # stale infomem files removed
    pr_url: str | None = None
    commit_url: str | None = None
    revision: str | None = None  # "refs/pr/N" for a PR, else the branch
    new_pr: bool = False  # this run opened the PR (else it updated an open one)
    dry_run: bool = False

    def summary(self) -> str:
        """One line for a terminal."""
        if not self.changed:
            where = f" (pull request {self.pr_url})" if self.pr_url else ""
            return f"The card of {self.repo_id} already holds these scores{where}; nothing written."
        if self.dry_run:
            return (f"Dry run: would write {', '.join(self.files)} to {self.repo_id}"
                    + (" (as a pull request)." if self.revision is None else f" ({self.revision})."))
        if self.pr_url:
            number = str(self.revision).rsplit("/", 1)[-1]
            verb = "Opened" if self.new_pr else "Updated"
            return f"{verb} pull request #{number} on {self.repo_id}: {self.pr_url}"
        return f"Committed to {self.repo_id} ({self.revision}): {self.commit_url}"


def load_result(result: Any) -> Any:
    """A Result from a Result, a dict or a JSON path."""
    from infomem.scoring.result import Result

    if isinstance(result, Result):
        return result
    if isinstance(result, dict):
        return Result.from_dict(result)
    if isinstance(result, (str, Path)):
        return Result.from_json(result)
    raise InvalidInputError(
        f"`result` must be an infomem Result, its dict or a result JSON path; "
        f"received {type(result).__name__}."
    )


def _diff(old: str, new: str, path: str = "README.md") -> str:
    return "".join(difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True),
        fromfile=f"a/{path}", tofile=f"b/{path}",
    ))


def _decode(data: bytes, repo_id: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidInputError(
            f"README.md of `{repo_id}` is not UTF-8 text ({e}); the card cannot be edited safely."
        ) from e


def _remote_files(session: HubSession, repo_id: str, revision: str, paths: list[str]) -> dict[str, bytes]:
    """Current bytes of `paths` at `revision` (missing ones left out); one temp cache."""
    from huggingface_hub.errors import EntryNotFoundError

    present = set(session.api.list_repo_files(repo_id, revision=revision))
    out = {}
    with tempfile.TemporaryDirectory(prefix="infomem-card-") as cache:
        for path in paths:
            if path not in present:
                continue
            try:
                local = session.api.hf_hub_download(repo_id, path, revision=revision, cache_dir=cache)
            except EntryNotFoundError:
                continue
            out[path] = Path(local).read_bytes()
    return out


def _open_infomem_pr(session: HubSession, repo_id: str) -> Any | None:
    """This user's open infomem pull request on `repo_id`, to update instead of a new one."""
    if session.user is None:
        return None
    for disc in session.api.get_repo_discussions(repo_id, author=session.user,
                                                 discussion_type="pull_request"):
        if (disc.is_pull_request and disc.status in ("open", "draft")
                and disc.author == session.user and disc.title.startswith(COMMIT_TITLE)):
            return disc
    return None


def _plot_bytes(result: Any) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    figure = result.plot()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _result_bytes(result: Any) -> bytes:
    data = json.loads(result.without_heavy().to_json())  # small; the scores are all there
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass
class _Plan:
    """The card and `.eval_results/` files to write, and what changes on the Hub."""

    card: str
    evals: dict[str, str]  # changed score files
    stale: list[str]  # our score files no longer produced
    changed: bool


def _plan(old_card: str, remote: dict[str, bytes], result: Any, repo_id: str,
          source_url: str) -> _Plan:
    card = annotate_card_text(old_card, result, repo_id=repo_id, plot_path=PLOT_PATH,
                              result_path=RESULT_PATH, source_url=source_url, force=True)
    evals = eval_result_files(result, source_url=source_url)
    stale = sorted(p for p in _OUR_EVAL_FILES if p in remote and p not in evals)
    changed_evals = {p: t for p, t in evals.items() if remote.get(p) != t.encode()}
    return _Plan(card, changed_evals, stale, bool(card != old_card or changed_evals or stale))


def _source_url(session: HubSession, repo_id: str, revision: str) -> str:
    return f"{session.page_url(repo_id)}/blob/{quote(revision, safe='')}/{RESULT_PATH}"


def annotate_model_card(
    repo_id: str,
    result: Any,
    *,
    create_pr: bool = True,
    token: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    commit_message: str | None = None,
    endpoint: str | None = None,
) -> CardUpdate:
    """Add `result`'s scores to the card of model `repo_id` on the Hub.

    Writes model-index eval results, `.eval_results/infomem_*.yaml` (Hub dataset inputs),
    a readable section with the plot (`infomem/scores.png`) and the result JSON, in one
    commit. By default this opens a pull request (reusing your open infomem PR if any);
    `create_pr=False` commits to main (needs write access). `dry_run` computes the diff and
    writes nothing (a token is then optional for public repos). The scores' source link
    points at the result JSON on the revision written: a new PR learns its revision from
    that commit, and a second one there sets the link (a dry run shows main's).
    """
    result = load_result(result)
    check_result_model(result, repo_id, force=force)
    session = open_session(token, endpoint=endpoint, require_token=not dry_run,
                           action=f"update the card of `{repo_id}`")
    with session.errors("read the model card", repo_id):
        main_sha = session.api.model_info(repo_id).sha
        existing_pr = _open_infomem_pr(session, repo_id) if create_pr else None
        base = existing_pr.git_reference if existing_pr is not None else main_sha
        remote = _remote_files(session, repo_id, base, ["README.md", *_OUR_EVAL_FILES])
    old_card = _decode(remote.get("README.md", b""), repo_id)
    revision = existing_pr.git_reference if existing_pr is not None else (None if create_pr else "main")

    def plan_for(rev: str) -> _Plan:
        return _plan(old_card, remote, result, repo_id, _source_url(session, repo_id, rev))

    # Unchanged scores keep the link they were written with (e.g. a merged PR's revision).
    kept = our_source_url(old_card)
    plan = _plan(old_card, remote, result, repo_id, kept) if kept else plan_for(revision or "main")
    update = CardUpdate(repo_id, changed=plan.changed, diff="", revision=revision, dry_run=dry_run,
                        pr_url=existing_pr.url if existing_pr is not None else None)
    if not update.changed:
        return update
    if revision is not None:
        plan = plan_for(revision)
    update.diff, update.deleted = _diff(old_card, plan.card), plan.stale
    update.files = ["README.md", PLOT_PATH, RESULT_PATH, *sorted(plan.evals)]
    if dry_run:
        return update
    message = commit_message or COMMIT_TITLE
    # A direct commit, and a new PR, build on the main we read: never overwrite a
    # concurrent edit.
    info = _commit(session, update, _operations(plan, result), message=message,
                   create_pr=revision is None, parent=None if existing_pr is not None else main_sha)
    update.commit_url = info.commit_url
    if revision is None:  # a new PR: only now is its revision known, so link the scores to it
        update.revision, update.pr_url, update.new_pr = info.pr_revision, info.pr_url, True
        linked = plan_for(info.pr_revision)
        update.commit_url = _commit(session, update, _operations(linked), message=_LINK_MESSAGE,
                                    create_pr=False, parent=None).commit_url
    return update


def _operations(plan: _Plan, result: Any | None = None) -> list[Any]:
    """The commit's operations: the card and score files, with `result` its plot and JSON too."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    operations: list[Any] = [CommitOperationAdd("README.md", plan.card.encode("utf-8"))]
    if result is not None:
        operations += [CommitOperationAdd(PLOT_PATH, _plot_bytes(result)),
                       CommitOperationAdd(RESULT_PATH, _result_bytes(result)),
                       *(CommitOperationDelete(path) for path in plan.stale)]
    operations += [CommitOperationAdd(path, text.encode("utf-8"))
                   for path, text in sorted(plan.evals.items())]
    return operations


def _commit(session: HubSession, update: CardUpdate, operations: list[Any], *, message: str,
            create_pr: bool, parent: str | None) -> Any:
    forbidden = forbidden_advice(
        "Drop `--commit-directly` (`create_pr=True`, the default) to open a pull request instead"
    ) if update.revision == "main" else None
    action = "open a pull request on" if create_pr else "commit to"
    with session.errors(f"{action} `{update.repo_id}`", update.repo_id, forbidden=forbidden):
        return session.api.create_commit(
            update.repo_id, operations, commit_message=message, commit_description=_DESCRIPTION,
            create_pr=create_pr, revision=update.revision, parent_commit=parent,
        )


def annotate_card_file(
    readme: str | Path,
    result: Any,
    *,
    output: str | Path | None = None,
    repo_id: str | None = None,
    force: bool = False,
) -> tuple[str, str]:
    """Offline: annotate a local card file; returns (new text, unified diff).

    Writes `output` (if given) with the card's exact bytes otherwise preserved. Without
    a plot upload the section has no figure.
    """
    result = load_result(result)
    path = Path(readme)
    try:
        old = path.read_bytes().decode("utf-8") if path.exists() else ""
    except UnicodeDecodeError as e:
        raise InvalidInputError(f"{str(path)!r} is not UTF-8 text ({e}).") from e
    new = annotate_card_text(old, result, repo_id=repo_id, force=force)
    if output is not None:
        Path(output).write_bytes(new.encode("utf-8"))
    return new, _diff(old, new, path.name)
