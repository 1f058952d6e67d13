"""Turn huggingface_hub / network failures into one-line :class:`infomem.errors.HubError`.

Each message says what failed and what to do (log in, set HF_TOKEN, open a PR, check the
repo id, check the network). The original error is chained (``raise ... from e``). Any
token is masked out of every message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from infomem.errors import HubError

__all__ = ["HubError", "hub_errors", "to_hub_error", "redact", "forbidden_advice",
           "CREATE_PR_INSTEAD", "NO_TOKEN", "REPO_KINDS"]

_WRITE_ACCESS = "use a token with write access (a read-only token cannot write at all)"
NO_TOKEN = (
    "No Hugging Face token found: run `hf auth login`, set the HF_TOKEN environment "
    "variable, or pass `--token` (a token with write access, or any token to open a PR)."
)

REPO_KINDS = {"model": "model", "dataset": "dataset", "space": "Space"}


def forbidden_advice(alternative: str) -> str:
    """What a 403 message advises: `alternative` (the caller's way out, in its own flags),
    or a token with write access."""
    return f"{alternative}, or {_WRITE_ACCESS}."


# ... for the commands with `--create-pr` (push-results, deploy-space).
CREATE_PR_INSTEAD = forbidden_advice("Pass `--create-pr` (`create_pr=True`) to open a pull request "
                                     "instead")


def redact(text: str, token: str | None) -> str:
    """`text` with `token` (and any other hf_ token lookalike of it) masked."""
    if token:
        text = text.replace(token, "hf_***")
    return text


def _is_network_error(e: BaseException) -> bool:
    if isinstance(e, (ConnectionError, TimeoutError)):
        return True
    names = {cls.__name__ for cls in type(e).__mro__}
    modules = {cls.__module__.split(".")[0] for cls in type(e).__mro__}
    return bool(names & {"RequestError", "TransportError"}) and bool(
        modules & {"httpx", "httpx2", "httpcore", "requests"}
    )


def _server_message(e: BaseException) -> str:
    response = getattr(e, "response", None)
    message = getattr(e, "server_message", None)
    if not message and response is not None:
        message = response.headers.get("X-Error-Message")
    return " ".join(str(message).split()) if message else ""


def to_hub_error(
    e: BaseException,
    *,
    action: str,
    repo_id: str | None = None,
    repo_type: str = "model",
    token: str | None = None,
    endpoint: str | None = None,
    forbidden: str | None = None,
) -> HubError | None:
    """A HubError for a Hub/network failure, or None if `e` is something else.

    `forbidden`: what a 403 message advises, in the caller's own terms (its flags);
    default: a token with write access.
    """
    from huggingface_hub import errors as hf

    kind = REPO_KINDS.get(repo_type, repo_type)
    where = f"{kind} `{repo_id}`" if repo_id else "the Hub"
    status = getattr(getattr(e, "response", None), "status_code", None)
    server = _server_message(e)
    if isinstance(e, hf.GatedRepoError):
        msg = (f"Cannot {action}: {where} is gated. Request access on its Hub page, then log in "
               "with `hf auth login` or set HF_TOKEN.")
    elif isinstance(e, hf.RepositoryNotFoundError) or (status == 404 and "RepoNotFound" in str(
            getattr(getattr(e, "response", None), "headers", {}).get("X-Error-Code", ""))):
        auth = ("your token has no access to it" if token
                else "no token was given: log in with `hf auth login` or set HF_TOKEN")
        msg = (f"Cannot {action}: {where} was not found. Check the repo id (and `repo_type`); "
               f"if it is private, {auth}.")
    elif isinstance(e, hf.RevisionNotFoundError):
        msg = f"Cannot {action}: a revision of {where} does not exist ({server or 'revision not found'})."
    elif isinstance(e, hf.EntryNotFoundError):
        msg = f"Cannot {action}: a file is missing in {where}."
    elif isinstance(e, hf.LocalTokenNotFoundError):
        msg = f"Cannot {action}: {NO_TOKEN}"
    elif isinstance(e, hf.HfHubHTTPError) and status == 401:
        msg = (f"Cannot {action}: the Hub rejected the token (401 Unauthorized)"
               if token else f"Cannot {action}: the Hub requires a token (401 Unauthorized)")
        msg += ". Run `hf auth login` again or set HF_TOKEN to a valid token with write access."
    elif isinstance(e, hf.HfHubHTTPError) and status == 403:
        msg = (f"Cannot {action}: no write access to {where} (403 Forbidden"
               + (f": {server}" if server else "") + "). "
               + (forbidden or f"{_WRITE_ACCESS.capitalize()}."))
    elif isinstance(e, hf.HfHubHTTPError):
        msg = f"Cannot {action}: the Hub answered {status or 'an error'} for {where}" + (
            f" ({server})." if server else ".")
    elif isinstance(e, ValueError) and str(e).startswith("Invalid metadata in README.md"):
        msg = f"Cannot {action}: the Hub refused the card's YAML ({' '.join(str(e).split())[:300]})."
    elif isinstance(e, hf.OfflineModeIsEnabled):
        msg = (f"Cannot {action}: huggingface_hub is in offline mode (HF_HUB_OFFLINE=1). "
               "Unset it to reach the Hub.")
    elif _is_network_error(e):
        from huggingface_hub import constants

        url = endpoint or constants.ENDPOINT
        msg = (f"Cannot {action}: the Hub at {url} cannot be reached ({type(e).__name__}: "
               f"{' '.join(str(e).split())[:200]}). Check the network connection and HF_ENDPOINT.")
    else:
        return None
    return HubError(redact(msg, token))


@contextmanager
def hub_errors(action: str, **context: Any) -> Iterator[None]:
    """Re-raise Hub/network failures inside the block as one-line HubErrors."""
    try:
        yield
    except HubError:
        raise
    except Exception as e:
        error = to_hub_error(e, action=action, **context)
        if error is None:
            raise
        raise error from e
