"""Spaces: publish the evaluate metric (`evaluate.load("ORG/NAME")`), upload any Space.

:func:`upload_space` is the generic piece (files + README YAML + requirements +
variables, one commit); :func:`publish_metric` fills it in for the metric, and
`infomem.space.deploy` for the demo app (`infomem deploy-space`). Both Spaces carry
infomem itself (:mod:`infomem.hub.vendor`), so they build on the real Hub.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infomem.errors import InvalidInputError

from .card_text import join_card, set_header_key, split_card
from .client import check_repo_id, open_session
from .errors import CREATE_PR_INSTEAD, forbidden_advice
from .vendor import VENDOR_DIR, python_version, sdk_version, space_package

__all__ = ["SpaceUpload", "upload_space", "publish_metric", "space_readme", "METRIC_APP"]

_SKIP_DIRS = {"__pycache__", ".git", ".ipynb_checkpoints", ".pytest_cache"}

# app.py of the metric Space. evaluate's own widget is broken with current gradio
# (ECOSYSTEM.md), so the page is infomem's demo (vendored beside it), else the metric card.
METRIC_APP = '''\
"""The infomem metric's Space: the infomem demo, or its card where infomem.space is absent."""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr


def build():
    try:
        from infomem.space.app import build_app
    except ImportError:
        build_app = None
    if build_app is not None:
        return build_app()
    with open("README.md", encoding="utf-8") as f:
        card = f.read().split("---", 2)[-1]
    with gr.Blocks(title="infomem") as demo:
        gr.Markdown(card)
    return demo


demo = build()

if __name__ == "__main__":
    demo.launch()
