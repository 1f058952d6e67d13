"""Exact greedy decoding and teacher-forced token log-probabilities of a causal LM.

Batched on token ids: greedy continuations left-padded with the KV cache and position
ids counted over real tokens, so a batch decodes what one-at-a-time decoding does;
log-probabilities right-padded under a token budget. torch loads on first call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from infomem.errors import InvalidInputError
from infomem.estimators._validation import check_int

__all__ = ["greedy_decode", "token_logprobs", "length_batches", "MAX_BATCH_TOKENS"]

# Tokens per teacher-forcing forward (batch x length): the logits are that many vocabulary
# rows of floats, ~800 MB at 4,096 tokens for a 49k vocabulary (SmolLM2).
MAX_BATCH_TOKENS = 4096


def _input_device(model: Any) -> Any:
    """Where inputs go: the device of the first weights (the first shard of a device map)."""
    import torch

    for p in model.parameters():
        if p.device.type != "meta":
            return p.device
    return torch.device("cpu")


def length_batches(lengths: Sequence[int], batch_size: int, max_tokens: int) -> list[list[int]]:
    """Indices grouped by length (less padding), at most ``batch_size`` per group and
    ``max_tokens`` padded tokens (one long sequence still goes alone)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    groups: list[list[int]] = []
    for i in order:
        group = groups[-1] if groups else None
        if group and len(group) < batch_size and (len(group) + 1) * lengths[i] <= max_tokens:
            group.append(i)
        else:
            groups.append([i])
    return groups


def _pad(seqs: Sequence[Sequence[int]], pad_id: int, *, left: bool) -> tuple[Any, Any]:
    import torch

    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for row, seq in enumerate(seqs):
        cols = slice(width - len(seq), width) if left else slice(0, len(seq))
        ids[row, cols] = torch.as_tensor(list(seq), dtype=torch.long)
        mask[row, cols] = 1
    return ids, mask


def _cache_name() -> str:
    """The KV-cache argument and output field: ``cache`` from transformers 5.24 on
    (``past_key_values`` still works there, with a deprecation warning), before it
    ``past_key_values``."""
    from transformers.modeling_outputs import CausalLMOutputWithPast

    return "cache" if "cache" in CausalLMOutputWithPast.__dataclass_fields__ else "past_key_values"


def _decode_batch(model: Any, prompts: Sequence[Sequence[int]], steps: int, pad_id: int) -> Any:
    import torch

    ids, mask = _pad(prompts, pad_id, left=True)
    device = _input_device(model)
    ids, mask = ids.to(device), mask.to(device)
    # Left padding shifts the real tokens: positions count real tokens only (pads get 1,
    # as transformers' generate does; their keys are masked out anyway).
    positions = (mask.cumsum(-1) - 1).clamp(min=0).masked_fill(mask == 0, 1)
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True)
    cache = _cache_name()
    tokens = [out.logits[:, -1].argmax(-1)]
    for _ in range(steps - 1):
        mask = torch.cat([mask, mask.new_ones((len(prompts), 1))], dim=1)
        positions = positions[:, -1:] + 1
        out = model(input_ids=tokens[-1][:, None], attention_mask=mask, position_ids=positions,
                    use_cache=True, **{cache: out[cache]})
        tokens.append(out.logits[:, -1].argmax(-1))
    return torch.stack(tokens, dim=1).cpu()


def greedy_decode(
    model: Any,
    prompts: Sequence[Sequence[int]],
    *,
    max_new_tokens: int,
    pad_token_id: int = 0,
    batch_size: int = 8,
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Exact greedy continuations of token-id prompts, batched with left padding.

    Each step takes the argmax (first index on ties) of the next-token logits and feeds
    it back through the KV cache; no sampling, no beams, no early stop at EOS, so every
    row has ``max_new_tokens`` tokens and a batch gives what one-at-a-time decoding gives.

    Parameters
    ----------
    model : transformers causal LM
    prompts : sequences of token ids, any lengths >= 1
    max_new_tokens : tokens to generate per prompt
    pad_token_id : id written into padding (masked, so its value does not matter)
    batch_size : prompts per forward pass
    on_batch : called with the number of prompts after each batch (progress bars)

    Returns
    -------
    ndarray of int64, shape (len(prompts), max_new_tokens)
    """
    import torch

    check_int(max_new_tokens, "max_new_tokens", 1)
    check_int(batch_size, "batch_size", 1)
    if any(len(p) == 0 for p in prompts):
        raise InvalidInputError("Every prompt needs at least one token; received an empty prompt.")
    out = np.zeros((len(prompts), max_new_tokens), dtype=np.int64)
    max_tokens = batch_size * max((len(p) for p in prompts), default=1)
    with torch.inference_mode():
        for group in length_batches([len(p) for p in prompts], batch_size, max_tokens):
            out[group] = _decode_batch(model, [prompts[i] for i in group], max_new_tokens,
                                       pad_token_id).numpy()
            if on_batch is not None:
                on_batch(len(group))
    return out


def token_logprobs(
    model: Any,
    sequences: Sequence[Sequence[int]],
    *,
    pad_token_id: int = 0,
    batch_size: int = 8,
    on_batch: Callable[[int], None] | None = None,
) -> list[np.ndarray]:
    """log p(x_t | x_<t) of every token but the first, by teacher forcing (nats).

    Batches are right-padded and capped at :data:`MAX_BATCH_TOKENS` tokens; returns one
    float64 array of length ``len(seq) - 1`` per sequence, in input order.
    """
    import torch

    out: list[np.ndarray] = [np.empty(0)] * len(sequences)
    device = _input_device(model)
    with torch.inference_mode():
        for group in length_batches([len(s) for s in sequences], batch_size, MAX_BATCH_TOKENS):
            ids, mask = _pad([sequences[i] for i in group], pad_token_id, left=False)
            ids, mask = ids.to(device), mask.to(device)
            logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
            picked = logits.gather(-1, ids[:, 1:, None]).squeeze(-1) - logits.logsumexp(-1)
            picked = picked.double().cpu().numpy()
            for row, i in enumerate(group):
                out[i] = picked[row, : len(sequences[i]) - 1]
            if on_batch is not None:
                on_batch(len(group))
    return out
