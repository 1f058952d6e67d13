"""Capture overhead: a bare forward pass vs infomem capture on the same batches.

    python benchmarks/bench_capture.py [--samples 600] [--repeats 3]

Both sides tokenize the same batches and run the same model (the embedded MiniLM);
infomem adds hooks that pool every block's output and copy it to the CPU.
"""

from __future__ import annotations

import argparse
import time

import torch

from infomem.activations.data import default_texts
from infomem.activations.hooks import capture
from infomem.activations.models import load_model


def bare_forward(loaded, texts, batch_size, max_length):
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            loaded.forward_module(**loaded.encode(texts[start:start + batch_size], max_length=max_length))


def timed(fn):
    """(wall seconds, CPU seconds of this process): CPU time is steadier on a busy machine."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=600)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    texts = (default_texts() * 10)[: args.samples]
    loaded = load_model(None)
    bare_forward(loaded, texts[:32], args.batch_size, 512)  # warm-up
    # Interleave the two so drifting machine load hits both alike.
    bare, hooked = [], []
    for _ in range(args.repeats):
        bare.append(timed(lambda: bare_forward(loaded, texts, args.batch_size, 512)))
        hooked.append(timed(lambda: capture(loaded, texts, batch_size=args.batch_size, progress=False)))
    print(f"model: {loaded.info['id']} ({loaded.info['num_parameters'] / 1e6:.1f}M parameters), "
          f"{len(texts)} texts, batch {args.batch_size}, torch threads {torch.get_num_threads()}, "
          f"best of {args.repeats}")
    print(f"{'':<16}{'wall':>9}{'CPU':>9}")
    for name, runs in (("bare forward", bare), ("infomem capture", hooked)):
        print(f"{name:<16}{min(r[0] for r in runs):8.2f}s{min(r[1] for r in runs):8.2f}s")
    for i, unit in enumerate(("wall", "CPU")):
        b, h = min(r[i] for r in bare), min(r[i] for r in hooked)
        print(f"overhead ({unit}): {100 * (h / b - 1):+.1f}%")


if __name__ == "__main__":
    main()
