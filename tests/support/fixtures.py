"""pytest fixtures around the fake Hub; import them into a conftest.py.

- ``fake_hub``: a fresh FakeHub per test, with users alice/bob (write tokens),
  carol (read-only token) and the org ``infomem-org`` (member: alice).
- ``shared_hub``: the same, one per session (for slow subprocess tests; use
  unique repo names).
- ``hub_users``: name -> token for the users above.
- ``tiny_bert_dir``: a tiny BertModel + tokenizer saved once per session.
- ``child_env``: ``child_env(hub, token=...)`` -> environment for ``run_python``.
- ``hub_client``: ``fake_hub``, with the already-imported huggingface_hub of this
  process pointed at it (endpoint, online, no stored token, cache in tmp), so the
  real client's module-level functions (ModelCard.load, metadata_update, ...)
  work in-process. transformers/evaluate keep their import-time endpoint: use a
  subprocess for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .fake_hub import FakeHub
from .subproc import hub_env

__all__ = [
    "USERS",
    "fake_hub",
    "shared_hub",
    "hub_users",
    "tiny_bert_dir",
    "child_env",
    "make_hub",
    "hub_client",
    "point_client_at",
]

# Fixed, recognisable fake tokens: tests grep outputs for them.
USERS = {
    "alice": "hf_aliceFAKEtoken0000000000000000000",
    "bob": "hf_bobFAKEtoken00000000000000000000000",
    "carol": "hf_carolREADONLYtoken0000000000000000",
}
ORG = "infomem-org"


def make_hub() -> FakeHub:
    """A started FakeHub with the standard users and org (stop() it when done)."""
    hub = FakeHub().start()
    for name, token in USERS.items():
        hub.add_user(name, token, role="read" if name == "carol" else "write")
    hub.add_org(ORG, ["alice"])
    return hub


@pytest.fixture
def fake_hub() -> Iterator[FakeHub]:
    hub = make_hub()
    yield hub
    hub.stop()


@pytest.fixture(scope="session")
def shared_hub() -> Iterator[FakeHub]:
    hub = make_hub()
    yield hub
    hub.stop()


@pytest.fixture(scope="session")
def hub_users() -> dict[str, str]:
    return dict(USERS)


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from .tiny_models import make_tiny_bert

    return make_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture
def child_env(tmp_path: Path) -> Callable[..., dict[str, str]]:
    """``child_env(hub, token=None, **extra)``: env for a subprocess using `hub`, HF_HOME in tmp."""

    def make(hub: FakeHub, token: str | None = None, **extra: str) -> dict[str, str]:
        home = tmp_path / "hf-home"
        home.mkdir(exist_ok=True)
        return hub_env(hub.url, home, token, **extra)

    return make


def point_client_at(monkeypatch: pytest.MonkeyPatch, url: str, home: Path) -> None:
    """Point this process's huggingface_hub at `url` (undone by `monkeypatch`)."""
    from huggingface_hub import constants, hf_api

    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE", url + "/{repo_id}/resolve/{revision}/{filename}"
    )
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(home / "stored_tokens"))
    monkeypatch.setattr(hf_api.api, "endpoint", url)
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def hub_client(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeHub:
    point_client_at(monkeypatch, fake_hub.url, tmp_path / "hf-home")
    return fake_hub
