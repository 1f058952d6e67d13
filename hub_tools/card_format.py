"""Text helpers shared by the card's blocks: numbers, table cells, where inputs came from.

Pure and deterministic: the same values always give the same bytes.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["number", "interval_cell", "cell", "describe_data", "model_line"]


def number(value: float | None, digits: int = 4) -> str:
    """`value` with `digits` decimals; "n/a" for None, NaN or inf."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def interval_cell(values: dict[str, Any], key: str, *, signed: bool = False,
                  missing: str = "n/a") -> str:
    """`values[key]` with its `_low`/`_high` interval and, when recorded, whether it is
    significant: "+0.120 [+0.050, +0.190] (significant)". `signed` for differences."""
    value, low, high = values.get(key), values.get(f"{key}_low"), values.get(f"{key}_high")
    if value is None:
        return missing
    form = "+.3f" if signed else ".3f"
    text = format(value, form)
    if low is not None and high is not None:
        text += f" [{format(low, form)}, {format(high, form)}]"
    significant = values.get(f"{key}_significant")
    if significant is not None:
        text += " (significant)" if significant else " (not significant)"
    return text


def cell(text: Any) -> str:
    """Table-safe text: no pipes or newlines."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def describe_data(data: dict[str, Any]) -> str:
    """One phrase naming the inputs: dataset id/config/split/column/revision, or the file."""
    kind = data.get("kind")
    if data.get("dataset") and kind != "default":
        bits = [f"`{data['dataset']}`"]
        for key in ("config", "split", "column"):
            if data.get(key):
                bits.append(f"{key} `{data[key]}`")
        if data.get("revision"):
            bits.append(f"revision `{str(data['revision'])[:12]}`")
        text = "dataset " + ", ".join(bits)
    elif kind == "default":
        text = "infomem's bundled sample of unlabeled English sentences"
    elif kind == "file":
        text = f"the local file `{data.get('path', '?')}`"
    elif kind == "images":
        text = "a list of images"
    else:
        text = "a list of texts passed in memory"
    if data.get("fingerprint"):
        text += f" (input fingerprint `{data['fingerprint']}`)"
    return text


def model_line(model: dict[str, Any]) -> str:
    """The model as the card names it: id, the GGUF file and the commit (or revision) it
    was loaded from, and its architecture with the parameter count when recorded."""
    text = f"`{model.get('id') or 'unknown'}`"
    if model.get("gguf_file"):
        text += f" (GGUF weights `{model['gguf_file']}`)"
    pin = model.get("sha") or model.get("revision")
    if pin:
        text += f" at revision `{str(pin)[:12]}`"
    if model.get("architecture"):
        params = model.get("num_parameters")
        text += f" ({model['architecture']}" + (f", {params:,} parameters)" if params else ")")
    return text
