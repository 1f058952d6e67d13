"""Comparability: what must agree for two results to be compared, defined once.

compare (infomem.scoring.selection), the Hub result records and the Space's leaderboard
groups all read :func:`comparable_key`: the score-affecting settings, S, the
architecture and layer shapes, and (unless told otherwise) the inputs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from infomem.errors import IncompatibleResultsError
from infomem.scoring.result import Result

__all__ = ["comparable_key", "comparable_hash", "check_comparable"]


def _layer_shapes(result: Result) -> tuple[tuple[str, int], ...]:
    return tuple((layer.name, layer.n_neurons) for layer in result.per_layer)


def _architecture(result: Result) -> str | None:
    model = result.model
    value = model.get("model_type") or model.get("architecture")
    return None if value is None else str(value)


def _data_identity(result: Result) -> Any:
    data = result.data
    if data.get("fingerprint"):
        return data["fingerprint"]
    keys = ("kind", "dataset", "config", "split", "column", "revision", "path", "file")
    known = {k: data[k] for k in keys if data.get(k) is not None}
    return tuple(sorted(known.items())) or None


def comparable_key(result: Result, *, data: bool = True) -> dict[str, Any]:
    """Everything that must agree for two results to be comparable, by name: the one
    definition compare, the result records and the leaderboard's groups use."""
    out: dict[str, Any] = dict(result.settings.score_affecting())
    out["n_samples"] = result.n_samples
    out["architecture"] = _architecture(result)
    out["layers"] = _layer_shapes(result)
    if data:
        out["inputs"] = _data_identity(result)
    return out


def comparable_hash(result: Result, *, extra: dict[str, Any] | None = None, digits: int = 12) -> str:
    """A short hash of :func:`comparable_key` (plus ``extra``): equal for comparable results."""
    payload = {**comparable_key(result), **(extra or {})}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:digits]


def _show(value: Any) -> str:
    if isinstance(value, tuple) and value and isinstance(value[0], tuple) and len(value[0]) == 2:
        shown = (f"{a} x{b}" if isinstance(b, int) else f"{a}={b}" for a, b in value)
        return "[" + ", ".join(shown) + "]"
    return repr(value)


def check_comparable(
    results: Sequence[Result], labels: Sequence[str], *, allow_different_data: bool = False
) -> None:
    """Raise IncompatibleResultsError naming every aspect that differs, and its values."""
    aspects = [comparable_key(r, data=not allow_different_data) for r in results]
    problems = []
    for key in aspects[0]:
        values = [a[key] for a in aspects]
        if all(v == values[0] for v in values):
            continue
        groups: dict[str, list[str]] = {}
        for label, value in zip(labels, values, strict=True):
            groups.setdefault(_show(value), []).append(label)
        shown = "; ".join(f"{v} ({', '.join(ls)})" for v, ls in groups.items())
        problems.append(f"`{key}` differs: {shown}")
    if problems:
        only_inputs = all(p.startswith("`inputs`") for p in problems)
        hint = ("Re-score the models with the same settings, inputs and sample count"
                + (", or pass allow_different_data=True (--allow-different-data) if the "
                   "inputs differ on purpose" if only_inputs else "") + ".")
        raise IncompatibleResultsError(
            f"Cannot compare these {len(results)} results: " + " | ".join(problems) + ". " + hint
        )
