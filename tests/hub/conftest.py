"""Fixtures for the Hub tests: the fake Hub (tests/support) and in-process client setup."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def scored(tmp_path_factory):
    """(Result, UnitMemReport) from the real scorers on a tiny BERT."""
    from tests.hub.real_results import score_and_unitmem

    return score_and_unitmem(tmp_path_factory.mktemp("scored-bert"))


@pytest.fixture(scope="session")
def lm_folder(tmp_path_factory):
    """Tiny GPT-2s (lm/: memorized the candidates; untrained/) and their texts, saved."""
    from tests.hub.real_results import save_lms

    return save_lms(tmp_path_factory.mktemp("extract-gpt2"))


@pytest.fixture(scope="session")
def extracted(lm_folder):
    """(ExtractionResult with a reference, ExtractionResult without) from real tiny GPT-2s."""
    from tests.hub.real_results import extractions

    return extractions(lm_folder)
