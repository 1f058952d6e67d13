"""Results records (infomem.hub.results_records): record keys that tell runs apart by settings,
data and kind but not by the clock, and records of an unknown kind or in another kind's file
refused."""

from __future__ import annotations

import dataclasses
import json

import pytest

from infomem.errors import ResultFormatError
from infomem.hub import load_results, push_results
from infomem.hub.results_records import RESULTS_PATH, record_key
from tests.hub.real_results import DS, _records
from tests.support.fixtures import USERS
from tests.support.results import make_result

ALICE = USERS["alice"]


def test_different_settings_or_data_are_separate_records(hub_client):
    base = make_result("m/a")
    other_bins = make_result("m/a", bins=50)
    other_data = make_result("m/a", dataset="rotten_tomatoes")
    assert len({record_key(base), record_key(other_bins), record_key(other_data)}) == 3
    assert record_key(base) == record_key(make_result("m/a", created_at="2030-01-01T00:00:00"))
    quantized = [dataclasses.replace(base, model={**base.model, "gguf_file": f"m.{q}.gguf"})
                 for q in ("Q4", "Q8")]
    assert len({record_key(base), *map(record_key, quantized)}) == 3
    push_results(DS, [base, other_bins, other_data], token=ALICE)
    assert len(_records(hub_client)) == 3


def test_extraction_keys_follow_the_run_not_the_clock(extracted):
    from infomem.scoring.extraction_result import ExtractionResult

    tested, plain = extracted
    copy = ExtractionResult.from_dict(json.loads(json.dumps(tested.to_dict())))
    assert record_key(copy) == record_key(dataclasses.replace(tested, timings={"decode": 9.0}))
    other = dataclasses.replace(tested, settings={**tested.settings, "min_k": 0.1})
    assert record_key(other) != record_key(tested) != record_key(plain)
    assert tested.model["sha"] is None  # a local folder: no commit, the key as before
    pinned = [dataclasses.replace(tested, model={**tested.model, "sha": sha}) for sha in "ab"]
    gguf = [dataclasses.replace(pinned[0], model={**pinned[0].model, "gguf_file": f"m.{q}.gguf"})
            for q in ("Q4", "Q8")]
    assert len({record_key(tested), *map(record_key, pinned + gguf)}) == 5


def test_records_of_unknown_kind_or_in_the_wrong_file_are_refused(hub_client):
    from infomem.hub.results_records import from_record

    hub_client.seed_repo("alice/mixed", {RESULTS_PATH: json.dumps(
        {"schema": "infomem-results", "schema_version": 1, "key": "k", "kind": "extraction"}) + "\n"},
        repo_type="dataset")
    with pytest.raises(ResultFormatError, match="'extraction' record in the 'scores' file"):
        load_results("alice/mixed")
    with pytest.raises(ResultFormatError, match="kind 'probe'.*Upgrade infomem"):
        from_record({"key": "k", "kind": "probe"})
    with pytest.raises(ResultFormatError, match="is not an infomem result"):
        push_results(DS, {"format": "something-else"}, token=ALICE)
