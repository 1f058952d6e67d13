"""Make `evaluate.load("infomem")` work offline: seed evaluate's module cache with the
metric script, where evaluate falls back when the Hub lookup fails."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

__all__ = ["metric_script_path", "install_metric", "modules_cache"]

_NAME = "infomem"


def metric_script_path() -> Path:
    """The evaluate metric script; `evaluate.load(str(metric_script_path()))` works."""
    return Path(__file__).with_name("infomem.py")


def modules_cache() -> Path:
    """evaluate's module cache: HF_MODULES_CACHE, else HF_HOME/modules (as evaluate reads it)."""
    if os.environ.get("HF_MODULES_CACHE"):
        return Path(os.environ["HF_MODULES_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface"
    )
    return Path(home).expanduser() / "modules"


def install_metric(cache: str | Path | None = None) -> Path:
    """Copy the metric script to `<cache>/evaluate_modules/metrics/evaluate-metric--infomem/<sha256>/`.

    Idempotent: the directory name is the script's hash, older copies are replaced.
    Returns the installed script path.
    """
    script = metric_script_path()
    digest = hashlib.sha256(script.read_bytes()).hexdigest()
    root = Path(cache) if cache is not None else modules_cache()
    parent = root / "evaluate_modules" / "metrics" / f"evaluate-metric--{_NAME}"
    if parent.exists():
        for old in parent.iterdir():
            if old.is_dir() and old.name != digest:
                shutil.rmtree(old)
    target = parent / digest
    target.mkdir(parents=True, exist_ok=True)
    for init in (root / "evaluate_modules", root / "evaluate_modules" / "metrics", parent, target):
        (init / "__init__.py").touch()
    shutil.copyfile(script, target / f"{_NAME}.py")
    return target / f"{_NAME}.py"
