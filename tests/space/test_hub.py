"""The Space and the Hub, against the fake Hub (tests/support): deploying the app, and a
leaderboard read from a results dataset written by `push_results`."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

import pytest
from spacekit import factories_texts

import infomem
from infomem.hub import push_results
from infomem.hub.card_text import parse_header, split_card
from infomem.space import SpaceConfig, build_app, deploy
from tests.support.fixtures import USERS

import factories

ALICE = USERS["alice"]


def test_deploy_space_uploads_app_readme_requirements_and_variables(hub_client) -> None:
    upload = deploy.deploy_space("alice/infomem-demo", token=ALICE,
                                 variables={"INFOMEM_RESULTS_DATASET": "alice/results"})
    assert upload.url.endswith("/spaces/alice/infomem-demo")
    files = hub_client.files("alice/infomem-demo", repo_type="space")
    assert {"app.py", "README.md", "requirements.txt"} <= set(files)
    meta = parse_header(split_card(files["README.md"].decode()).header)
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    assert files["app.py"] == deploy.space_files("alice/infomem-demo")["app.py"]
    repo = hub_client.repo("alice/infomem-demo", "space")
    assert repo.variables["INFOMEM_RESULTS_DATASET"]["value"] == "alice/results"
    history = hub_client.history("alice/infomem-demo", repo_type="space")
    deploy.deploy_space("alice/infomem-demo", token=ALICE)  # unchanged: no new commit
    assert hub_client.history("alice/infomem-demo", repo_type="space") == history


def test_cli_deploy_space(hub_client, capsys) -> None:
    from infomem.cli import main

    assert main(["deploy-space", "alice/demo2", "--token", ALICE]) == 0
    assert "Deployed the infomem app: alice/demo2" in capsys.readouterr().out
    assert main(["deploy-space", "bob/demo", "--token", ALICE]) == 2  # not alice's: refused
    err = capsys.readouterr().err
    assert err.startswith("error: ") and ALICE not in err and "Traceback" not in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_leaderboard_reads_a_results_dataset(hub_client, space_models: dict[str, Path]) -> None:
    from gradio_client import Client

    texts = factories_texts(40)
    results = [infomem.score(str(space_models[name]), texts, mi_estimator="binned",
                             progress=False) for name in ("bert", "gpt2")]
    push_results("alice/infomem-results", results, token=ALICE)
    demo = build_app(config=SpaceConfig(results_dataset="alice/infomem-results"))
    port = _free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        _arch, _data, status, table = client.predict(api_name="/leaderboard")
    finally:
        demo.close()
    assert status.startswith("2 results")
    column = table["headers"].index("architecture")
    assert sorted(row[column] for row in table["data"]) == ["BertModel", "GPT2Model"]


def test_leaderboard_reports_a_missing_dataset_in_the_tab(hub_client) -> None:
    from infomem.space import leaderboard

    try:
        leaderboard.load_leaderboard("alice/no-such-results")
    except infomem.InfomemError as e:
        message = str(e)
    else:
        raise AssertionError("a missing dataset must raise")
    assert "alice/no-such-results" in message and "\n" not in message


def test_score_compare_and_extract_a_revision(hub_client, tmp_path: Path) -> None:
    """Two commits of one repo each: the Space scores, compares and extracts the one asked."""
    from huggingface_hub import HfApi

    from infomem.space import comparing, extracting, handlers

    api = HfApi(endpoint=hub_client.url, token=ALICE)
    commits: dict[str, list[str]] = {"alice/bert": [], "alice/lm": []}
    tokenizer = factories.tiny_tokenizer(tmp_path / "tokenizer")
    texts = factories.random_texts(8, words=12, seed=21)
    versions = {"alice/bert": [factories.save_tiny_bert(tmp_path / f"bert{seed}", seed=seed)
                               for seed in (0, 1)],
                "alice/lm": []}
    for name, model in (("untrained", factories.gpt2_lm(len(tokenizer))),
                        ("memorized", factories.memorized_gpt2(tokenizer, texts[:4]))):
        model.save_pretrained(tmp_path / name)
        tokenizer.save_pretrained(tmp_path / name)
        versions["alice/lm"].append(tmp_path / name)
    for repo, folders in versions.items():
        api.create_repo(repo)
        for folder in folders:
            commits[repo].append(api.upload_folder(folder_path=folder, repo_id=repo).oid)

    scorer = handlers.Scorer(SpaceConfig(max_samples=60))
    inputs = handlers.InputSpec(source="text", texts="\n".join(factories_texts(40, seed=3)))
    choice = handlers.EstimatorChoice(max_samples=40, mi_estimator="binned")
    first, latest = commits["alice/bert"]
    pinned = scorer.score("alice/bert", inputs, choice, revision=f" {first} ")
    assert pinned.model["sha"] == pinned.model["revision"] == first
    direct = infomem.score("alice/bert", factories_texts(40, seed=3), revision=first,
                           max_samples=40, mi_estimator="binned", progress=False)
    assert pinned.mean_entropy == direct.mean_entropy and pinned.mean_mi == direct.mean_mi
    assert scorer.score("alice/bert", inputs, choice).model["sha"] == latest
    headline = handlers.score_view(pinned, tmp_path / "view").headline
    assert headline.startswith(f"### alice/bert @ {first[:7]}\n")  # which commit was scored

    view = comparing.compare_models(scorer, f"alice/bert@{first}\nalice/bert", None, inputs,
                                    choice)
    rows = view.table.set_index("model")
    assert set(rows.index) == {f"alice/bert@{first}", "alice/bert"}
    assert rows.loc[f"alice/bert@{first}", "mean entropy"] == pytest.approx(
        pinned.mean_entropy, abs=1e-4)
    assert rows.loc[f"alice/bert@{first}", "mean entropy"] != rows.loc["alice/bert",
                                                                       "mean entropy"]
    with pytest.raises(infomem.InfomemError, match="Cannot read the model line 'alice/bert@'"):
        comparing.compare_models(scorer, "alice/bert@\nalice/bert", None, inputs, choice)

    space, models = SpaceConfig(max_samples=60), extracting.causal_lms(SpaceConfig())
    request = extracting.ExtractionRequest(model_id="alice/lm", texts="\n".join(texts),
                                           prefix_tokens=5, suffix_tokens=5)
    now = extracting.run_extraction(request, space, models, tmp_path / "now")
    then = extracting.run_extraction(dataclasses.replace(request, revision=commits["alice/lm"][0]),
                                     space, models, tmp_path / "then")
    assert (now.scores["n_extracted"], then.scores["n_extracted"]) == (4, 0)
    assert f"### Extraction from alice/lm @ {commits['alice/lm'][0][:7]}\n" in then.headline
    assert len(models) == 2  # one cached model per revision
    with pytest.raises(infomem.InfomemError) as info:
        scorer.score("alice/bert", inputs, choice, revision="no-such-branch")
    assert "no-such-branch" in str(info.value) and "\n" not in str(info.value)
