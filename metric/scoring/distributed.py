"""Multi-process scoring under `torchrun` / `accelerate launch`.

Capture is split by batches, round-robin (batch b goes to rank b % world), so every
batch is padded exactly as in one process and the gathered activations are the same;
KSG pairs are split into contiguous shards and gathered into one matrix. Every rank
ends with the same Result; only rank 0 should print or write.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DistContext", "context", "batch_shard", "merge_batches", "pair_shard", "sharded_ksg_mi"]


@dataclass(frozen=True)
class DistContext:
    """This process's place in a multi-process run."""

    rank: int
    world: int
    local_rank: int

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def device(self) -> Any:
        import torch

        if torch.cuda.is_available():
            return torch.device("cuda", self.local_rank % torch.cuda.device_count())
        return torch.device("cpu")

    def all_gather(self, obj: Any) -> list[Any]:
        import torch.distributed as dist

        out: list[Any] = [None] * self.world
        dist.all_gather_object(out, obj)
        return out


def context() -> DistContext | None:
    """The distributed context when launched with several processes, else None."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return None
    import torch
    import torch.distributed as dist

    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend=backend)
    local = int(os.environ.get("LOCAL_RANK", os.environ.get("RANK", "0")))
    return DistContext(rank=dist.get_rank(), world=dist.get_world_size(), local_rank=local)


def batch_shard(n: int, batch_size: int, rank: int, world: int) -> list[int]:
    """Indices of the examples in this rank's batches (b = rank, rank + world, ...)."""
    starts = range(rank * batch_size, n, world * batch_size)
    return [i for s in starts for i in range(s, min(n, s + batch_size))]


def merge_batches(parts: Sequence[np.ndarray], n: int, batch_size: int) -> np.ndarray:
    """Reassemble per-rank rows (from `batch_shard`) in input order."""
    world = len(parts)
    out = np.empty((n, parts[0].shape[1]), dtype=parts[0].dtype)
    for rank, rows in enumerate(parts):
        index = batch_shard(n, batch_size, rank, world)
        if len(index) != len(rows):
            raise RuntimeError(f"rank {rank} returned {len(rows)} rows, expected {len(index)}")
        out[index] = rows
    return out


def pair_shard(n: int, rank: int, world: int) -> tuple[np.ndarray, np.ndarray]:
    """This rank's contiguous share of the pairs i <= j of an n x n symmetric matrix."""
    rows, cols = np.triu_indices(n)
    bounds = np.linspace(0, len(rows), world + 1).astype(np.int64)
    return rows[bounds[rank] : bounds[rank + 1]], cols[bounds[rank] : bounds[rank + 1]]


def sharded_ksg_mi(
    values: np.ndarray,
    k: int,
    ctx: DistContext,
    *,
    backend: str = "auto",
    device: Any = None,
    progress: Callable[[int], Any] | None = None,
) -> np.ndarray:
    """KSG MI matrix with the pairs split across ranks; every rank gets the whole matrix."""
    from infomem.estimators import ksg_mi_pairs

    n = values.shape[1]
    rows, cols = pair_shard(n, ctx.rank, ctx.world)
    local = ksg_mi_pairs(values, rows, cols, k=k, backend=backend, device=device)
    if progress is not None:
        progress(len(rows))
    matrix = np.zeros((n, n), dtype=np.float64)
    for rank, part in enumerate(ctx.all_gather(local)):
        r, c = pair_shard(n, rank, ctx.world)
        matrix[r, c] = part
        matrix[c, r] = part
    return matrix
