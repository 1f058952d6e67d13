"""Bad inputs through the real CLI: exit 2, exactly one `error:` line, no traceback, and
path errors before any model work (a model id that cannot load would fail later)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import factories

_NO_MODEL = "no-such-org/no-such-model-infomem"  # loading it would fail: checks come first


def _cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "infomem.cli", *args], capture_output=True,
                          text=True, timeout=timeout)


def _one_error(proc, expected):
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(errors) == 1, proc.stderr
    assert expected in errors[0], errors[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    (root / "texts.txt").write_text("one\ntwo\nthree\nfour\nfive\n", encoding="utf-8")
    (root / "latin1.txt").write_bytes("caf\xe9 cr\xe8me\nna\xefve\n".encode("latin-1"))
    (root / "binary.log").write_bytes(b"\x00\x01\x02\xff" * 64)
    (root / "a_folder").mkdir()
    (root / "result.json").write_text(json.dumps({"format": "infomem-result", "format_version": 1,
                                                  "mean_entropy": 1.0}), encoding="utf-8")
    return root


@pytest.mark.parametrize("flag, path, expected", [
    ("--out", "missing/dir/r.json", "does not exist; create it first"),
    ("--out", "a_folder", "is a directory"),
    ("--out", "/sys/infomem-r.json", "cannot be written"),
    ("--out", "/proc/sys/infomem/r.json", "does not exist"),
    ("--plot", "missing/p.png", "does not exist"),
    ("--plot", "plot.xyz", "matplotlib cannot write .xyz"),
    ("--plot", "plot", "files without an extension"),
    ("--plot", "/sys/infomem-p.png", "cannot be written"),
    ("--plot", "a_folder", "is a directory"),
])
def test_output_paths_are_checked_before_any_model_work(files, flag, path, expected):
    target = path if path.startswith("/") else str(files / path)
    _one_error(_cli("score", _NO_MODEL, "--file", str(files / "texts.txt"), flag, target), expected)


@pytest.mark.parametrize("name, extra, expected", [
    ("latin1.txt", [], "is not valid utf-8 text: byte 0xe9 at offset 3"),
    ("latin1.txt", ["--encoding", "klingon"], "Unknown encoding 'klingon'"),
    ("binary.log", [], "looks binary"),
    ("texts.txt", ["--column", "text"], "`column=` / `--column` does not apply to the text "
                                        "file 'texts.txt' (one example per line; `column` "
                                        "applies to .csv"),
    ("texts.txt", ["--split", "test", "--streaming"], "`split=` / `--split`, `streaming=` / "
                                                      "`--streaming` do not apply to the text file"),
    ("a_folder", [], "is a directory"),
    ("absent.txt", [], "does not exist"),
])
def test_unreadable_text_inputs_are_one_line(files, name, extra, expected):
    _one_error(_cli("score", _NO_MODEL, "--file", str(files / name), *extra), expected)


def test_a_dataset_flag_on_a_plain_file_says_use_file(files):
    _one_error(_cli("score", _NO_MODEL, "--dataset", str(files / "texts.txt")),
               "is a file, not a dataset; pass it with `file=` / `--file`")


@pytest.mark.parametrize("args, expected", [
    (["--revision", "v9"], "cannot apply to local directory"),
    (["--k", "7"], "KSG MI needs at least k+1 = 8 examples; received 5"),
])
def test_settings_refused_before_capture(tiny_bert, files, args, expected):
    _one_error(_cli("score", str(tiny_bert), "--file", str(files / "texts.txt"), *args), expected)


@pytest.mark.parametrize("args, expected", [
    (["--measures", "foo"], "`measures` must be one or more of 'entropy', 'mi', 'unitmem'"),
    (["--augmentations", "0"], "`augmentations` must be an integer >= 1"),
    (["--measures", "unitmem", "--augmentations", "0"], "`augmentations` must be an integer >= 1"),
    (["--measures", "entropy", "unitmem", "--augmentations", "-1"], "`augmentations` must be"),
    (["--augmentations", "2"], "`augmentations` is a UnitMem option"),
    (["--measures", "mi"], "leaves out 'entropy'"),
    (["--measures", "entropy", "--mi-estimator", "binned"], "`mi_estimator='binned'` asks for MI"),
    (["--measures", "unitmem", "--bins", "5"], "`--bins` does not apply to `--measures unitmem`"),
    (["--measures", "unitmem", "--layers", "0"], "UnitMem's modules: --unitmem-layers"),
    (["--measures", "unitmem", "--num-processes", "2"], "UnitMem runs in one process"),
    (["--measures", "entropy", "unitmem", "--num-processes", "2"], "UnitMem runs in one process"),
])
def test_measures_are_refused_before_any_model_work(files, args, expected):
    _one_error(_cli("score", _NO_MODEL, "--file", str(files / "texts.txt"), *args), expected)


@pytest.mark.parametrize("args", [["score", "--measures", "unitmem"],
                                  ["score", "--measures", "entropy", "mi", "unitmem"],
                                  ["unitmem"]])
def test_unitmem_on_a_model_without_a_non_negative_module(tmp_path, files, args):
    folder = factories.save_tiny_bert(tmp_path / "tanh")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "hidden_act": "tanh"}))
    _one_error(_cli(*args[:1], str(folder), *args[1:], "--file", str(files / "texts.txt")),
               "Block encoder.layer.0 of BertModel has no activation module to hook")


def test_revision_on_the_embedded_default_is_refused(files):
    _one_error(_cli("score", "--file", str(files / "texts.txt"), "--revision", "main"),
               "cannot apply to the embedded default model")


@pytest.mark.parametrize("flags", [("--max-memory", '{"cpu": "1GiB"}'),
                                   ("--offload-folder", "offload")])
def test_weight_placement_without_a_device_map_is_refused(files, flags):
    _one_error(_cli("score", "--file", str(files / "texts.txt"), *flags),
               "no `device_map` was given: add one")


@pytest.mark.parametrize("command", ["score", "extract"])
def test_gguf_weights_are_checked_before_loading(tmp_path, files, command):
    (tmp_path / "m.Q4.gguf").write_bytes(b"not read")
    _one_error(_cli(command, str(tmp_path), "--file", str(files / "texts.txt")),
               "holds GGUF weights (m.Q4.gguf) and no config.json")
    _one_error(_cli(command, str(tmp_path), "--gguf-file", "m.bin", "--file",
                    str(files / "texts.txt")), "`gguf_file` must name a .gguf file")


def test_a_model_folder_without_tokenizer_files(tmp_path, files):
    folder = factories.save_tiny_bert(tmp_path / "bert")
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        (folder / name).unlink(missing_ok=True)
    _one_error(_cli("score", str(folder), "--file", str(files / "texts.txt")),
               f"Model folder {str(folder)!r} has no tokenizer files")


def test_damaged_result_names_the_missing_field(files, tmp_path):
    copy = tmp_path / "copy.json"
    copy.write_bytes((files / "result.json").read_bytes())
    _one_error(_cli("compare", str(files / "result.json"), str(copy)),
               "the field 'median_entropy' is missing")


@pytest.mark.parametrize("name", ["notes", "notes.md", "notes.log", "notes.text"])
def test_any_existing_text_file_is_read_one_example_per_line(tiny_bert, tmp_path, name):
    path = tmp_path / name
    path.write_text("\n".join(f"the {w} film was fine" for w in "abcdefgh"), encoding="utf-8")
    out = tmp_path / "r.json"
    proc = _cli("score", str(tiny_bert), "--file", str(path), "--quiet", "--out", str(out),
                "--mi-estimator", "binned")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["n_samples"] == 8


def test_latin1_with_its_encoding_and_empty_cells_are_counted(tiny_bert, tmp_path, files):
    proc = _cli("score", str(tiny_bert), "--file", str(files / "latin1.txt"), "--encoding",
                "latin-1", "--quiet", "--mi-estimator", "none", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["n_samples"] == 2
    table = tmp_path / "t.csv"
    table.write_text("text,label\nhello there,1\n,0\nworld here,1\n  ,0\nfoo bar,1\n", encoding="utf-8")
    proc = _cli("score", str(tiny_bert), "--file", str(table), "--quiet", "--json",
                "--mi-estimator", "none")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["n_samples"] == 3
    assert "warning: Skipped 2 empty or missing cell(s) in column 'text'" in proc.stderr


def test_a_write_failing_at_the_end_keeps_the_result(tiny_bert, files, tmp_path):
    target = tmp_path / "gone" / "r.json"
    (tmp_path / "gone").mkdir()
    code = ("import shutil, sys, infomem.scoring.result as r; orig = r.Result.to_json\n"
            "def to_json(self, path=None, **kw):\n"
            "    if path is not None: shutil.rmtree(sys.argv[-1].rsplit('/', 1)[0], True)\n"
            "    return orig(self, path, **kw)\n"
            "r.Result.to_json = to_json\n"
            "from infomem.cli import main; sys.exit(main(sys.argv[1:]))")
    proc = subprocess.run([sys.executable, "-c", code, "score", str(tiny_bert), "--file",
                           str(files / "texts.txt"), "--quiet", "--mi-estimator", "none",
                           "--out", str(target)], capture_output=True, text=True, timeout=300)
    _one_error(proc, "could not write the result JSON")
    assert '"format": "infomem-result"' in proc.stdout  # kept on stdout
    assert not Path(target).exists()


@pytest.mark.parametrize("command, expected", [
    ("score", "Scoring needs at least 2 examples; received 1"),
    ("unitmem", "UnitMem needs at least 2 examples (the maximizing one and the rest); received 1"),
])
def test_one_example_is_refused_before_any_model_work(files, command, expected):
    _one_error(_cli(command, _NO_MODEL, "--file", str(files / "texts.txt"), "--max-samples",
                    "1"), expected)
