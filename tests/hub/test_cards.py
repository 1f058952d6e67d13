"""Model cards (infomem.hub.cards): annotate_model_card against the fake Hub: PR by default,
direct commit on request, dry runs and refusals write nothing, a second run writes nothing.
With results of the real scorers: the UnitMem subsection and the extraction block in one
commit, extraction-only PRs, each block replaced without touching the other, no token
anywhere. Also annotate_card_file on a local card, and the package importing lazily."""

from __future__ import annotations

import json

import pytest

from infomem.errors import HubError, InvalidInputError, ResultFormatError
from infomem.hub import annotate_model_card
from infomem.hub.card_text import EXTRACTION_END, EXTRACTION_START, SECTION_END, SECTION_START
from infomem.hub.cards import (
    COMMIT_TITLE,
    EXTRACTION_PATH,
    EXTRACTION_TITLE,
    PLOT_PATH,
    RESULT_PATH,
    annotate_card_file,
)
from tests.support.fixtures import USERS
from tests.support.results import make_result, result_dict

ALICE, BOB, CAROL = USERS["alice"], USERS["bob"], USERS["carol"]
CARD = "---\r\nlicense: mit\r\ntags:\r\n- bert\r\n---\r\n# Tiny BERT 🤗\r\n\r\nSmall.\r\n"
REPO = "alice/tiny-bert"


@pytest.fixture
def hub(hub_client):
    hub_client.seed_repo(REPO, {"README.md": CARD, "config.json": "{}"})
    return hub_client


@pytest.fixture(scope="module")
def result():
    return make_result(REPO)


def _writes(hub) -> list:
    return [w for w in hub.writes() if "validate-yaml" not in w[1]]


def test_pr_by_default_then_no_op(hub, result):
    main = hub.refs(REPO)["main"]
    update = annotate_model_card(REPO, result, token=BOB)
    assert update.revision == "refs/pr/1" and update.pr_url.endswith("/discussions/1")
    assert hub.refs(REPO)["main"] == main  # main untouched
    files = hub.files(REPO, revision="refs/pr/1")
    card = files["README.md"].decode()
    assert card.startswith("---\r\nlicense: mit\r\ntags:\r\n- bert\r\nmodel-index:\r\n")
    assert "# Tiny BERT 🤗\r\n\r\nSmall.\r\n\r\n" + SECTION_START in card
    assert files[PLOT_PATH].startswith(b"\x89PNG")
    assert json.loads(files[RESULT_PATH])["model"]["id"] == REPO
    assert ".eval_results/infomem_mean_entropy.yaml" in files
    assert hub.discussions(REPO)[0].title == COMMIT_TITLE
    # A second run finds its open PR already holds these scores: nothing written, no new PR.
    writes = len(_writes(hub))
    again = annotate_model_card(REPO, result, token=BOB)
    assert not again.changed and again.pr_url == update.pr_url
    assert len(_writes(hub)) == writes and len(hub.discussions(REPO)) == 1


def test_new_result_updates_the_open_pr(hub, result):
    annotate_model_card(REPO, result, token=BOB)
    newer = make_result(REPO, mean_entropy=2.5, mean_mi=None)
    update = annotate_model_card(REPO, newer, token=BOB)
    assert update.revision == "refs/pr/1" and len(hub.discussions(REPO)) == 1
    files = hub.files(REPO, revision="refs/pr/1")
    assert "| Mean neuron entropy | 2.5000 |" in files["README.md"].decode()
    assert ".eval_results/infomem_mean_mi.yaml" not in files  # stale score file removed
    other = annotate_model_card(REPO, newer, token=ALICE)  # alice has no open PR: opens one
    assert other.revision == "refs/pr/2"


def test_direct_commit_only_when_asked(hub, result):
    update = annotate_model_card(REPO, result, token=ALICE, create_pr=False)
    assert update.pr_url is None and update.revision == "main"
    assert SECTION_START in hub.read(REPO, "README.md").decode()
    assert hub.discussions(REPO) == []
    history = hub.history(REPO)
    assert not annotate_model_card(REPO, result, token=ALICE, create_pr=False).changed
    assert hub.history(REPO) == history


