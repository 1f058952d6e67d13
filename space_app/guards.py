"""Request checks that run before any model is loaded: model ids, paths, sizes, sample caps.

Each check raises an :class:`infomem.errors.InfomemError` subclass with a one-line
message; the UI boundary turns it into a ``gr.Error``.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from infomem.activations.models import DEFAULT_MODEL_ID
from infomem.errors import InvalidInputError, ModelLoadError

from .config import ENV_VARS, SpaceConfig

__all__ = [
    "resolve_model_id",
    "resolve_revision",
    "split_revision",
    "check_local_path",
    "check_max_samples",
    "estimate_parameters",
    "check_model_size",
]

# A Hub repo id: "name" or "owner/name" (letters, digits, - _ .), no "..".
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_DEFAULT_ALIASES = {"", "default", DEFAULT_MODEL_ID.lower(), DEFAULT_MODEL_ID.split("/")[1].lower()}
_param_cache: dict[tuple[str, str | None], int | None] = {}
_param_lock = threading.Lock()


def resolve_model_id(text: str | None, config: SpaceConfig) -> str | None:
    """The model to load: None for the embedded default, else a Hub id or allowed path."""
    model_id = (text or "").strip()
    if model_id.lower() in _DEFAULT_ALIASES:
        return None
    if Path(model_id).expanduser().exists():
        check_local_path(model_id, config, what="model")
        return model_id
    if not _HUB_ID.match(model_id) or ".." in model_id:
        raise InvalidInputError(
            f"Model {model_id!r} is not a Hub model id (expected `owner/name`, e.g. "
            f"{DEFAULT_MODEL_ID!r}); leave the box empty for the embedded default."
        )
    return model_id


def resolve_revision(text: str | None) -> str | None:
    """A branch, tag or commit of the Hub repo; None (the default branch) when empty."""
    revision = (text or "").strip()
    if not revision:
        return None
    if any(c.isspace() for c in revision) or ".." in revision:
        raise InvalidInputError(
            f"Revision {revision!r} is not a branch, tag or commit name (no spaces, no '..'); "
            "leave it empty for the repo's default branch."
        )
    return revision


def split_revision(line: str) -> tuple[str, str | None]:
    """One Compare line, `org/model` or `org/model@revision`: the model text and revision.

    Hub ids hold no '@', so the last one separates the revision; an existing local path is
    taken whole."""
    if "@" not in line or Path(line).expanduser().exists():
        return line, None
    model_text, _, revision = line.rpartition("@")
    if not model_text.strip() or not revision.strip():
        raise InvalidInputError(
            f"Cannot read the model line {line!r}: write `org/model`, or `org/model@revision` "
            "for a branch, tag or commit."
        )
    return model_text, resolve_revision(revision)


def check_local_path(value: str, config: SpaceConfig, *, what: str) -> None:
    """Refuse local paths as ids unless the operator allowed them (never on a public Space)."""
    if not config.allow_local:
        raise InvalidInputError(
            f"This Space does not read local paths as {what} ids (received {value!r}); "
            f"give a Hub id, or start it with {ENV_VARS['allow_local']}=1."
        )


def check_max_samples(value: Any, config: SpaceConfig) -> int:
    """A whole number of examples between 1 and the Space's cap."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"`max_samples` must be a number; received {value!r}.") from None
    if number != int(number) or number < 1:
        raise InvalidInputError(f"`max_samples` must be a whole number >= 1; received {value!r}.")
    if number > config.max_samples:
        raise InvalidInputError(
            f"`max_samples` = {int(number)} is over this Space's cap of {config.max_samples} "
            f"examples per request ({ENV_VARS['max_samples']}); lower it, or run "
            "`infomem score` on your own machine for larger runs."
        )
    return int(number)


def estimate_parameters(model_id: str | None, revision: str | None = None) -> int | None:
    """Parameter count from the model's config alone (weights never load); None if unknown.

    The model is instantiated on torch's meta device, so a 70B config costs seconds and no
    memory. Unknown (config unreadable) returns None: the real load then reports the error.
    """
    key = (str(model_id), revision)
    with _param_lock:
        if key in _param_cache:
            return _param_cache[key]
    count = _count_from_config(model_id, revision)
    with _param_lock:
        _param_cache[key] = count
    return count


def _count_from_config(model_id: str | None, revision: str | None) -> int | None:
    import torch
    import transformers

    from infomem.activations.models import default_model_path

    path = str(default_model_path() if model_id is None else model_id)
    try:
        config = transformers.AutoConfig.from_pretrained(path, revision=revision)
        with torch.device("meta"):
            model = transformers.AutoModel.from_config(config)
    except Exception:  # noqa: BLE001 - any failure: unknown size, the real load reports it
        return None
    return int(sum(p.numel() for p in model.parameters()))


def check_model_size(model_id: str | None, n_params: int | None, config: SpaceConfig) -> None:
    """Refuse models over the Space's parameter cap (before their weights download)."""
    if n_params is not None and n_params > config.max_params:
        shown = DEFAULT_MODEL_ID if model_id is None else model_id
        raise ModelLoadError(
            f"Model {shown!r} has {n_params / 1e6:,.0f}M parameters, over this Space's cap "
            f"of {config.max_params / 1e6:,.0f}M ({ENV_VARS['max_params']}); run "
            "`infomem score` on your own hardware for larger models."
        )
