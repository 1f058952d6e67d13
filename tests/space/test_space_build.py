"""Both Spaces build the way the Hub builds them, with infomem not installed anywhere.

Like the Space builder: publish to the fake Hub, download the Space's files with the real
client, `pip install -r requirements.txt` in a fresh venv from a folder holding only that
file, then run `python app.py` from the Space's folder with that venv and drive it with
gradio_client (and, for the metric Space, `evaluate.load` its script). One venv serves the
module: the second install finds everything in place, as a rebuild would.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from infomem.hub import publish_metric
from infomem.space import deploy
from tests.support.fixtures import USERS

pytestmark = pytest.mark.slow
ALICE = USERS["alice"]
TEXTS = ["the film was wonderful", "a dull, overlong plot", "i loved every minute of it",
         "the acting was wooden", "a quiet, moving story", "it fell apart at the end"] * 8


@pytest.fixture(scope="module")
def builder_python(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv's python, with nothing but pip in it (removed afterwards: ~1.5 GB)."""
    venv = tmp_path_factory.mktemp("builder") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    yield venv / "bin" / "python"
    shutil.rmtree(venv, ignore_errors=True)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "PYTHON", "VIRTUAL_ENV", "GRADIO_"))}
    return {**env, "HF_HOME": str(home), "HF_HUB_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1",
            "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONNOUSERSITE": "1",
            # download.pytorch.org (the Space's CPU index) is out of reach here: fail over to
            # the other indexes at once rather than after pip's retries.
            "PIP_RETRIES": "0"}


def _download(repo_id: str, folder: Path) -> Path:
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(repo_id, repo_type="space", local_dir=folder))


def _build(python: Path, space: Path, tmp_path: Path, env: dict[str, str]) -> None:
    """`pip install -r requirements.txt` from a folder holding nothing else."""
    only = tmp_path / "requirements-only"
    only.mkdir()
    shutil.copy(space / "requirements.txt", only / "requirements.txt")
    start = time.monotonic()
    proc = subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", "requirements.txt"],
                          cwd=only, env=env, capture_output=True, text=True, timeout=900)
    print(f"pip install -r requirements.txt: {time.monotonic() - start:.0f} s")  # shown with -s
    assert proc.returncode == 0, proc.stderr[-3000:]


def _run(python: Path, cwd: Path, code: str, env: dict[str, str]) -> str:
    proc = subprocess.run([str(python), "-c", code], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


# From the Space's folder: infomem is the vendored copy, and nothing installed it.
_VENDORED = """
import os
from importlib import metadata
import infomem
assert infomem.__file__.startswith(os.getcwd() + os.sep), infomem.__file__
try:
    metadata.distribution("infomem")
except metadata.PackageNotFoundError:
    print("not installed")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serving(python: Path, space: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """`python app.py` in the Space's folder, as the Space runs it; yields its URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    with log.open("w") as out:
        proc = subprocess.Popen([str(python), "app.py"], cwd=space, stdout=out, stderr=out,
                                env={**env, "GRADIO_SERVER_NAME": "127.0.0.1",
                                     "GRADIO_SERVER_PORT": str(port)})
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, f"app.py exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"app.py did not start:\n{log.read_text()[-3000:]}"
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _score_through_the_api(url: str, tmp_path: Path) -> None:
    from gradio_client import Client

    from infomem.scoring.result import Result

    client = Client(url, verbose=False, download_files=str(tmp_path / "downloads"))
    *_, path, _command, scores = client.predict(api_name="/score", max_samples=40,
                                                mi_neurons_per_layer=8)
    result = Result.from_json(path)
    assert result.model_id == "sentence-transformers/all-MiniLM-L6-v2" and result.n_samples == 40
    assert scores["mean_entropy"] == pytest.approx(result.mean_entropy)


def test_demo_space_builds_and_runs_without_infomem_installed(
        hub_client, builder_python: Path, tmp_path: Path) -> None:
    deploy.deploy_space("alice/infomem-demo", token=ALICE)
    space = _download("alice/infomem-demo", tmp_path / "space")
    env = _env(tmp_path / "hf-home")
    _build(builder_python, space, tmp_path, env)
    assert _run(builder_python, space, _VENDORED, env).strip() == "not installed"
    elsewhere = subprocess.run([str(builder_python), "-c", "import infomem"], cwd=tmp_path,
                               env=env, capture_output=True, text=True)
    assert "No module named 'infomem'" in elsewhere.stderr
    with _serving(builder_python, space, env, tmp_path / "app.log") as url:
        _score_through_the_api(url, tmp_path)


def test_metric_space_builds_runs_and_loads_its_metric(
        hub_client, builder_python: Path, tmp_path: Path) -> None:
    # Named like the package: `infomem.py` beside `infomem/`, where the package must win.
    publish_metric("alice/infomem", token=ALICE)
    space = _download("alice/infomem", tmp_path / "space")
    assert (space / "infomem.py").is_file() and (space / "infomem" / "__init__.py").is_file()
    env = _env(tmp_path / "hf-home")
    _build(builder_python, space, tmp_path, env)
    assert _run(builder_python, space, _VENDORED, env).strip() == "not installed"
    out = _run(builder_python, space, f"""
import evaluate
metric = evaluate.load("./infomem.py")
scores = metric.compute(predictions={TEXTS!r}, max_samples=40, mi_neurons_per_layer=8)
print(type(metric).__name__, scores["n_samples"], scores["mean_entropy"] > 0)
""", env)
    assert out.split()[-3:] == ["InfoMem", "40", "True"]
    with _serving(builder_python, space, env, tmp_path / "app.log") as url:
        _score_through_the_api(url, tmp_path)
