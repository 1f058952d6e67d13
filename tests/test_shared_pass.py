"""infomem.score with UnitMem shares the entropy capture's forward passes: the numbers
equal the separate entropy/MI score and unit_mem_score exactly, and view 0 costs one
forward pass per batch (tiny BERT, tiny GPT-2, a plain torch MLP; A = 1 and 2)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from infomem.activations.models import load_model
from infomem.errors import InvalidInputError
from infomem.scoring.scores import score
from infomem.scoring.unitmem import unit_mem_score

import factories

SAMPLE = {"max_samples": 20, "seed": 3, "batch_size": 4}  # 5 batches, the last text padded
ENTROPY_MI = {"mi_estimator": "binned", "return_mi_matrix": True, **SAMPLE}


def _same_scores(got, want) -> None:
    """Entropy per neuron, the MI matrix and every summary, bit for bit."""
    np.testing.assert_array_equal(got.neuron_entropy, want.neuron_entropy)
    np.testing.assert_array_equal(got.mi_matrix, want.mi_matrix)
    assert got.per_layer == want.per_layer and got.settings == want.settings
    assert (got.mean_entropy, got.median_entropy, got.mean_mi) == (
        want.mean_entropy, want.median_entropy, want.mean_mi)


def _same_unit_mem(got, want) -> None:
    assert got.per_layer == want.per_layer and got.settings == want.settings
    assert got.n_samples == want.n_samples  # the same sample (a module's `data` names
    assert got.data["fingerprint"] == want.data["fingerprint"]  # its total differently)
    for a, b in zip(got.per_layer, want.per_layer, strict=True):
        np.testing.assert_array_equal(a.values, b.values)
        np.testing.assert_array_equal(a.argmax, b.argmax)


def _check_against_separate_runs(model, items, views: int) -> None:
    """score(measures=(entropy, mi, unitmem)) equals score(entropy, mi) + unit_mem_score."""
    both = score(model, items, measures=("entropy", "mi", "unitmem"), augmentations=views,
                 progress=False, **ENTROPY_MI)
    plain = score(model, items, measures=("entropy", "mi"), progress=False, **ENTROPY_MI)
    alone = unit_mem_score(model, items, augmentations=views, progress=False, **SAMPLE)
    _same_scores(both, plain)
    _same_unit_mem(both.unitmem, alone)


@pytest.mark.parametrize("views", [1, 2])
@pytest.mark.parametrize("name", ["tiny_bert", "tiny_gpt2"])
def test_one_pass_equals_two_on_transformers(name, views, texts, request):
    _check_against_separate_runs(str(request.getfixturevalue(name)), texts * 4, views)


@pytest.mark.parametrize("views", [1, 2])
def test_a_plain_module_equals_the_separate_scores(views):
    mlp = factories.tiny_mlp()
    x = torch.from_numpy(np.random.default_rng(1).normal(size=(60, 10)).astype(np.float32))
    _check_against_separate_runs(mlp, x, views)


def _forward_passes(loaded, **kwargs) -> int:
    calls = []
    handle = loaded.forward_module.register_forward_hook(lambda *_: calls.append(1))
    try:
        score(loaded, factories.WORDS[:24], progress=False, **{**SAMPLE, "max_samples": 24},
              **kwargs)
    finally:
        handle.remove()
    return len(calls)


def test_unit_mem_adds_no_forward_pass_for_view_zero(tiny_bert):
    loaded = load_model(tiny_bert)
    batches = 24 // SAMPLE["batch_size"]
    assert _forward_passes(loaded, measures=("entropy", "mi"), mi_estimator="binned") == batches
    assert _forward_passes(loaded, measures=("entropy", "unitmem")) == batches
    assert _forward_passes(loaded, measures=("entropy", "unitmem"), augmentations=2) == 2 * batches


def test_a_module_run_twice_in_the_shared_pass_is_refused(tiny_bert, texts):
    loaded = load_model(tiny_bert)
    layer = loaded.model.encoder.layer
    shared = layer[0].intermediate.intermediate_act_fn
    real, layer[1].intermediate.intermediate_act_fn = layer[1].intermediate.intermediate_act_fn, shared
    try:
        with pytest.raises(InvalidInputError, match="UnitMem: Module 'encoder.layer.0.intermediate"
                           ".intermediate_act_fn' .* ran 2 times.*`unitmem_layers=`") as e:
            score(loaded, texts, measures=("entropy", "unitmem"), progress=False,
                  unitmem_layers=["encoder.layer.0.intermediate.intermediate_act_fn"])
    finally:
        layer[1].intermediate.intermediate_act_fn = real
    assert "\n" not in str(e.value)
