"""The readable model-card section: headline numbers, per-layer table, settings, data,
an interpretation, the method's known limits and the plot. Pure: Result in, Markdown out.

Everything shown comes from the Result itself (never the clock or the installed
version), so rendering the same result twice gives the same bytes.
"""

from __future__ import annotations

import math
from typing import Any

from .card_format import cell, describe_data, model_line, number
from .card_text import SECTION_END, SECTION_START
from .card_unitmem import unitmem_lines

__all__ = ["render_section", "settings_line", "KNOWN_LIMITS", "PAPER"]

PAPER = (
    "Bansal, Pruthi & Belinkov, *Measures of Information Reflect Memorization Patterns*, "
    "NeurIPS 2022 ([arXiv:2210.09404](https://arxiv.org/abs/2210.09404))"
)

# METHOD.md "Known limits": on every model-card section.
KNOWN_LIMITS = (
    "Binned entropy is biased downward for small S (Paninski 2003); values depend on S, "
    "bins, k and the neuron subset; activation binning has been criticized as an MI "
    "estimate of a deterministic network (Saxe et al. 2018; Goldfeld et al. 2019). The "
    "scores are evidence to compare models, not a calibrated probability of memorization."
)


def settings_line(result: Any) -> str:
    s = result.settings
    binning = {"global": "one range over all activations", "layer": "one range per layer",
               "neuron": "one range per neuron"}.get(s.binning, s.binning)
    parts = [f"S = {result.n_samples} examples", f"{s.bins} equal-width bins ({binning})"]
    if s.correction:
        parts.append(f"{s.correction} correction")
    if s.mi_estimator == "none":
        parts.append("no MI")
    else:
        neurons = "every neuron" if s.mi_neurons_per_layer is None else (
            f"the {s.mi_subset} {s.mi_neurons_per_layer} neurons")
        estimator = f"KSG MI with k = {s.k}" if s.mi_estimator == "ksg" else "binned MI"
        diagonal = ", self-MI included as in the paper's code" if s.mi_diagonal else ", pairs i < j"
        parts.append(f"{estimator} over {neurons} of each layer{diagonal}")
    pooling = s.pooling or result.model.get("pooling") or "architecture default"
    parts.append(f"pooling `{pooling}`")
    if s.layers:
        parts.append("layers " + ", ".join(f"`{x}`" for x in s.layers))
    parts.append(f"seed {s.seed}")
    return "; ".join(parts) + "."


def _interpretation(result: Any) -> str:
    s = result.settings
    ceiling = math.log(s.bins)
    share = result.mean_entropy / ceiling if ceiling > 0 else float("nan")
    text = (
        f"Mean neuron entropy is {number(result.mean_entropy, 3)} nats, "
        f"{share:.0%} of the ceiling ln({s.bins}) = {ceiling:.3f} nats"
    )
    if result.mean_mi is not None:
        text += f"; mean pairwise MI is {number(result.mean_mi, 3)} nats"
    return text + (
        ". Following the paper, *lower* entropy together with *higher* MI than comparable "
        "models points to heuristic (shortcut) memorization, where neurons collapse onto a "
        "spurious feature; *higher* entropy with *lower* MI points to example-level "
        "memorization (e.g. memorized noisy labels). There is no absolute threshold: compare "
        "these numbers only with models of the same architecture scored on the same inputs "
        "with the same settings."
    )


def _layer_table(result: Any) -> list[str]:
    rows = [
        "| Layer | Neurons | Mean H | Median H | IQR (q1 - q3) | Median 95% CI | Mean MI |",
        "|---|---:|---:|---:|---|---|---:|",
    ]
    for layer in result.per_layer:
        rows.append(
            f"| {cell(layer.name)} | {layer.n_neurons} | {number(layer.mean_entropy, 3)} | "
            f"{number(layer.median_entropy, 3)} | {number(layer.q1, 3)} - {number(layer.q3, 3)} | "
            f"{number(layer.notch_low, 3)} - {number(layer.notch_high, 3)} | {number(layer.mean_mi, 3)} |"
        )
    return rows


def render_section(
    result: Any,
    *,
    plot_path: str | None = None,
    result_path: str | None = None,
    unitmem: Any = None,
    newline: str = "\n",
) -> str:
    """The marked Markdown section for `result` (markers included, no trailing newline).

    `plot_path` / `result_path` are repo-relative paths of the uploaded figure and result
    JSON (omitted when None, e.g. for an offline card edit). A UnitMem subsection follows
    when `unitmem` (a UnitMemReport) is given, else when the result carries one.
    """
    if unitmem is None:
        unitmem = getattr(result, "unitmem", None)
    estimator = result.settings.mi_estimator
    mi_label = "Mean pairwise MI" + {"ksg": f" (KSG, k = {result.settings.k})",
                                     "binned": " (binned)"}.get(estimator, "")
    mi_value = "not computed" if result.mean_mi is None else number(result.mean_mi)
    lines = [
        SECTION_START,
        "<!-- Written by `infomem card`: edits between the infomem markers are replaced on the next run. -->",
        "## Activation diversity (infomem)",
        "",
        f"Label-free memorization diagnostics ({PAPER}) for {model_line(result.model)}, "
        f"computed on {describe_data(result.data)}. Entropies and MI are in nats.",
        "",
        "| Score | Value |",
        "|---|---:|",
        f"| Mean neuron entropy | {number(result.mean_entropy)} |",
        f"| Median neuron entropy | {number(result.median_entropy)} |",
        f"| {mi_label} | {mi_value} |",
        f"| Examples (S) | {result.n_samples} |",
        f"| Neurons | {result.n_neurons} |",
        "",
        *_layer_table(result),
        "",
        f"**Settings.** {settings_line(result)}",
        "",
        f"**Reading these numbers.** {_interpretation(result)}",
        "",
        *[line for w in result.warnings for line in (f"> **Warning.** {cell(w)}", "")],
    ]
    if plot_path:
        lines += [f"![Per-layer neuron entropy and MI (infomem)]({plot_path})", ""]
    lines += [f"**Known limits.** {KNOWN_LIMITS}", ""]
    if unitmem is not None:
        lines += unitmem_lines(unitmem)
    footer = "<sub>Computed with infomem"
    if result.versions.get("infomem"):
        footer += f" {result.versions['infomem']}"
    if result.created_at:
        footer += f" on {result.created_at[:10]}"
    if result_path:
        footer += f"; full result: [{result_path}]({result_path})"
    lines += [footer + ".</sub>", SECTION_END]
    return newline.join(lines)
