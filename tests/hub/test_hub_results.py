"""push_results / load_results against the fake Hub: one record per run, schema checks."""

from __future__ import annotations

import json

import pytest

from infomem.errors import HubError, ResultFormatError
from infomem.hub import load_results, push_results
from infomem.hub.results_records import RESULTS_PATH, SCHEMA_KEY, record_key
from tests.support.fixtures import USERS
from tests.support.results import make_result, result_dict

ALICE, BOB = USERS["alice"], USERS["bob"]
DS = "alice/infomem-results"


def _records(hub, ds=DS, revision="main"):
    text = hub.read(ds, RESULTS_PATH, repo_type="dataset", revision=revision).decode()
    return [json.loads(line) for line in text.splitlines()]


def test_push_twice_leaves_one_record_and_round_trips(hub_client, tmp_path):
    a = make_result("alice/tiny-bert")
    b = make_result("bob/other", mean_entropy=2.0)
    path = tmp_path / "b.json"
    path.write_text(json.dumps(result_dict("bob/other", mean_entropy=2.0)))
    first = push_results(DS, [a, str(path)], token=ALICE)
    assert (first.added, first.replaced) == (2, 0) and first.commit_url
    history = hub_client.history(DS, repo_type="dataset")
    second = push_results(DS, a, token=ALICE)
    assert (second.added, second.replaced, second.unchanged) == (0, 0, 1)
    assert second.commit_url is None and hub_client.history(DS, repo_type="dataset") == history
    assert [r["key"] for r in _records(hub_client)] == [record_key(a), record_key(b)]
    loaded = load_results(DS)
    assert [r.model_id for r in loaded] == ["alice/tiny-bert", "bob/other"]
    assert loaded[0].to_dict() == {k: v for k, v in a.to_dict().items()}
    assert loaded[1].mean_entropy == b.mean_entropy and loaded[1].settings == b.settings
    card = hub_client.read(DS, "README.md", repo_type="dataset").decode()
    assert f"{SCHEMA_KEY}: 1" in card and RESULTS_PATH in card


def test_rerun_replaces_its_record_in_place(hub_client):
    push_results(DS, [make_result("m/a"), make_result("m/b")], token=ALICE)
    rerun = make_result("m/a", created_at="2026-02-02T00:00:00+00:00", mean_entropy=3.3)
    outcome = push_results(DS, rerun, token=ALICE)
    assert (outcome.added, outcome.replaced) == (0, 1)
    records = _records(hub_client)
    assert [r["model_id"] for r in records] == ["m/a", "m/b"]
    assert records[0]["mean_entropy"] == 3.3


def test_different_settings_or_data_are_separate_records(hub_client):
    base = make_result("m/a")
    other_bins = make_result("m/a", bins=50)
    other_data = make_result("m/a", dataset="rotten_tomatoes")
    assert len({record_key(base), record_key(other_bins), record_key(other_data)}) == 3
    assert record_key(base) == record_key(make_result("m/a", created_at="2030-01-01T00:00:00"))
    push_results(DS, [base, other_bins, other_data], token=ALICE)
    assert len(_records(hub_client)) == 3


def test_dataset_of_another_schema_refused(hub_client):
    hub_client.seed_repo("alice/imdb-copy", {"data/train.csv": "text,label\nhi,1\n"},
                         repo_type="dataset")
    with pytest.raises(ResultFormatError, match="not an infomem results dataset"):
        push_results("alice/imdb-copy", make_result(), token=ALICE)
    hub_client.seed_repo("alice/future", {"README.md": f"---\n{SCHEMA_KEY}: 2\n---\n",
                                          RESULTS_PATH: "{}\n"}, repo_type="dataset")
    with pytest.raises(ResultFormatError, match="schema version 2"):
        push_results("alice/future", make_result(), token=ALICE)
    hub_client.seed_repo("alice/garbage", {RESULTS_PATH: '{"text": "hello"}\n'}, repo_type="dataset")
    with pytest.raises(ResultFormatError, match="not an infomem results record"):
        load_results("alice/garbage")
    assert [h for h in hub_client.history("alice/imdb-copy", repo_type="dataset")] == ["seed",
                                                                                       "initial commit"]


def test_hand_written_card_gets_the_schema_marker(hub_client):
    hub_client.seed_repo("alice/mine", {"README.md": "---\nlicense: mit\n---\n# My results\n"},
                         repo_type="dataset")
    push_results("alice/mine", make_result(), token=ALICE)
    card = hub_client.read("alice/mine", "README.md", repo_type="dataset").decode()
    assert card == f"---\nlicense: mit\n{SCHEMA_KEY}: 1\n---\n# My results\n"


def test_permissions_and_missing(hub_client):
    push_results(DS, make_result(), token=ALICE)
    with pytest.raises(HubError, match="no write access.*pull request"):
        push_results(DS, make_result("x/y"), token=BOB)
    pr = push_results(DS, make_result("x/y"), token=BOB, create_pr=True)
    assert pr.pr_url and len(_records(hub_client, revision="refs/pr/1")) == 2
    assert len(_records(hub_client)) == 1
    with pytest.raises(HubError, match="`alice/nothing-here` was not found"):
        load_results("alice/nothing-here")
    hub_client.seed_repo("alice/empty", repo_type="dataset")
    with pytest.raises(HubError, match="push results to it first"):
        load_results("alice/empty")
