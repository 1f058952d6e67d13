"""What the fake Hub's validate-yaml endpoint checks: a small subset of the Hub's rules."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["front_matter", "yaml_errors"]


def front_matter(data: bytes | str) -> Any:
    """The parsed YAML header of a card ({} when there is none); raises yaml.YAMLError."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return yaml.safe_load("\n".join(lines[1:i])) or {}
    return {}


def yaml_errors(content: str) -> list[str]:
    """What the Hub would reject in a card's metadata (a small subset of its rules)."""
    try:
        meta = front_matter(content)
    except yaml.YAMLError as e:
        return [f"Invalid YAML in the card metadata: {e}"]
    if not isinstance(meta, dict):
        return ["The card metadata must be a YAML mapping"]
    errors = []
    index = meta.get("model-index")
    if index is not None:
        if not isinstance(index, list):
            return ['"model-index" must be an array']
        for entry in index:
            if not isinstance(entry, dict) or "name" not in entry:
                errors.append('"model-index[]" entries need a "name"')
                continue
            for result in entry.get("results") or []:
                if not isinstance(result.get("task"), dict) or "type" not in result["task"]:
                    errors.append('"model-index[].results[].task.type" is required')
                dataset = result.get("dataset")
                if not isinstance(dataset, dict) or not {"type", "name"} <= set(dataset):
                    errors.append('"model-index[].results[].dataset" needs "type" and "name"')
                for metric in result.get("metrics") or []:
                    if not {"type", "value"} <= set(metric):
                        errors.append('"model-index[].results[].metrics[]" need "type" and "value"')
    return errors