def test_dry_run_writes_nothing_and_needs_no_token(hub, result):
    before = len(hub.writes())
    update = annotate_model_card(REPO, result, token=None, dry_run=True)
    assert update.changed and update.dry_run and update.diff.startswith("--- a/README.md")
    assert "+<!-- infomem:start -->" in update.diff.replace("\r", "")
    assert len(hub.writes()) == before
    assert set(hub.files(REPO)) == {".gitattributes", "README.md", "config.json"}


@pytest.mark.parametrize("token, create_pr, match", [
    (None, True, "No Hugging Face token found"),
    ("hf_not_a_real_token", True, "rejected the token"),
    (CAROL, True, "read-only"),
    (BOB, False, "no write access.*pull request"),
])
def test_refusals_write_nothing(hub, result, token, create_pr, match):
    before = hub.refs(REPO)
    with pytest.raises(HubError, match=match) as err:
        annotate_model_card(REPO, result, token=token, create_pr=create_pr)
    assert "\n" not in str(err.value)
    assert hub.refs(REPO) == before and hub.discussions(REPO) == []
    assert err.value.__cause__ is not None or token in (None, CAROL)
    for secret in USERS.values():
        assert secret not in str(err.value)


def test_repo_not_found_and_private(hub_client, result):
    with pytest.raises(HubError, match="`alice/missing` was not found.*Check the repo id"):
        annotate_model_card("alice/missing", make_result("alice/missing"), token=BOB)
    hub_client.seed_repo("alice/secret", {"README.md": "# s\n"}, private=True)
    with pytest.raises(HubError, match="was not found.*private.*no token was given"):
        annotate_model_card("alice/secret", make_result("alice/secret"), dry_run=True)


def test_result_for_another_model_refused_unless_force(hub, result):
    other = make_result("bob/another-model")
    with pytest.raises(InvalidInputError, match="not `alice/tiny-bert`"):
        annotate_model_card(REPO, other, token=BOB)
    assert hub.discussions(REPO) == []
    assert annotate_model_card(REPO, other, token=BOB, force=True).revision == "refs/pr/1"


def test_card_without_readme_gets_one(hub_client, result):
    hub_client.seed_repo("alice/bare", {"config.json": "{}"})
    annotate_model_card("alice/bare", make_result("alice/bare"), token=ALICE, create_pr=False)
    card = hub_client.read("alice/bare", "README.md").decode()
    assert card.startswith("---\nmodel-index:\n- name: bare\n") and SECTION_START in card


def test_result_json_path_and_no_token_leak(hub, tmp_path, result):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(result_dict(REPO)))
    update = annotate_model_card(REPO, str(path), token=ALICE, create_pr=False)
    everything = b"".join(hub.files(REPO).values()).decode("utf-8", "replace")
    assert ALICE not in everything and ALICE not in update.summary() and ALICE not in repr(update)


def test_offline_card_file(tmp_path, result):
    readme = tmp_path / "README.md"
    readme.write_bytes(CARD.encode())
    new, diff = annotate_card_file(readme, result, output=tmp_path / "out.md", repo_id=REPO)
    assert (tmp_path / "out.md").read_bytes() == new.encode() and readme.read_bytes() == CARD.encode()
    assert diff and annotate_card_file(tmp_path / "out.md", result)[1] == ""
    with pytest.raises(InvalidInputError):
        annotate_card_file(readme, result, repo_id="bob/x")


def test_gated_repo_and_network_errors_are_one_line(hub_client, result):
    hub_client.seed_repo("alice/gated", {"README.md": "# g\n"}, gated=True)
    with pytest.raises(HubError, match="is gated. Request access"):
        annotate_model_card("alice/gated", make_result("alice/gated"), token=BOB)
    with pytest.raises(HubError, match=r"cannot be reached.*HF_ENDPOINT") as err:
        annotate_model_card(REPO, result, token=BOB, endpoint="http://127.0.0.1:9")
    assert "\n" not in str(err.value) and BOB not in str(err.value)
    assert err.value.__cause__ is not None


