"""Run Python snippets in a fresh interpreter pointed at a fake Hub.

``huggingface_hub``, ``transformers`` and ``evaluate`` read ``HF_ENDPOINT`` (and
the offline switches) when they are imported, so code that must talk to the fake
Hub through their default paths runs in a subprocess with the environment set
first. Each such process pays the import cost (~5-8 s for transformers/evaluate):
batch several checks into one snippet.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

__all__ = ["hub_env", "run_python", "run_cli", "REPO_ROOT"]

REPO_ROOT = Path(__file__).resolve().parents[2]

# Variables that would point a child at the real Hub, a user's token or offline mode.
_SCRUBBED_PREFIXES = ("HF_", "HUGGINGFACE_", "TRANSFORMERS_", "HF_DATASETS_", "HF_EVALUATE_")


def hub_env(
    endpoint: str, home: str | Path, token: str | None = None, **extra: str
) -> dict[str, str]:
    """Environment for a child process that uses the Hub at `endpoint` with `token`.

    `home` becomes HF_HOME (caches, module caches, no stored token), so children
    never see the developer's real cache or login.
    """
    env = {
        "HF_ENDPOINT": endpoint,
        "HF_HOME": str(home),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_HUB_ETAG_TIMEOUT": "30",
        "HF_HUB_DOWNLOAD_TIMEOUT": "30",
        "DISABLE_TELEMETRY": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "TOKENIZERS_PARALLELISM": "false",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
    }
    if token is not None:
        env["HF_TOKEN"] = token
    env.update(extra)
    return env


def _child_env(env: dict[str, str] | None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
    base.pop("HF_TOKEN", None)
    base["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])
    )
    base.update(env or {})
    return base


def run_python(
    code: str,
    env: dict[str, str] | None = None,
    *,
    timeout: float = 300,
    check: bool = True,
    cwd: str | Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `code` (dedented) with this interpreter; raise with both streams if it fails."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=_child_env(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"child python exited {proc.returncode}\n--- stdout ---\n{proc.stdout}"
            f"\n--- stderr ---\n{proc.stderr}"
        )
    return proc


def run_cli(
    args: list[str],
    env: dict[str, str] | None = None,
    *,
    timeout: float = 300,
    cwd: str | Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` (e.g. ``["-m", "infomem.cli", "card", ...]``); never raises."""
    return subprocess.run(
        [sys.executable, *args],
        env=_child_env(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
