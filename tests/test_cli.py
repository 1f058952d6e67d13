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
    assert "…" not in shown  # piped: the table keeps its width, no cell is cut


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


@pytest.mark.slow
def test_score_measures_unitmem_on_the_embedded_default():
    import resource
    import time

    def cpu() -> float:  # CPU seconds of finished children: the wall time if it had a core
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    start, cpu_start = time.perf_counter(), cpu()
    proc = _cli("score", "--measures", "unitmem", "--quiet")
    elapsed, used = time.perf_counter() - start, cpu() - cpu_start
    assert proc.returncode == 0, proc.stderr
    assert "UnitMem · " in proc.stdout and "Top units and their maximizing example" in proc.stdout
    assert "intermediate_act_fn" in proc.stdout and "mean H" not in proc.stdout  # UnitMem only
    # CPU time, not wall time: this suite shares its two cores with background runs.
    assert used < 60, f"infomem score --measures unitmem used {used:.1f} CPU s"
    print(f"\ninfomem score --measures unitmem, embedded default (600 texts): {elapsed:.1f} s "
          f"wall, {used:.1f} s CPU")


def test_score_measures_all_prints_both_and_saves_unitmem(tiny_bert, texts_file, tmp_path, capsys):
    from infomem.scoring.result import Result

    out = tmp_path / "r.json"
    args = ["score", str(tiny_bert), "--file", str(texts_file), "--mi-estimator", "binned",
            "--measures", "entropy", "mi", "unitmem", "--augmentations", "2"]
    plot = tmp_path / "r.png"
    assert main([*args, "--quiet", "--out", str(out), "--plot", str(plot)]) == 0
    shown = capsys.readouterr().out
    assert "mean entropy" in shown and "UnitMem · " in shown and "Top units" in shown
    both = (plot, tmp_path / "r_unitmem.png")  # the entropy / MI figure, UnitMem's beside it
    assert all(p.stat().st_size > 0 and f"saved {p}" in shown for p in both)
    saved = Result.from_json(out)
    assert saved.unitmem.settings["augmentations"] == 2 and saved.unitmem.n_samples == 20
    assert saved.unitmem.per_layer[0].values is not None  # --out keeps the per-unit values
    assert main([*args, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["mean_mi"] is not None and len(printed["unitmem"]["per_layer"]) == 2
    assert printed["unitmem"]["per_layer"][0]["top"][0]["text"].startswith("the ")


def test_score_measures_unitmem_alone_writes_a_unitmem_report(tiny_bert, texts_file, tmp_path,
                                                             capsys):
    from infomem.scoring.unitmem_report import UnitMemReport

    out, plot = tmp_path / "um.json", tmp_path / "um.png"
    assert main(["score", str(tiny_bert), "--file", str(texts_file), "--measures", "unitmem",
                 "--unitmem-layers", "1", "--json", "--out", str(out), "--plot", str(plot)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert "mean_entropy" not in printed and printed["settings"]["layers"] == ["1"]
    report = UnitMemReport.from_json(out)
    assert [x.name for x in report.per_layer] == ["encoder.layer.1.intermediate.intermediate_act_fn"]
    assert plot.read_bytes()[:4] == b"\x89PNG"
