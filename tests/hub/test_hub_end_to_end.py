"""End to end through real processes pointed at the fake Hub (HF_ENDPOINT set before import):
a tiny BERT uploaded, scored from the Hub, its card annotated and results pushed with the
`infomem` CLI; the metric published and loaded with evaluate.load("ORG/NAME").
Each test runs one subprocess (importing torch/transformers/evaluate costs seconds)."""

from __future__ import annotations

import json

import pytest
from huggingface_hub import HfApi

from infomem.hub import publish_metric
from infomem.hub.card_text import SECTION_START
from infomem.hub.cards import PLOT_PATH
from tests.support.fixtures import USERS
from tests.support.results import result_dict
from tests.support.subproc import run_python

import factories

pytestmark = pytest.mark.slow
ALICE, BOB = USERS["alice"], USERS["bob"]
TEXTS = ["the movie was great", "a bad film with a boring plot", "i love this story",
         "the music was awful but the ending was good", "it is a long film", "this was fun"] * 6

# Runs `infomem ...` commands in one interpreter, capturing each one's streams and exit code.
CLI_HARNESS = """
import contextlib, io, json, os
from infomem.cli import main

def cli(*argv, token=True):
    out, err = io.StringIO(), io.StringIO()
    saved = os.environ.get("HF_TOKEN")
    if not token:
        os.environ.pop("HF_TOKEN", None)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(list(argv))
        except SystemExit as e:
            rc = e.code
    if saved is not None:
        os.environ["HF_TOKEN"] = saved
    return {"rc": rc, "out": out.getvalue(), "err": err.getvalue()}  # argv left out: it holds tokens
"""


def _assert_no_token(texts, *tokens):
    for text in texts:
        for token in tokens:
            assert token not in text, f"a token leaked into: {text[:200]!r}"


def test_score_from_hub_then_card_and_results_by_cli(hub_client, tiny_bert_dir, child_env, tmp_path):
    hub = hub_client
    api = HfApi(endpoint=hub.url, token=ALICE)
    api.create_repo("alice/tiny-bert")
    uploaded = api.upload_folder(folder_path=tiny_bert_dir, repo_id="alice/tiny-bert",
                                 commit_message="tiny bert").oid
    hub.seed_repo("alice/tiny-bert", {"README.md": "# Tiny BERT\r\n\r\nFor tests.\r\n"})
    main_sha = hub.refs("alice/tiny-bert")["main"]
    result_path = tmp_path / "result.json"
    proc = run_python(CLI_HARNESS + f"""
import infomem
texts = {TEXTS!r}
res = infomem.score("alice/tiny-bert", texts, settings=infomem.Settings(
    max_samples=36, mi_neurons_per_layer=8), progress=False)
res.to_json({str(result_path)!r})
runs = [
    cli("card", "alice/tiny-bert", {str(result_path)!r}, "--dry-run"),
    cli("card", "alice/tiny-bert", {str(result_path)!r}),
    cli("card", "alice/tiny-bert", {str(result_path)!r}),
    cli("card", "alice/tiny-bert", {str(result_path)!r}, "--commit-directly", "--token", {BOB!r}),
    cli("card", "alice/tiny-bert", {str(result_path)!r}, token=False),
    cli("card", "alice/tiny-bert", {str(result_path)!r}, "--token", "hf_wrong_token_123"),
    cli("card", "bob/other-model", {str(result_path)!r}),
    cli("card", "alice/no-such-model", {str(result_path)!r}, "--force"),
    cli("push-results", "bob/infomem-results", {str(result_path)!r}, "--token", {BOB!r}),
    cli("push-results", "bob/infomem-results", {str(result_path)!r}, "--token", {BOB!r}),
]
from infomem.hub import load_results
loaded = load_results("bob/infomem-results")
print("RESULT", json.dumps({{"model": res.model, "runs": runs, "loaded": [r.model_id for r in loaded]}}))
""", child_env(hub, token=BOB, HF_HUB_VERBOSITY="debug"), timeout=300)
    out = json.loads(proc.stdout.split("RESULT ", 1)[1])
    runs = {i: r for i, r in enumerate(out["runs"])}
    _assert_no_token([proc.stdout, proc.stderr, json.dumps(out)], ALICE, BOB)

    assert out["model"]["id"] == "alice/tiny-bert"
    dry, first, second, direct, no_token, wrong, other, missing, push1, push2 = runs.values()
    assert dry["rc"] == 0 and "+<!-- infomem:start -->" in dry["out"] and "Dry run" in dry["out"]
    assert first["rc"] == 0 and "Opened pull request #1 on alice/tiny-bert" in first["out"]
    assert second["rc"] == 0 and "already holds these results" in second["out"]
    assert direct["rc"] == 2 and "no write access" in direct["err"]
    assert no_token["rc"] == 2 and "No Hugging Face token" in no_token["err"]
    assert wrong["rc"] == 2 and "rejected the token" in wrong["err"]
    assert other["rc"] == 2 and "--force" in other["err"]
    assert missing["rc"] == 2 and "not found" in missing["err"]
    for failed in (direct, no_token, wrong, other, missing):
        assert failed["err"].count("\n") == 1 and failed["err"].startswith("error: ")
    assert "1 added" in push1["out"] and "1 unchanged" in push2["out"]
    assert out["loaded"] == ["alice/tiny-bert"]

    pr_files = hub.files("alice/tiny-bert", revision="refs/pr/1")
    card = pr_files["README.md"].decode()
    assert card.startswith("---\r\nmodel-index:\r\n") and "# Tiny BERT\r\n\r\nFor tests.\r\n" in card
    assert SECTION_START in card and pr_files[PLOT_PATH].startswith(b"\x89PNG")
    assert hub.refs("alice/tiny-bert")["main"] == main_sha  # only the PR changed
    assert [d.author for d in hub.discussions("alice/tiny-bert")] == ["bob"]
    everything = b"".join(pr_files.values()) + b"".join(
        hub.files("bob/infomem-results", repo_type="dataset").values())
    _assert_no_token([everything.decode("utf-8", "replace"), result_path.read_text()], ALICE, BOB)

    # The result pins the downloaded commit.
    assert out["model"]["sha"] in (main_sha, uploaded)


