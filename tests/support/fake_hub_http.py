"""The fake Hub's HTTP side: routing, access rules and the Hub's answers (see fake_hub.py)."""

from __future__ import annotations

import base64
import json
import mimetypes
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from .fake_hub_store import REPO_TYPES, Discussion, Repo, User
from .fake_hub_yaml import front_matter, yaml_errors

if TYPE_CHECKING:
    from .fake_hub import FakeHub

__all__ = ["Handler", "HubRequestError", "INVALID_CREDENTIALS"]

INVALID_CREDENTIALS = "Invalid credentials in Authorization header"


class HubRequestError(Exception):
    """Raised inside a handler: becomes an HTTP error with the Hub's headers."""

    def __init__(
        self, status: int, message: str, code: str | None = None, body: dict | None = None
    ):
        super().__init__(message)
        self.status, self.message, self.code, self.body = status, message, code, body


def _repo_not_found(user: User | None) -> HubRequestError:
    # The Hub answers 401 to anonymous callers and 404 to authenticated ones.
    return HubRequestError(401 if user is None else 404, "Repository not found", "RepoNotFound")


def _split_revision(segments: list[str]) -> tuple[str, list[str]]:
    """First segment(s) of `segments` as a revision; also accepts an unencoded refs/pr/N."""
    if len(segments) >= 3 and segments[0] == "refs" and segments[1] in ("pr", "heads", "convert"):
        return "/".join(segments[:3]), segments[3:]
    return segments[0], segments[1:]


