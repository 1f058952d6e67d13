"""Benchmark the MI estimators: per-pair reference vs numba / torch KSG, and binned MI.

    python benchmarks/bench_mi.py            # N in {384, 1536, 4608}, S = 2500
    python benchmarks/bench_mi.py --quick    # fast sanity run (N = 384 only, fewer samples)

Synthetic layer-like activations (a low-rank tanh code plus noise, so neuron pairs range
from nearly independent to strongly dependent). Times that would take too long on a
small machine are extrapolated from a timed sample of random pairs (plus the one-time
per-neuron preparation, timed whole) and marked "(ext.)".
Wall and CPU times are both printed: on a shared machine the wall time also measures
the other load (see the load average in the header).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np

from infomem.estimators import DEFAULT_BINS, DEFAULT_K

S = 2500
K = DEFAULT_K


def activations(n: int, s: int = S, seed: int = 0) -> np.ndarray:
    """float32 (s, n): tanh of a 16-factor code plus noise, built in column blocks."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(s, 16))
    w = rng.normal(size=(16, n)) / 2.0
    out = np.empty((s, n), dtype=np.float32)
    for j in range(0, n, 512):
        block = z @ w[:, j : j + 512] + 0.7 * rng.normal(size=(s, min(512, n - j)))
        out[:, j : j + 512] = np.tanh(block)
    return out


