"""The files of the infomem Space (app.py, README with the Space's YAML, requirements.txt
and infomem itself, vendored: :mod:`infomem.hub.vendor`), and their upload to the Hub
through :mod:`infomem.hub`.

Building the files is pure and offline (`infomem deploy-space ORG/NAME --output DIR` only
writes them); the upload itself is the Hub package's job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from infomem.errors import InvalidInputError
from infomem.hub.client import check_repo_id
from infomem.hub.spaces import space_readme
from infomem.hub.vendor import VENDOR_DIR, python_version, sdk_version, space_package

from .config import ENV_VARS

__all__ = ["space_files", "write_space", "deploy_space", "demo_readme"]

_SPACE_VARIABLES = set(ENV_VARS.values())


def demo_readme(repo_id: str, *, title: str | None = None) -> str:
    """The demo Space's README: its YAML configuration, then what it does."""
    name = title or repo_id.split("/")[-1]
    meta = {"title": name, "emoji": "🧠", "colorFrom": "indigo", "colorTo": "purple",
            "sdk": "gradio", "sdk_version": sdk_version(), "python_version": python_version(),
            "app_file": "app.py", "pinned": False, "license": "apache-2.0",
            "short_description": "Memorization patterns from activation entropy and MI",
            "tags": ["evaluate", "memorization", "interpretability"]}
    names = ", ".join(f"`{v}`" for v in ENV_VARS.values())
    body = f"""
# {name}

Label-free memorization diagnostics with infomem (a copy of it is in `infomem/`):
per-neuron entropy and pairwise mutual information of a model's activations on unlabeled
inputs (Bansal, Pruthi & Belinkov, "Measures of Information Reflect Memorization
Patterns", NeurIPS 2022, [arXiv:2210.09404](https://arxiv.org/abs/2210.09404)).

- **Score**: one model on a dataset, pasted lines or an uploaded file; box plots of neuron
  entropy per layer, the MI matrix, a result JSON and the `infomem card` command that puts
  it on the model card; optionally UnitMem, the units that single out one example.
- **Compare**: rank several models; Kendall's tau against extrinsic values.
- **Extraction**: verbatim extraction and Min-K% of a causal LM on candidate texts, with a
  membership test against reference texts.
- **Leaderboard**: results pushed with `infomem push-results`.
- **About**: how to read the scores, and their limits.

The API endpoints `/score`, `/unit_mem`, `/compare` and `/extraction` work with
`gradio_client`.

Limits and the leaderboard's source are Space variables: {names}.
"""
    return space_readme(meta, body)


def _app_source() -> str:
    return resources.files("infomem.space").joinpath("app.py").read_text("utf-8")


def space_files(repo_id: str, *, infomem_requirement: str | None = None,
                title: str | None = None) -> dict[str, bytes]:
    """Path in the Space -> bytes: app.py, README.md, requirements.txt and `infomem/`.

    `infomem_requirement` (e.g. a git+https URL): install infomem from it instead of
    carrying a copy.
    """
    check_repo_id(repo_id, "space")
    return {
        "app.py": _app_source().encode("utf-8"),
        "README.md": demo_readme(repo_id, title=title).encode("utf-8"),
        **space_package(infomem_requirement),
    }


def write_space(folder: str | Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write the Space's files into `folder` (for review, or `hf upload` by hand).

    Returns the folder's top-level entries written (the vendored package as one folder).
    """
    root = Path(folder)
    top: dict[str, Path] = {}
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        first = name.split("/", 1)[0]
        top.setdefault(first, root / first)
    return list(top.values())


def parse_variables(pairs: Sequence[str]) -> dict[str, str]:
    """`KEY=VALUE` pairs for the Space's variables; only the documented INFOMEM_* keys."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidInputError(f"Space variables are `KEY=VALUE`; received {pair!r}.")
        if key not in _SPACE_VARIABLES:
            raise InvalidInputError(
                f"Unknown Space variable {key!r}; known: {', '.join(sorted(_SPACE_VARIABLES))}."
            )
        out[key] = value
    return out


def deploy_space(
    repo_id: str,
    *,
    token: str | None = None,
    private: bool = False,
    create_pr: bool = False,
    infomem_requirement: str | None = None,
    variables: Mapping[str, str] | None = None,
) -> Any:
    """Create or update the Space `repo_id` with the app's files and its variables.

    Returns :class:`infomem.hub.SpaceUpload` (its ``url``, ``commit_url``, ``pr_url``).
    An unchanged deployment makes no commit.
    """
    from infomem.hub import upload_space

    files = space_files(repo_id, infomem_requirement=infomem_requirement)
    return upload_space(repo_id, files, token=token, private=private, create_pr=create_pr,
                        variables=dict(variables or {}), prune=(f"{VENDOR_DIR}/",),
                        commit_message="infomem: deploy the demo app")
