"""numba's disk cache for kernels compiled from several files, kept fresh.

``numba.njit(cache=True)`` stamps a cached kernel with the contents of the file that
defines it, and nothing else: a kernel of `_ksg_numba` that inlines helpers of
`_simd` or `_ksg_levels` would load its old machine code after an edit of those files.
`cached_njit` adds the missing key. For each kernel module it takes a digest of the
module and of every sibling module it imports (``from .x import``, transitively) and
compares it with a stamp file kept beside numba's files for that module (in
``__pycache__`` next to the source, or under ``NUMBA_CACHE_DIR``: wherever numba's
locator put them). On a mismatch it deletes that module's index (``.nbi``) and data
(``.nbc``) files, then writes the new stamp. This runs when the module is imported,
before anything compiles; numba then recompiles on first use and caches again.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba

__all__ = ["cached_njit", "compiled_from", "sources_digest"]

STAMP_SUFFIX = ".sources.sha256"  # <module>.sources.sha256, beside <module>.<kernel>-<line>.py311.nbi
_checked: set[tuple[str, str]] = set()  # (cache folder, module) pairs checked in this process


def compiled_from(path: Path) -> list[Path]:
    """``path`` and the sibling modules it imports with ``from .x import`` (inside
    functions too), transitively: the files numba compiles its kernels from."""
    seen: list[Path] = []
    todo = [path.resolve()]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        for node in ast.walk(ast.parse(current.read_bytes())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                names = [node.module] if node.module else [alias.name for alias in node.names]
                todo += [f for name in names if (f := current.parent / f"{name}.py").is_file()]
    return sorted(seen)


def sources_digest(paths: list[Path]) -> str:
    """sha256 over the names and bytes of ``paths``."""
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def _drop_stale(dispatcher: Any) -> None:
    """Delete the cached kernels of ``dispatcher``'s module if its sources changed."""
    if not hasattr(dispatcher, "stats"):  # NUMBA_DISABLE_JIT=1: a plain function, no cache
        return
    folder = Path(dispatcher.stats.cache_path)
    source = Path(inspect.getfile(dispatcher.py_func))
    module = source.stem  # numba names its files after the module's file
    if (str(folder), module) in _checked:
        return
    _checked.add((str(folder), module))
    digest = sources_digest(compiled_from(source))
    stamp = folder / f"{module}{STAMP_SUFFIX}"
    try:
        if stamp.read_text() == digest:
            return
    except OSError:  # no stamp yet: cached files, if any, predate the guard
        pass
    try:
        for stale in [*folder.glob(f"{module}.*.nbi"), *folder.glob(f"{module}.*.nbc")]:
            stale.unlink(missing_ok=True)
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=stamp.name)
        with os.fdopen(fd, "w") as f:
            f.write(digest)
        os.replace(tmp, stamp)  # atomic: concurrent imports see the old or the new stamp
    except OSError as e:
        warnings.warn(
            f"Could not clear numba's cached kernels of {module} in {folder} ({e}); they may "
            "predate an edit of its helper modules. Delete those files or set NUMBA_CACHE_DIR.",
            RuntimeWarning, stacklevel=3,
        )


def cached_njit(**options: Any) -> Callable[[Callable], Any]:
    """``numba.njit(cache=True, **options)`` whose disk cache is keyed on every file the
    kernel's module compiles from (see the module docstring)."""

    def decorate(fn: Callable) -> Any:
        dispatcher = numba.njit(cache=True, **options)(fn)
        _drop_stale(dispatcher)
        return dispatcher

    return decorate
