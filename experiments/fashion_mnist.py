"""Colored and Shuffled Fashion-MNIST with the paper's own protocol (paper scale).

Bansal, Pruthi & Belinkov (NeurIPS 2022), as their released MNIST code runs it
(METHOD.md, "The paper's own MNIST protocol"), on Fashion-MNIST because MNIST is not
installable here: the 60k training set shuffled with the seed, first 50,000 = training,
last 10,000 = validation (the scored inputs and the early-stopping set); images 2x
subsampled to 14x14 in two channels, /255.

- colored: label = (class < 5) flipped with probability 0.25; colour channel = label XOR
  Bernoulli(e), the other channel zeroed; training e in {0, 0.125, 0.25, 0.375, 0.5}
  (0 = the strongest shortcut); validation e = 0.5 (colour carries no information), with
  the same label noise. Extrinsic: validation accuracy.
- shuffled: with probability e a training label becomes a uniform random class,
  e in {0, 0.25, 0.5, 0.75, 1}; both channels hold the image; validation labels clean.
  Extrinsic: validation accuracy.

MLP 3 x 256 (the paper's run scripts), ReLU, Xavier-uniform weights, zero biases, one
logit (BCE) or ten (CE); Adam 1e-3, batch 512, L2 ``0.002 * sum ||w||^2`` over all
parameters; validation every 10 epochs, the best checkpoint kept; the paper's stopping
rule (3 checks without improvement once past 200 epochs and train loss <= 0.2) under a
cap of ``--max-epochs`` for every model alike; subnormal floats flushed to zero (speed).
Scores: pre-ReLU outputs of every hidden Linear plus the output logits, 100 global bins,
KSG (k = 3) over all neurons, on all 10,000 validation images.

Resumable: each finished model's scores go to ``experiments/results/fashion/runs/``
(committed), training checkpoints to the gitignored cache, so a killed run picks up
where it stopped. Run: ``python -m experiments.fashion_mnist [--seeds 0 1 2]``.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from experiments import common
from experiments.fashion_report import VARIANT

FASHION = Path("/usr/share/datasets/fashion-mnist")  # Debian dataset-fashion-mnist
OUT = common.RESULTS / "fashion"
SETUPS = {
    "colored": {"values": (0.0, 0.125, 0.25, 0.375, 0.5), "expect": "shortcut",
                "paper_tau": (1.00, 1.00)},
    "shuffled": {"values": (0.0, 0.25, 0.5, 0.75, 1.0), "expect": "example",
                 "paper_tau": (1.00, 0.88)},
}
ARCHITECTURE = "MLP-3x256"  # the model id's architecture in every result
LABEL_NOISE = 0.25
L2 = 2e-3
CHECK_EVERY = 10  # epochs between validation checks (the paper's code checks every step)
PATIENCE = 3  # checks without improvement before stopping, once past MIN_EPOCHS
MIN_EPOCHS = 200
STOP_LOSS = 0.2


# --- data ----------------------------------------------------------------------------


def read_idx(path: Path) -> np.ndarray:
    """An idx file (gzipped) as a numpy array: magic, dims as big-endian int32, bytes."""
    raw = gzip.decompress(path.read_bytes())
    ndim = raw[3]
    shape = np.frombuffer(raw, ">i4", count=ndim, offset=4)
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


@functools.cache
def fashion_train() -> tuple[np.ndarray, np.ndarray]:
    """The 60,000 training images at 14x14 (``[:, ::2, ::2]``) in [0, 1], and classes."""
    if not FASHION.exists():
        raise SystemExit(f"{FASHION} is missing: apt-get install dataset-fashion-mnist")
    images = read_idx(FASHION / "train-images-idx3-ubyte.gz")[:, ::2, ::2]
    labels = read_idx(FASHION / "train-labels-idx1-ubyte.gz").astype(np.int64)
    return (images / 255.0).astype(np.float32), labels


def make_data(setup: str, e: float, seed: int, n_train: int = 50_000) -> dict[str, Any]:
    """Training and validation sets of one model, as the paper's code builds them."""
    images, classes = fashion_train()
    order = np.random.default_rng(seed).permutation(len(images))
    train, val = order[:n_train], order[-10_000:]
    rng = np.random.default_rng([seed, 13])
    if setup == "colored":
        return {"train": _colored(images[train], classes[train], e, rng),
                "val": _colored(images[val], classes[val], 0.5, rng)}
    random_class = rng.integers(0, 10, len(train))
    shuffled = np.where(rng.random(len(train)) < e, random_class, classes[train])
    return {"train": (_two_channels(images[train]), shuffled),
            "val": (_two_channels(images[val]), classes[val])}


