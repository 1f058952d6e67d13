"""The package's layers: every import goes down the ladder (README "Layout"), no module
imports a private name of another module, and the core CLI names no subcommand."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Rungs from the bottom; a module may import its own rung and the ones below.
LADDER = ["errors", "estimators", "options", "activations", "scoring", "presentation",
          "boundary"]
BOUNDARY = {"cli", "glue", "hub", "space"}
# Public-API conveniences that draw a result (lazy imports, documented in the README).
ALLOWED_UP = {("scoring.result", "presentation"), ("scoring.selection", "presentation"),
              ("scoring.unitmem_report", "presentation")}
FOLDERS = {"metric": "", "hub_tools": "hub", "space_app": "space"}


def _modules():
    for folder, prefix in FOLDERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in ([prefix] if prefix else []) + list(rel.parts) if p != "__init__"]
            yield ".".join(parts), path


def _rung(dotted: str) -> str:
    top = dotted.split(".")[0]
    return "boundary" if top in BOUNDARY else top if top in LADDER else "boundary"


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("infomem."):
            yield node.module.removeprefix("infomem."), [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("infomem."):
                    yield alias.name.removeprefix("infomem."), []


MODULES = sorted(_modules())


@pytest.mark.parametrize("name, path", MODULES, ids=[m for m, _ in MODULES])
def test_imports_go_down_the_ladder_and_skip_private_names(name, path):
    if not name:
        return  # the package's lazy front door
    own = LADDER.index(_rung(name))
    for target, names in _imports(path):
        up = LADDER.index(_rung(target)) > own
        assert not up or (name, target.split(".")[0]) in ALLOWED_UP, f"{name} imports {target}"
        same_package = target.split(".")[:2] == name.split(".")[:2]
        private = [n for n in names if n.startswith("_")]
        assert not private or same_package, f"{name} imports private {private} from {target}"


def test_the_core_cli_names_no_subcommand():
    text = (ROOT / "metric" / "cli" / "__init__.py").read_text(encoding="utf-8")
    for name in ("compare", "unitmem", "extract", "hub", "space"):
        assert f"infomem.cli.{name}" not in text and f"infomem.{name}" not in text


def test_no_package_module_is_over_400_lines():
    long = [str(p.relative_to(ROOT)) for _, p in MODULES
            if len(p.read_text(encoding="utf-8").splitlines()) > 400]
    assert long == []
