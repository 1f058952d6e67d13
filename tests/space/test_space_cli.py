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


def test_cli_app_refuses_an_address_it_cannot_listen_on_before_building(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    import infomem.space
    from infomem.cli import main

    def never(**_: object) -> None:
        raise AssertionError("the app was built")

    monkeypatch.setattr(infomem.space, "build_app", never)
    with socket.socket(socket.AF_INET) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for argv, message in (
                (["--port", str(port)], f"Cannot listen on 127.0.0.1:{port} (Address already in use)"),
                (["--port", "70000"], "`--port` must be between 1 and 65535; received 70000."),
                (["--host", "::1"], "`--host` '::1' is an IPv6 address"),
                (["--host", "no-such-host.invalid"], "Cannot listen on no-such-host.invalid:7860")):
            assert main(["app", *argv]) == 2
            err = capsys.readouterr().err
            assert err.startswith(f"error: {message}") and err.count("\n") == 1