def random_pairs(n: int, count: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    r = rng.integers(0, n, size=count)
    c = rng.integers(0, n, size=count)
    return np.minimum(r, c), np.maximum(r, c)


def numba_extrapolated(acts: np.ndarray, sample: int) -> tuple[float, float]:
    """(wall, cpu) seconds of ksg_mi on all pairs i <= j: the per-neuron preparation of
    every neuron, timed, plus a timed sample of random pairs scaled to the pair count
    (ksg_mi prepares each neuron once for all its pairs)."""
    from infomem.estimators.ksg import _numba_pairs, _Prepared

    n = acts.shape[1]
    total = n * (n + 1) // 2
    prep, w_prep, c_prep = timed(_Prepared, acts, np.arange(n))
    rs, cs = random_pairs(n, sample, seed=2)
    _, w, c = timed(_numba_pairs, prep, rs, cs, K)
    return w_prep + w / sample * total, c_prep + c / sample * total


def timed(fn, *args, **kwargs):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - w0, time.process_time() - c0


def fmt_s(seconds: float, ext: bool = False) -> str:
    if seconds >= 3600:
        txt = f"{seconds / 3600:.1f} h"
    elif seconds >= 120:
        txt = f"{seconds / 60:.1f} min"
    else:
        txt = f"{seconds:.2f} s"
    return txt + (" (ext.)" if ext else "")


def _rss_gib(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 2**20
    return float("nan")


def peak_rss_streaming(n: int, blocks: int = 2) -> tuple[float, float]:
    """(RSS before the call, peak RSS) in GiB of a fresh process running ksg_mi on N
    neurons for a few blocks of pairs."""
    code = f"""
import sys, numpy as np
sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
from bench_mi import activations, _rss_gib
from infomem.estimators import ksg_mi
ksg_mi(activations(4, 50), k={K})
acts = activations({n})
before = _rss_gib("VmRSS")
done = [0]
class Stop(Exception):
    pass
def progress(p):
    done[0] += 1
    if done[0] >= {blocks}:
        raise Stop
try:
    ksg_mi(acts, k={K}, progress=progress, block_pairs=16384)
except Stop:
    pass
print(before, _rss_gib("VmHWM"))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, peak = out.stdout.strip().splitlines()[-1].split()
    return float(before), float(peak)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fast sanity run")
    args = ap.parse_args()

    import numba
    import torch

    from infomem.estimators import (
        bin_codes,
        binned_mi_from_codes,
        ksg_mi,
        ksg_mi_pairs,
        ksg_mi_reference,
    )

    sizes = [384] if args.quick else [384, 1536, 4608]
    n_ref = 40 if args.quick else 200
    n_torch = 4 if args.quick else 8
    sample = 4000 if args.quick else 20000
    print(
        f"infomem MI benchmark: S={S}, k={K}, numba threads={numba.get_num_threads()}, "
        f"cpus={os.cpu_count()}, {platform.processor() or platform.machine()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    warm = activations(4, 50)  # compile / load caches and imports before timing
    ksg_mi_pairs(warm, [0], [1], k=K)
    ksg_mi_pairs(warm, [0], [1], k=K, backend="torch")
    ksg_mi_reference(warm[:, 0], warm[:, 1], k=K)
    binned_mi_from_codes(*bin_codes(warm, bins=DEFAULT_BINS))

    rows_out = []
    for n in sizes:
        acts = activations(n)
        total = n * (n + 1) // 2
        r, c = random_pairs(n, n_ref)
        ref, w_ref, _ = timed(
            lambda r=r, c=c, a=acts: np.array(
                [ksg_mi_reference(a[:, i], a[:, j], k=K) for i, j in zip(r, c, strict=True)]
            )
        )
        t_ref = w_ref / n_ref * total
        got, _, _ = timed(ksg_mi_pairs, acts, r, c, k=K)
        diff = float(np.max(np.abs(got - ref)))
        got_t, w_t, _ = timed(ksg_mi_pairs, acts, r[:n_torch], c[:n_torch], k=K, backend="torch")
        diff_t = float(np.max(np.abs(got_t - ref[:n_torch])))
        big = np.abs(ref) > 1e-3
        rel = float(np.max(np.abs(got - ref)[big] / np.abs(ref[big]))) if big.any() else 0.0
        t_torch = w_t / n_torch * total
        if n == 384 and not args.quick:
            _, w_nb, c_nb = timed(ksg_mi, acts, k=K)
            ext = False
        else:
            w_nb, c_nb = numba_extrapolated(acts, sample)
            ext = True
        codes, n_bins = bin_codes(acts, bins=DEFAULT_BINS)
        _, w_bin, c_bin = timed(binned_mi_from_codes, codes, n_bins)
        cuda = bin_cuda = ""
        if torch.cuda.is_available():
            ksg_mi_pairs(acts, r[:2], c[:2], k=K, device="cuda")
            rs, cs = random_pairs(n, 2000, seed=3)
            _, w_cu, _ = timed(ksg_mi_pairs, acts, rs, cs, k=K, device="cuda")
            cuda = fmt_s(w_cu / 2000 * total, True)
            binned_mi_from_codes(codes[:, :2], n_bins, device="cuda")
            _, w_bcu, _ = timed(binned_mi_from_codes, codes, n_bins, device="cuda")
            bin_cuda = fmt_s(w_bcu)
        rows_out.append((n, total, t_ref, w_nb, c_nb, ext, t_torch, cuda, w_bin, c_bin, bin_cuda,
                         diff, diff_t, rel))

    header = (
        f"{'N':>5} {'pairs i<=j':>11} | {'reference (ext.)':>17} | {'numba KSG wall':>20} "
        f"{'cpu':>10} {'cpu/pair':>9} {'speedup':>8} | {'torch CPU':>16} {'CUDA':>16} | "
        f"{'binned MI wall':>14} {'cpu':>8} {'CUDA':>8} | {'max |diff| numba / torch':>24} "
        f"{'max rel':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in rows_out:
        n, total, t_ref, w_nb, c_nb, ext, t_torch, cuda, w_bin, c_bin, bin_cuda, diff, diff_t, rel = row
        print(
            f"{n:>5} {total:>11,} | {fmt_s(t_ref):>17} | {fmt_s(w_nb, ext):>20} {fmt_s(c_nb):>10} "
            f"{c_nb / total * 1e6:>6.0f} us {t_ref / w_nb:>7.0f}x | {fmt_s(t_torch, True):>16} "
            f"{cuda or 'n/a':>16} | {fmt_s(w_bin):>14} {fmt_s(c_bin):>8} {bin_cuda or 'n/a':>8} | "
            f"{diff:>10.1e} / {diff_t:.1e} {rel:>10.1e}"
        )
    print(
        f"reference: {n_ref} random pairs timed per N; torch CPU: {n_torch} pairs; "
        f"numba (ext.): all neurons prepared + {sample:,} random pairs; values compared on "
        "the reference's pairs (max rel over |I| > 1e-3 nats). "
        "speedup = reference wall / numba wall, same run."
    )
    mem_n = 1536 if args.quick else 4608
    before, peak = peak_rss_streaming(mem_n)
    print(f"streaming ksg_mi at N={mem_n} (fresh process, 2 blocks of 16,384 pairs): "
          f"peak RSS {peak:.2f} GiB, of which {before:.2f} GiB before the call "
          f"(interpreter, numba, float32 activations)")
    print(f"this process: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")


if __name__ == "__main__":
    main()
