"""Terminal rendering of results (rich tables)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from infomem.result import Result

__all__ = ["print_result", "result_table", "fmt"]


def fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


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
        caption=(
            f"S={result.n_samples} · {s.bins} bins ({s.binning}) · KSG k={s.k} · "
            f"MI on {s.mi_neurons_per_layer or 'all'} neurons/layer ({s.mi_estimator}) · nats"
        ),
    )
    for name, justify in [("layer", "left"), ("neurons", "right"), ("mean H", "right"),
                          ("median H", "right"), ("IQR", "right"), ("95% notch", "right"),
                          ("mean MI", "right")]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for layer in result.per_layer:
        table.add_row(
            layer.name, str(layer.n_neurons), fmt(layer.mean_entropy), fmt(layer.median_entropy),
            f"{fmt(layer.q1, 2)}–{fmt(layer.q3, 2)}",
            f"{fmt(layer.notch_low, 2)}–{fmt(layer.notch_high, 2)}", fmt(layer.mean_mi),
        )
    table.add_section()
    table.add_row("all", str(result.n_neurons), fmt(result.mean_entropy),
                  fmt(result.median_entropy), "", "", fmt(result.mean_mi), style="bold")
    return table


def print_result(result: Result, *, saved: Sequence[str] = ()) -> None:
    from rich.console import Console

    console = Console()
    console.print(result_table(result))
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
    console.print(
        f"mean entropy [bold]{fmt(result.mean_entropy)}[/] nats · mean MI "
        f"[bold]{fmt(result.mean_mi)}[/] nats · {timing}"
    )
    if result.bootstrap:
        for key, (lo, hi) in result.bootstrap.items():
            console.print(f"  95% bootstrap interval of {key}: {lo:.3f} – {hi:.3f}")
    console.print(
        "Lower entropy and higher MI suggest shortcut memorization; higher entropy and lower "
        "MI, example-level memorization. Compare only runs with identical settings.",
        style="dim",
    )
    for path in saved:
        console.print(f"saved {path}", style="dim")
