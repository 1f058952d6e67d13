"""The one place that builds a huggingface_hub client: token lookup, endpoint, identity.

huggingface_hub is imported inside the functions, so importing infomem.hub stays cheap
and does no Hub work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infomem.errors import InvalidInputError

from .errors import NO_TOKEN, REPO_KINDS, HubError, hub_errors

__all__ = ["HubSession", "open_session", "check_repo_id"]


def check_repo_id(repo_id: Any, repo_type: str = "model") -> None:
    """One-line InvalidInputError unless `repo_id` is a Hub id (ORG/NAME; a model or dataset
    may also be a bare legacy NAME), checked with huggingface_hub's own rules before any work."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        valid = isinstance(repo_id, str) and (repo_type != "space" or "/" in repo_id)
        if valid:
            validate_repo_id(repo_id)
    except HFValidationError:
        valid = False
    if not valid:
        raise InvalidInputError(
            f"A {REPO_KINDS.get(repo_type, repo_type)} id must look like `ORG/NAME` (letters, digits, "
            f"`-`, `_`, `.`; no `--` or `..`, no `-` or `.` at either end, at most 96 "
            f"characters); received {repo_id!r}.")


@dataclass
class HubSession:
    """A client bound to one token and endpoint, with the token's user name (if any)."""

    api: Any  # huggingface_hub.HfApi
    token: str | None
    user: str | None  # None when anonymous

    @property
    def endpoint(self) -> str:
        return str(self.api.endpoint)

    def errors(self, action: str, repo_id: str | None = None, repo_type: str = "model", *,
               forbidden: str | None = None) -> Any:
        """Context manager mapping Hub failures during `action` to HubError (`forbidden`: 403 advice)."""
        return hub_errors(action, repo_id=repo_id, repo_type=repo_type, token=self.token,
                          endpoint=self.endpoint, forbidden=forbidden)

    def page_url(self, repo_id: str, repo_type: str = "model") -> str:
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        return f"{self.endpoint}/{prefix}{repo_id}"


def open_session(
    token: str | None = None,
    *,
    endpoint: str | None = None,
    require_token: bool = True,
    action: str = "reach the Hub",
) -> HubSession:
    """Resolve the token (argument, HF_TOKEN, stored login) and check it with whoami.

    With `require_token`, a missing token is refused before any request; a token the Hub
    rejects, or a read-only token (the caller means to write), is refused before anything
    is written.
    """
    from huggingface_hub import HfApi, get_token

    token = token or get_token()
    if token is None and require_token:
        raise HubError(f"Cannot {action}: {NO_TOKEN}")
    api = HfApi(endpoint=endpoint, token=token or False)
    user = None
    if token is not None:
        with hub_errors(action, token=token, endpoint=api.endpoint):
            identity = api.whoami()
        user = identity.get("name")
        role = ((identity.get("auth") or {}).get("accessToken") or {}).get("role")
        if require_token and role == "read":
            raise HubError(
                f"Cannot {action}: the token is read-only. Create a token with write access "
                "(Hub settings > Access Tokens) and log in with it (`hf auth login`), or set HF_TOKEN."
            )
    return HubSession(api, token, user)
