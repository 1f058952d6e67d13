"""The Hub subcommands through `infomem.cli`, in-process against the fake Hub."""

from __future__ import annotations

import argparse
import json
import re

import pytest

from infomem.cli import build_parser, main
from infomem.hub.card_text import EXTRACTION_START, SECTION_START
from tests.support.fixtures import USERS
from tests.support.results import result_dict

ALICE, BOB = USERS["alice"], USERS["bob"]


@pytest.fixture
def result_file(tmp_path):
    path = tmp_path / "result.json"
    path.write_text(json.dumps(result_dict("alice/tiny-bert")))
    return path


def test_subcommands_registered():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert {"card", "publish-metric", "push-results"} <= set(sub.choices)
    args = parser.parse_args(["card", "org/m", "r.json", "--commit-directly", "--dry-run"])
    assert args.commit_directly and args.dry_run and args.model_id == "org/m"


def test_card_offline_readme(tmp_path, result_file, capsys):
    readme = tmp_path / "README.md"
    readme.write_bytes(b"---\r\nlicense: mit\r\n---\r\n# T\r\n")
    out = tmp_path / "out.md"
    assert main(["card", "alice/tiny-bert", str(result_file), "--readme", str(readme),
                 "--output", str(out)]) == 0
    assert SECTION_START in out.read_text() and readme.read_bytes().endswith(b"# T\r\n")
    assert main(["card", "alice/tiny-bert", str(result_file), "--readme", str(out),
                 "--dry-run"]) == 0
    assert "No change" in capsys.readouterr().out
    assert main(["card", "alice/tiny-bert", str(result_file), "--readme", str(readme)]) == 2
    assert "--output" in capsys.readouterr().err
    assert main(["card", "bob/x", str(result_file), "--readme", str(readme), "--dry-run"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["card", "alice/tiny-bert", str(tmp_path / "missing.json"), "--readme",
                 str(readme), "--dry-run"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_card_takes_the_result_after_the_flags_too(tmp_path, result_file, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("# T\n")
    before = ["card", "alice/tiny-bert", str(result_file), "--readme", str(readme), "--dry-run"]
    after = ["card", "alice/tiny-bert", "--readme", str(readme), "--dry-run", str(result_file)]
    assert main(before) == 0
    expected = capsys.readouterr().out
    assert main(after) == 0 and capsys.readouterr().out == expected
    with pytest.raises(SystemExit) as stop:  # a second stray argument stays an argparse error
        main([*after, "stray"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "unrecognized arguments:" in err and err.endswith("stray\n")


def test_card_and_push_results_online(hub_client, result_file, capsys, monkeypatch):
    hub_client.seed_repo("alice/tiny-bert", {"README.md": "# T\n"})
    monkeypatch.setenv("HF_TOKEN", BOB)
    assert main(["card", "alice/tiny-bert", str(result_file), "--dry-run"]) == 0
    captured = capsys.readouterr().out
    assert "+<!-- infomem:start -->" in captured and "Dry run" in captured
    assert main(["card", "alice/tiny-bert", str(result_file)]) == 0
    assert "Opened pull request #1 on alice/tiny-bert: " in capsys.readouterr().out
    assert main(["card", "alice/tiny-bert", str(result_file), "--commit-directly"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no write access" in err and err.count("\n") == 1
    assert main(["push-results", "bob/res", str(result_file), str(result_file)]) == 0
    assert "1 added" in capsys.readouterr().out
    monkeypatch.delenv("HF_TOKEN")
    assert main(["push-results", "bob/res", str(result_file)]) == 2
    assert "No Hugging Face token" in capsys.readouterr().err
    assert main(["publish-metric", "not-an-id", "--token", ALICE]) == 2
    err = capsys.readouterr().err
    assert "ORG/NAME" in err and ALICE not in err


@pytest.mark.parametrize("argv, kind", [
    (["card", "alice/tiny bert", "RESULT", "--force", "--dry-run"], "model"),
    (["push-results", "alice/res--x", "RESULT"], "dataset"),
    (["deploy-space", "demo"], "Space"),
    (["publish-metric", "alice/metric-"], "Space"),
])
def test_a_malformed_repo_id_is_refused_in_one_line_before_the_hub(result_file, capsys, argv, kind,
                                                                     monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens: no request may go out
    argv = [str(result_file) if a == "RESULT" else a for a in argv]
    assert main([*argv, "--token", BOB]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: A {kind} id must look like `ORG/NAME`") and err.count("\n") == 1
    assert repr(argv[1]) in err and BOB not in err


def _options(command: str) -> set[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {flag for action in sub.choices[command]._actions for flag in action.option_strings}


@pytest.mark.parametrize("argv, advice", [
    (["card", "alice/tiny-bert", "RESULT", "--commit-directly"], "Drop `--commit-directly`"),
    (["push-results", "alice/res", "RESULT"], "Pass `--create-pr`"),
    (["deploy-space", "alice/demo"], "Pass `--create-pr`"),
    (["publish-metric", "alice/metric"], "`infomem publish-metric YOU/NAME`"),
])
def test_403_messages_name_the_commands_own_flags(hub_client, result_file, capsys, argv, advice):
    hub_client.seed_repo("alice/tiny-bert", {"README.md": "# T\n"})
    hub_client.seed_repo("alice/res", repo_type="dataset")
    hub_client.seed_repo("alice/demo", repo_type="space")
    hub_client.seed_repo("alice/metric", repo_type="space")
    argv = [str(result_file) if a == "RESULT" else a for a in argv]
    assert main([*argv, "--token", BOB]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "403 Forbidden" in err
    assert advice in err and "write access" in err
    flags = set(re.findall(r"`(--[a-z-]+)", err))
    assert flags <= _options(argv[0]), f"{argv[0]} has no {flags - _options(argv[0])}"


def test_card_summary_says_opened_then_updated(hub_client, result_file, tmp_path, capsys):
    hub_client.seed_repo("alice/tiny-bert", {"README.md": "# T\n"})
    assert main(["card", "alice/tiny-bert", str(result_file), "--token", BOB]) == 0
    opened = capsys.readouterr().out
    assert opened.startswith("Opened pull request #1 on alice/tiny-bert: http")
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(result_dict("alice/tiny-bert", mean_entropy=2.5)))
    assert main(["card", "alice/tiny-bert", str(newer), "--token", BOB]) == 0
    assert capsys.readouterr().out.startswith("Updated pull request #1 on alice/tiny-bert: http")
    assert len(hub_client.discussions("alice/tiny-bert")) == 1


def test_card_missing_readme_is_refused_unless_new_card(tmp_path, result_file, capsys):
    missing, out = tmp_path / "nope" / "README.md", tmp_path / "card.md"
    args = ["card", "alice/tiny-bert", str(result_file), "--readme", str(missing), "--output", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: `--readme`") and "--new-card" in err and not out.exists()
    assert main([*args, "--new-card"]) == 0 and SECTION_START in out.read_text()
    assert main(["card", "alice/tiny-bert", str(result_file), "--readme", str(out), "--output",
                 str(tmp_path / "no" / "dir.md")]) == 2
    assert "does not exist; create it first" in capsys.readouterr().err


@pytest.fixture
def real_files(tmp_path, scored, extracted):
    """Score, UnitMem and extraction JSONs written as `infomem score/unitmem/extract --out` do."""
    from infomem.scoring.files import dump_json

    paths = {name: tmp_path / f"{name}.json" for name in ("result", "unitmem", "extraction")}
    scored[0].to_json(paths["result"])
    scored[1].to_json(paths["unitmem"])
    dump_json(extracted[0].to_dict(), paths["extraction"])
    return {name: str(path) for name, path in paths.items()}


def test_card_extraction_and_unitmem_flags_offline(tmp_path, real_files, capsys):
    readme, out = tmp_path / "README.md", tmp_path / "out.md"
    readme.write_bytes(b"# LM\r\n")
    base = ["card", "alice/tiny-lm", "--readme", str(readme), "--output", str(out), "--force"]
    assert main([*base, "--extraction", real_files["extraction"]]) == 0
    card = out.read_text(encoding="utf-8")
    assert EXTRACTION_START in card and SECTION_START not in card
    assert main(["card", "alice/tiny-lm", real_files["result"], "--readme", str(out), "--dry-run",
                 "--force", "--extraction", real_files["extraction"], "--unitmem",
                 real_files["unitmem"]]) == 0
    diff = capsys.readouterr().out
    assert "+### Per-unit memorization (UnitMem)" in diff.replace("\r", "")
    assert f"-{EXTRACTION_START}" not in diff  # the extraction block is not rewritten


@pytest.mark.parametrize("flags, message", [
    (["--extraction", "RESULT"], "is not an infomem extraction result"),
    (["--extraction", "MISSING"], "does not exist"),
    (["RESULT", "--unitmem", "EXTRACTION"], "is not an infomem UnitMem report"),
    (["--unitmem", "UNITMEM"], "pass the score result"),
    ([], "Nothing to write"),
])
def test_card_bad_inputs_are_one_line(tmp_path, real_files, capsys, flags, message):
    names = {"RESULT": real_files["result"], "EXTRACTION": real_files["extraction"],
             "UNITMEM": real_files["unitmem"], "MISSING": str(tmp_path / "missing.json")}
    argv = ["card", "alice/tiny-lm", *[names.get(f, f) for f in flags], "--force", "--dry-run",
            "--token", BOB]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err


def test_card_extraction_online_then_scores(hub_client, real_files, capsys):
    hub_client.seed_repo("alice/tiny-lm", {"README.md": "# LM\n"})
    argv = ["card", "alice/tiny-lm", "--extraction", real_files["extraction"], "--force",
            "--token", BOB]
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("Opened pull request #1 on alice/tiny-lm: http")
    assert main(argv) == 0
    assert "already holds these results" in capsys.readouterr().out
    assert main(["card", "alice/tiny-lm", real_files["result"], "--unitmem", real_files["unitmem"],
                 "--force", "--token", BOB]) == 0
    assert capsys.readouterr().out.startswith("Updated pull request #1 on alice/tiny-lm: http")
    card = hub_client.read("alice/tiny-lm", "README.md", revision="refs/pr/1").decode()
    assert card.count(EXTRACTION_START) == card.count(SECTION_START) == 1
    assert BOB not in card


def test_the_json_infomem_extract_writes_makes_the_card_and_a_record(hub_client, lm_folder,
                                                                     extracted, tmp_path, capsys):
    from tests.hub.real_results import PREFIX, SUFFIX

    out = tmp_path / "ex.json"
    assert main(["extract", str(lm_folder / "lm"), "--file", str(lm_folder / "candidates.txt"),
                 "--reference-file", str(lm_folder / "reference.txt"), "--prefix-tokens",
                 str(PREFIX), "--suffix-tokens", str(SUFFIX), "--out", str(out), "--quiet"]) == 0
    written = json.loads(out.read_text())
    expected = extracted[0].to_dict()
    same = json.loads(json.dumps(expected))
    provenance = ("timings", "data", "reference_data")  # the CLI also names the files
    assert {k: v for k, v in written.items() if k not in provenance} == {
        k: v for k, v in same.items() if k not in provenance}
    for key in ("data", "reference_data"):
        assert written[key]["kind"] == "file" and same[key]["kind"] == "texts"
        assert written[key]["fingerprint"] == same[key]["fingerprint"]
    readme = tmp_path / "README.md"
    readme.write_text("# LM\n")
    model = str(lm_folder / "lm")
    assert main(["card", model, "--extraction", str(out), "--readme", str(readme), "--output",
                 str(readme)]) == 0  # the result's own model id: no --force needed
    assert EXTRACTION_START in readme.read_text()
    capsys.readouterr()
    assert main(["push-results", "alice/res", str(out), "--token", ALICE]) == 0
    assert "1 added" in capsys.readouterr().out
