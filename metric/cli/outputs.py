"""Output paths: checked before any slow work, and never a reason to lose a result.

Every command that writes a file calls :func:`check_output` on its paths first (missing
folder, unwritable place, a directory, an image type matplotlib cannot write), so a bad
path costs a second, not a whole run. If writing still fails at the end,
:func:`write_or_keep` says so in one line and puts the text somewhere it survives.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from infomem.errors import InvalidInputError

__all__ = ["check_output", "image_suffixes", "write_or_keep"]


def image_suffixes() -> tuple[str, ...]:
    """File types matplotlib's Agg canvas writes, e.g. ('.png', '.pdf', '.svg', ...)."""
    from matplotlib.backend_bases import FigureCanvasBase

    return tuple(sorted(f".{k}" for k in FigureCanvasBase.get_supported_filetypes()))


def check_output(path: str | Path | None, *, flag: str, image: bool = False) -> None:
    """One-line InvalidInputError unless ``path`` can be written (None: nothing to check)."""
    if path is None:
        return
    target = Path(path).expanduser()
    if target.is_dir():
        raise InvalidInputError(f"`{flag}` {str(path)!r} is a directory; give a file name, "
                                f"e.g. {str(target / ('scores.png' if image else 'scores.json'))!r}.")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InvalidInputError(f"`{flag}` {str(path)!r}: the folder {str(parent)!r} does not "
                                "exist; create it first or choose another path.")
    problem = _write_probe(target)
    if problem:
        raise InvalidInputError(f"`{flag}` {str(path)!r} cannot be written ({problem}); "
                                "choose a path you can write to.")
    if image:
        suffixes = image_suffixes()
        if target.suffix.lower() not in suffixes:
            kind = target.suffix or "files without an extension"
            raise InvalidInputError(f"`{flag}` {str(path)!r}: matplotlib cannot write {kind}; "
                                    f"use one of {', '.join(suffixes)}.")


def _write_probe(target: Path) -> str | None:
    """Why ``target`` cannot be written, found by trying (permission bits lie to root)."""
    try:
        if target.exists():
            with open(target, "ab"):  # appends nothing: the file is unchanged
                pass
        else:
            fd, probe = tempfile.mkstemp(dir=target.parent or ".", prefix=".infomem-probe-")
            os.close(fd)
            os.unlink(probe)
    except OSError as e:
        return e.strerror or type(e).__name__
    return None


def unitmem_figure_path(plot: str) -> str:
    """Where `score --plot NAME.png` puts the UnitMem figure: NAME_unitmem.png beside it."""
    path = Path(plot)
    return str(path.with_name(f"{path.stem}_unitmem{path.suffix}"))


def write_or_keep(write: Callable[[], object], *, what: str, path: str | Path,
                  fallback_text: Callable[[], str] | None = None) -> bool:
    """Run ``write``; on an OS error say so in one line and keep the result.

    The result's text goes to stdout when ``fallback_text`` is given. Returns success.
    """
    try:
        write()
        return True
    except OSError as e:
        reason = e.strerror or type(e).__name__
        kept = " The result follows on stdout." if fallback_text is not None else ""
        print(f"error: could not write the {what} to {str(path)!r} ({reason}).{kept}",
              file=sys.stderr)
        if fallback_text is not None:
            print(fallback_text())
        return False
