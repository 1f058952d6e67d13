"""Terminal rendering of results (rich tables)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from infomem.scoring.diagnostics import COLLAPSE_WARN, COLLAPSED_BINS

if TYPE_CHECKING:
    from infomem.scoring.result import Result
    from infomem.scoring.selection import Comparison

__all__ = ["print_result", "print_table", "result_table", "comparison_table", "fmt", "mi_label"]


def print_table(console: Any, table: Any) -> None:
    """Print a table whole. Piped to a file or another program, rich assumes 80 columns and
    would cut cells with "…"; there the table gets its natural width instead."""
    from rich.measure import Measurement

    width = console.width
    if not console.is_terminal:
        needed = Measurement.get(console, console.options.update_width(1000), table).maximum
        console.width = max(width, needed)
    try:
        console.print(table)
    finally:
        console.width = width


def fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def mi_label(result: Result) -> str:
    """The MI estimator actually used, as the footers name it."""
    s = result.settings
    if s.mi_estimator == "none":
        return "no MI"
    what = f"KSG k={s.k}" if s.mi_estimator == "ksg" else "binned MI"
    return f"{what} on {s.mi_neurons_per_layer or 'all'} neurons/layer"


def checks_shown(result: Result) -> bool:
    return bool((result.diagnostics or {}).get("per_layer"))


def _source(result: Result) -> str:
    data = result.data
    if data.get("dataset"):
        parts = [str(data["dataset"])] + [str(data[k]) for k in ("config", "split", "column") if data.get(k)]
        return " / ".join(parts)
    return str(data.get("path") or data.get("kind") or "inputs")


def result_table(result: Result) -> Any:
    from rich.table import Table

    s = result.settings
    table = Table(
        title=f"{result.model_id}  ·  {_source(result)}",
        caption=f"S={result.n_samples} · {s.bins} bins ({s.binning}) · {mi_label(result)} · nats",
    )
    checks = {d["name"]: d for d in (result.diagnostics or {}).get("per_layer", [])}
    columns = ["layer", "neurons", "mean H", "median H", "IQR", "95% notch", "mean MI"]
    if checks:
        columns.append("collapsed")
    for name in columns:
        table.add_column(name, justify="left" if name == "layer" else "right")
    for layer in result.per_layer:
        row = [layer.name, str(layer.n_neurons), fmt(layer.mean_entropy), fmt(layer.median_entropy),
               f"{fmt(layer.q1, 2)}–{fmt(layer.q3, 2)}",
               f"{fmt(layer.notch_low, 2)}–{fmt(layer.notch_high, 2)}", fmt(layer.mean_mi)]
        if checks:
            share = checks[layer.name]["collapsed_fraction"]
            row.append(f"[yellow]{share:.0%}[/]" if share >= COLLAPSE_WARN else f"{share:.0%}")
        table.add_row(*row)
    table.add_section()
    table.add_row("all", str(result.n_neurons), fmt(result.mean_entropy),
                  fmt(result.median_entropy), "", "", fmt(result.mean_mi),
                  *([""] if checks else []), style="bold")
    return table


def print_result(result: Result, *, saved: Sequence[str] = ()) -> None:
    from rich.console import Console

    console = Console()
    print_table(console, result_table(result))
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
    mi = "not computed" if result.mean_mi is None else f"[bold]{fmt(result.mean_mi)}[/] nats"
    console.print(f"mean entropy [bold]{fmt(result.mean_entropy)}[/] nats · mean MI {mi} · {timing}")
    for key, (lo, hi) in ((result.intervals or {}).get("intervals") or {}).items():
        iv = result.intervals or {}
        console.print(f"  95% interval of {key.replace('_', ' ')}: {lo:.4f} – {hi:.4f} "
                      f"({iv['replicates']} subsamples of {iv['size']} without replacement)")
    if result.bootstrap:
        for key, (lo, hi) in result.bootstrap.items():
            console.print(f"  95% bootstrap interval of {key}: {lo:.3f} – {hi:.3f}")
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    if checks_shown(result):
        console.print(f"collapsed = share of a layer's neurons in at most {COLLAPSED_BINS} bins "
                      "(entropy <= ln 2).", style="dim")
    console.print(
        "Lower entropy and higher MI suggest shortcut memorization; higher entropy and lower "
        "MI, example-level memorization. Compare only runs with identical settings.",
        style="dim",
    )
    for path in saved:
        console.print(f"saved {path}", style="dim", soft_wrap=True)


def _fmt_tau(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f}"


def comparison_table(comp: Comparison) -> Any:
    """The ranking as a rich Table: Kendall tau (with intervals) and each step's significance."""
    from rich.table import Table

    table = Table(title=f"Models ranked by {comp.by.replace('_', ' ')}", caption=_caption(comp))
    columns = ["#", "label", "model", "mean H", "median H", "mean MI", "rank H", "rank MI"]
    if comp.extrinsic_name:
        columns.append(comp.extrinsic_name)
    if comp.steps is not None:
        columns.append(f"{comp.by.replace('_', ' ')} minus next (95%)")
    steps = {(s["a"], s["score"]): s for s in comp.steps or ()}
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i in (1, 2) else "right")
    for i, row in enumerate(comp.rows, start=1):
        cells = [str(i), row.label, row.model_id, fmt(row.mean_entropy),
                 fmt(row.median_entropy), fmt(row.mean_mi), str(row.rank_entropy),
                 "-" if row.rank_mi is None else str(row.rank_mi)]
        if comp.extrinsic_name:
            cells.append(fmt(row.extrinsic))
        if comp.steps is not None:
            step = steps.get((row.label, comp.by))
            cells.append("" if step is None else _step_text(step))
        table.add_row(*cells)
    return table


def _step_text(step: dict[str, Any]) -> str:
    text = f"{step['difference']:+.3f} [{step['low']:+.3f}, {step['high']:+.3f}]"
    return f"[bold]{text} *[/]" if step["significant"] else f"{text} n.s."


def _caption(comp: Comparison) -> str:
    s = comp.settings
    parts = [f"S={comp.n_samples} · {s.get('bins')} bins · MI {s.get('mi_estimator')} · nats",
             "rank 1 = highest entropy / lowest MI"]
    if comp.steps is not None:
        parts.append("* = the paired 95% interval of the difference excludes 0 (significant); "
                     "n.s. = not significantly different")
    else:
        parts.append("no paired intervals: score every model on the same inputs with "
                     "--intervals 20 to see which steps are significant")
    if comp.kendall_tau is not None:
        taus = ", ".join(f"{k}: {_fmt_tau(v)}{_tau_iv(comp, k)}" for k, v in comp.kendall_tau.items())
        parts.append(f"Kendall tau vs {comp.extrinsic_name}: {taus}")
        undefined = comp.undefined_taus()
        for why in dict.fromkeys(undefined.values()):
            keys = ", ".join(k for k, v in undefined.items() if v == why)
            parts.append(f"no tau for {keys}: {why}")
    if comp.agreement is not None and comp.expected_sign is not None:
        signs = ", ".join(f"{k} {'+' if v > 0 else '-'}" for k, v in comp.expected_sign.items())
        agree = ", ".join(f"{k}: {_fmt_tau(v)}" for k, v in comp.agreement.items())
        parts.append(f"expected signs ({comp.expect}): {signs}; agreement: {agree}")
    return "\n".join(parts)


def _tau_iv(comp: Comparison, key: str) -> str:
    iv = (comp.tau_intervals or {}).get(key)
    return "" if iv is None else f" [{iv[0]:+.2f}, {iv[1]:+.2f}]"