class Handler(BaseHTTPRequestHandler):
    hub: FakeHub  # set on the subclass made in FakeHub.start()
    protocol_version = "HTTP/1.0"

    # plumbing -----------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _handle(self) -> None:
        self._dispatch(self.command)  # the HTTP method, as the request line gave it

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def _dispatch(self, method: str) -> None:
        self.method = method
        parts = urlsplit(self.path)
        self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.segments = [unquote(s) for s in parts.path.split("/")[1:]]
        self._body: bytes | None = None
        self._log_path = parts.path
        try:
            self.user = self._authenticate()
            self._route(method)
        except HubRequestError as e:
            self._send_error(e)
        except Exception as e:  # a bug in the fake Hub: say so loudly
            self._send_error(HubRequestError(500, f"fake hub crashed: {e!r}"))

    def body(self) -> bytes:
        if self._body is None:
            length = int(self.headers.get("Content-Length") or 0)
            self._body = self.rfile.read(length) if length else b""
        return self._body

    def json_body(self) -> Any:
        try:
            return json.loads(self.body() or b"{}")
        except json.JSONDecodeError as e:
            raise HubRequestError(400, f"Invalid JSON body: {e}") from e

    def send(
        self,
        status: int,
        payload: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> int:
        data = (
            raw if raw is not None else (b"" if payload is None else json.dumps(payload).encode())
        )
        # Logged before answering: once the client has its answer, the log shows the request.
        self.hub.log.append((self.method, self._log_path, status))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header(
            "Content-Length", str(int((headers or {}).get("Content-Length", len(data))))
        )
        for key, value in (headers or {}).items():
            if key != "Content-Length":
                self.send_header(key, value)
        self.end_headers()
        if self.method != "HEAD":
            self.wfile.write(data)
        return status

    def _send_error(self, e: HubRequestError) -> int:
        one_line = " ".join(e.message.split()).encode("latin-1", "replace").decode("latin-1")
        headers = {"X-Error-Message": one_line}
        if e.code:
            headers["X-Error-Code"] = e.code
        return self.send(e.status, {"error": e.message, **(e.body or {})}, headers=headers)

    def _authenticate(self) -> User | None:
        auth = self.headers.get("Authorization") or ""
        if not auth:
            return None
        token = auth.removeprefix("Bearer ").strip()
        user = self.hub.store.user_for_token(token)
        if user is None:
            raise HubRequestError(401, INVALID_CREDENTIALS)
        return user

    # routing ------------------------------------------------------------------------
    def _route(self, method: str) -> int:
        s = self.segments
        if s[:1] == ["api"]:
            return self._route_api(method, s[1:])
        if len(s) >= 5 and s[0] in ("datasets", "spaces") and s[3] == "resolve":
            return self._resolve(s[0][:-1], f"{s[1]}/{s[2]}", s[4:])
        if len(s) >= 4 and s[2] == "resolve":
            return self._resolve("model", f"{s[0]}/{s[1]}", s[3:])
        return self._unhandled()

    def _route_api(self, method: str, s: list[str]) -> int:
        if s == ["whoami-v2"] and method == "GET":
            return self._whoami()
        if s == ["agent-harnesses"]:
            # huggingface_hub 2.4 calls .get() on this registry: a bare [] breaks every request.
            return self.send(200, {"standardEnvVars": [], "harnesses": {}})
        if s == ["repos", "create"] and method == "POST":
            return self._create_repo()
        if s == ["repos", "delete"] and method == "DELETE":
            return self._delete_repo()
        if s == ["validate-yaml"] and method == "POST":
            return self._validate_yaml()
        if len(s) >= 3 and s[0] in ("models", "datasets", "spaces"):
            repo_type, repo_id, rest = s[0][:-1], f"{s[1]}/{s[2]}", s[3:]
            return self._route_repo(method, repo_type, repo_id, rest)
        return self._unhandled()

    def _route_repo(self, method: str, repo_type: str, repo_id: str, rest: list[str]) -> int:
        head = rest[0] if rest else ""
        if method == "GET" and not rest:
            return self._info(repo_type, repo_id, "main")
        if method == "GET" and head == "revision" and len(rest) >= 2:
            return self._info(repo_type, repo_id, _split_revision(rest[1:])[0])
        if method == "GET" and head == "tree" and len(rest) >= 2:
            rev, path = _split_revision(rest[1:])
            return self._tree(repo_type, repo_id, rev, "/".join(path))
        if method == "POST" and head == "paths-info" and len(rest) >= 2:
            return self._paths_info(repo_type, repo_id, _split_revision(rest[1:])[0])
        if method == "POST" and head == "preupload" and len(rest) >= 2:
            return self._preupload(repo_type, repo_id, _split_revision(rest[1:])[0])
        if method == "POST" and head == "commit" and len(rest) >= 2:
            return self._commit(repo_type, repo_id, _split_revision(rest[1:])[0])
        if method == "GET" and head == "commits" and len(rest) >= 2:
            return self._commits(repo_type, repo_id, _split_revision(rest[1:])[0])
        if method == "GET" and rest == ["refs"]:
            return self._refs(repo_type, repo_id)
        if repo_type == "space" and rest == ["variables"]:
            return self._variables(repo_type, repo_id)
        if head == "discussions":
            return self._route_discussions(method, repo_type, repo_id, rest[1:])
        return self._unhandled()

    def _unhandled(self) -> int:
        self.hub.unhandled.append((self.method, self.path))
        raise HubRequestError(404, f"fake hub: no route for {self.method} {self.path}")

    # access -------------------------------------------------------------------------
    def _repo(self, repo_type: str, repo_id: str, *, files: bool = False) -> Repo:
        """The repo if the caller may read it (and, with `files`, its files)."""
        repo = self.hub.store.get(repo_type, repo_id)
        if repo is None:
            raise _repo_not_found(self.user)
        is_member = self.user is not None and (
            self.user.name == repo.namespace
            or self.user.name in self.hub.store.orgs.get(repo.namespace, ())
        )
        if repo.private and not is_member:
            raise _repo_not_found(self.user)
        if files and repo.gated and not is_member:
            msg = (
                f"Access to {repo_type} {repo_id} is restricted. "
                "You must have access to it and be authenticated."
            )
            raise HubRequestError(401 if self.user is None else 403, msg, "GatedRepo")
        return repo

    def _require_user(self) -> User:
        if self.user is None:
            raise HubRequestError(401, "You must be authenticated to access this resource")
        if self.user.role != "write":
            raise HubRequestError(403, "You don't have the rights to write with a read-only token")
        return self.user

    def _require_write(self, repo: Repo) -> User:
        user = self._require_user()
        if not self.hub.store.can_write_namespace(user, repo.namespace):
            raise HubRequestError(
                403,
                f"You don't have the rights to create a commit on {repo.repo_id}; "
                "open a pull request instead",
            )
        return user

    def _commit_or_404(self, repo: Repo, revision: str) -> Any:
        commit = self.hub.store.resolve(repo, revision)
        if commit is None:
            raise HubRequestError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return commit

    # account and repo endpoints -----------------------------------------------------
    def _whoami(self) -> int:
        if self.user is None:
            raise HubRequestError(401, INVALID_CREDENTIALS)
        orgs = [{"name": o, "type": "org"} for o in self.hub.store.orgs_of(self.user.name)]
        return self.send(
            200,
            {
                "type": "user",
                "name": self.user.name,
                "fullname": self.user.name.title(),
                "orgs": orgs,
                "auth": {
                    "type": "access_token",
                    "accessToken": {"displayName": "fake", "role": self.user.role},
                },
            },
        )

    def _create_repo(self) -> int:
        user = self._require_user()
        payload = self.json_body()
        repo_type = payload.get("type") or "model"
        if repo_type not in REPO_TYPES:
            raise HubRequestError(400, f"Invalid repo type {repo_type!r}")
        namespace = payload.get("organization") or user.name
        repo_id = f"{namespace}/{payload['name']}"
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        url = f"{self.hub.url}/{prefix}{repo_id}"
        if not self.hub.store.can_write_namespace(user, namespace):
            raise HubRequestError(
                403, f"You don't have the rights to create a {repo_type} under {namespace}"
            )
        if self.hub.store.get(repo_type, repo_id) is not None:
            raise HubRequestError(
                409, f"You already created this {repo_type} repo", body={"url": url}
            )
        if repo_type == "space" and not payload.get("sdk"):
            raise HubRequestError(400, "A Space needs an sdk (gradio, docker, static)")
        private = payload.get("visibility", "public") == "private" or bool(payload.get("private"))
        self.hub.store.create_repo(
            repo_type, repo_id, author=user.name, private=private, sdk=payload.get("sdk")
        )
        return self.send(200, {"url": url, "name": repo_id})

    def _delete_repo(self) -> int:
        payload = self.json_body()
        repo_type = payload.get("type") or "model"
        namespace = payload.get("organization") or (self.user.name if self.user else "")
        repo = self._repo(repo_type, f"{namespace}/{payload['name']}")
        self._require_write(repo)
        with self.hub.store.lock:
            del self.hub.store.repos[(repo_type, repo.repo_id)]
        return self.send(200, {})

    def _validate_yaml(self) -> int:
        content = self.json_body().get("content") or ""
        errors = yaml_errors(content)
        if errors:
            raise HubRequestError(
                400, "; ".join(errors), body={"errors": [{"message": m} for m in errors]}
            )
        return self.send(200, {"errors": [], "warnings": []})

    def _info(self, repo_type: str, repo_id: str, revision: str) -> int:
        repo = self._repo(repo_type, repo_id)
        commit = self._commit_or_404(repo, revision)
        with_blobs = self.query.get("blobs", "").lower() in ("1", "true")
        siblings = []
        for path, sha in sorted(commit.tree.items()):
            entry: dict[str, Any] = {"rfilename": path}
            if with_blobs:
                entry.update(size=self.hub.store.blob_size(sha), blobId=sha)
            siblings.append(entry)
        card = (
            front_matter(self.hub.store.blob(commit.tree["README.md"]))
            if "README.md" in commit.tree
            else {}
        )
        info = {
            "_id": commit.sha[:24],
            "id": repo_id,
            "author": repo.namespace,
            "sha": commit.sha,
            "lastModified": commit.date,
            "createdAt": repo.created_at,
            "private": repo.private,
            "gated": "auto" if repo.gated else False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": list(card.get("tags") or []) if isinstance(card, dict) else [],
            "cardData": card if isinstance(card, dict) else {},
            "siblings": siblings,
        }
        if repo_type == "model":
            info["modelId"] = repo_id
        if repo_type == "space":
            info.update(
                sdk=repo.sdk, runtime={"stage": "RUNNING", "hardware": {"current": "cpu-basic"}}
            )
        return self.send(200, info)

    def _tree(self, repo_type: str, repo_id: str, revision: str, path: str) -> int:
        repo = self._repo(repo_type, repo_id)
        commit = self._commit_or_404(repo, revision)
        recursive = self.query.get("recursive", "false").lower() in ("1", "true")
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        if prefix and not any(p.startswith(prefix) for p in commit.tree):
            raise HubRequestError(404, f"Entry not found: {path}", "EntryNotFound")
        entries: dict[str, dict[str, Any]] = {}
        for file_path, sha in sorted(commit.tree.items()):
            if not file_path.startswith(prefix):
                continue
            parts = file_path[len(prefix) :].split("/")
            for depth in range(1, len(parts)):
                folder = prefix + "/".join(parts[:depth])
                if recursive or depth == 1:
                    entries.setdefault(
                        folder, {"type": "directory", "oid": "0" * 40, "size": 0, "path": folder}
                    )
                if not recursive:
                    break
            if recursive or len(parts) == 1:
                entries[file_path] = self._file_entry(file_path, sha)
        return self.send(200, list(entries.values()))

    def _file_entry(self, path: str, sha: str) -> dict[str, Any]:
        return {"type": "file", "oid": sha, "size": self.hub.store.blob_size(sha), "path": path}

    def _paths_info(self, repo_type: str, repo_id: str, revision: str) -> int:
        repo = self._repo(repo_type, repo_id)
        commit = self._commit_or_404(repo, revision)
        raw = self.body().decode()
        if self.headers.get("Content-Type", "").startswith("application/json"):
            paths = json.loads(raw or "{}").get("paths", [])
        else:
            paths = parse_qs(raw).get("paths", [])
        out = []
        for path in paths:
            path = path.strip("/")
            if path in commit.tree:
                out.append(self._file_entry(path, commit.tree[path]))
            elif any(p.startswith(path + "/") for p in commit.tree):
                out.append({"type": "directory", "oid": "0" * 40, "size": 0, "path": path})
        return self.send(200, out)

    def _commits(self, repo_type: str, repo_id: str, revision: str) -> int:
        repo = self._repo(repo_type, repo_id)
        self._commit_or_404(repo, revision)
        out = []
        for sha in self.hub.store.history_shas(repo, revision):
            c = repo.commits[sha]
            out.append(
                {
                    "id": c.sha,
                    "title": c.title,
                    "message": c.message,
                    "authors": [{"user": c.author}],
                    "date": c.date,
                }
            )
        return self.send(200, out)

    def _refs(self, repo_type: str, repo_id: str) -> int:
        repo = self._repo(repo_type, repo_id)
        with self.hub.store.lock:
            refs = dict(repo.refs)

        def ref(name: str, sha: str) -> dict[str, str]:
            full = name if name.startswith("refs/") else f"refs/heads/{name}"
            return {"name": name, "ref": full, "targetCommit": sha}

        return self.send(
            200,
            {
                "branches": [ref(n, s) for n, s in refs.items() if not n.startswith("refs/")],
                "converts": [],
                "tags": [],
                "pullRequests": [ref(n, s) for n, s in refs.items() if n.startswith("refs/pr/")],
            },
        )

    # uploads ------------------------------------------------------------------------
    def _preupload(self, repo_type: str, repo_id: str, revision: str) -> int:
        repo = self._repo(repo_type, repo_id)
        if self.query.get("create_pr") == "1" or revision.startswith("refs/pr/"):
            self._require_user()
        else:
            self._require_write(repo)
        commit = self._commit_or_404(repo, revision)
        files = [
            {
                "path": f["path"],
                "uploadMode": "regular",
                "shouldIgnore": False,
                "oid": commit.tree.get(f["path"]),
            }
            for f in self.json_body().get("files", [])
        ]
        return self.send(200, {"files": files, "commitOid": commit.sha})

    def _commit(self, repo_type: str, repo_id: str, revision: str) -> int:
        repo = self._repo(repo_type, repo_id)
        create_pr = self.query.get("create_pr") == "1"
        header, files, deleted_files, deleted_folders = _parse_ndjson(self.body())
        with self.hub.store.lock:
            if create_pr:
                user = self._require_user()
                if revision not in repo.refs or revision.startswith("refs/"):
                    raise HubRequestError(400, f"Cannot open a pull request against {revision!r}")
            elif revision.startswith("refs/pr/"):
                user = self._require_pr_push(repo, revision)
            else:
                user = self._require_write(repo)
                if revision not in repo.refs:
                    raise HubRequestError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
            parent = header.get("parentCommit")
            tip = self.hub.store.resolve(repo, revision)
            if parent and (tip is None or tip.sha != parent):
                raise HubRequestError(
                    412, "A commit has happened since. Please refresh and try again."
                )
            disc = None
            if create_pr:
                disc = self.hub.store.open_pull_request(
                    repo,
                    title=header.get("summary") or "Upload",
                    author=user.name,
                    description=header.get("description") or "",
                )
                disc.base, disc.status = revision, "open"
                ref = f"refs/pr/{disc.num}"
            else:
                ref = revision
            try:
                commit = self.hub.store.commit(
                    repo,
                    ref,
                    files=files,
                    deleted_files=deleted_files,
                    deleted_folders=deleted_folders,
                    title=header.get("summary") or "Update",
                    message=header.get("description") or "",
                    author=user.name,
                )
            except FileNotFoundError as e:
                raise HubRequestError(
                    404, f"A file with this name doesn't exist: {e}", "EntryNotFound"
                ) from e
        base = f"{self.hub.url}/{repo.url_path()}"
        out: dict[str, Any] = {
            "success": True,
            "commitOid": commit.sha,
            "commitUrl": f"{base}/commit/{commit.sha}",
        }
        if disc is not None:
            out["pullRequestUrl"] = f"{base}/discussions/{disc.num}"
        return self.send(200, out)

    def _require_pr_push(self, repo: Repo, ref: str) -> User:
        user = self._require_user()
        num = int(ref.rsplit("/", 1)[1]) if ref.rsplit("/", 1)[1].isdigit() else 0
        if ref not in repo.refs or not 0 < num <= len(repo.discussions):
            raise HubRequestError(404, f"Invalid rev id: {ref}", "RevisionNotFound")
        disc = repo.discussions[num - 1]
        if disc.author != user.name and not self.hub.store.can_write_namespace(
            user, repo.namespace
        ):
            raise HubRequestError(403, f"Only the author of pull request #{num} can push to it")
        if disc.status in ("merged", "closed"):
            raise HubRequestError(400, f"Pull request #{num} is {disc.status}")
        return user

    def _variables(self, repo_type: str, repo_id: str) -> int:
        repo = self._repo(repo_type, repo_id)
        self._require_write(repo)
        if self.method == "POST":
            payload = self.json_body()
            entry = {"value": str(payload.get("value", ""))}
            if payload.get("description") is not None:
                entry["description"] = str(payload["description"])
            repo.variables[str(payload["key"])] = entry
        elif self.method != "GET":
            return self._unhandled()
        return self.send(200, repo.variables)

    # discussions --------------------------------------------------------------------
    def _route_discussions(self, method: str, repo_type: str, repo_id: str, rest: list[str]) -> int:
        repo = self._repo(repo_type, repo_id)
        if not rest and method == "GET":
            wanted = [d for d in reversed(repo.discussions) if self._discussion_matches(d)]
            items = [self._discussion_json(repo, d) for d in wanted]
            return self.send(
                200,
                {"discussions": items, "count": len(items), "start": 0, "numClosedDiscussions": 0},
            )
        if not rest and method == "POST":
            user = self._require_user()
            payload = self.json_body()
            disc = self.hub.store.open_pull_request(
                repo,
                title=payload.get("title") or "",
                description=payload.get("description") or "",
                author=user.name,
                is_pull_request=bool(payload.get("pullRequest")),
            )
            return self.send(
                200,
                {
                    "num": disc.num,
                    "url": f"{self.hub.url}/{repo.url_path()}/discussions/{disc.num}",
                },
            )
        if not rest[0].isdigit() or not 0 < int(rest[0]) <= len(repo.discussions):
            raise HubRequestError(404, "Discussion not found")
        disc = repo.discussions[int(rest[0]) - 1]
        if len(rest) == 1 and method == "GET":
            return self.send(200, self._discussion_json(repo, disc, details=True))
        if rest[1:] == ["merge"] and method == "POST":
            merger = self._require_write(repo)
            self.hub.store.merge_pull_request(repo, disc.num, author=merger.name)
            return self.send(200, {})
        if rest[1:] == ["status"] and method == "PATCH":
            self._require_write(repo)
            disc.status = self.json_body().get("status", disc.status)
            return self.send(200, {})
        return self._unhandled()

    def _discussion_matches(self, disc: Discussion) -> bool:
        kind, status, author = (self.query.get(k) for k in ("type", "status", "author"))
        if kind == "pull_request" and not disc.is_pull_request:
            return False
        if kind == "discussion" and disc.is_pull_request:
            return False
        if status == "open" and disc.status not in ("open", "draft"):
            return False
        if status == "closed" and disc.status not in ("closed", "merged"):
            return False
        return author is None or disc.author == author

    def _discussion_json(
        self, repo: Repo, disc: Discussion, *, details: bool = False
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "num": disc.num,
            "title": disc.title,
            "status": disc.status,
            "author": {"name": disc.author},
            "createdAt": disc.created_at,
            "repo": {"name": repo.repo_id, "type": repo.repo_type},
            "isPullRequest": disc.is_pull_request,
        }
        if details:
            out["events"] = [
                {
                    "id": f"{disc.num:024d}",
                    "type": "comment",
                    "createdAt": disc.created_at,
                    "author": {"name": disc.author},
                    "data": {"edited": False, "hidden": False, "latest": {"raw": disc.description}},
                }
            ]
            out["changes"] = {"base": f"refs/heads/{disc.base}"}
            out["filesWithConflicts"] = []
            out["diff"] = ""
        return out

    # downloads ----------------------------------------------------------------------
    def _resolve(self, repo_type: str, repo_id: str, segments: list[str]) -> int:
        if self.method not in ("GET", "HEAD"):
            return self._unhandled()
        repo = self._repo(repo_type, repo_id, files=True)
        revision, path_parts = _split_revision(segments)
        commit = self._commit_or_404(repo, revision)
        path = "/".join(path_parts)
        sha = commit.tree.get(path)
        if sha is None:
            raise HubRequestError(404, "Entry not found", "EntryNotFound")
        data = self.hub.store.blob(sha)
        headers = {"X-Repo-Commit": commit.sha, "ETag": f'"{sha}"', "Accept-Ranges": "bytes"}
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        start = _range_start(self.headers.get("Range"))
        if start and self.method == "GET":
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            return self.send(206, raw=data[start:], headers=headers, content_type=content_type)
        headers["Content-Length"] = str(len(data))
        return self.send(200, raw=data, headers=headers, content_type=content_type)


def _range_start(header: str | None) -> int:
    if not header or not header.startswith("bytes="):
        return 0
    first = header[len("bytes=") :].split("-")[0]
    return int(first) if first.isdigit() else 0


def _parse_ndjson(body: bytes) -> tuple[dict, dict[str, bytes], list[str], list[str]]:
    header: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    deleted_files: list[str] = []
    deleted_folders: list[str] = []
    for line in body.splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        key, value = item.get("key"), item.get("value") or {}
        if key == "header":
            header = value
        elif key == "file":
            content = value.get("content", "")
            files[value["path"]] = (
                base64.b64decode(content) if value.get("encoding") == "base64" else content.encode()
            )
        elif key == "deletedFile":
            deleted_files.append(value["path"])
        elif key == "deletedFolder":
            deleted_folders.append(value["path"])
        else:
            raise HubRequestError(
                400, f"The fake Hub does not support commit items of kind {key!r}"
            )
    return header, files, deleted_files, deleted_folders


