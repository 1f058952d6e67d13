"""Scale: partly offloaded models and multi-process runs give the one-process numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from infomem.activations.hooks import capture
from infomem.activations.models import load_model
from infomem.scoring.distributed import batch_shard, merge_batches, pair_shard

import factories


@pytest.mark.parametrize("n, batch, world", [(10, 3, 2), (7, 4, 3), (16, 4, 2), (1, 16, 2)])
def test_batch_shards_merge_back_in_order(n, batch, world):
    parts = [np.array(batch_shard(n, batch, r, world), dtype=float)[:, None] for r in range(world)]
    assert sorted(int(i) for p in parts for i in p[:, 0]) == list(range(n))
    np.testing.assert_array_equal(merge_batches(parts, n, batch)[:, 0], np.arange(n))


@pytest.mark.parametrize("n, world", [(1, 2), (5, 2), (9, 4)])
def test_pair_shards_cover_each_pair_once(n, world):
    pairs = [p for r in range(world) for p in zip(*pair_shard(n, r, world), strict=True)]
    assert sorted(pairs) == sorted(zip(*np.triu_indices(n), strict=True))


def test_offloaded_model_matches_one_device(tmp_path, texts):
    path = factories.save_tiny_bert(tmp_path / "bert", layers=4, hidden=64)
    expected = capture(load_model(path), texts, progress=False).values
    offloaded = load_model(path, device_map="auto", max_memory={"cpu": "200KB"},
                           offload_folder=str(tmp_path / "offload"))
    assert {"cpu", "disk"} <= set(offloaded.info["device_map"].values())
    got = capture(offloaded, texts, progress=False).values
    np.testing.assert_allclose(got, expected, atol=1e-5)


def _score(args, tmp_path, name):
    out = tmp_path / f"{name}.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "infomem.cli", "score", *args, "--out", str(out),
                           "--quiet"], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(out.read_text())


@pytest.mark.slow
def test_two_processes_equal_one(tmp_path, tiny_bert):
    lines = [f"the {w} film was {v} and the music was {u}" for w in factories.WORDS[:12]
             for v in ("good", "bad", "awful") for u in ("great", "boring")]
    (tmp_path / "texts.txt").write_text("\n".join(lines), encoding="utf-8")
    args = [str(tiny_bert), "--file", str(tmp_path / "texts.txt"), "--batch-size", "5",
            "--mi-matrix"]
    one = _score(args, tmp_path, "one")
    two = _score([*args, "--num-processes", "2"], tmp_path, "two")
    assert two["model"]["processes"] == 2 and one["n_samples"] == two["n_samples"] == len(lines)
    for key in ("mean_entropy", "median_entropy", "mean_mi"):
        assert two[key] == pytest.approx(one[key], rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(two["neuron_entropy"], one["neuron_entropy"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(two["mi_matrix"], one["mi_matrix"], rtol=1e-12, atol=1e-12)


def test_length_batches_sort_fill_and_cap():
    """The batches decoding forms (and extraction's ranks are dealt): sorted by length,
    at most `batch` rows and `max_tokens` padded tokens, every index once."""
    from infomem.activations.decoding import length_batches

    rng = np.random.default_rng(0)
    for n, batch, cap in [(1, 4, 100), (17, 3, 900), (40, 8, 2048), (25, 64, 4096)]:
        lengths = [int(x) for x in rng.integers(1, 700, size=n)]
        groups = length_batches(lengths, batch, cap)
        flat = [i for g in groups for i in g]
        assert sorted(flat) == list(range(n))
        assert [lengths[i] for i in flat] == sorted(lengths)
        for g in groups:
            assert len(g) <= batch and (len(g) == 1 or len(g) * max(lengths[i] for i in g) <= cap)
        same = [12] * n  # decoding prompts: one length, consecutive batches
        assert length_batches(same, batch, batch * 12) == [list(range(s, min(n, s + batch)))
                                                           for s in range(0, n, batch)]


def _memorizing_gpt2(folder, texts):
    """A tiny GPT-2 overfit on ``texts`` (saved with its tokenizer): both groups exist."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    tok = factories.tiny_tokenizer(folder)
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tok), n_embd=32, n_layer=2, n_head=2,
                                       n_positions=48, bos_token_id=None, eos_token_id=None))
    factories.memorize(model, tok, texts, steps=150)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def _extract(args, out):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "infomem.cli", "extract", *args, "--out", str(out),
                           "--quiet"], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc, json.loads(out.read_text())


@pytest.mark.slow
def test_extract_in_two_processes_equals_one(tmp_path):
    rng = np.random.default_rng(1)
    texts = [" ".join(rng.choice(factories.WORDS, size=int(n))) for n in rng.integers(13, 30, size=34)]
    model = _memorizing_gpt2(tmp_path / "lm", texts[:13])
    (tmp_path / "texts.txt").write_text("\n".join(texts[:26]), encoding="utf-8")
    (tmp_path / "ref.txt").write_text("\n".join(texts[26:]), encoding="utf-8")
    args = [str(model), "--file", str(tmp_path / "texts.txt"), "--reference-file",
            str(tmp_path / "ref.txt"), "--prefix-tokens", "6", "--suffix-tokens", "6",
            "--batch-size", "3", "--activations"]
    _, one = _extract(args, tmp_path / "one.json")
    proc, two = _extract([*args, "--num-processes", "2"], tmp_path / "two.json")
    assert two["model"].pop("processes") == 2 and "processes" not in one["model"]
    assert one["records"] == two["records"] and one["reference_records"] == two["reference_records"]
    assert one["activations"]["skipped"] is None  # the sharded capture ran and scored
    assert 0 < one["n_extracted"] < one["n_used"]
    for data in (one, two):
        data.pop("timings")
    assert one == two
    assert proc.stdout.count("linear probe") == 1 and proc.stdout.count("Min-K% AUC") == 1  # rank 0
    assert "warning" not in proc.stderr
