"""The UnitMem figure: per-layer distributions, shares above the thresholds, and for
images a row of thumbnails of the examples that maximize the top units."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from infomem.scoring.unitmem_report import LayerUnitMem, UnitMemReport

__all__ = ["plot_unit_mem", "short_labels"]

_MAX_THUMBNAILS = 8  # one row that stays legible at the figure's width


def short_labels(names: Sequence[str]) -> tuple[list[str], str]:
    """Per-layer labels without the dotted parts all names share, and the shared pattern.

    ``encoder.layer.0.intermediate.act`` and ``encoder.layer.1.intermediate.act`` give
    ``["0", "1"]`` and ``"encoder.layer.*.intermediate.act"``.
    """
    parts = [n.split(".") for n in names]
    if len(parts) < 2:
        return [parts[0][-1] if parts else ""], names[0] if names else ""
    shortest = min(len(p) for p in parts)
    head = next((i for i in range(shortest) if len({p[i] for p in parts}) > 1), shortest)
    tail = next((i for i in range(shortest - head) if len({p[-1 - i] for p in parts}) > 1),
                shortest - head)
    labels = [".".join(p[head:len(p) - tail]) or p[-1] for p in parts]
    pattern = ".".join([*parts[0][:head], "*", *parts[0][len(parts[0]) - tail:]])
    return labels, pattern


def _box(layer: LayerUnitMem, label: str) -> dict[str, Any]:
    """Box statistics from the summary; whiskers span the defined units' range."""
    values = None if layer.values is None else layer.values[~np.isnan(layer.values)]
    q1, med, q3 = (np.nan if x is None else x for x in (layer.q1, layer.median, layer.q3))
    low, high = (values.min(), values.max()) if values is not None and values.size else (q1, q3)
    return {"label": label, "med": med, "q1": q1, "q3": q3, "whislo": low, "whishi": high,
            "mean": np.nan if layer.mean is None else layer.mean, "fliers": []}


def _thumbnail(text: str) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(text))).convert("RGB"))


def _top_examples(report: UnitMemReport, labels: list[str]) -> list[tuple[int, str]]:
    """(example, caption) of the top units, layer by layer, each example once."""
    seen: dict[int, str] = {}
    for rank in range(max((len(x.top) for x in report.per_layer), default=0)):
        for layer, label in zip(report.per_layer, labels, strict=True):
            if rank < len(layer.top) and layer.top[rank].example in report.thumbnails:
                top = layer.top[rank]
                seen.setdefault(top.example, f"{label}/u{top.unit}: {top.value:.2f}")
    return list(seen.items())[:_MAX_THUMBNAILS]


def plot_unit_mem(report: UnitMemReport, path: str | Path | None = None) -> Any:
    """Left: UnitMem per layer (box: quartiles, whiskers: range, dot: mean). Right: share of
    units above each threshold. Below, for images: the top units' maximizing examples."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    labels, pattern = short_labels([x.name for x in report.per_layer])
    pattern = "layer" if pattern == "*" else pattern
    thumbs = _top_examples(report, labels)
    fig = plt.figure(figsize=(11, 6.5 if thumbs else 4))
    grid = fig.add_gridspec(2 if thumbs else 1, max(len(thumbs), 2),
                            height_ratios=[3, 2] if thumbs else [1])
    cols = max(len(thumbs), 2)
    dist, share = fig.add_subplot(grid[0, : cols // 2]), fig.add_subplot(grid[0, cols // 2:])
    dist.bxp([_box(x, lab) for x, lab in zip(report.per_layer, labels, strict=True)],
             showmeans=True)
    dist.set(ylim=(-0.02, 1.02), ylabel="UnitMem", xlabel=pattern,
             title=f"{Path(str(report.model.get('id', 'model'))).name}: S={report.n_samples}, "
                   f"A={report.settings.get('augmentations')}")
    x = np.arange(len(labels))
    thresholds = sorted({t for layer in report.per_layer for t in layer.share_above})
    width = 0.8 / max(len(thresholds), 1)
    for j, t in enumerate(thresholds):
        heights = [layer.share_above.get(t) or 0.0 for layer in report.per_layer]
        share.bar(x + (j - (len(thresholds) - 1) / 2) * width, heights, width, label=f"> {t:g}")
    ties = [layer.n_at_one / max(layer.n_defined, 1) for layer in report.per_layer]
    share.plot(x, ties, "k_", markersize=18, label="= 1 (ties, median 0)")
    share.set(xticks=x, xticklabels=labels, ylim=(0, 1), ylabel="share of defined units",
              xlabel=pattern, title="units above the thresholds")
    share.legend(loc="upper left", fontsize=8)
    for k, (example, caption) in enumerate(thumbs):
        ax = fig.add_subplot(grid[1, k])
        ax.imshow(_thumbnail(report.thumbnails[example]))
        ax.set_title(f"#{example}\n{caption}", fontsize=7)
        ax.axis("off")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
