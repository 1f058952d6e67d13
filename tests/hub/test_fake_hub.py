"""The fake Hub, driven by the real huggingface_hub client (and transformers/evaluate/datasets)."""

from __future__ import annotations

import json

import pytest
from huggingface_hub import CommitOperationAdd, HfApi, ModelCard, hf_hub_download, metadata_update
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from tests.support.fixtures import USERS
from tests.support.subproc import run_python

ALICE, BOB, CAROL = USERS["alice"], USERS["bob"], USERS["carol"]


@pytest.fixture
def alice(hub_client):
    return HfApi(endpoint=hub_client.url, token=ALICE)


def test_whoami_and_wrong_token(hub_client):
    assert HfApi(token=ALICE).whoami()["name"] == "alice"
    assert HfApi(token=ALICE).whoami()["orgs"][0]["name"] == "infomem-org"
    with pytest.raises(HfHubHTTPError) as err:
        HfApi(token="hf_not_a_real_token").whoami()
    assert err.value.response.status_code == 401


def test_create_repo_exist_ok_and_conflict(alice, hub_client):
    url = alice.create_repo("alice/m")
    assert url == f"{hub_client.url}/alice/m" and url.repo_id == "alice/m"
    assert alice.create_repo("alice/m", exist_ok=True).repo_id == "alice/m"
    with pytest.raises(HfHubHTTPError) as err:
        alice.create_repo("alice/m")
    assert err.value.response.status_code == 409
    space = alice.create_repo("infomem-org/s", repo_type="space", space_sdk="gradio")
    assert space.repo_type == "space" and space.repo_id == "infomem-org/s"
    assert alice.space_info("infomem-org/s").sdk == "gradio"
    with pytest.raises(HfHubHTTPError) as err:
        HfApi(token=BOB).create_repo("alice/other")
    assert err.value.response.status_code == 403


def test_upload_download_roundtrip_bytes_and_sha(alice, hub_client, tmp_path):
    alice.create_repo("alice/m")
    data = "caf\u00e9\r\nline two\r\n".encode()
    info = alice.upload_file(path_or_fileobj=data, path_in_repo="dir/a.txt", repo_id="alice/m")
    assert alice.model_info("alice/m").sha == info.oid == hub_client.refs("alice/m")["main"]
    assert alice.list_repo_files("alice/m") == [".gitattributes", "dir/a.txt"]
    path = hf_hub_download("alice/m", "dir/a.txt", cache_dir=tmp_path, token=ALICE)
    assert open(path, "rb").read() == data
    pinned = hf_hub_download("alice/m", "dir/a.txt", revision=info.oid, cache_dir=tmp_path / "2")
    assert open(pinned, "rb").read() == data
    tree = {e.path: e for e in alice.list_repo_tree("alice/m", recursive=True)}
    assert tree["dir/a.txt"].size == len(data) and "dir" in tree
    with pytest.raises(RemoteEntryNotFoundError):
        hf_hub_download("alice/m", "missing.txt", cache_dir=tmp_path)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download("alice/m", "dir/a.txt", revision="v9.9.9", cache_dir=tmp_path)
    with pytest.raises(RepositoryNotFoundError):
        alice.model_info("alice/does-not-exist")


def test_unchanged_upload_makes_no_commit(alice, hub_client):
    alice.create_repo("alice/m")
    alice.upload_file(path_or_fileobj=b"same", path_in_repo="f.txt", repo_id="alice/m")
    before = hub_client.history("alice/m")
    alice.upload_file(path_or_fileobj=b"same", path_in_repo="f.txt", repo_id="alice/m")
    assert hub_client.history("alice/m") == before


def test_create_commit_pr_and_folder_pr(alice, hub_client, tmp_path):
    alice.create_repo("alice/m")
    main_before = hub_client.refs("alice/m")["main"]
    info = alice.create_commit(
        "alice/m", [CommitOperationAdd("b.txt", b"b")], commit_message="add b", create_pr=True
    )
    assert info.pr_revision == "refs/pr/1" and info.pr_num == 1
    (tmp_path / "sub").mkdir()
    (tmp_path / "x.txt").write_text("x")
    (tmp_path / "sub" / "y.txt").write_text("y")
    folder = alice.upload_folder(folder_path=tmp_path, repo_id="alice/m", create_pr=True)
    assert folder.pr_revision == "refs/pr/2"
    assert hub_client.refs("alice/m")["main"] == main_before  # PRs leave main alone
    assert "b.txt" in hub_client.files("alice/m", revision="refs/pr/1")
    assert {"x.txt", "sub/y.txt"} <= set(alice.list_repo_files("alice/m", revision="refs/pr/2"))
    refs = alice.list_repo_refs("alice/m", include_pull_requests=True)
    assert [r.ref for r in refs.pull_requests] == ["refs/pr/1", "refs/pr/2"]
    prs = list(alice.get_repo_discussions("alice/m"))
    assert [(d.num, d.is_pull_request) for d in prs] == [(2, True), (1, True)]
    details = alice.get_discussion_details("alice/m", 1)
    assert details.git_reference == "refs/pr/1" and details.target_branch == "refs/heads/main"
    alice.merge_pull_request("alice/m", 1)
    assert hub_client.read("alice/m", "b.txt") == b"b"


