"""Benchmark the numba.cuda KSG kernel against the numba CPU kernel on the same pairs.

    python benchmarks/bench_gpu.py           # one GPU: N in {384, 1536, 4608}, S = 2500 (< 5 min)
    python benchmarks/bench_gpu.py --smoke   # no GPU: numba's CUDA simulator, tiny sizes (< 1 min)

Same synthetic activations as bench_mi.py. Per N: the GPU's `ksg_mi` on all pairs
i <= j (per-neuron preparation on the host and upload included), or, if a timed
sample of pairs predicts more than --gpu-budget seconds, that prediction, marked
"(ext.)"; the CPU kernel's time extrapolated from a timed sample of random pairs plus
the preparation of every neuron (as bench_mi.py does); their ratio; and the largest
|difference| between the two kernels on the sampled pairs. The simulator's times say
nothing about a GPU: --smoke only checks that everything runs and agrees.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys

import numpy as np
from bench_mi import K, activations, fmt_s, numba_extrapolated, random_pairs, timed

SMOKE_SIZES, SMOKE_S = (4, 8, 16), 60  # simulator: ~25 ms per pair at S = 60
SIZES, S = (384, 1536, 4608), 2500
GPU_SAMPLE = 20000  # pairs timed on the GPU first (fills it: ~15 launches of ~1,300 blocks)
CPU_SAMPLE = 4000  # pairs timed on the CPU (~0.9 s of one core at S = 2500)


def gpu_name() -> str:
    from numba import cuda

    from infomem.estimators import _ksg_cuda as kc

    if kc.simulated():
        return "numba CUDA simulator (CPU)"
    name = cuda.get_current_device().name
    return name.decode() if isinstance(name, bytes) else str(name)


def gpu_run(acts: np.ndarray, gpu_budget: float, sample: int) -> tuple[float, bool, np.ndarray, tuple]:
    """(GPU seconds for all pairs i <= j, extrapolated?, MI of the sampled pairs, the pairs)."""
    from infomem.estimators import ksg_mi
    from infomem.estimators.ksg import _runner

    n = acts.shape[1]
    total = n * (n + 1) // 2
    arr = acts.astype(np.float64)
    run, w_prep, _ = timed(_runner, arr, np.arange(n), K, "cuda", None)
    rs, cs = random_pairs(n, sample, seed=2)
    got, w_sample, _ = timed(run, rs, cs)
    predicted = w_prep + w_sample / sample * total
    if predicted > gpu_budget:
        return predicted, True, got, (rs, cs)
    _, w_all, _ = timed(ksg_mi, acts, k=K, backend="cuda")
    return w_all, False, got, (rs, cs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="run in numba's CUDA simulator, tiny sizes")
    ap.add_argument("--gpu-budget", type=float, default=None,
                    help="seconds above which a GPU time is extrapolated (default 90; smoke 2)")
    args = ap.parse_args()
    if args.smoke:  # before numba.cuda is imported anywhere
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
        sys.setswitchinterval(1e-5)  # the simulator's threads hand the GIL over at barriers
    import numba

    from infomem.estimators import _ksg_cuda as kc
    from infomem.estimators import ksg_mi_pairs
    from infomem.estimators.ksg import _numba_pairs, _Prepared

    if not (args.smoke or kc.gpu_available()):
        sys.exit("bench_gpu.py needs a CUDA GPU driven by numba-cuda (`pip install infomem[gpu]`); "
                 "without one, run `python benchmarks/bench_gpu.py --smoke`.")
    sizes, s = (SMOKE_SIZES, SMOKE_S) if args.smoke else (SIZES, S)
    budget = args.gpu_budget if args.gpu_budget is not None else (2.0 if args.smoke else 90.0)
    gpu_sample, cpu_sample = (24, 24) if args.smoke else (GPU_SAMPLE, CPU_SAMPLE)
    print(
        f"infomem GPU KSG benchmark: S={s}, k={K}, GPU: {gpu_name()}, threads per block "
        f"{kc.SIM_THREADS if args.smoke else kc.THREADS}; CPU: numba threads "
        f"{numba.get_num_threads()}, cpus={os.cpu_count()}, "
        f"{platform.processor() or platform.machine()}, load average {os.getloadavg()[0]:.1f}"
    )
    warm = activations(4, 50)  # compile (GPU) / load cached (CPU) kernels before timing
    ksg_mi_pairs(warm, [0], [1], k=K, backend="cuda")
    ksg_mi_pairs(warm, [0], [1], k=K, backend="numba")

    header = (f"{'N':>5} {'pairs i<=j':>11} | {'GPU wall':>16} {'per pair':>11} | "
              f"{'CPU numba wall':>16} {'cpu':>10} | {'CPU/GPU':>8} | {'max |diff|':>10}")
    print(header)
    print("-" * len(header))
    for n in sizes:
        acts = activations(n, s)
        total = n * (n + 1) // 2
        w_gpu, ext, got, (rs, cs) = gpu_run(acts, budget, min(gpu_sample, total))
        w_cpu, c_cpu = numba_extrapolated(acts, min(cpu_sample, total))
        cpu_vals = _numba_pairs(_Prepared(acts, np.arange(n)), rs, cs, K)
        diff = float(np.max(np.abs(got - cpu_vals)))
        print(f"{n:>5} {total:>11,} | {fmt_s(w_gpu, ext):>16} {w_gpu / total * 1e6:>8.2f} us | "
              f"{fmt_s(w_cpu, True):>16} {fmt_s(c_cpu):>10} | {w_cpu / w_gpu:>7.1f}x | {diff:>10.1e}")
    print(
        f"GPU: ksg_mi on all pairs (host preparation, upload and N x N fill included), or "
        f"'(ext.)': preparation + {gpu_sample:,} random pairs scaled to all pairs, when that "
        f"predicts more than {budget:g} s. CPU (ext.): all neurons prepared + {cpu_sample:,} "
        "random pairs (bench_mi.py). max |diff|: GPU against CPU kernel on the GPU's sampled pairs."
    )
    if args.smoke:
        print("smoke: simulator times measure Python, not a GPU.")


if __name__ == "__main__":
    main()
