"""Fixtures for the Hub tests: the fake Hub (tests/support), in-process client setup, and
results of the real scorers on tiny models (tests/hub/real_results.py), in memory and as files."""

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


@pytest.fixture
def files(tmp_path, scored, extracted):
    """The results as the commands write them (`--out`), and an empty card path."""
    from infomem.scoring.files import dump_json

    result, report = scored
    tested, plain = extracted
    paths = {"result": tmp_path / "r.json", "unitmem": tmp_path / "um.json",
             "extraction": tmp_path / "ex.json", "plain": tmp_path / "plain.json"}
    result.to_json(paths["result"])
    report.to_json(paths["unitmem"])
    dump_json(tested.to_dict(), paths["extraction"])
    dump_json(plain.to_dict(), paths["plain"])
    return paths
