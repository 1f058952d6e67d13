"""Every route to the evaluate metric, each in a fresh process with a temporary HF_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from infomem.glue.evaluate_module import metric_card_text
from infomem.glue.install import install_metric, metric_script_path

SCRIPT = r"""
import json, sys, evaluate, infomem
texts = ["the good film", "a bad movie", "i love this cat", "red blue", "the old river"] * 8
route, model = sys.argv[1], sys.argv[2]
if route == "name":
    metric = evaluate.load("infomem", model_id=model)
    kwargs = {}
elif route == "script":
    metric = evaluate.load(str(infomem.metric_script_path()))
    kwargs = {"model_id": model}
else:
    metric = infomem.InfoMem(model_id=model)
    kwargs = {}
out = metric.compute(predictions=texts, mi_neurons_per_layer=4, bins=20, **kwargs)
again = metric.compute(predictions=texts, mi_neurons_per_layer=4, bins=20, **kwargs)
errors = []
for bad in ([], ["ok", 3]):
    try:
        metric.compute(predictions=bad)
    except ValueError as e:
        errors.append(str(e))
print(json.dumps({"cls": type(metric).__name__, "out": out, "same": out == again,
                  "cached_models": len(metric._models), "errors": errors}))
"""


def _run(route, model, env):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, route, str(model)], capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def hf_env(tmp_path):
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_EVALUATE_OFFLINE": "1",
           "HF_HUB_OFFLINE": "1"}
    env.pop("HF_MODULES_CACHE", None)
    return env


@pytest.mark.parametrize("route", ["name", "script", "class"])
def test_metric_routes(route, tiny_bert, hf_env, tmp_path):
    if route == "name":
        done = subprocess.run([sys.executable, "-m", "infomem.cli", "install-metric"],
                              capture_output=True, text=True, env=hf_env, timeout=60)
        assert done.returncode == 0 and "evaluate.load('infomem')" in done.stdout
    got = _run(route, tiny_bert, hf_env)
    assert got["cls"] == "InfoMem" and got["same"] and got["cached_models"] == 1
    out = got["out"]
    assert {"mean_entropy", "median_entropy", "mean_mi", "per_layer", "settings"} <= set(out)
    assert out["n_samples"] == 40 and len(out["per_layer"]) == 2
    assert out["settings"]["bins"] == 20 and out["settings"]["model"]["architecture"] == "BertModel"
    assert got["errors"] == ["`predictions` is empty: pass at least one text.",
                             "`predictions[1]` is int, not a string: pass the texts themselves."]


UNITMEM_SCRIPT = r"""
import json, sys, evaluate, infomem
texts = ["the good film", "a bad movie", "i love this cat", "red blue", "the old river"] * 8
metric = evaluate.load(str(infomem.metric_script_path()), model_id=sys.argv[1])
out = metric.compute(predictions=texts, measures=["entropy", "mi", "unitmem"], augmentations=2,
                     mi_neurons_per_layer=4, bins=20)
alone = infomem.unit_mem_score(sys.argv[1], texts, augmentations=2, progress=False).summary()
refused = []
for kwargs in ({"measures": ["unitmem"]}, {"augmentations": 2}):
    try:
        metric.compute(predictions=texts, **kwargs)
    except ValueError as e:
        refused.append(str(e))
print(json.dumps({"out": out, "alone": alone, "cached_models": len(metric._models),
                  "refused": refused}, allow_nan=False))
"""


def test_metric_returns_unitmem_with_the_measures(tiny_bert, hf_env):
    proc = subprocess.run([sys.executable, "-c", UNITMEM_SCRIPT, str(tiny_bert)],
                          capture_output=True, text=True, env=hf_env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    out, alone = got["out"], got["alone"]
    assert out["mean_mi"] is not None and got["cached_models"] == 1
    unitmem = out["unitmem"]
    assert unitmem["per_layer"] == alone["per_layer"] and unitmem["settings"] == alone["settings"]
    layer = unitmem["per_layer"][0]
    assert set(layer["share_above"]) == {"0.5", "0.9"} and 0 <= layer["median"] <= 1
    assert layer["top"][0]["text"] in {"the good film", "a bad movie", "i love this cat",
                                       "red blue", "the old river"}
    assert "values" not in layer and unitmem["settings"]["augmentations"] == 2
    assert "leaves out 'entropy'" in got["refused"][0]
    assert "is a UnitMem option" in got["refused"][1]


REVISION_SCRIPT = r"""
import json, sys, evaluate, infomem
metric = evaluate.load(str(infomem.metric_script_path()), model_id=sys.argv[1], revision="v1")
try:
    metric.compute(predictions=["the good film"] * 30, revision="v1")
    error = None
except ValueError as e:
    error = str(e)
print(json.dumps({"defaults": sorted(metric._defaults), "error": error}))
"""


def test_the_model_revision_goes_to_compute_not_to_evaluate_load(tiny_bert, hf_env):
    """What the metric card says: evaluate.load keeps `revision` for itself."""
    proc = subprocess.run([sys.executable, "-c", REVISION_SCRIPT, str(tiny_bert)],
                          capture_output=True, text=True, env=hf_env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["defaults"] == ["model_id"]  # the load-time revision never arrived
    assert "cannot apply to local directory" in got["error"]  # the compute-time one did
    assert "Give the model's `revision` to `compute`" in " ".join(metric_card_text().split())


def test_install_metric_is_idempotent(tmp_path):
    first = install_metric(tmp_path)
    second = install_metric(tmp_path)
    assert first == second and first.read_bytes() == metric_script_path().read_bytes()
    parent = first.parent.parent
    assert [p.name for p in parent.iterdir() if p.is_dir()] == [first.parent.name]
    assert len(first.parent.name) == 64 and (first.parent / "__init__.py").exists()


def test_metric_script_has_one_import_per_line():
    for line in metric_script_path().read_text().splitlines():
        if line.startswith("import "):
            assert "," not in line.split("#")[0]


def test_metric_card_follows_evaluates_template():
    card = metric_card_text()
    assert card.startswith("---\n") and "sdk: gradio" in card and "- evaluate" in card
    for heading in ("## Metric Description", "## How to Use", "### Inputs", "### Output Values",
                    "## Limitations and Bias", "## Citation"):
        assert heading in card
    assert "UnitMem" in card and "**not** enriched" in card and "unitmem_mislabeled.md" in card
