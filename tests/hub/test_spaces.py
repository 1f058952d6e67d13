"""publish_metric / upload_space (infomem.hub.spaces) against the fake Hub (in-process): the
metric Space's layout with infomem vendored and pinned requirements, refusals, and any Space
from a folder or a mapping of files."""

from __future__ import annotations

import sys
from importlib import metadata

import pytest

from infomem.errors import HubError, InvalidInputError
from infomem.glue.install import metric_script_path
from infomem.hub import publish_metric, upload_space
from infomem.hub.card_text import parse_header, split_card
from tests.support.fixtures import USERS

ALICE, BOB = USERS["alice"], USERS["bob"]


def test_publish_metric_space_layout(hub_client):
    upload = publish_metric("infomem-org/memscore", token=ALICE)
    assert upload.url.endswith("/spaces/infomem-org/memscore")
    files = hub_client.files("infomem-org/memscore", repo_type="space")
    assert files["memscore.py"] == metric_script_path().read_bytes()
    assert {"README.md", "app.py", "requirements.txt"} <= set(files)
    meta = parse_header(split_card(files["README.md"].decode()).header)
    assert meta["title"] == "memscore" and meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    assert meta["sdk_version"] == metadata.version("gradio")
    assert meta["python_version"] == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert {"evaluate", "metric"} <= set(meta["tags"])
    assert "# Metric Card for infomem" in files["README.md"].decode()
    compile(files["app.py"], "app.py", "exec")
    # Self-contained: infomem vendored as it imports, only third-party pins to install.
    for path in ("infomem/__init__.py", "infomem/py.typed", "infomem/resources/metric_card.md",
                 "infomem/estimators/__init__.py", "infomem/hub/spaces.py",
                 "infomem/space/about.md", "infomem/space/ui.py"):
        assert path in files, path
    assert not [p for p in files if "__pycache__" in p or p.endswith(".pyc")]
    requirements = [line for line in files["requirements.txt"].decode().splitlines()
                    if line and not line.startswith(("#", "--"))]
    assert all("==" in line and not line.startswith("infomem") for line in requirements)
    assert f"gradio=={meta['sdk_version']}" in requirements and "torch==2.13.0" in requirements
    assert hub_client.repo("infomem-org/memscore", "space").sdk == "gradio"
    history = hub_client.history("infomem-org/memscore", repo_type="space")
    publish_metric("infomem-org/memscore", token=ALICE)  # unchanged: no new commit
    assert hub_client.history("infomem-org/memscore", repo_type="space") == history


def test_publish_metric_with_a_requirement_drops_the_copy(hub_client):
    publish_metric("alice/memscore", token=ALICE)
    publish_metric("alice/memscore", token=ALICE, infomem_requirement="infomem @ git+https://x/y")
    files = hub_client.files("alice/memscore", repo_type="space")
    assert not [p for p in files if p.startswith("infomem/")]  # a stale copy would shadow it
    assert "infomem @ git+https://x/y" in files["requirements.txt"].decode().splitlines()


def test_publish_metric_refusals(hub_client):
    with pytest.raises(HubError, match="no write access") as err:
        publish_metric("alice/infomem", token=BOB)
    assert "`infomem publish-metric YOU/NAME`" in str(err.value) and "--create-pr" not in str(err.value)
    with pytest.raises(InvalidInputError, match="ORG/NAME"):
        publish_metric("infomem", token=ALICE)
    with pytest.raises(HubError, match="No Hugging Face token"):
        publish_metric("alice/infomem")


def test_upload_space_folder_and_mapping(hub_client, tmp_path):
    (tmp_path / "app.py").write_text("print('hi')\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "README.md").write_text("---\ntitle: keep\nemoji: 🐙\n---\n# Mine\n")
    upload_space("alice/app", tmp_path, readme_yaml={"title": "new"}, requirements=["numpy"],
                 token=ALICE)
    files = hub_client.files("alice/app", repo_type="space")
    assert set(files) == {".gitattributes", "README.md", "app.py", "requirements.txt"}
    assert files["README.md"].decode() == "---\ntitle: new\nemoji: 🐙\nsdk: gradio\n---\n# Mine\n"
    # The call `infomem deploy-space` (infomem.space.deploy) makes: text files + variables.
    readme = "---\ntitle: demo\nsdk: gradio\napp_file: app.py\n---\n# demo\n"
    upload = upload_space("alice/demo", {"app.py": "demo = None\n", "README.md": readme,
                                         "requirements.txt": "infomem\n"},
                          token=ALICE, private=True,
                          variables={"INFOMEM_RESULTS_DATASET": "alice/infomem-results"})
    assert upload.files == ["README.md", "app.py", "requirements.txt"]
    assert hub_client.read("alice/demo", "README.md", repo_type="space").decode() == readme
    repo = hub_client.repo("alice/demo", "space")
    assert repo.private and repo.variables["INFOMEM_RESULTS_DATASET"]["value"] == "alice/infomem-results"
    with pytest.raises(InvalidInputError, match="does not exist"):
        upload_space("alice/demo", tmp_path / "missing", token=ALICE)
