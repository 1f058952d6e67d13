"""Capture hooks: layer counts, widths and pooling for each model family, checked against
the models' own hidden states; batch padding never changes a pooled vector; plain modules,
later in-place ops, named modules, extra hook sets and concurrent captures."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from infomem.activations.hooks import (
    Activations,
    capture,
    capture_module,
    capture_with,
    pool,
    pooled_hooks,
)
from infomem.activations.models import load_model
from infomem.errors import InvalidInputError

import factories


def _alone(loaded, texts, **kw):
    return np.concatenate([capture(loaded, [t], progress=False, **kw).values for t in texts])


def _hidden_states(loaded, items):
    enc = loaded.encode(items, max_length=512)
    with torch.inference_mode():
        out = loaded.forward_module(**enc, output_hidden_states=True)
    return enc, out.hidden_states


def test_bert_first_token_of_every_block(tiny_bert, texts):
    loaded = load_model(tiny_bert)
    acts = capture(loaded, texts, batch_size=4, progress=False)
    assert loaded.kind == "text-encoder"
    assert acts.layer_names == ("layer.0", "layer.1")
    assert acts.layer_sizes == (32, 32)
    assert acts.values.dtype == np.float32 and acts.values.shape == (len(texts), 64)
    _, hidden = _hidden_states(loaded, texts)
    expected = np.concatenate([h[:, 0].numpy() for h in hidden[1:]], axis=1)
    np.testing.assert_allclose(acts.values, expected, atol=1e-6)
    np.testing.assert_allclose(acts.values, _alone(loaded, texts), atol=1e-5)


def test_bert_mean_pooling_ignores_padding(tiny_bert, texts):
    loaded = load_model(tiny_bert)
    batched = capture(loaded, texts, pooling="mean", progress=False).values
    np.testing.assert_allclose(batched, _alone(loaded, texts, pooling="mean"), atol=1e-5)
    first = capture(loaded, texts, pooling="first", progress=False).values
    assert not np.allclose(batched, first)


def test_gpt2_last_real_token(tiny_gpt2, texts):
    loaded = load_model(tiny_gpt2)
    assert loaded.kind == "text-decoder"
    acts = capture(loaded, texts, batch_size=3, progress=False)
    assert acts.layer_sizes == (24, 24, 24)
    np.testing.assert_allclose(acts.values, _alone(loaded, texts), atol=1e-5)
    enc, hidden = _hidden_states(loaded, texts)
    last = enc["attention_mask"].sum(1) - 1
    rows = torch.arange(len(texts))
    # hidden_states[1:-1] are raw block outputs (the last one has the final norm applied).
    expected = np.concatenate([h[rows, last].numpy() for h in hidden[1:-1]], axis=1)
    np.testing.assert_allclose(acts.values[:, :48], expected, atol=1e-6)


def test_t5_runs_its_encoder(tiny_t5, texts):
    loaded = load_model(tiny_t5)
    assert loaded.kind == "encoder-decoder"
    acts = capture(loaded, texts, progress=False)
    assert acts.layer_sizes == (16, 16)
    np.testing.assert_allclose(acts.values, _alone(loaded, texts), atol=1e-5)


def test_vit_cls_token(tiny_vit):
    loaded = load_model(tiny_vit)
    images = factories.random_images(5)
    acts = capture(loaded, images, batch_size=2, progress=False)
    assert loaded.kind == "vision" and acts.layer_sizes == (24, 24)
    _, hidden = _hidden_states(loaded, images)
    expected = np.concatenate([h[:, 0].numpy() for h in hidden[1:]], axis=1)
    np.testing.assert_allclose(acts.values, expected, atol=1e-5)


def test_resnet_stage_outputs_averaged_over_space(tiny_resnet):
    loaded = load_model(tiny_resnet)
    images = factories.random_images(4)
    acts = capture(loaded, images, progress=False)
    assert acts.layer_sizes == (8, 12, 16)
    _, hidden = _hidden_states(loaded, images)
    expected = np.concatenate([h.mean(dim=(2, 3)).numpy() for h in hidden[1:]], axis=1)
    np.testing.assert_allclose(acts.values, expected, atol=1e-5)


def test_mlp_pre_activations():
    mlp = factories.tiny_mlp()
    x = torch.randn(40, 10)
    acts = capture_module(mlp, x, batch_size=16)
    assert acts.layer_names == ("0", "2", "4") and acts.layer_sizes == (16, 16, 16)
    with torch.no_grad():
        h0 = mlp[0](x)
        h1 = mlp[2](torch.relu(h0))
        h2 = mlp[4](torch.relu(h1))
    np.testing.assert_allclose(acts.values, torch.cat([h0, h1, h2], 1).numpy(), atol=1e-6)
    assert mlp.training  # mode restored


class _InPlaceCNN(torch.nn.Module):
    """Stages whose outputs a later in-place ReLU and residual add rewrite (torchvision style)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.stages = torch.nn.ModuleList(torch.nn.Conv2d(3, 3, 3, padding=1) for _ in range(2))

    def forward(self, x, record=None):
        for stage in self.stages:
            out = stage(x)
            if record is not None:
                record.append(out.mean(dim=(2, 3)).clone())
            out += x
            x = out.relu_()
        return x


