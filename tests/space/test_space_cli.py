"""`infomem deploy-space` and `infomem app` (infomem.space.cli): the files written, a one-line
error for a bad id, and the options listed in the help."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_cli_deploy_space_writes_the_files(tmp_path: Path) -> None:
    from infomem.cli import main

    assert main(["deploy-space", "org/demo", "--output", str(tmp_path),
                 "--variable", "INFOMEM_SPACE_MAX_SAMPLES=500"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "app.py", "infomem",
                                                           "requirements.txt"]
    assert (tmp_path / "infomem" / "space" / "ui.py").is_file()
    assert main(["deploy-space", "nope"]) == 2  # one-line error, no traceback


def test_cli_app_help_lists_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    from infomem.cli import main

    with pytest.raises(SystemExit):
        main(["app", "--help"])
    out = capsys.readouterr().out
    for option in ("--port", "--host", "--share", "--max-samples", "--results"):
        assert option in out
