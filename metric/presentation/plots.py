"""Figures people would rather look at than read: entropy per layer, MI structure."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from infomem.scoring.result import LayerSummary, Result

__all__ = ["plot_result", "plot_comparison"]


def _figure(width: float, height: float) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt.subplots(1, 2, figsize=(width, height), gridspec_kw={"width_ratios": [3, 2]})


def _box_stats(result: Result) -> list[dict[str, Any]]:
    """Box statistics per layer, from per-neuron entropies when the result has them."""
    stats = []
    h = result.neuron_entropy
    start = 0
    for layer in result.per_layer:
        stop = start + layer.n_neurons
        values = None if h is None else np.asarray(h[start:stop])
        stats.append(_layer_box(layer, values))
        start = stop
    return stats


def _layer_box(layer: LayerSummary, values: np.ndarray | None) -> dict[str, Any]:
    q1, q3 = layer.q1, layer.q3
    low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    if values is not None and len(values):
        inside = values[(values >= low) & (values <= high)]
        low, high = (inside.min(), inside.max()) if len(inside) else (q1, q3)
    return {
        "label": layer.name, "med": layer.median_entropy, "q1": q1, "q3": q3,
        "whislo": low, "whishi": high, "cilo": layer.notch_low, "cihi": layer.notch_high,
        "mean": layer.mean_entropy, "fliers": [],
    }


def _mi_layer_sizes(result: Result) -> list[int] | None:
    """Neurons of each layer in the MI matrix, in order; None when they cannot be told."""
    sizes = [layer.n_neurons for layer in result.per_layer]
    if result.mi_neurons is not None:  # global columns: count them per layer
        layer_of = np.searchsorted(np.cumsum(sizes), np.asarray(result.mi_neurons), side="right")
        counts = np.bincount(layer_of, minlength=len(sizes))[:len(sizes)].tolist()
    else:
        per_layer = result.settings.mi_neurons_per_layer
        counts = [n if per_layer is None else min(per_layer, n) for n in sizes]
    return counts if result.mi_matrix is not None and sum(counts) == len(result.mi_matrix) else None


def _layer_boundaries(ax: Any, result: Result) -> None:
    """Lines between the layers' blocks of the MI matrix, and layer names at their middles."""
    counts = _mi_layer_sizes(result)
    if counts is None:
        return
    edges = np.cumsum([0, *counts])
    for edge in edges[1:-1]:
        ax.axhline(edge - 0.5, color="white", linewidth=0.8)
        ax.axvline(edge - 0.5, color="white", linewidth=0.8)
    shown = [(0.5 * (a + b) - 0.5, layer.name) for a, b, layer
             in zip(edges[:-1], edges[1:], result.per_layer, strict=True) if b > a]
    ticks, names = [t for t, _ in shown], [n for _, n in shown]
    ax.set_xticks(ticks, names, rotation=45, fontsize=7)
    ax.set_yticks(ticks, names, fontsize=7)


def _save(fig: Any, path: str | Path | None) -> Any:
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


def plot_result(result: Result, path: str | Path | None = None) -> Any:
    """Left: notched box plot of neuron entropy per layer. Right: MI matrix or per-layer MI."""
    fig, (left, right) = _figure(11, 4.2)
    left.bxp(_box_stats(result), shownotches=True, showmeans=True, showfliers=False)
    left.set_ylabel("neuron entropy (nats)")
    left.set_title(f"Entropy per layer (S={result.n_samples}, {result.settings.bins} bins)")
    left.tick_params(axis="x", rotation=45)
    if result.mi_matrix is not None:
        # Self-MI (~psi(S) - psi(k)) would set the colour scale: show pairs only.
        pairs = np.array(result.mi_matrix, dtype=float)
        np.fill_diagonal(pairs, np.nan)
        image = right.imshow(pairs, cmap="viridis", interpolation="nearest")
        fig.colorbar(image, ax=right, label="MI (nats)")
        right.set_title(f"Pairwise MI ({len(pairs)} neurons, diagonal hidden)")
        right.set_xlabel("neuron (by layer)")
        right.set_ylabel("neuron (by layer)")
        _layer_boundaries(right, result)
    else:
        names = [layer.name for layer in result.per_layer]
        values = [np.nan if layer.mean_mi is None else layer.mean_mi for layer in result.per_layer]
        right.bar(range(len(names)), values, color="tab:purple")
        right.set_xticks(range(len(names)), names, rotation=45)
        right.set_ylabel("mean MI within layer (nats)")
        right.set_title(f"Mutual information ({result.settings.mi_estimator})")
    fig.suptitle(result.model_id, fontsize=10)
    return _save(fig, path)


def plot_comparison(
    results: Sequence[Result], labels: Sequence[str] | None = None, path: str | Path | None = None
) -> Any:
    """Per-layer entropy boxes side by side for several models, and their MI.

    Right panel: the distribution of pairwise MI over neuron pairs (violins) when every
    result kept its MI matrix (``return_mi_matrix=True`` / ``--mi-matrix``), else the mean
    MI within each layer, with the overall mean MI in the legend.
    """
    labels = list(labels or [r.model_id for r in results])
    fig, (left, right) = _figure(12, 4.6)
    n = len(results)
    width = 0.8 / max(n, 1)
    colors = [f"C{i % 10}" for i in range(n)]
    n_layers = max(len(r.per_layer) for r in results)
    violins = all(r.mi_matrix is not None and len(r.mi_matrix) > 1 for r in results)
    for i, (result, label) in enumerate(zip(results, labels, strict=True)):
        stats = _box_stats(result)
        positions = np.arange(len(stats)) + (i - (n - 1) / 2) * width
        for s in stats:
            s["label"] = ""
        boxes = left.bxp(stats, positions=positions, widths=width * 0.9, shownotches=True,
                         showfliers=False, patch_artist=True)
        for patch in boxes["boxes"]:
            patch.set_facecolor(colors[i])
            patch.set_alpha(0.6)
        left.plot([], [], color=colors[i], linewidth=8, alpha=0.6, label=label)
        if not violins:
            mi = [np.nan if layer.mean_mi is None else layer.mean_mi for layer in result.per_layer]
            overall = "" if result.mean_mi is None else f" (all pairs {result.mean_mi:.3f})"
            right.plot(range(len(mi)), mi, marker="o", color=colors[i], label=label + overall)
    layer_names = [layer.name for layer in max(results, key=lambda r: len(r.per_layer)).per_layer]
    left.set_xticks(range(n_layers), layer_names, rotation=45)
    left.set_ylabel("neuron entropy (nats)")
    left.set_title("Entropy per layer (lower: shortcut-like)")
    left.legend(fontsize=8)
    if violins:
        pairs = [np.asarray(r.mi_matrix)[np.triu_indices(len(r.mi_matrix), k=1)] for r in results]
        parts = right.violinplot(pairs, showmedians=True, showextrema=False)
        for body, color in zip(parts["bodies"], colors, strict=True):
            body.set_facecolor(color)
            body.set_alpha(0.6)
        means = [r.mean_mi if r.mean_mi is not None else np.nan for r in results]
        right.scatter(range(1, n + 1), means, marker="D", color="black", zorder=3, label="mean")
        right.set_xticks(range(1, n + 1), labels, rotation=45)
        right.set_ylabel("pairwise MI (nats)")
        right.set_title("MI over neuron pairs (higher: redundant neurons)")
    else:
        right.set_xticks(range(n_layers), layer_names, rotation=45)
        right.set_ylabel("mean MI within layer (nats)")
        right.set_title("Mutual information (higher: redundant neurons)")
    right.legend(fontsize=8)
    return _save(fig, path)