def test_importing_the_hub_package_does_no_hub_work():
    from tests.support.subproc import run_python

    proc = run_python("""
        import sys
        import infomem.hub, infomem.hub.cli, infomem.hub.cards, infomem.hub.card_data
        import infomem.hub.results_repo, infomem.hub.spaces
        assert infomem.hub.annotate_card_text is infomem.hub.card_data.annotate_card_text
        print(sorted(m for m in ("huggingface_hub", "evaluate", "transformers", "torch",
                                 "matplotlib") if m in sys.modules))
    """)
    assert proc.stdout.strip() == "[]"


def _source_urls(files: dict) -> set:
    import yaml

    from infomem.hub.card_text import parse_header, split_card

    index = parse_header(split_card(files["README.md"].decode()).header)["model-index"]
    urls = {r["source"]["url"] for r in index[0]["results"]}
    for path, data in files.items():
        if path.startswith(".eval_results/"):
            urls |= {entry["source"]["url"] for entry in yaml.safe_load(data)}
    return urls


def test_source_url_points_where_the_result_exists(hub, result):
    from huggingface_hub import HfApi

    update = annotate_model_card(REPO, result, token=BOB)
    assert update.new_pr and update.summary().startswith("Opened pull request #1 on ")
    files = hub.files(REPO, revision="refs/pr/1")
    assert _source_urls(files) == {f"{hub.url}/{REPO}/blob/refs%2Fpr%2F1/{RESULT_PATH}"}
    assert RESULT_PATH in files and RESULT_PATH not in hub.files(REPO)  # not on main yet
    assert hub.discussions(REPO)[0].status == "open"  # opened with its content, not a draft
    HfApi(endpoint=hub.url, token=ALICE).merge_pull_request(REPO, 1)
    writes = len(_writes(hub))  # merged: the scores on main keep their (still valid) link
    assert not annotate_model_card(REPO, result, token=BOB).changed
    assert len(_writes(hub)) == writes and len(hub.discussions(REPO)) == 1
    newer = make_result(REPO, mean_entropy=2.5)
    assert annotate_model_card(REPO, newer, token=ALICE, create_pr=False).revision == "main"
    assert _source_urls(hub.files(REPO)) == {f"{hub.url}/{REPO}/blob/main/{RESULT_PATH}"}


def _span(text: str, start: str, end: str) -> str:
    return text[text.index(start):text.index(end) + len(end)]


def _commit_trees(hub, revision: str) -> dict[str, set[str]]:
    """Commit title -> paths of its tree, on `revision`."""
    repo = hub.repo(REPO)
    return {repo.commits[sha].title: set(repo.commits[sha].tree)
            for sha in hub.store.history_shas(repo, revision)}


def test_scores_unitmem_and_extraction_in_one_commit(hub, scored, extracted):
    result, report = scored
    update = annotate_model_card(REPO, result, extraction=extracted[0], unitmem=report,
                                 token=BOB, force=True)
    assert update.new_pr and update.revision == "refs/pr/1"
    assert update.files[:4] == ["README.md", PLOT_PATH, RESULT_PATH, EXTRACTION_PATH]
    first = _commit_trees(hub, "refs/pr/1")[COMMIT_TITLE]
    assert {"README.md", PLOT_PATH, RESULT_PATH, EXTRACTION_PATH} <= first
    files = hub.files(REPO, revision="refs/pr/1")
    card = files["README.md"].decode()
    assert card.startswith("---\r\nlicense: mit\r\ntags:\r\n- bert\r\nmodel-index:\r\n")
    assert "# Tiny BERT 🤗\r\n\r\nSmall.\r\n\r\n" + SECTION_START in card
    assert "### Per-unit memorization (UnitMem)" in _span(card, SECTION_START, SECTION_END)
    assert f"full result: [{EXTRACTION_PATH}]({EXTRACTION_PATH})" in card
    assert json.loads(files[EXTRACTION_PATH]) == json.loads(json.dumps(extracted[0].to_dict()))
    writes = len(_writes(hub))
    again = annotate_model_card(REPO, result, extraction=extracted[0], unitmem=report,
                                token=BOB, force=True)
    assert not again.changed and len(_writes(hub)) == writes