def test_extract_loads_and_pins_the_revision_it_is_given(hub_client, child_env, tmp_path):
    """Two commits of one causal LM: untrained, then overfit on 4 of the 8 texts."""
    hub = hub_client
    api = HfApi(endpoint=hub.url, token=ALICE)
    api.create_repo("alice/tiny-lm")
    tokenizer = factories.tiny_tokenizer(tmp_path / "tokenizer")
    texts = factories.random_texts(8, words=12, seed=21)
    commits = []
    for name, model in (("untrained", factories.gpt2_lm(len(tokenizer))),
                        ("memorized", factories.memorized_gpt2(tokenizer, texts[:4]))):
        model.save_pretrained(tmp_path / name)
        tokenizer.save_pretrained(tmp_path / name)
        commits.append(api.upload_folder(folder_path=tmp_path / name, repo_id="alice/tiny-lm",
                                         commit_message=name).oid)
    api.create_repo("alice/gguf-only")
    api.upload_file(path_or_fileobj=b"GGUF", path_in_repo="m.Q4.gguf", repo_id="alice/gguf-only")
    texts_file = tmp_path / "texts.txt"
    texts_file.write_text("\n".join(texts), encoding="utf-8")
    proc = run_python(CLI_HARNESS + f"""
base = ("--file", {str(texts_file)!r}, "--prefix-tokens", "5", "--suffix-tokens", "5", "--json")
runs = [cli("extract", "alice/tiny-lm", *base),
        cli("extract", "alice/tiny-lm", *base, "--revision", {commits[0]!r}),
        cli("extract", "alice/gguf-only", *base)]
print("RESULT", json.dumps(runs))
""", child_env(hub, token=ALICE), timeout=300)
    *runs, gguf_only = json.loads(proc.stdout.split("RESULT ", 1)[1])
    assert gguf_only["rc"] == 2 and gguf_only["err"].count("\n") == 1
    assert "'alice/gguf-only' has no config.json: if the repo holds GGUF weights" in gguf_only["err"]
    assert all(run["rc"] == 0 for run in runs), runs
    latest, pinned = (json.loads(run["out"]) for run in runs)
    assert latest["model"]["sha"] == commits[1] and latest["n_extracted"] == 4
    assert pinned["model"]["sha"] == pinned["model"]["revision"] == commits[0]
    assert pinned["n_extracted"] == 0
    _assert_no_token([proc.stdout, proc.stderr], ALICE)


def test_publish_metric_then_evaluate_load(hub_client, tiny_bert_dir, child_env, tmp_path):
    publish_metric("infomem-org/infomem", token=ALICE)
    proc = run_python(CLI_HARNESS + f"""
import evaluate
metric = evaluate.load("infomem-org/infomem")
out = metric.compute(predictions={TEXTS!r}, model_id={str(tiny_bert_dir)!r},
                     max_samples=36, mi_neurons_per_layer=8)
again = cli("publish-metric", "infomem-org/infomem", "--token", {ALICE!r})
print("RESULT", json.dumps({{"type": type(metric).__name__, "out": out, "again": again}}))
""", child_env(hub_client), timeout=300)
    out = json.loads(proc.stdout.split("RESULT ", 1)[1])
    assert out["type"] == "InfoMem"
    scores = out["out"]
    assert scores["n_samples"] == 36 and scores["mean_entropy"] > 0 and "per_layer" in scores
    assert isinstance(scores["mean_mi"], float)
    assert out["again"]["rc"] == 0 and 'evaluate.load("infomem-org/infomem")' in out["again"]["out"]
    _assert_no_token([proc.stdout, proc.stderr], ALICE)
    requests = [path for method, path, _ in hub_client.log if method == "HEAD"]
    assert "/spaces/infomem-org/infomem/resolve/main/infomem.py" in requests


def test_result_fixture_matches_the_real_format():
    """The synthetic results used above load with the real Result class."""
    from infomem.scoring.result import Result

    assert Result.from_dict(result_dict()).model_id == "alice/tiny-bert"
