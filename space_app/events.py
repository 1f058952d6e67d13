"""What every tab's event functions share: the error boundary, download folders, progress.

The boundary is where library errors become ``gr.Error`` messages, so users read one
line, never a traceback.
"""

from __future__ import annotations

import functools
import logging
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from infomem.errors import InfomemError

from . import handlers

__all__ = ["boundary", "Files", "progress_of"]

log = logging.getLogger("infomem.space")

_KEEP_FILES_S = 3600  # downloadable results are removed after an hour


def boundary(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Library errors become one-line gr.Error messages; bugs are logged, never shown raw."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except InfomemError as e:
            raise gr.Error(str(e), print_exception=False) from None
        except Exception as e:  # noqa: BLE001 - the boundary: log it, show one line
            log.exception("unexpected error in %s", fn.__name__)
            first = (str(e).strip().splitlines() or [""])[0][:160]
            raise gr.Error(
                f"Something went wrong on the server ({type(e).__name__}: {first}). Try "
                "fewer examples or another model; if it persists, please report it.",
                print_exception=False,
            ) from None

    return wrapper


class Files:
    """Per-request folders for downloadable results; old ones are removed as new ones come."""

    def __init__(self) -> None:
        self._root: Path | None = None
        self._lock = threading.Lock()

    def new_folder(self) -> Path:
        with self._lock:
            if self._root is None:
                self._root = Path(tempfile.mkdtemp(prefix="infomem-space-"))
            now = time.time()
            for old in self._root.iterdir():
                if now - old.stat().st_mtime > _KEEP_FILES_S:
                    shutil.rmtree(old, ignore_errors=True)
            folder = self._root / uuid.uuid4().hex
            folder.mkdir()
            return folder


def progress_of(progress: Any) -> handlers.Progress:
    """gradio's progress tracker as the handlers' plain ``(fraction, text)`` callback."""

    def report(fraction: float, desc: str) -> None:
        progress(fraction, desc=desc)

    return report