def test_extraction_only_pr_then_scores_join_it(hub, scored, extracted):
    update = annotate_model_card(REPO, extraction=extracted[0], token=BOB, force=True)
    assert update.new_pr and update.files == ["README.md", EXTRACTION_PATH]
    assert hub.discussions(REPO)[0].title == EXTRACTION_TITLE
    assert hub.history(REPO, revision="refs/pr/1")[0] == EXTRACTION_TITLE  # no link commit
    files = hub.files(REPO, revision="refs/pr/1")
    card = files["README.md"].decode()
    assert card.startswith(CARD + "\r\n" + EXTRACTION_START) and "model-index" not in card
    assert not any(p.startswith((".eval_results/", PLOT_PATH, RESULT_PATH)) for p in files)
    writes = len(_writes(hub))
    assert not annotate_model_card(REPO, extraction=extracted[0], token=BOB, force=True).changed
    assert len(_writes(hub)) == writes
    # Scores later: the same open PR is updated; the extraction block stays byte for byte.
    scores = annotate_model_card(REPO, scored[0], token=BOB, force=True)
    assert scores.revision == "refs/pr/1" and len(hub.discussions(REPO)) == 1
    both = hub.read(REPO, "README.md", revision="refs/pr/1").decode()
    block = _span(card, EXTRACTION_START, EXTRACTION_END)
    assert _span(both, EXTRACTION_START, EXTRACTION_END) == block
    assert both.count(SECTION_START) == 1 and both.count(EXTRACTION_START) == 1


def test_new_extraction_replaces_its_block_in_place_on_main(hub, scored, extracted):
    tested, plain = extracted
    annotate_model_card(REPO, scored[0], extraction=tested, token=ALICE, create_pr=False,
                        force=True)
    before = hub.read(REPO, "README.md").decode()
    update = annotate_model_card(REPO, extraction=plain, token=ALICE, create_pr=False, force=True)
    assert update.revision == "main" and update.files == ["README.md", EXTRACTION_PATH]
    after = hub.read(REPO, "README.md").decode()
    cut = (before.index(EXTRACTION_START), after.index(EXTRACTION_START))
    assert after[:cut[1]] == before[:cut[0]]  # header, the author's text, the score section
    assert after.endswith(EXTRACTION_END + "\r\n") and after.count(EXTRACTION_START) == 1
    assert "None of the" in _span(after, EXTRACTION_START, EXTRACTION_END)
    assert json.loads(hub.read(REPO, EXTRACTION_PATH))["n_texts"] == plain.n_texts
    assert hub.read(REPO, RESULT_PATH)  # the score files stay


def test_bad_extraction_input_fails_before_any_hub_traffic(hub, tmp_path, scored):
    path = tmp_path / "r.json"
    scored[0].to_json(path)
    requests = len(hub.log)
    with pytest.raises(ResultFormatError, match="is not an infomem extraction result") as err:
        annotate_model_card(REPO, extraction=path, token=BOB)
    assert "\n" not in str(err.value) and len(hub.log) == requests


def test_no_token_in_the_blocks_files_or_summaries(hub, scored, extracted):
    update = annotate_model_card(REPO, scored[0], extraction=extracted[0], unitmem=scored[1],
                                 token=ALICE, create_pr=False, force=True)
    everything = b"".join(hub.files(REPO).values()).decode("utf-8", "replace")
    for token in USERS.values():
        assert token not in everything and token not in update.summary() and token not in repr(update)
