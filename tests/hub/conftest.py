"""Fixtures for the Hub tests: the fake Hub (tests/support) and in-process client setup."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # make `tests.support` importable however pytest was started
    sys.path.insert(0, str(_ROOT))

from tests.support.fixtures import (  # noqa: E402,F401
    USERS,
    child_env,
    fake_hub,
    hub_client,
    hub_users,
    shared_hub,
    tiny_bert_dir,
)
