"""numba's disk cache cannot hide an edit of a kernel's helper module (`_numba_cache`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from infomem.estimators import _numba_cache as nc

from support.subproc import run_python

ESTIMATORS = Path(nc.__file__).parent

# A copy of the levels module and what it imports, as package `kcopy` in PARENT; one
# cached kernel (`levels_size`) compiled or loaded; its cache hits and misses printed.
_CHILD = """
import sys
sys.path.insert(0, PARENT)
import kcopy._numba_cache as nc
if not GUARD:
    nc._drop_stale = lambda dispatcher: None  # plain numba.njit(cache=True)
from kcopy import _ksg_levels as kl
assert kl.levels_size(10) == kl.levels_size.py_func(10)
stats = kl.levels_size.stats
print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()), stats.cache_path)
"""


def _names(module: str) -> set[str]:
    return {p.name for p in nc.compiled_from(ESTIMATORS / module)}


def test_the_key_covers_every_file_a_kernel_compiles_from():
    common = {"_numba_cache.py", "_simd.py", "_ksg_levels.py"}
    assert _names("_ksg_numba.py") == common | {"_ksg_numba.py", "_ksg_neighbours.py"}
    assert _names("_ksg_prepare.py") == common | {"_ksg_prepare.py"}
    assert _names("_binned_kernels.py") == {"_binned_kernels.py", "_numba_cache.py"}


def test_every_disk_cached_kernel_goes_through_the_guard():
    """A plain ``numba.njit(cache=True)`` would be keyed on its own file alone."""
    for path in ESTIMATORS.glob("*.py"):
        if path.name != "_numba_cache.py":
            assert "cache=True" not in path.read_text(), path.name


def test_an_edit_of_a_helper_module_drops_the_stale_kernels(tmp_path):
    package = tmp_path / "kcopy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("_numba_cache.py", "_simd.py", "_ksg_levels.py"):
        shutil.copy(ESTIMATORS / name, package / name)
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "cache")}

    def run(guard: bool = True) -> tuple[int, int]:
        code = f"PARENT, GUARD = {str(tmp_path)!r}, {guard}\n" + _CHILD
        hits, misses, folder = run_python(code, env, timeout=120).stdout.split()
        assert Path(folder).is_relative_to(tmp_path / "cache")  # numba's files and the stamp
        assert (Path(folder) / f"_ksg_levels{nc.STAMP_SUFFIX}").is_file() or not guard
        return int(hits), int(misses)

    assert run() == (0, 1)  # compiled and cached
    assert run() == (1, 0)  # loaded from the cache
    with open(package / "_simd.py", "a") as f:
        f.write("\n# an edit of a helper module: _ksg_levels.py is unchanged\n")
    assert run(guard=False) == (1, 0)  # numba's own key misses the edit: the stale kernel
    assert run() == (0, 1)  # the guard drops it: compiled again
    assert run() == (1, 0)
