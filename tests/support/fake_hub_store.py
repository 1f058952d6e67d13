"""Storage behind the fake Hub: repos with a git-like history, users and orgs.

Blobs live on disk (content-addressed by their git blob sha1, as the real Hub
reports them); commits, refs and discussions live in memory. Every method takes
the store lock, so the threaded HTTP server can call it from any thread.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["Commit", "Discussion", "Repo", "Store", "User", "git_blob_sha"]

GITATTRIBUTES = (
    b"*.bin filter=lfs diff=lfs merge=lfs -text\n"
    b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
)
REPO_TYPES = ("model", "dataset", "space")


def git_blob_sha(data: bytes) -> str:
    """The git blob id of `data` (what the Hub reports as a regular file's oid/ETag)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class User:
    name: str  # "alice"
    token: str  # "hf_alice_..."
    role: str = "write"  # "write" | "read": a read token cannot write anywhere


@dataclass
class Commit:
    sha: str  # 40 hex
    parent: str | None
    tree: dict[str, str]  # path -> blob sha1
    title: str
    message: str
    author: str
    date: str


@dataclass
class Discussion:
    num: int
    title: str
    description: str
    author: str
    is_pull_request: bool
    created_at: str = field(default_factory=_now)
    status: str = "open"  # "open" | "draft" | "merged" | "closed"
    base: str = "main"

    @property
    def ref(self) -> str | None:
        return f"refs/pr/{self.num}" if self.is_pull_request else None


@dataclass
class Repo:
    repo_type: str  # "model" | "dataset" | "space"
    repo_id: str  # "alice/tiny-bert"
    private: bool = False
    gated: bool = False
    sdk: str | None = None  # spaces only
    created_at: str = field(default_factory=_now)
    commits: dict[str, Commit] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # "main" / "refs/pr/1" -> sha
    discussions: list[Discussion] = field(default_factory=list)
    variables: dict[str, dict[str, str]] = field(default_factory=dict)  # spaces: key -> value/desc

    @property
    def namespace(self) -> str:
        return self.repo_id.split("/")[0]

    def url_path(self) -> str:
        """Path of the repo page: "alice/x", "datasets/alice/x", "spaces/alice/x"."""
        return self.repo_id if self.repo_type == "model" else f"{self.repo_type}s/{self.repo_id}"


class Store:
    """Users, orgs and repos of one fake Hub; blobs under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        (self.root / "blobs").mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.orgs: dict[str, set[str]] = {}
        self.repos: dict[tuple[str, str], Repo] = {}
        self._counter = itertools.count()

    # users and orgs -----------------------------------------------------------------
    def add_user(self, name: str, token: str, role: str = "write") -> User:
        with self.lock:
            self.users[name] = user = User(name, token, role)
            return user

    def add_org(self, name: str, members: list[str]) -> None:
        with self.lock:
            self.orgs[name] = set(members)

    def user_for_token(self, token: str) -> User | None:
        with self.lock:
            return next((u for u in self.users.values() if u.token == token), None)

    def can_write_namespace(self, user: User | None, namespace: str) -> bool:
        if user is None or user.role != "write":
            return False
        return user.name == namespace or user.name in self.orgs.get(namespace, set())

    def orgs_of(self, name: str) -> list[str]:
        return sorted(org for org, members in self.orgs.items() if name in members)

    # blobs --------------------------------------------------------------------------
    def put_blob(self, data: bytes) -> str:
        sha = git_blob_sha(data)
        path = self.root / "blobs" / sha
        if not path.exists():
            path.write_bytes(data)
        return sha

    def blob(self, sha: str) -> bytes:
        return (self.root / "blobs" / sha).read_bytes()

    def blob_size(self, sha: str) -> int:
        return (self.root / "blobs" / sha).stat().st_size

    # repos --------------------------------------------------------------------------
    def get(self, repo_type: str, repo_id: str) -> Repo | None:
        with self.lock:
            return self.repos.get((repo_type, repo_id))

    def create_repo(
        self,
        repo_type: str,
        repo_id: str,
        *,
        author: str,
        private: bool = False,
        gated: bool = False,
        sdk: str | None = None,
    ) -> Repo:
        with self.lock:
            if (repo_type, repo_id) in self.repos:
                raise KeyError(repo_id)
            repo = Repo(repo_type, repo_id, private=private, gated=gated, sdk=sdk)
            self.repos[(repo_type, repo_id)] = repo
            self._new_commit(
                repo,
                None,
                {".gitattributes": self.put_blob(GITATTRIBUTES)},
                "initial commit",
                "",
                author,
                ref="main",
            )
            return repo

    def resolve(self, repo: Repo, revision: str) -> Commit | None:
        """Branch, PR ref (refs/pr/N), full sha or a sha prefix of 7+ characters."""
        with self.lock:
            if revision.startswith("refs/heads/"):
                revision = revision[len("refs/heads/") :]
            if revision in repo.refs:
                return repo.commits[repo.refs[revision]]
            if revision in repo.commits:
                return repo.commits[revision]
            if len(revision) >= 7 and all(c in "0123456789abcdef" for c in revision):
                hits = [c for sha, c in repo.commits.items() if sha.startswith(revision)]
                if len(hits) == 1:
                    return hits[0]
            return None

    def _new_commit(
        self,
        repo: Repo,
        parent: str | None,
        tree: dict[str, str],
        title: str,
        message: str,
        author: str,
        *,
        ref: str,
    ) -> Commit:
        n = next(self._counter)
        seed = f"{repo.repo_type}/{repo.repo_id}|{parent}|{sorted(tree.items())}|{title}|{n}"
        sha = hashlib.sha1(seed.encode()).hexdigest()
        commit = Commit(sha, parent, dict(tree), title, message, author, _now())
        repo.commits[sha] = commit
        repo.refs[ref] = sha
        return commit

    def commit(
        self,
        repo: Repo,
        ref: str,
        *,
        files: dict[str, bytes],
        deleted_files: list[str],
        deleted_folders: list[str],
        title: str,
        message: str,
        author: str,
    ) -> Commit:
        """Apply one commit on top of `ref` (a branch name or refs/pr/N) and move the ref."""
        with self.lock:
            tip = repo.commits[repo.refs[ref]]
            tree = dict(tip.tree)
            for path in deleted_files:
                if path not in tree:
                    raise FileNotFoundError(path)
                del tree[path]
            for folder in deleted_folders:
                prefix = folder.rstrip("/") + "/"
                for path in [p for p in tree if p.startswith(prefix)]:
                    del tree[path]
            for path, data in files.items():
                tree[path] = self.put_blob(data)
            return self._new_commit(repo, tip.sha, tree, title, message, author, ref=ref)

    def open_pull_request(
        self, repo: Repo, *, title: str, description: str, author: str, is_pull_request: bool = True
    ) -> Discussion:
        with self.lock:
            num = len(repo.discussions) + 1
            disc = Discussion(
                num,
                title,
                description,
                author,
                is_pull_request,
                status="draft" if is_pull_request else "open",
            )
            repo.discussions.append(disc)
            if disc.ref is not None:
                repo.refs[disc.ref] = repo.refs[disc.base]
            return disc

    def merge_pull_request(self, repo: Repo, num: int, *, author: str) -> Commit:
        """Apply the PR's changes (relative to where it forked) onto its base branch."""
        with self.lock:
            disc = repo.discussions[num - 1]
            assert disc.ref is not None
            pr_tip = repo.commits[repo.refs[disc.ref]]
            fork = pr_tip
            base_shas = set(self.history_shas(repo, disc.base))
            while fork.parent is not None and fork.sha not in base_shas:
                fork = repo.commits[fork.parent]
            base_tree = dict(repo.commits[repo.refs[disc.base]].tree)
            for path in set(fork.tree) | set(pr_tip.tree):
                if pr_tip.tree.get(path) != fork.tree.get(path):
                    if path in pr_tip.tree:
                        base_tree[path] = pr_tip.tree[path]
                    else:
                        base_tree.pop(path, None)
            disc.status = "merged"
            parent = repo.refs[disc.base]
            return self._new_commit(
                repo,
                parent,
                base_tree,
                f"Merge pull request #{num}",
                disc.title,
                author,
                ref=disc.base,
            )

    def history_shas(self, repo: Repo, revision: str) -> list[str]:
        with self.lock:
            commit = self.resolve(repo, revision)
            out = []
            while commit is not None:
                out.append(commit.sha)
                commit = repo.commits[commit.parent] if commit.parent else None
            return out
