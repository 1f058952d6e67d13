"""`infomem unitmem` (infomem.cli.unitmem) on a tiny BERT and on the embedded default: the
tables printed, the report and plot written, JSON for scripts, and a one-line error."""

from __future__ import annotations

import argparse
import json

from infomem.cli.unitmem import add_parsers
from infomem.scoring.unitmem_report import UnitMemReport


def _cli(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="infomem")
    add_parsers(parser.add_subparsers())
    return parser.parse_args(argv)


def test_cli_prints_tables_and_writes_files(tiny_bert, texts, tmp_path, capsys):
    file = tmp_path / "texts.txt"
    file.write_text("\n".join(texts) + "\n", encoding="utf-8")
    out, plot = tmp_path / "um.json", tmp_path / "um.png"
    args = _cli(["unitmem", str(tiny_bert), "--file", str(file), "--augmentations", "2",
                 "--quiet", "--out", str(out), "--plot", str(plot)])
    assert args.handler(args) == 0
    shown = capsys.readouterr().out
    assert "UnitMem" in shown and "Top units" in shown and "at 1.0" in shown
    assert UnitMemReport.from_json(out).settings["augmentations"] == 2 and plot.exists()
    args = _cli(["unitmem", str(tiny_bert), "--file", str(file), "--json"])
    assert args.handler(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert len(summary["per_layer"]) == 2 and "values" not in summary["per_layer"][0]


def test_unitmem_command_on_the_embedded_default():
    import subprocess
    import sys

    run = [sys.executable, "-m", "infomem.cli", "unitmem"]
    proc = subprocess.run([*run, "--max-samples", "200", "--quiet"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "intermediate_act_fn" in proc.stdout and "#" in proc.stdout  # layers, top examples
    bad = subprocess.run([*run, "--augmentations", "0"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("error: `augmentations` must be an integer >= 1")