def _colored(images: np.ndarray, classes: np.ndarray, e: float, rng: np.random.Generator
             ) -> tuple[np.ndarray, np.ndarray]:
    label = (classes < 5).astype(np.int64) ^ (rng.random(len(images)) < LABEL_NOISE)
    colour = label ^ (rng.random(len(images)) < e)
    x = _two_channels(images)
    x[np.arange(len(images)), 1 - colour] = 0.0
    return x.reshape(len(images), -1), label


def _two_channels(images: np.ndarray) -> np.ndarray:
    x = np.repeat(images[:, None], 2, axis=1)
    return np.ascontiguousarray(x.reshape(len(images), 2, *images.shape[1:]))


# --- training --------------------------------------------------------------------------


def make_model(setup: str, seed: int) -> Any:
    return common.make_mlp(2 * 14 * 14, 1 if setup == "colored" else 10, depth=3, seed=seed)


def _loss(logits: Any, y: Any, setup: str) -> Any:
    import torch.nn.functional as F

    if setup == "colored":
        return F.binary_cross_entropy_with_logits(logits[:, 0], y.float())
    return F.cross_entropy(logits, y)


def _accuracy(model: Any, x: Any, y: Any, setup: str) -> float:
    import torch

    with torch.no_grad():
        logits = model(x)
    pred = (logits[:, 0] > 0).long() if setup == "colored" else logits.argmax(dim=1)
    return float((pred == y).float().mean())


def train(setup: str, e: float, seed: int, *, max_epochs: int, checkpoint: Path, l2: float = L2,
          log: Any = print) -> tuple[Any, dict[str, float]]:
    """The paper's training loop; resumes from ``checkpoint`` (saved at every check)."""
    import torch

    data = make_data(setup, e, seed)
    x, y = (torch.as_tensor(a).reshape(len(a), -1) for a in data["train"])
    x_val, y_val = (torch.as_tensor(a).reshape(len(a), -1) for a in data["val"])
    y, y_val = y.reshape(-1), y_val.reshape(-1)
    model = make_model(setup, seed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    state = {"epoch": 0, "best_acc": -1.0, "best_epoch": 0, "stale": 0, "seconds": 0.0,
             "best": None, "train_loss": float("nan")}
    if checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["opt"])
        gen.set_state(saved["gen"])
        state = saved["state"]
        log(f"  resumed at epoch {state['epoch']}")
    while state["epoch"] < max_epochs:
        t0 = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for idx in torch.randperm(len(x), generator=gen).split(512):
            data_loss = _loss(model(x[idx]), y[idx], setup)
            loss = data_loss + l2 * sum(p.pow(2).sum() for p in model.parameters())
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, count = total + float(data_loss.detach()) * len(idx), count + len(idx)
        state["epoch"] += 1
        state["train_loss"] = total / count
        state["seconds"] += time.perf_counter() - t0
        if state["epoch"] % CHECK_EVERY:
            continue
        model.eval()
        acc = _accuracy(model, x_val, y_val, setup)
        if acc > state["best_acc"]:
            state.update(best_acc=acc, best_epoch=state["epoch"], stale=0,
                         best={k: v.clone() for k, v in model.state_dict().items()})
        else:
            state["stale"] += 1
        log(f"  epoch {state['epoch']}: train loss {state['train_loss']:.3f}, val acc "
            f"{acc:.4f} (best {state['best_acc']:.4f} @ {state['best_epoch']}), "
            f"{state['seconds'] / 60:.1f} min")
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                    "gen": gen.get_state(), "state": state}, checkpoint)
        if (state["epoch"] >= MIN_EPOCHS and state["train_loss"] <= STOP_LOSS
                and state["stale"] >= PATIENCE):
            break
    final_train_acc = _accuracy(model.eval(), x, y, setup)
    model.load_state_dict(state["best"])
    model.eval()
    metrics = {"val_acc": state["best_acc"], "best_epoch": float(state["best_epoch"]),
               "epochs": float(state["epoch"]), "train_loss": state["train_loss"],
               "final_train_acc": final_train_acc,
               "train_acc": _accuracy(model, x, y, setup),
               "train_minutes": state["seconds"] / 60}
    return model, metrics


