"""UnitMem on real tiny models (infomem.scoring.unitmem, and the capture in
infomem.activations.unitmem): the captured post-activation values against the models' own
modules run by hand, the modules found per family, augmented views averaged and seeded, top
units, block selection and one-line refusals."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from infomem.activations.data import default_texts
from infomem.activations.models import load_model
from infomem.activations.unitmem import capture_views, find_targets, loaded_runner, module_runner
from infomem.activations.views import view_rng
from infomem.errors import InvalidInputError
from infomem.estimators import unit_mem
from infomem.scoring.unitmem import TEXT_CHARS, layer_unit_mem, unit_mem_score

import factories


class _ScaleInPlace(torch.nn.Module):
    """Rewrites its input in place: a hook that kept a view would record 3x the ReLU."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul_(3.0)


class _SharedReLU(torch.nn.Module):
    """One nn.ReLU applied after two layers: its hook fires twice per forward pass."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.relu = torch.nn.Linear(10, 8), torch.nn.Linear(8, 8), torch.nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.b(self.relu(self.a(x))))


def _manual_relus(mlp: torch.nn.Sequential, x: torch.Tensor) -> list[np.ndarray]:
    out, h = [], x
    with torch.no_grad():
        for m in mlp:
            h = m(h)
            if isinstance(m, torch.nn.ReLU):
                out.append(h.clone().double().numpy())
    return out


def _one_line(excinfo: pytest.ExceptionInfo) -> str:
    text = str(excinfo.value)
    assert "\n" not in text
    return text


def test_mlp_relu_outputs_equal_a_manual_forward():
    mlp = factories.tiny_mlp()
    x = factories.mlp_rows()
    targets = find_targets(mlp, in_blocks=False)
    assert [(t.name, t.activation, t.clip) for t in targets] == [
        ("1", "ReLU", False), ("3", "ReLU", False), ("5", "ReLU", False)]
    means = capture_views(module_runner(mlp), mlp, list(x.numpy()), targets, batch_size=7)
    for got, want in zip(means, _manual_relus(mlp, x), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    report = unit_mem_score(mlp, x, progress=False)
    for layer, want in zip(report.per_layer, _manual_relus(mlp, x), strict=True):
        np.testing.assert_allclose(layer.values, unit_mem(want).values, rtol=1e-6, equal_nan=True)
    assert report.settings["clipped"] is False and report.n_samples == 40


def test_hook_copies_before_a_later_in_place_op():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(10, 6), torch.nn.ReLU(), _ScaleInPlace(),
                                torch.nn.Linear(6, 2))
    x = factories.mlp_rows(12)
    targets = find_targets(model, in_blocks=False)
    (got,) = capture_views(module_runner(model), model, list(x.numpy()), targets)
    with torch.no_grad():
        want = torch.relu(model[0](x)).double().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_bert_gelu_clipped_then_mean_over_real_tokens(tiny_bert, texts):
    loaded = load_model(tiny_bert)
    blocks = loaded.model.encoder.layer
    targets = find_targets(loaded.forward_module)
    assert [(t.name, t.activation, t.clip) for t in targets] == [
        (f"encoder.layer.{i}.intermediate.intermediate_act_fn", "GELUActivation", True)
        for i in range(2)]
    means = capture_views(loaded_runner(loaded, max_length=64), loaded.model, texts, targets,
                          batch_size=4)  # batches of 4: shorter texts are padded
    dense: list[list[torch.Tensor]] = [[] for _ in blocks]
    handles = [b.intermediate.dense.register_forward_hook(
        lambda _m, _i, out, i=i: dense[i].append(out.clone())) for i, b in enumerate(blocks)]
    with torch.no_grad():
        for text in texts:  # one text at a time: every token is real
            loaded.model(**loaded.encode([text], max_length=64))
    for h in handles:
        h.remove()
    for i, block in enumerate(blocks):
        with torch.no_grad():
            want = np.stack([block.intermediate.intermediate_act_fn(d[0]).clamp(min=0).mean(0)
                             .double().numpy() for d in dense[i]])
            raw_min = min(float(block.intermediate.intermediate_act_fn(d).min()) for d in dense[i])
        np.testing.assert_allclose(means[i], want, rtol=1e-5, atol=1e-6)
        assert raw_min < 0 <= means[i].min()  # GELU dips below 0; the clipped values do not


def test_gpt2_llama_vit_and_resnet_modules(tiny_gpt2, tiny_vit, tiny_resnet):
    from transformers import LlamaConfig, LlamaModel

    llama = LlamaModel(LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=24,
                                   num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1))
    assert [(t.name, t.activation, t.clip) for t in find_targets(llama)] == [
        (f"layers.{i}.mlp.act_fn", "SiLUActivation", True) for i in range(2)]
    gpt2 = load_model(tiny_gpt2).forward_module
    assert [t.name for t in find_targets(gpt2)] == [f"h.{i}.mlp.act" for i in range(3)]
    assert {t.activation for t in find_targets(gpt2)} == {"NewGELUActivation"}
    vit = find_targets(load_model(tiny_vit).forward_module)
    assert len(vit) == 2 and all(t.clip and "GELU" in t.activation for t in vit)
    resnet = load_model(tiny_resnet)
    targets = find_targets(resnet.forward_module)
    assert [t.name for t in targets] == ["encoder.stages.0", "encoder.stages.1", "encoder.stages.2"]
    images = factories.random_images(6)
    means = capture_views(loaded_runner(resnet, max_length=1), resnet.model, images, targets)
    with torch.no_grad():
        hidden = resnet.model(**resnet.encode(images, max_length=1),
                              output_hidden_states=True).hidden_states[1:]
    for got, h in zip(means, hidden, strict=True):  # stage outputs end in a ReLU: >= 0
        np.testing.assert_allclose(got, h.mean(dim=(2, 3)).double().numpy(), rtol=1e-5, atol=1e-6)
        assert got.min() >= 0


def test_views_are_averaged_and_seeded():
    mlp = factories.tiny_mlp()
    x = factories.mlp_rows(30)

    def jitter(row, rng):
        return row + rng.normal(scale=0.3, size=row.shape).astype(np.float32)

    report = unit_mem_score(mlp, x, augmentations=3, augment=jitter, seed=5, progress=False)
    views = np.stack([np.stack([r if a == 0 else jitter(r, view_rng(5, i, a))
                                for i, r in enumerate(x.numpy())]) for a in range(3)])
    manual = [np.stack(layer, axis=1) for layer in
              zip(*(_manual_relus(mlp, torch.from_numpy(v)) for v in views), strict=True)]
    for layer, acts in zip(report.per_layer, manual, strict=True):  # S x A x N
        want = unit_mem(acts)
        np.testing.assert_allclose(layer.values, want.values, rtol=1e-9, equal_nan=True)
        np.testing.assert_array_equal(layer.argmax, want.argmax)
    assert report.settings["augmentations"] == 3 and report.settings["augment"] == "jitter"
    again = unit_mem_score(mlp, x, augmentations=3, augment=jitter, seed=5, progress=False,
                           batch_size=4)
    other = unit_mem_score(mlp, x, augmentations=3, augment=jitter, seed=6, progress=False)
    for a, b, c in zip(report.per_layer, again.per_layer, other.per_layer, strict=True):
        np.testing.assert_allclose(a.values, b.values, rtol=1e-12, equal_nan=True)
        assert not np.allclose(a.values, c.values, equal_nan=True)


def test_default_text_views_change_and_repeat(tiny_bert, texts):
    one = unit_mem_score(str(tiny_bert), texts, progress=False)
    three = unit_mem_score(str(tiny_bert), texts, augmentations=3, progress=False)
    again = unit_mem_score(str(tiny_bert), texts, augmentations=3, progress=False)
    assert three.settings["augment"] == "default (text)" and three.settings["clipped"] is True
    assert not np.allclose(one.per_layer[0].values, three.per_layer[0].values, equal_nan=True)
    np.testing.assert_array_equal(three.per_layer[0].values, again.per_layer[0].values)
    top = one.per_layer[0].top[0]
    assert top.text == texts[top.example][:TEXT_CHARS]


def test_top_list_breaks_ties_by_the_maximum():
    acts = np.zeros((6, 4))
    acts[2, 0], acts[4, 1], acts[1, 2] = 1.0, 5.0, 3.0  # three units at exactly 1.0
    acts[:, 3] = [1.0, 1.0, 2.0, 1.0, 1.0, 1.0]
    target = find_targets(factories.tiny_mlp(), in_blocks=False)[0]
    layer = layer_unit_mem(target, acts)
    assert [(t.unit, t.example) for t in layer.top] == [(1, 4), (2, 1), (0, 2), (3, 2)]
    assert layer.n_at_one == 3 and layer.n_defined == 4


def test_refusals_are_one_line(tiny_bert, texts):
    with pytest.raises(InvalidInputError, match="no activation module.*`layers=`") as e:
        unit_mem_score(factories.functional_mlp(), factories.mlp_rows(), progress=False)
    _one_line(e)
    with pytest.raises(InvalidInputError, match="'relu' \\(ReLU\\) ran 2 times") as e:
        unit_mem_score(_SharedReLU(), factories.mlp_rows(), progress=False)
    _one_line(e)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(InvalidInputError, match="`augmentations` must be an integer >= 1") as e:
            unit_mem_score(factories.tiny_mlp(), factories.mlp_rows(), augmentations=bad, progress=False)
        _one_line(e)
    tanh = torch.nn.Sequential(torch.nn.Linear(10, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    with pytest.raises(InvalidInputError, match="Layer '1' \\(Tanh\\): UnitMem needs non-negative") as e:
        unit_mem_score(tanh, factories.mlp_rows(), layers=["1"], progress=False)
    _one_line(e)
    pre = "encoder.layer.0.intermediate.dense"
    with pytest.raises(InvalidInputError, match=f"Layer '{pre}' \\(Linear\\)") as e:
        unit_mem_score(str(tiny_bert), texts, layers=[pre], progress=False)
    _one_line(e)
    with pytest.raises(InvalidInputError, match="`augmentations=1`") as e:
        unit_mem_score(factories.tiny_mlp(), factories.mlp_rows(), augment=lambda r, g: r, progress=False)
    _one_line(e)
    with pytest.raises(InvalidInputError, match="not found") as e:
        unit_mem_score(str(tiny_bert), texts, layers=["encoder.nope"], progress=False)
    _one_line(e)


def test_two_indices_of_one_block_are_refused(tiny_bert, texts):
    with pytest.raises(InvalidInputError, match="name encoder.layer.1.* more than once") as e:
        unit_mem_score(str(tiny_bert), texts, layers=["1", "-1"], progress=False)
    _one_line(e)


def test_block_indices_select_blocks(tiny_bert, texts):
    report = unit_mem_score(str(tiny_bert), texts, layers=["1"], progress=False)
    assert [x.name for x in report.per_layer] == ["encoder.layer.1.intermediate.intermediate_act_fn"]
    assert report.settings["layers"] == ["1"]


@pytest.mark.slow
def test_minilm_on_the_bundled_texts_is_fast():
    texts = default_texts()[:200]
    start = time.perf_counter()
    report = unit_mem_score(None, texts, progress=False)
    elapsed = time.perf_counter() - start
    assert elapsed < 60, f"MiniLM UnitMem on 200 texts took {elapsed:.1f} s"
    assert [x.n_units for x in report.per_layer] == [1536] * 6
    assert {x.activation for x in report.per_layer} == {"GELUActivation"}
    assert report.settings["clipped"] and report.n_samples == 200
    for layer in report.per_layer:
        assert 0 <= layer.q1 <= layer.median <= layer.q3 <= 1 and layer.top[0].text in texts
    print(f"\nMiniLM UnitMem, 200 texts: {elapsed:.1f} s ({report.timings})")
