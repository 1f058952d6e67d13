"""Decoding: batched greedy decoding (GPT-2 and Llama, left-padded prompts) against one
prompt at a time and a no-cache oracle; batched token log-probabilities against a direct
forward pass."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from infomem.activations.decoding import greedy_decode, token_logprobs

import factories

PROMPT_LENGTHS = (3, 9, 1, 6, 12, 4, 7)  # mixed, so a batch needs left padding
NEW_TOKENS = 8


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory):
    return factories.tiny_tokenizer(tmp_path_factory.mktemp("tok"))


def _llama(vocab: int, seed: int = 0):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=64,
                         bos_token_id=None, eos_token_id=None, pad_token_id=None)
    return LlamaForCausalLM(config).eval()


@pytest.fixture(scope="module")
def gpt2(tokenizer):
    return factories.gpt2_lm(len(tokenizer))


@pytest.mark.parametrize("build", [factories.gpt2_lm, _llama], ids=["gpt2", "llama"])
def test_batched_greedy_equals_one_at_a_time(build, tokenizer):
    model = build(len(tokenizer))
    rng = np.random.default_rng(0)
    prompts = [rng.integers(5, len(tokenizer), size=n).tolist() for n in PROMPT_LENGTHS]
    batched = greedy_decode(model, prompts, max_new_tokens=NEW_TOKENS, batch_size=len(prompts))
    alone = np.stack([greedy_decode(model, [p], max_new_tokens=NEW_TOKENS)[0] for p in prompts])
    oracle = np.array([factories.recompute_greedy(model, p, NEW_TOKENS) for p in prompts])
    assert batched.shape == (len(prompts), NEW_TOKENS)
    np.testing.assert_array_equal(batched, alone)
    np.testing.assert_array_equal(batched, oracle)
    # In batches of 3 the groups differ, the answer must not.
    np.testing.assert_array_equal(greedy_decode(model, prompts, max_new_tokens=NEW_TOKENS, batch_size=3),
                                  oracle)


def test_token_logprobs_batched_equals_alone(gpt2):
    rng = np.random.default_rng(1)
    seqs = [rng.integers(5, 100, size=n).tolist() for n in (5, 17, 2, 9)]
    batched = token_logprobs(gpt2, seqs, batch_size=4)
    for seq, got in zip(seqs, batched, strict=True):
        with torch.no_grad():
            logits = gpt2(torch.tensor([seq])).logits[0, :-1]
        direct = torch.log_softmax(logits.double(), -1).gather(-1, torch.tensor(seq[1:])[:, None])
        assert got.shape == (len(seq) - 1,)
        np.testing.assert_allclose(got, direct[:, 0].numpy(), atol=1e-5)
