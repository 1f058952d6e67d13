"""`infomem extract` and `evaluate.load("infomem", "extraction")` on a real tiny GPT-2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "infomem.cli", "extract", *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def texts_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("extract") / "texts.txt"
    path.write_text("\n".join(f"the {w} film was good and the plot was fine" for w in "abcdef"),
                    encoding="utf-8")
    return path


def test_extract_json_and_out(tiny_gpt2, texts_file, tmp_path):
    out = tmp_path / "x.json"
    proc = _cli(str(tiny_gpt2), "--file", str(texts_file), "--reference-file", str(texts_file),
                "--prefix-tokens", "3", "--suffix-tokens", "2", "--json", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["n_used"] == 6 and 0 <= summary["extraction_rate"] <= 1
    assert summary["min_k_auc"] == pytest.approx(0.5)  # the same texts on both sides
    assert "identical" in proc.stderr or "overlap" in proc.stderr  # warned
    saved = json.loads(out.read_text())
    assert len(saved["records"]) == 6 and saved["settings"]["prefix_tokens"] == 3
    for key in ("data", "reference_data"):  # where the texts came from, for cards and records
        assert saved[key]["kind"] == "file" and saved[key]["path"] == texts_file.name
        assert saved[key]["n_used"] == 6 and len(saved[key]["fingerprint"]) == 16


@pytest.mark.parametrize("args, expected", [
    (["--prefix-tokens", "0"], "`prefix_tokens` must be an integer >= 1"),
    (["--suffix-tokens", "400"], "exceeds the model's 63 positions"),
    (["--out", "/nope/x.json"], "does not exist"),
    (["--min-k", "1.5"], "`min_k` must be a number above 0 and at most 1; received 1.5."),
    (["--reference-column", "text"], "`--reference-column` applies to the reference texts: pass "
                                     "`--reference-file` or `--reference-dataset` too."),
    (["--reference-split", "a", "--reference-column", "b"],
     "`--reference-split` and `--reference-column` apply to the reference texts"),
])
def test_extract_refusals_are_one_line(tiny_gpt2, texts_file, args, expected):
    proc = _cli(str(tiny_gpt2), "--file", str(texts_file), *args)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(errors) == 1 and expected in errors[0], proc.stderr


def test_extract_refuses_an_encoder(tiny_bert, texts_file):
    proc = _cli(str(tiny_bert), "--file", str(texts_file))
    assert proc.returncode == 2 and "causal language model" in proc.stderr


def test_the_metric_extraction_config(tiny_gpt2):
    from infomem.glue.evaluate_module import InfoMem

    metric = InfoMem(config_name="extraction")
    texts = [f"the {w} film was good and the plot was fine" for w in "abcd"]
    out = metric.compute(predictions=texts, model_id=str(tiny_gpt2), prefix_tokens=3,
                         suffix_tokens=2)
    assert out["n_used"] == 4 and "records" not in out
    with pytest.raises(Exception, match="needs a causal LM"):
        metric.compute(predictions=texts)


def test_extract_activations_says_why_it_skipped(tiny_gpt2, texts_file):
    args = (str(tiny_gpt2), "--file", str(texts_file), "--prefix-tokens", "3", "--suffix-tokens", "2",
            "--activations")
    proc = _cli(*args, "--json")
    assert proc.returncode == 0, proc.stderr
    comparison = json.loads(proc.stdout)["activations"]
    assert comparison["n_extracted"] + comparison["n_not_extracted"] == 6
    assert "comparing activations needs at least 10 in each group" in comparison["skipped"]
    table = _cli(*args)
    assert table.returncode == 0 and "activations: skipped:" in " ".join(table.stdout.split())


def test_extract_takes_the_loading_options(tiny_gpt2, texts_file):
    args = (str(tiny_gpt2), "--file", str(texts_file), "--prefix-tokens", "3", "--suffix-tokens", "2")
    proc = _cli(*args, "--torch-dtype", "float64", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["model"]["dtype"] == "float64"
    for flags, message in ((("--revision", "v1"), "a folder has no revisions"),
                           (("--max-memory", '{"cpu": "1GiB"}'), "no `device_map` was given")):
        proc = _cli(*args, *flags)
        assert proc.returncode == 2 and message in proc.stderr
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_extract_refuses_zero_processes(tiny_gpt2, texts_file):
    proc = _cli(str(tiny_gpt2), "--file", str(texts_file), "--num-processes", "0")
    assert proc.returncode == 2 and "`--num-processes` must be >= 1" in proc.stderr


def test_the_metric_extraction_config_takes_activations(tiny_gpt2):
    from infomem.glue.evaluate_module import InfoMem

    texts = [f"the {w} film was good and the plot was fine" for w in "abcd"]
    out = InfoMem(config_name="extraction").compute(predictions=texts, model_id=str(tiny_gpt2),
                                                     prefix_tokens=3, suffix_tokens=2, activations=True)
    assert out["activations"]["skipped"].startswith("0 of the 4 tested texts were extracted")
    wide = InfoMem(config_name="extraction", torch_dtype="float64").compute(
        predictions=texts, model_id=str(tiny_gpt2), prefix_tokens=3, suffix_tokens=2)
    assert wide["model"]["dtype"] == "float64"


def test_the_activations_table_signs_the_difference_and_says_if_it_is_significant():
    from rich.console import Console

    from infomem.cli.extract import print_activations

    group = {"mean_entropy": 0.5, "mean_entropy_low": 0.4, "mean_entropy_high": 0.6,
             "mean_mi": None, "mean_mi_low": None, "mean_mi_high": None}
    difference = {"mean_entropy": 0.12, "mean_entropy_low": 0.05, "mean_entropy_high": 0.19,
                  "mean_entropy_significant": True, "mean_mi": -0.01, "mean_mi_low": -0.03,
                  "mean_mi_high": 0.02, "mean_mi_significant": False}
    comparison = {"level": 0.95, "n_per_group": 12, "n_extracted": 12, "n_not_extracted": 30,
                  "extracted": group, "not_extracted": group, "difference": difference,
                  "probe": {"n_features": 8, "auc": 0.7, "auc_sd": 0.1, "folds": 5}}
    console = Console(record=True, width=200)
    print_activations(comparison, console)
    text = console.export_text()
    assert "0.500 [0.400, 0.600]" in text and " - " in text
    assert "+0.120 [+0.050, +0.190] (significant)" in text
    assert "-0.010 [-0.030, +0.020] (not significant)" in text