# --- scoring ----------------------------------------------------------------------------


def capture_with_logits(model: Any, x_val: np.ndarray) -> Any:
    """Pre-ReLU outputs of every hidden Linear plus the logits (the paper's layers)."""
    import torch

    from infomem.activations.hooks import Activations, capture_module

    inputs = torch.as_tensor(x_val)
    hidden = capture_module(model, inputs)
    with torch.no_grad():
        logits = model(inputs).numpy().astype(np.float32)
    values = np.ascontiguousarray(np.concatenate([hidden.values, logits], axis=1))
    return Activations(values, (*hidden.layer_names, "logits"),
                       (*hidden.layer_sizes, logits.shape[1]), hidden.info)


def score(acts: Any, x_val: np.ndarray, label: str, *, mi: bool = True) -> Any:
    """The paper's scores of one capture: 100 global bins, KSG (k = 3) on every neuron."""
    from infomem.scoring.scores import score_activations
    from infomem.scoring.settings import Settings

    settings = Settings(max_samples=len(x_val), mi_neurons_per_layer=None,
                        mi_estimator="ksg" if mi else "none")
    return score_activations(
        acts, settings,
        model_info={"id": label, "architecture": ARCHITECTURE, "kind": "module"},
        data_info={"kind": "tensor", "n_used": len(x_val),
                   "fingerprint": common.fingerprint(x_val)})


def score_ablations(acts: Any, x_val: np.ndarray, label: str) -> dict[str, Any]:
    """Entropy-only re-scores of the same capture (common.ABLATIONS): bin ranges per layer
    or per neuron, and post-ReLU hidden layers (the logits stay as they are)."""
    return common.ablation_scores(acts, x_val, label=label, architecture=ARCHITECTURE,
                                  relu_neurons=sum(acts.layer_sizes[:-1]))


def model_name(setup: str, e: float, seed: int) -> str:
    """The run file's and checkpoint's stem, e.g. ``colored_e0.25_seed1``."""
    return f"{setup}_e{e:g}_seed{seed}"


def parse_name(stem: str) -> tuple[str, float, int]:
    """(setup, e, seed) of a :func:`model_name`."""
    setup, e, seed = stem.split("_")
    return setup, float(e[1:]), int(seed[4:])


def _label(setup: str, e: float, seed: int) -> str:
    return f"{setup} e={e:g}/seed={seed}"


def _as_json(results: dict[str, Any]) -> dict[str, Any]:
    return {name: json.loads(r.to_json()) for name, r in results.items()}


def _saved_run(e: float, seed: int, saved: dict[str, Any]) -> common.Run:
    """A run file's model: its metrics, the scores and any ablation scores."""
    from infomem.scoring.result import Result

    results = {VARIANT: saved["result"], **saved.get("ablations", {})}
    return common.Run(e, seed, saved["metrics"],
                      {k: Result.from_dict(v) for k, v in results.items()})


def add_ablations(path: Path, checkpoint: Path) -> bool:
    """Add the ablation scores to a finished model's run file, from the best weights in
    its training checkpoint (no retraining); False when the checkpoint is gone."""
    import torch

    saved = json.loads(path.read_text())
    if "ablations" in saved:
        return True
    if not checkpoint.exists():
        return False
    setup, e, seed = parse_name(path.stem)
    model = make_model(setup, seed)
    model.load_state_dict(torch.load(checkpoint, weights_only=False)["state"]["best"])
    x_val = make_data(setup, e, seed)["val"][0].reshape(10_000, -1)
    acts = capture_with_logits(model.eval(), x_val)
    again = score(acts, x_val, _label(setup, e, seed), mi=False)
    if abs(again.mean_entropy - saved["result"]["mean_entropy"]) > 1e-12:
        raise SystemExit(f"{checkpoint} does not hold the model scored in {path} (mean entropy "
                         f"{again.mean_entropy} vs {saved['result']['mean_entropy']})")
    saved["ablations"] = _as_json(score_ablations(acts, x_val, _label(setup, e, seed)))
    path.write_text(json.dumps(saved))
    return True


