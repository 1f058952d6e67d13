"""The Space as a whole, without a server: importing the package, the app and the CLI loads no
gradio, and the About tab describes the `infomem card` command as it behaves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from infomem.space import deploy


def test_importing_the_package_and_app_loads_no_gradio() -> None:
    code = ("import sys, infomem.space, infomem.space.app, infomem.space.cli; "
            "print('gradio' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_about_tab_describes_the_card_command_as_it_behaves() -> None:
    import argparse

    from infomem.cli import build_parser

    about = (Path(deploy.__file__).parent / "about.md").read_text(encoding="utf-8")
    card = next(a for a in build_parser()._actions
                if isinstance(a, argparse._SubParsersAction)).choices["card"]
    options = {flag for action in card._actions for flag in action.option_strings}
    assert set(re.findall(r"`(--[a-z-]+)`", about)) <= options
    assert "as a pull request, also on repositories you own" in " ".join(about.split())
    assert "Opens a pull request unless --commit-directly" in card.description
