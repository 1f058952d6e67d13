"""Extraction across processes (``infomem extract --num-processes N``), with one process's numbers.

One process decodes and scores in batches of similar lengths (:mod:`infomem.activations.decoding`).
Here the same batches are formed over all the texts, dealt round-robin to the ranks
(batch b to rank b % world), and each rank runs its batches one call per batch, so every
forward pass sees the rows, order and padding it sees in one process; the per-text
outputs are then gathered in input order on every rank.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from infomem.activations.decoding import (
    MAX_BATCH_TOKENS,
    greedy_decode,
    length_batches,
    token_logprobs,
)
from infomem.scoring.distributed import DistContext

__all__ = ["sharded_decode", "sharded_logprobs"]


def _run_mine(groups: list[list[int]], ctx: DistContext, work: Callable[[list[int]], Any],
              on_batch: Callable[[int], None] | None) -> list[Any]:
    """This rank's share of ``groups`` through ``work``, then every rank's results (by rank).

    Progress counts whole rounds (one batch per rank), so rank 0's bar ends at the total."""
    mine: list[tuple[list[int], Any]] = []
    for start in range(0, len(groups), ctx.world):
        round_ = groups[start:start + ctx.world]
        if ctx.rank < len(round_):
            group = round_[ctx.rank]
            mine.append((group, work(group)))
        if on_batch is not None:
            on_batch(sum(len(g) for g in round_))
    return [pair for part in ctx.all_gather(mine) for pair in part]


def sharded_decode(model: Any, prompts: Sequence[Sequence[int]], *, max_new_tokens: int,
                   pad_token_id: int, batch_size: int, ctx: DistContext,
                   on_batch: Callable[[int], None] | None = None) -> np.ndarray:
    """:func:`~infomem.activations.decoding.greedy_decode` with its batches split over ranks."""
    lengths = [len(p) for p in prompts]
    groups = length_batches(lengths, batch_size, batch_size * max(lengths, default=1))

    def work(group: list[int]) -> np.ndarray:
        return greedy_decode(model, [prompts[i] for i in group], max_new_tokens=max_new_tokens,
                             pad_token_id=pad_token_id, batch_size=len(group))

    out = np.zeros((len(prompts), max_new_tokens), dtype=np.int64)
    for group, rows in _run_mine(groups, ctx, work, on_batch):
        out[group] = rows
    return out


def sharded_logprobs(model: Any, sequences: Sequence[Sequence[int]], *, pad_token_id: int,
                     batch_size: int, ctx: DistContext,
                     on_batch: Callable[[int], None] | None = None) -> list[np.ndarray]:
    """:func:`~infomem.activations.decoding.token_logprobs` with its batches split over ranks."""
    groups = length_batches([len(s) for s in sequences], batch_size, MAX_BATCH_TOKENS)

    def work(group: list[int]) -> list[np.ndarray]:
        return token_logprobs(model, [sequences[i] for i in group], pad_token_id=pad_token_id,
                              batch_size=len(group))

    out: list[np.ndarray] = [np.empty(0)] * len(sequences)
    for group, arrays in _run_mine(groups, ctx, work, on_batch):
        for i, values in zip(group, arrays, strict=True):
            out[i] = values
    return out
