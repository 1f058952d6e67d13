"""End to end: `infomem score` on the embedded default (MiniLM, bundled texts), with a
breakdown by stage, run as a user would (a fresh process, offline).

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


def main() -> None:
    out = Path(tempfile.mkdtemp()) / "default.json"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "infomem.cli", "score", "--quiet", "--out", str(out)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    result = json.loads(out.read_text())
    stages = result["timings"]
    rest = wall - sum(stages.values())
    print(f"infomem score (default: {result['model']['id']}, S={result['n_samples']}, "
          f"{result['n_neurons']} neurons, MI on {result['settings']['mi_neurons_per_layer']}/layer)")
    for name, seconds in [*stages.items(), ("start-up + imports + JIT", rest)]:
        print(f"  {name:<26}{seconds:7.2f} s")
    print(f"  {'total (wall)':<26}{wall:7.2f} s")


if __name__ == "__main__":
    main()
