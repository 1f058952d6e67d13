"""push_results / load_results (infomem.hub.results_repo) against the fake Hub: one record per
run, replaced in place on a re-run, one file per kind with its dataset config, the schema
marker on the card, refusals of other datasets, permissions and missing repos, and the
leaderboard reading only the score records."""

from __future__ import annotations

import json

import pytest

from infomem.errors import HubError, ResultFormatError
from infomem.hub import load_results, push_results
from infomem.hub.results_records import RESULTS_PATH, SCHEMA_KEY, record_key
from tests.hub.real_results import DS, _records
from tests.support.fixtures import USERS
from tests.support.results import make_result, result_dict

ALICE, BOB = USERS["alice"], USERS["bob"]


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


def test_two_revisions_of_a_model_are_two_records_and_old_keys_are_matched(hub_client):
    from infomem.hub.results_records import dump_records, to_record

    v1, v2 = (make_result(sha=sha * 40) for sha in "ab")
    first = push_results(DS, [v1, v2], token=ALICE)
    assert (first.added, first.replaced) == (2, 0)
    again = push_results(DS, v1, token=ALICE)
    assert (again.added, again.replaced, again.unchanged) == (0, 0, 1)
    # A record keyed by an older rule (before keys held the commit) is replaced by its
    # re-push, not doubled.
    legacy = {**to_record(v1), "key": "0" * 16}
    hub_client.seed_repo("alice/older", {RESULTS_PATH: dump_records([legacy])}, repo_type="dataset")
    pushed = push_results("alice/older", v1, token=ALICE)
    assert (pushed.added, pushed.replaced) == (0, 1)
    assert [r["key"] for r in _records(hub_client, "alice/older")] == [record_key(v1)]


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


def test_extraction_and_unitmem_records_have_their_own_files(hub_client, tmp_path, scored,
                                                             extracted):
    from infomem.hub.results_kinds import EXTRACTION_PATH, UNITMEM_PATH
    from infomem.scoring.extraction_result import ExtractionResult
    from infomem.scoring.files import dump_json
    from infomem.scoring.result import Result
    from infomem.scoring.unitmem_report import UnitMemReport

    result, report = scored
    tested, plain = extracted
    path = tmp_path / "ex.json"
    dump_json(tested.to_dict(), path)  # as `infomem extract --out` writes it
    first = push_results(DS, [result, str(path), plain, report], token=ALICE)
    assert (first.added, first.replaced) == (4, 0)
    records = _records(hub_client)
    assert len(records) == 1 and "kind" not in records[0]  # score records keep their shape
    extraction = [json.loads(x) for x in hub_client.read(
        DS, EXTRACTION_PATH, repo_type="dataset").decode().splitlines()]
    assert [r["kind"] for r in extraction] == ["extraction", "extraction"]
    assert extraction[0]["extraction_rate"] == tested.extraction_rate
    assert extraction[0]["min_k_p_value"] == tested.min_k_p_value
    assert len({record_key(result), record_key(tested), record_key(plain), record_key(report)}) == 4
    unitmem = json.loads(hub_client.read(DS, UNITMEM_PATH, repo_type="dataset"))
    assert unitmem["kind"] == "unitmem" and unitmem["n_samples"] == report.n_samples
    assert all(t["text"] is None for layer in unitmem["result"]["per_layer"] for t in layer["top"])
    history = hub_client.history(DS, repo_type="dataset")
    again = push_results(DS, [str(path), report, result], token=ALICE)
    assert (again.added, again.replaced, again.unchanged) == (0, 0, 3)
    assert again.commit_url is None and hub_client.history(DS, repo_type="dataset") == history
    assert [type(r) for r in load_results(DS)] == [Result]
    loaded = load_results(DS, kind="extraction")
    assert [r.to_dict() for r in loaded] == [tested.to_dict(), plain.to_dict()]
    everything = load_results(DS, kind="all")
    assert [type(r) for r in everything] == [Result, ExtractionResult, ExtractionResult, UnitMemReport]
    assert everything[3].per_layer[0].mean == report.per_layer[0].mean


def test_a_second_kind_adds_its_config_to_the_card(hub_client, scored, extracted):
    import yaml

    from infomem.hub.card_text import split_card

    push_results(DS, scored[0], token=ALICE)
    before = hub_client.read(DS, "README.md", repo_type="dataset").decode()
    push_results(DS, extracted[0], token=ALICE)
    after = hub_client.read(DS, "README.md", repo_type="dataset").decode()
    configs = yaml.safe_load(split_card(after).header)["configs"]
    assert [c["config_name"] for c in configs] == ["default", "extraction"]
    assert split_card(after).body == split_card(before).body
    hub_client.seed_repo("alice/mine", {"README.md": "---\nlicense: mit\n---\n# Mine\n"},
                         repo_type="dataset")
    push_results("alice/mine", extracted[0], token=ALICE)  # a hand-written card: configs added
    mine = hub_client.read("alice/mine", "README.md", repo_type="dataset").decode()
    assert mine.startswith(f"---\nlicense: mit\n{SCHEMA_KEY}: 1\nconfigs:\n- config_name: extraction\n")
    assert mine.endswith("---\n# Mine\n")


def test_leaderboard_reads_only_the_score_records(hub_client, scored, extracted):
    from infomem.space.leaderboard import load_leaderboard

    push_results(DS, [scored[0], extracted[0], scored[1]], token=ALICE)
    board = load_leaderboard(DS)
    assert [row["model"] for row in board.rows] == [scored[0].model_id]
