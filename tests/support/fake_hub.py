"""A small Hugging Face Hub for tests: a stdlib HTTP server on 127.0.0.1.

It speaks enough of the Hub's HTTP API for the real ``huggingface_hub`` client,
``transformers`` ``from_pretrained`` and ``evaluate.load("user/name")`` (see
ECOSYSTEM.md, "A fake Hub for tests"): whoami, repo creation, info, tree,
preupload, ndjson commits (direct and ``create_pr``), pull requests on
``refs/pr/N``, file resolution with ``X-Repo-Commit``/``ETag``/``Content-Length``,
and the ``X-Error-Code`` / ``X-Error-Message`` headers the client classifies
errors by. Users own their namespace (and orgs they belong to); a wrong token
gets 401, a write to somebody else's repo 403, a private repo is invisible to
others and a gated repo's files need its owner.

Usage::

    with FakeHub() as hub:
        token = hub.add_user("alice")
        os.environ["HF_ENDPOINT"] = hub.url   # before importing huggingface_hub
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Mapping
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .fake_hub_http import Handler, HubRequestError
from .fake_hub_store import Discussion, Repo, Store

__all__ = ["FakeHub", "HubRequestError"]


class FakeHub:
    """An in-process fake Hub. `start()` it (or use it as a context manager)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self._tmp = None if root is not None else tempfile.mkdtemp(prefix="fake-hub-")
        self.root = Path(root) if root is not None else Path(str(self._tmp))
        self.store = Store(self.root)
        self.log: list[tuple[str, str, int]] = []  # (method, path, status) of every request
        self.unhandled: list[tuple[str, str]] = []  # requests no route matched
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ----------------------------------------------------------------------
    def start(self) -> FakeHub:
        handler = type("BoundHandler", (Handler,), {"hub": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-hub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake Hub first"
        return f"http://127.0.0.1:{self._server.server_port}"

    # accounts -----------------------------------------------------------------------
    def add_user(self, name: str, token: str | None = None, *, role: str = "write") -> str:
        """Register a user; returns the token (default ``hf_<name>_fake<...>``)."""
        token = token or f"hf_{name}_fake{abs(hash(name)) % 10**8:08d}XYZ"
        self.store.add_user(name, token, role)
        return token

    def add_org(self, name: str, members: list[str]) -> None:
        self.store.add_org(name, members)

    # direct state access for tests --------------------------------------------------
    def repo(self, repo_id: str, repo_type: str = "model") -> Repo:
        repo = self.store.get(repo_type, repo_id)
        if repo is None:
            raise KeyError(f"no {repo_type} repo {repo_id!r} on the fake Hub")
        return repo

    def seed_repo(
        self,
        repo_id: str,
        files: Mapping[str, bytes | str | Path] | None = None,
        *,
        repo_type: str = "model",
        private: bool = False,
        gated: bool = False,
        sdk: str | None = None,
        message: str = "seed",
    ) -> str:
        """Create a repo (owner: its namespace) holding `files`, without HTTP; returns the sha."""
        author = repo_id.split("/")[0]
        repo = self.store.get(repo_type, repo_id) or self.store.create_repo(
            repo_type, repo_id, author=author, private=private, gated=gated, sdk=sdk
        )
        if not files:
            return repo.refs["main"]
        blobs = {p: _as_bytes(v) for p, v in files.items()}
        commit = self.store.commit(
            repo,
            "main",
            files=blobs,
            deleted_files=[],
            deleted_folders=[],
            title=message,
            message="",
            author=author,
        )
        return commit.sha

    def seed_folder(self, repo_id: str, folder: str | Path, **kwargs: Any) -> str:
        folder = Path(folder)
        files = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
        return self.seed_repo(repo_id, files, **kwargs)

    def files(
        self, repo_id: str, *, repo_type: str = "model", revision: str = "main"
    ) -> dict[str, bytes]:
        """Every file of `repo_id` at `revision`, path -> bytes."""
        repo = self.repo(repo_id, repo_type)
        commit = self.store.resolve(repo, revision)
        if commit is None:
            raise KeyError(f"no revision {revision!r} in {repo_id}")
        return {p: self.store.blob(sha) for p, sha in sorted(commit.tree.items())}

    def read(
        self, repo_id: str, path: str, *, repo_type: str = "model", revision: str = "main"
    ) -> bytes:
        return self.files(repo_id, repo_type=repo_type, revision=revision)[path]

    def refs(self, repo_id: str, repo_type: str = "model") -> dict[str, str]:
        with self.store.lock:
            return dict(self.repo(repo_id, repo_type).refs)

    def history(
        self, repo_id: str, *, repo_type: str = "model", revision: str = "main"
    ) -> list[str]:
        """Commit titles, newest first."""
        repo = self.repo(repo_id, repo_type)
        return [repo.commits[sha].title for sha in self.store.history_shas(repo, revision)]

    def discussions(self, repo_id: str, repo_type: str = "model") -> list[Discussion]:
        with self.store.lock:
            return list(self.repo(repo_id, repo_type).discussions)

    def writes(self) -> list[tuple[str, str, int]]:
        """Logged requests that could change state (POST/PUT/PATCH/DELETE)."""
        return [entry for entry in self.log if entry[0] in ("POST", "PUT", "PATCH", "DELETE")]


def _as_bytes(value: bytes | str | Path) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, Path):
        return value.read_bytes()
    return value.encode("utf-8")