def run_one(setup: str, e: float, seed: int, args: argparse.Namespace) -> common.Run:
    """Train (or resume) and score one model; its scores are saved as JSON."""
    name = model_name(setup, e, seed)
    path = runs_folder(args.out, args.l2) / f"{name}.json"
    if path.exists():
        return _saved_run(e, seed, json.loads(path.read_text()))
    print(f"{name}: training (cap {args.max_epochs} epochs)", flush=True)
    model, metrics = train(setup, e, seed, max_epochs=args.max_epochs, l2=args.l2,
                           checkpoint=args.cache / f"{name}{variant(args.l2)}.pt")
    t0 = time.perf_counter()
    x_val = make_data(setup, e, seed)["val"][0].reshape(10_000, -1)
    acts = capture_with_logits(model, x_val)
    result = score(acts, x_val, _label(setup, e, seed))
    metrics["score_minutes"] = (time.perf_counter() - t0) / 60
    ablations = score_ablations(acts, x_val, _label(setup, e, seed))
    saved = {"metrics": metrics, "max_epochs": args.max_epochs, "l2": args.l2,
             "result": json.loads(result.to_json()), "ablations": _as_json(ablations)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(saved))
    print(f"{name}: val acc {metrics['val_acc']:.4f} (epoch {metrics['best_epoch']:.0f}), "
          f"H {result.mean_entropy:.3f}, MI {result.mean_mi:.4f}, "
          f"{metrics['train_minutes']:.1f} + {metrics['score_minutes']:.1f} min", flush=True)
    return common.Run(e, seed, metrics, {VARIANT: result, **ablations})


def variant(l2: float) -> str:
    """File-name suffix of a grid trained with a weight penalty other than the paper's."""
    return "" if l2 == L2 else f"_l2-{l2:g}"


def runs_folder(out: Path, l2: float = L2) -> Path:
    return out / f"runs{variant(l2)}"


def load_runs(out: Path, l2: float = L2) -> dict[str, list[common.Run]]:
    """Every finished model's scores, per setup, of the grid trained with ``l2``."""
    runs: dict[str, list[common.Run]] = {s: [] for s in SETUPS}
    for path in sorted(runs_folder(out, l2).glob("*.json")):
        setup, e, seed = parse_name(path.stem)
        runs[setup].append(_saved_run(e, seed, json.loads(path.read_text())))
    return runs


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--setups", nargs="+", choices=list(SETUPS), default=list(SETUPS))
    parser.add_argument("--max-epochs", type=int, default=500,
                        help="epoch cap for every model alike (the paper: 500)")
    parser.add_argument("--l2", type=float, default=L2,
                        help="weight penalty l2 * sum ||w||^2 (the paper: 2e-3; its colored "
                        "evaluation script loads models trained with 0)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--cache", type=Path, default=common.RESULTS / "cache" / "fashion")
    parser.add_argument("--report-only", action="store_true",
                        help="write the report from the finished models, train nothing")
    parser.add_argument("--ablate", action="store_true",
                        help="add the entropy-only ablation scores to finished models that "
                        "lack them (from their cached checkpoints), then write the report")
    args = parser.parse_args(argv)
    common.limit_threads()
    import torch

    # The L2 penalty drives unused weights (and Adam's moments) into float32 subnormals,
    # which made an epoch ~40x slower on this CPU; flushing them to zero changes values
    # below 1.2e-38 only.
    torch.set_flush_denormal(True)
    import infomem.scoring.scores  # noqa: F401 - load every module now, not mid-run from edited files
    if args.ablate:
        for path in sorted(runs_folder(args.out, args.l2).glob("*.json")):
            checkpoint = args.cache / f"{path.stem}{variant(args.l2)}.pt"
            if not add_ablations(path, checkpoint):
                print(f"{path.stem}: no checkpoint in {args.cache}; ablations skipped")
    elif not args.report_only:
        for seed in args.seeds:  # seed-major: every finished seed is a full ranking
            for setup in args.setups:
                for e in SETUPS[setup]["values"]:
                    run_one(setup, e, seed, args)
    from experiments import fashion_report

    print(f"wrote {fashion_report.write(load_runs(args.out, args.l2), args.out, l2=args.l2)}")


if __name__ == "__main__":
    main(__import__("sys").argv[1:])