class _InPlaceBlocks(torch.nn.Module):
    """Transformer-like blocks on (batch, tokens, width) with in-place residual adds."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.blocks = torch.nn.ModuleList(torch.nn.Linear(6, 6) for _ in range(3))

    def forward(self, h, record=None):
        for block in self.blocks:
            out = block(h)
            if record is not None:
                record.append(out[:, 0].clone())
            out += h
            h = out.mul_(0.5)
        return h


def _recorded(module, x):
    record = []
    with torch.no_grad():
        module(x, record)
    return torch.cat(record, dim=1).numpy()


def test_capture_is_immune_to_later_in_place_ops():
    mlp = factories.tiny_mlp()
    for layer in mlp:
        if isinstance(layer, torch.nn.ReLU):
            layer.inplace = True
    x = torch.randn(30, 10)
    acts = capture_module(mlp, x, batch_size=7)
    with torch.no_grad():
        h0 = mlp[0](x)
        h1 = mlp[2](torch.relu(h0))
        h2 = mlp[4](torch.relu(h1))
    np.testing.assert_allclose(acts.values, torch.cat([h0, h1, h2], 1).numpy(), atol=1e-6)
    assert (acts.values < 0).any()  # pre-activations, not ReLU outputs

    cnn, images = _InPlaceCNN(), torch.randn(5, 3, 6, 6)
    acts = capture_module(cnn, images, layers=["stages.0", "stages.1"])
    np.testing.assert_allclose(acts.values, _recorded(cnn, images), atol=1e-6)

    blocks, tokens = _InPlaceBlocks(), torch.randn(4, 5, 6)
    acts = capture_module(blocks, tokens, layers=["blocks.0", "blocks.1", "blocks.2"])
    np.testing.assert_allclose(acts.values, _recorded(blocks, tokens), atol=1e-6)


def test_named_modules_and_block_indices(tiny_bert, texts):
    loaded = load_model(tiny_bert)
    name = "encoder.layer.1.intermediate.intermediate_act_fn"
    acts = capture(loaded, texts, layers=[name], progress=False)
    assert acts.layer_names == (name,) and acts.layer_sizes == (37,)
    only_last = capture(loaded, texts, layers=["1"], progress=False)
    full = capture(loaded, texts, progress=False)
    np.testing.assert_array_equal(only_last.values, full.values[:, 32:])


def test_pool_last_handles_left_padding():
    hidden = torch.arange(2 * 4 * 1, dtype=torch.float32).reshape(2, 4, 1)
    mask = torch.tensor([[0, 0, 1, 1], [1, 1, 1, 0]])
    assert pool(hidden, mask, "last").flatten().tolist() == [3.0, 6.0]


@pytest.mark.parametrize(
    "layers, message",
    [(["no.such.module"], "not found"), (["7"], "out of range"),
     (["1", "-1"], r"\['1', '-1'\] name layer.1 more than once")],
)
def test_bad_layers(tiny_bert, texts, layers, message):
    with pytest.raises(InvalidInputError, match=message):
        capture(load_model(tiny_bert), texts, layers=layers, progress=False)


def test_non_finite_activations_name_the_layer():
    values = np.zeros((5, 6), dtype=np.float32)
    values[2, 4] = np.nan
    acts = Activations(values, ("a", "b"), (3, 3))
    with pytest.raises(InvalidInputError, match="Layer 'b' produced 1 non-finite"):
        acts.check_finite()


def test_concurrent_captures_on_one_model_do_not_mix(tiny_bert, texts):
    from concurrent.futures import ThreadPoolExecutor

    loaded = load_model(tiny_bert)
    expected = [capture(loaded, [t] * 3, progress=False).values for t in texts]
    with ThreadPoolExecutor(4) as pool_:
        got = list(pool_.map(lambda t: capture(loaded, [t] * 3, progress=False).values, texts))
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)


def test_capture_with_records_extra_hooks_in_the_same_passes(tiny_bert, texts):
    loaded = load_model(tiny_bert)
    names = ["encoder.layer.0.intermediate", "encoder.layer.1.intermediate"]  # GELU outputs
    modules = dict(loaded.model.named_modules())
    extra = pooled_hooks([modules[n] for n in names], "mean", clip=[True, False])
    acts, (recorder,) = capture_with(loaded, texts, [extra], batch_size=4, progress=False)
    np.testing.assert_array_equal(acts.values, capture(loaded, texts, batch_size=4,
                                                       progress=False).values)
    assert recorder.batches == 2 and [len(c) for c in recorder.chunks] == [2, 2]
    clipped, kept = (torch.cat(c).numpy() for c in recorder.chunks)
    mean = capture(loaded, texts, pooling="mean", layers=names, batch_size=4, progress=False)
    np.testing.assert_array_equal(kept, mean.values[:, 37:])  # as its own capture pools it
    assert clipped.min() >= 0 and mean.values[:, :37].min() < 0  # clipped per token first