def test_permissions_other_user_pr_and_read_only(hub_client):
    HfApi(token=ALICE).create_repo("alice/m")
    bob = HfApi(token=BOB)
    with pytest.raises(HfHubHTTPError) as err:
        bob.upload_file(path_or_fileobj=b"x", path_in_repo="x", repo_id="alice/m")
    assert err.value.response.status_code == 403
    info = bob.upload_file(
        path_or_fileobj=b"x", path_in_repo="x", repo_id="alice/m", create_pr=True
    )
    assert info.pr_revision == "refs/pr/1"
    assert hub_client.discussions("alice/m")[0].author == "bob"
    with pytest.raises(HfHubHTTPError) as err:
        HfApi(token=CAROL).upload_file(
            path_or_fileobj=b"x", path_in_repo="x", repo_id="alice/m", create_pr=True
        )
    assert err.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError) as err:
        HfApi(token="hf_wrong").upload_file(
            path_or_fileobj=b"x", path_in_repo="x", repo_id="alice/m"
        )
    assert err.value.response.status_code == 401
    assert "Invalid credentials" in str(err.value)
    assert set(hub_client.files("alice/m")) == {".gitattributes"}


def test_private_and_gated_repos(hub_client, tmp_path):
    hub_client.seed_repo("alice/secret", {"a.txt": "s"}, private=True)
    hub_client.seed_repo("alice/gated", {"a.txt": "g"}, gated=True)
    assert HfApi(token=ALICE).model_info("alice/secret").private
    for token in (None, BOB):
        with pytest.raises(RepositoryNotFoundError):
            HfApi(token=token or False).model_info("alice/secret")
        with pytest.raises(GatedRepoError):
            hf_hub_download("alice/gated", "a.txt", token=token or False, cache_dir=tmp_path)
    assert (
        open(hf_hub_download("alice/gated", "a.txt", token=ALICE, cache_dir=tmp_path)).read() == "g"
    )


def test_model_card_load_push_and_metadata_update(hub_client):
    hub_client.seed_repo("alice/m", {"README.md": "---\nlicense: mit\n---\n# Hi\n"})
    card = ModelCard.load("alice/m", token=ALICE)
    assert card.data.license == "mit"
    card.data.tags = ["x"]
    card.push_to_hub("alice/m", token=ALICE)
    assert b"tags:\n- x" in hub_client.read("alice/m", "README.md")
    url = metadata_update("alice/m", {"library_name": "transformers"}, token=ALICE, create_pr=True)
    assert (
        "library_name: transformers"
        in hub_client.read("alice/m", "README.md", revision="refs/pr/1").decode()
    )
    assert url.startswith(hub_client.url)
    with pytest.raises(
        ValueError, match="Invalid metadata"
    ):  # validate-yaml refuses a broken header
        HfApi(token=ALICE).upload_file(
            path_or_fileobj=b"---\nfoo: [1\n---\n", path_in_repo="README.md", repo_id="alice/m"
        )


@pytest.mark.slow
def test_transformers_evaluate_datasets_through_fake_hub(fake_hub, tiny_bert_dir, child_env):
    sha = fake_hub.seed_folder("alice/tiny-bert", tiny_bert_dir)
    fake_hub.seed_repo(
        "alice/secret-bert",
        {"config.json": (tiny_bert_dir / "config.json").read_bytes()},
        private=True,
    )
    fake_hub.seed_repo(
        "alice/count",
        {"count.py": COUNT_METRIC, "README.md": "---\nsdk: gradio\n---\n"},
        repo_type="space",
        sdk="gradio",
    )
    fake_hub.seed_repo(
        "alice/texts", {"data/train.jsonl": '{"text": "a"}\n{"text": "b"}\n'}, repo_type="dataset"
    )
    proc = run_python(
        """
        import json
        from transformers import AutoModel, AutoTokenizer
        import evaluate, datasets
        out = {}
        model = AutoModel.from_pretrained("alice/tiny-bert")
        tok = AutoTokenizer.from_pretrained("alice/tiny-bert")
        out["model"] = type(model).__name__
        out["ids"] = tok("the movie")["input_ids"]
        out["metric"] = evaluate.load("alice/count").compute(predictions=["a", "b", "c"])
        out["texts"] = list(datasets.load_dataset("alice/texts", split="train")["text"])
        try:
            AutoModel.from_pretrained("alice/secret-bert")
        except OSError as e:
            out["private"] = str(e)
        import huggingface_hub, glob
        out["snapshots"] = [p.split("/")[-1] for p in glob.glob(
            huggingface_hub.constants.HF_HUB_CACHE + "/models--alice--tiny-bert/snapshots/*")]
        print("RESULT", json.dumps(out))
    """,
        child_env(fake_hub),
    )
    out = json.loads(proc.stdout.split("RESULT ", 1)[1])
    assert out["model"] == "BertModel" and out["ids"][0] == 2
    assert out["metric"] == {"n": 3}
    assert out["texts"] == ["a", "b"]
    assert "alice/secret-bert" in out["private"]
    assert out["snapshots"] == [sha]
    assert fake_hub.unhandled == []


COUNT_METRIC = """\
import datasets
import evaluate


class Count(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="count", citation="", inputs_description="",
            features=datasets.Features({"predictions": datasets.Value("string")}),
        )

    def _compute(self, predictions):
        return {"n": len(predictions)}
"""
