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
