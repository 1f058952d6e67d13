"""Write infomem results into a model's card on the Hub, as a pull request by default.

One commit carries everything (README.md, the plot, the result JSONs, the
`.eval_results/` files), so a failure leaves nothing half-written. A run whose card
and files would not change writes nothing and opens no PR. The scores' `source_url`
points at the result JSON on the revision written (`refs/pr/N` for a PR), where it exists;
a new PR learns its number from its first commit, so a second one there sets the link.
An extraction result alone writes its block and JSON only: no scores, no second commit.
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

from .card_content import CardContent, load_card_content, write_card
from .card_data import EVAL_RESULTS_DIR, METRICS, eval_result_files, our_source_url
from .client import HubSession, check_repo_id, open_session
from .errors import forbidden_advice

__all__ = ["CardUpdate", "annotate_model_card", "annotate_card_file", "PLOT_PATH",
           "RESULT_PATH", "EXTRACTION_PATH", "COMMIT_TITLE", "EXTRACTION_TITLE"]

PLOT_PATH = "infomem/scores.png"
RESULT_PATH = "infomem/result.json"
EXTRACTION_PATH = "infomem/extraction.json"
COMMIT_TITLE = "infomem: add activation-diversity scores to the model card"
EXTRACTION_TITLE = "infomem: add verbatim-extraction results to the model card"
_OUR_EVAL_FILES = tuple(f"{EVAL_RESULTS_DIR}/{metric}.yaml" for _a, metric, _n in METRICS)
_SCORES_DESCRIPTION = (
    "Adds label-free memorization diagnostics computed with infomem (Bansal, Pruthi & "
    "Belinkov, NeurIPS 2022): model-index eval results, `.eval_results/` entries and a "
    "section with per-layer entropy, MI, settings and known limits."
)
_EXTRACTION_DESCRIPTION = (
    "Adds a separate block with infomem's verbatim-extraction test (Carlini et al. 2022; "
    "Min-K% Prob, Shi et al. 2024): the rates with intervals, the data and a verdict."
)
_ONLY_OURS = " Only the infomem parts of the card change."
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
            return f"The card of {self.repo_id} already holds these results{where}; nothing written."
        if self.dry_run:
            return (f"Dry run: would write {', '.join(self.files)} to {self.repo_id}"
                    + (" (as a pull request)." if self.revision is None else f" ({self.revision})."))
        if self.pr_url:
            number = str(self.revision).rsplit("/", 1)[-1]
            verb = "Opened" if self.new_pr else "Updated"
            return f"{verb} pull request #{number} on {self.repo_id}: {self.pr_url}"
        return f"Committed to {self.repo_id} ({self.revision}): {self.commit_url}"


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
                and disc.author == session.user
                and disc.title.startswith((COMMIT_TITLE, EXTRACTION_TITLE))):
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


def _extraction_bytes(extraction: Any) -> bytes:
    from infomem.scoring.files import dump_json

    return (dump_json(extraction.to_dict()) + "\n").encode("utf-8")


def _uploads(content: CardContent) -> list[str]:
    """The files beside README.md that `content` writes."""
    paths = [PLOT_PATH, RESULT_PATH] if content.result is not None else []
    return paths + ([EXTRACTION_PATH] if content.extraction is not None else [])


def _description(content: CardContent) -> str:
    parts = [_SCORES_DESCRIPTION] if content.result is not None else []
    parts += [_EXTRACTION_DESCRIPTION] if content.extraction is not None else []
    return " ".join(parts) + _ONLY_OURS


@dataclass
class _Plan:
    """The card and `.eval_results/` files to write, and what changes on the Hub."""

    card: str
    evals: dict[str, str]  # changed score files
    stale: list[str]  # our score files no longer produced
    changed: bool


def _plan(old_card: str, remote: dict[str, bytes], content: CardContent, repo_id: str,
          source_url: str) -> _Plan:
    card = write_card(old_card, content, repo_id=repo_id, plot_path=PLOT_PATH,
                      result_path=RESULT_PATH, extraction_path=EXTRACTION_PATH,
                      source_url=source_url)
    if content.result is None:  # an extraction alone leaves the scores as they are
        return _Plan(card, {}, [], card != old_card)
    evals = eval_result_files(content.result, source_url=source_url)
    stale = sorted(p for p in _OUR_EVAL_FILES if p in remote and p not in evals)
    changed_evals = {p: t for p, t in evals.items() if remote.get(p) != t.encode()}
    return _Plan(card, changed_evals, stale, bool(card != old_card or changed_evals or stale))


def _source_url(session: HubSession, repo_id: str, revision: str) -> str:
    return f"{session.page_url(repo_id)}/blob/{quote(revision, safe='')}/{RESULT_PATH}"


def annotate_model_card(
    repo_id: str,
    result: Any = None,
    *,
    extraction: Any = None,
    unitmem: Any = None,
    create_pr: bool = True,
    token: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    commit_message: str | None = None,
    endpoint: str | None = None,
) -> CardUpdate:
    """Add `result`'s scores, and/or an `extraction` result, to the card of model `repo_id`.

    A score result writes model-index eval results, `.eval_results/infomem_*.yaml` (Hub
    dataset inputs), a readable section with the plot (`infomem/scores.png`) and the result
    JSON; `unitmem` (a UnitMemReport, its dict or JSON path) adds a UnitMem subsection to
    that section. An `extraction` result (ExtractionResult, dict or JSON path) writes its
    own block and `infomem/extraction.json`. All in one commit. By default this opens a pull
    request (reusing your open infomem PR if any); `create_pr=False` commits to main (needs
    write access). `dry_run` computes the diff and writes nothing (a token is then optional
    for public repos). The scores' source link points at the result JSON on the revision
    written: a new PR learns its revision from that commit, and a second one there sets
    the link (a dry run shows main's).
    """
    check_repo_id(repo_id)
    content = load_card_content(result, extraction=extraction, unitmem=unitmem,
                                repo_id=repo_id, force=force)
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
        return _plan(old_card, remote, content, repo_id, _source_url(session, repo_id, rev))

    # Unchanged scores keep the link they were written with (e.g. a merged PR's revision).
    kept = our_source_url(old_card)
    plan = _plan(old_card, remote, content, repo_id, kept) if kept else plan_for(revision or "main")
    update = CardUpdate(repo_id, changed=plan.changed, diff="", revision=revision, dry_run=dry_run,
                        pr_url=existing_pr.url if existing_pr is not None else None)
    if not update.changed:
        return update
    if revision is not None:
        plan = plan_for(revision)
    update.diff, update.deleted = _diff(old_card, plan.card), plan.stale
    update.files = ["README.md", *_uploads(content), *sorted(plan.evals)]
    if dry_run:
        return update
    title = COMMIT_TITLE if content.result is not None else EXTRACTION_TITLE
    commit = _Commit(session, update, _description(content))
    # A direct commit, and a new PR, build on the main we read: never overwrite a
    # concurrent edit.
    info = commit(_operations(plan, content), message=commit_message or title,
                  create_pr=revision is None, parent=None if existing_pr is not None else main_sha)
    update.commit_url = info.commit_url
    if revision is None:  # a new PR: only now is its revision known
        update.revision, update.pr_url, update.new_pr = info.pr_revision, info.pr_url, True
        if content.result is not None:  # so link the scores to it
            update.commit_url = commit(_operations(plan_for(info.pr_revision)),
                                       message=_LINK_MESSAGE, create_pr=False,
                                       parent=None).commit_url
    return update


def _operations(plan: _Plan, content: CardContent | None = None) -> list[Any]:
    """The commit's operations: the card and score files, with `content` its files too."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    operations: list[Any] = [CommitOperationAdd("README.md", plan.card.encode("utf-8"))]
    if content is not None and content.result is not None:
        operations += [CommitOperationAdd(PLOT_PATH, _plot_bytes(content.result)),
                       CommitOperationAdd(RESULT_PATH, _result_bytes(content.result)),
                       *(CommitOperationDelete(path) for path in plan.stale)]
    if content is not None and content.extraction is not None:
        operations.append(CommitOperationAdd(EXTRACTION_PATH,
                                             _extraction_bytes(content.extraction)))
    operations += [CommitOperationAdd(path, text.encode("utf-8"))
                   for path, text in sorted(plan.evals.items())]
    return operations


@dataclass
class _Commit:
    """Commits to the revision `update` names, with one-line errors and our description."""

    session: HubSession
    update: CardUpdate
    description: str

    def __call__(self, operations: list[Any], *, message: str, create_pr: bool,
                 parent: str | None) -> Any:
        update = self.update
        forbidden = forbidden_advice(
            "Drop `--commit-directly` (`create_pr=True`, the default) to open a pull request "
            "instead") if update.revision == "main" else None
        action = "open a pull request on" if create_pr else "commit to"
        with self.session.errors(f"{action} `{update.repo_id}`", update.repo_id,
                                 forbidden=forbidden):
            return self.session.api.create_commit(
                update.repo_id, operations, commit_message=message,
                commit_description=self.description, create_pr=create_pr,
                revision=update.revision, parent_commit=parent,
            )


def annotate_card_file(
    readme: str | Path,
    result: Any = None,
    *,
    extraction: Any = None,
    unitmem: Any = None,
    output: str | Path | None = None,
    repo_id: str | None = None,
    force: bool = False,
) -> tuple[str, str]:
    """Offline: annotate a local card file; returns (new text, unified diff).

    The same parts as :func:`annotate_model_card` (`result`, `unitmem`, `extraction`).
    Writes `output` (if given) with the card's exact bytes otherwise preserved. Without
    uploads the section has no figure and the blocks no links to result files.
    """
    content = load_card_content(result, extraction=extraction, unitmem=unitmem,
                                repo_id=repo_id, force=force)
    path = Path(readme)
    try:
        old = path.read_bytes().decode("utf-8") if path.exists() else ""
    except UnicodeDecodeError as e:
        raise InvalidInputError(f"{str(path)!r} is not UTF-8 text ({e}).") from e
    new = write_card(old, content, repo_id=repo_id)
    if output is not None:
        Path(output).write_bytes(new.encode("utf-8"))
    return new, _diff(old, new, path.name)
