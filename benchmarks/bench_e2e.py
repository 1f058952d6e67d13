"""End to end: `infomem score` on the embedded default (MiniLM, bundled texts), with a
breakdown by stage, run as a user would (a fresh process, offline): once as the first
run after installing (empty numba cache, so the kernels compile) and once warm.

    python benchmarks/bench_e2e.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(numba_cache: str | None) -> tuple[float, dict]:
    """Wall seconds of one `infomem score` and its result; a numba cache folder if given."""
    out = Path(tempfile.mkdtemp()) / "default.json"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    if numba_cache is not None:
        env["NUMBA_CACHE_DIR"] = numba_cache
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "infomem.cli", "score", "--quiet", "--out", str(out)],
                   check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0, json.loads(out.read_text())


def main() -> None:
    cache = tempfile.mkdtemp()
    runs = {"first run (compiles)": run(cache), "warm": run(cache)}
    result = runs["warm"][1]
    print(f"infomem score (default: {result['model']['id']}, S={result['n_samples']}, "
          f"{result['n_neurons']} neurons, MI on {result['settings']['mi_neurons_per_layer']}"
          f"/layer), {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    stages = [*result["timings"], "start-up + imports"]
    print(f"  {'stage':<22}" + "".join(f"{name:>22}" for name in runs))
    for stage in stages:
        cells = []
        for wall, res in runs.values():
            t = res["timings"]
            cells.append(t.get(stage, wall - sum(t.values())))
        print(f"  {stage:<22}" + "".join(f"{c:>20.2f} s" for c in cells))
    print(f"  {'total (wall)':<22}" + "".join(f"{w:>20.2f} s" for w, _ in runs.values()))


if __name__ == "__main__":
    main()
