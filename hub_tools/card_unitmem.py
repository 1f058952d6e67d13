"""The UnitMem subsection of the card's infomem section, and the report it is drawn from.

Pure: a UnitMemReport in, Markdown lines out. It shows per-layer distributions only, not
the top units' example texts: on our ground truth the examples that maximize the top units
are not the memorized ones (experiments/results/unitmem_mislabeled.md), so naming them on
a model card would point readers at the wrong examples.
"""

from __future__ import annotations

from typing import Any

from .card_format import cell, describe_data, number

__all__ = ["unitmem_lines", "UNITMEM_PAPER", "UNITMEM_CAVEAT"]

UNITMEM_PAPER = (
    "Wang, Dziedzic, Backes & Boenisch, *Localizing Memorization in SSL Vision Encoders*, "
    "NeurIPS 2024"
)
# experiments/results/unitmem_mislabeled.md, findings (b) and "Untrained networks score highest".
UNITMEM_CAVEAT = (
    "On infomem's ground truth (an MNIST MLP with 10% of its training images given random "
    "labels) the examples that maximize the top-UnitMem units were *not* enriched in the "
    "memorized, mislabeled set, and an untrained network scored higher than trained ones. "
    "So these numbers say where units are selective, not which examples were memorized."
)


def _views(settings: dict[str, Any]) -> str:
    views = int(settings.get("augmentations") or 1)
    if views == 1:
        return "one view per example (no augmentation)"
    return f"{views} views per example ({settings.get('augment') or 'augmented'}), averaged"


def _measured_on(report: Any) -> str:
    s = report.settings
    text = (f"Measured on {describe_data(report.data)}: S = {report.n_samples} examples, "
            f"{_views(s)}, seed {s.get('seed')}")
    if s.get("clipped"):
        text += "; GELU/SiLU outputs clipped at 0 per token before pooling (their positive part)"
    return text + "."


def _table(report: Any) -> list[str]:
    rows = ["| Module | Activation | Units (defined) | Mean | Median | Share > 0.5 | Share > 0.9 |",
            "|---|---|---:|---:|---:|---:|---:|"]
    for layer in report.per_layer:
        shares = layer.share_above
        rows.append(
            f"| {cell(layer.name)} | {cell(layer.activation)} | {layer.n_units} "
            f"({layer.n_defined}) | {number(layer.mean, 3)} | {number(layer.median, 3)} | "
            f"{number(shares.get(0.5), 3)} | {number(shares.get(0.9), 3)} |"
        )
    return rows


def unitmem_lines(report: Any) -> list[str]:
    """The subsection's lines (each followed by a blank one where Markdown needs it)."""
    return [
        "### Per-unit memorization (UnitMem)",
        "",
        f"UnitMem ({UNITMEM_PAPER}) of every unit of the hooked activation modules. "
        + _measured_on(report),
        "",
        *_table(report),
        "",
        "**Reading UnitMem.** A unit's UnitMem is in [0, 1]: near 1, it fires for one example "
        "far more than for the typical one; units that are zero on most examples score "
        "exactly 1 by sparsity alone. Compare only models scored alike (same inputs, views and "
        f"seed), and only in direction. **Caveat.** {UNITMEM_CAVEAT}",
        "",
    ]