'''

@dataclass
class SpaceUpload:
    repo_id: str
    url: str  # the Space page
    commit_url: str | None
    pr_url: str | None = None
    files: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.repo_id}: {self.pr_url or self.commit_url or 'up to date'} ({self.url})"


def _collect(files: str | Path | Mapping[str, bytes | str | Path]) -> dict[str, bytes]:
    """Path in repo -> bytes, from a folder or a mapping."""
    if isinstance(files, (str, Path)):
        folder = Path(files)
        if not folder.is_dir():
            raise InvalidInputError(f"Space folder {str(folder)!r} does not exist or is not a folder.")
        out = {}
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if path.is_file() and not (set(rel.parts) & _SKIP_DIRS) and path.suffix != ".pyc":
                out[rel.as_posix()] = path.read_bytes()
        return out
    out = {}
    for name, value in files.items():
        if isinstance(value, Path):
            value = value.read_bytes()
        out[str(name)] = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return out


def space_readme(readme_yaml: Mapping[str, Any], body: str = "", existing: str | None = None) -> str:
    """README.md with `readme_yaml` keys set on `existing` (kept otherwise) or on `body`."""
    if existing is None and body and not body.startswith(("\n", "\r\n")):
        body = "\n" + body  # one blank line between the YAML and the body, as Hub cards have
    parts = split_card(existing if existing is not None else body)
    for key, value in readme_yaml.items():
        parts = set_header_key(parts, key, value)
    return join_card(parts)


def upload_space(
    repo_id: str,
    files: str | Path | Mapping[str, bytes | str | Path],
    *,
    readme_yaml: Mapping[str, Any] | None = None,
    readme_body: str = "",
    requirements: list[str] | None = None,
    sdk: str = "gradio",
    private: bool = False,
    create_pr: bool = False,
    token: str | None = None,
    endpoint: str | None = None,
    commit_message: str | None = None,
    variables: Mapping[str, str] | None = None,
    prune: Sequence[str] = (),
    forbidden: str | None = None,
) -> SpaceUpload:
    """Create (or update) the Space `repo_id` with `files` in one commit.

    `files`: a folder or {path in repo: bytes/str/Path}. `readme_yaml` keys are set on the
    README.md from `files` (or on `readme_body`); `requirements` becomes requirements.txt;
    `variables` are set as the Space's variables (environment of the running app).
    Files already in the Space but not given are left alone, except under the folders in
    `prune` (e.g. ``"infomem/"``), which end up holding exactly the files given. An
    unchanged upload makes no commit. `forbidden`: what a 403 message advises (default:
    `--create-pr`).
    """
    check_repo_id(repo_id, "space")
    content = _collect(files)
    if readme_yaml is not None:
        existing = content["README.md"].decode("utf-8") if "README.md" in content else None
        yaml_keys = dict(readme_yaml)
        yaml_keys.setdefault("sdk", sdk)
        content["README.md"] = space_readme(yaml_keys, readme_body, existing).encode("utf-8")
    if requirements is not None:
        content["requirements.txt"] = ("\n".join(requirements) + "\n").encode("utf-8")
    if not content:
        raise InvalidInputError("Nothing to upload: `files` is empty.")
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    if forbidden is None and not create_pr:
        forbidden = CREATE_PR_INSTEAD
    session = open_session(token, endpoint=endpoint, action=f"upload the Space `{repo_id}`")
    with session.errors("upload the Space", repo_id, "space", forbidden=forbidden):
        session.api.create_repo(repo_id, repo_type="space", space_sdk=sdk, private=private,
                                exist_ok=True)
        stale = [path for path in session.api.list_repo_files(repo_id, repo_type="space")
                 if path.startswith(tuple(prune)) and path not in content] if prune else []
        operations: list[Any] = [CommitOperationAdd(p, data) for p, data in sorted(content.items())]
        operations += [CommitOperationDelete(path) for path in stale]
        info = session.api.create_commit(
            repo_id, operations, repo_type="space", create_pr=create_pr,
            commit_message=commit_message or f"infomem: update {', '.join(sorted(content))}",
        )
        for key, value in (variables or {}).items():
            session.api.add_space_variable(repo_id, str(key), str(value))
    return SpaceUpload(repo_id, session.page_url(repo_id, "space"), info.commit_url, info.pr_url,
                       sorted(content))


def publish_metric(
    repo_id: str,
    *,
    token: str | None = None,
    private: bool = False,
    endpoint: str | None = None,
    infomem_requirement: str | None = None,
) -> SpaceUpload:
    """Publish the infomem evaluate metric as the Space `repo_id` ("ORG/NAME").

    The Space holds `NAME.py` (the metric script), its metric card README (evaluate's
    format: sdk gradio, app_file app.py, tags evaluate/metric), app.py (the demo), and what
    makes it build on the real Hub (:func:`infomem.hub.vendor.space_package`): infomem
    vendored as `infomem/` and its dependencies pinned in requirements.txt, or only
    `infomem_requirement` there instead of the copy. ``evaluate.load("ORG/NAME")`` works
    where infomem is installed.
    """
    check_repo_id(repo_id, "space")
    from infomem.glue.evaluate_module import metric_card_text
    from infomem.glue.install import metric_script_path

    name = repo_id.split("/")[1]
    card = metric_card_text()
    yaml_keys = {"title": name, "sdk": "gradio", "sdk_version": sdk_version(),
                 "python_version": python_version(), "app_file": "app.py",
                 "tags": _tags(card, ("evaluate", "metric"))}
    files = {**space_package(infomem_requirement), f"{name}.py": metric_script_path().read_bytes(),
             "app.py": METRIC_APP.encode("utf-8"), "README.md": card.encode("utf-8")}
    return upload_space(
        repo_id, files, readme_yaml=yaml_keys, private=private, token=token, endpoint=endpoint,
        commit_message=f"infomem: publish the evaluate metric as {name}.py",
        prune=(f"{VENDOR_DIR}/",),
        forbidden=forbidden_advice("Publish it under your own name or an organization you can "
                                   "write to (`infomem publish-metric YOU/NAME`)"),
    )


def _tags(card: str, required: tuple[str, ...]) -> list[str]:
    from .card_text import parse_header

    tags = parse_header(split_card(card).header).get("tags") or []
    return list(dict.fromkeys([*required, *(str(t) for t in tags)]))
