"""The infomem command: fast help, JSON for scripts, files, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from infomem.cli import main

pytestmark = pytest.mark.filterwarnings("ignore:Only .* examples:UserWarning")


def _cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "infomem.cli", *args], capture_output=True,
                          text=True, timeout=timeout)


def test_help_imports_no_heavy_library():
    code = ("import sys; from infomem.cli import build_parser; build_parser().format_help(); "
            "print(sorted(m for m in ('torch', 'transformers', 'evaluate', 'gradio', 'datasets', "
            "'huggingface_hub', 'numba') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "[]", proc.stderr


def test_score_help_explains_defaults():
    proc = _cli("score", "--help", timeout=60)
    assert proc.returncode == 0
    for text in ("--dataset", "--column", "--max-samples", "--bins", "--k", "--device-map",
                 "--json", "--out", "embedded all-MiniLM-L6-v2"):
        assert text in proc.stdout


@pytest.fixture(scope="module")
def texts_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "texts.txt"
    path.write_text("\n".join(f"the {w} film was good" for w in "abcdefghijklmnopqrst"), encoding="utf-8")
    return path


def test_score_json_out_and_plot(tiny_bert, texts_file, tmp_path, capsys):
    out, plot = tmp_path / "r.json", tmp_path / "r.png"
    code = main(["score", str(tiny_bert), "--file", str(texts_file), "--json", "--out", str(out),
                 "--plot", str(plot), "--mi-neurons-per-layer", "4", "--bins", "10"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["n_samples"] == 20 and printed["settings"]["bins"] == 10
    saved = json.loads(out.read_text())
    assert saved["format"] == "infomem-result" and saved["mean_entropy"] == printed["mean_entropy"]
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_score_table(tiny_bert, texts_file, capsys):
    assert main(["score", str(tiny_bert), "--file", str(texts_file), "--quiet",
                 "--mi-estimator", "binned"]) == 0
    shown = capsys.readouterr().out
    assert "layer.0" in shown and "mean entropy" in shown and "S=20" in shown


@pytest.mark.parametrize(
    "args, message",
    [
        (["--column", "nope"], "error: Column 'nope' is not in"),
        (["--bins", "1"], "error: `bins` must be an integer >= 2"),
        (["--max-samples", "0"], "error: `max_samples` must be an integer >= 1"),
        (["--mi-device", "gpu"], "error: Unknown MI device 'gpu'"),
        (["--mi-device", "cuda:99"], "error: The MI device 'cuda:99'"),
        (["--device-map", "banana"], "error: Unknown device map 'banana'"),
        (["--device-map", "cuda:99"], "error: The device map 'cuda:99'"),
        (["--torch-dtype", "int8"], "error: Unknown torch_dtype 'int8'"),
    ],
)
def test_bad_input_is_one_line(tiny_bert, tmp_path, args, message):
    csv = tmp_path / "t.csv"
    csv.write_text("text,label\nhello,1\nworld,0\nfoo,1\nbar,0\n", encoding="utf-8")
    proc = _cli("score", str(tiny_bert), "--file", str(csv), "--quiet", *args)
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert errors and errors[0].startswith(message) and "Traceback" not in proc.stderr


def test_missing_model_is_one_line(tmp_path):
    proc = _cli("score", str(tmp_path / "missing"), "--quiet")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "error: Model" in proc.stderr and "neither a local directory" in proc.stderr
