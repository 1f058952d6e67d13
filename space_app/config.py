"""The Space's operating limits and data sources, read from environment variables.

Pure: no gradio, no torch. Every variable is optional; an invalid value is refused at
start-up with a message naming the variable (a Space that silently ignores its limits
is worse than one that does not start).

==============================  =========  ==============================================
variable                        default    meaning
==============================  =========  ==============================================
INFOMEM_SPACE_MAX_SAMPLES       1000       most examples one request may score
INFOMEM_SPACE_DEFAULT_SAMPLES   300        the max-samples slider's starting value
INFOMEM_SPACE_MAX_PARAMS        150000000  largest model (parameters) a request may load
INFOMEM_SPACE_MAX_MODELS        4          most models one Compare request may score
INFOMEM_SPACE_CONCURRENCY       2          requests computed at once (the rest queue)
INFOMEM_SPACE_MAX_QUEUE         16         requests waiting at most; more are turned away
INFOMEM_SPACE_CACHED_MODELS     2          loaded models kept in memory between requests
INFOMEM_SPACE_ALLOW_LOCAL       0          1: model ids and dataset ids may be local paths
INFOMEM_RESULTS_DATASET         (none)     Hub dataset the Leaderboard reads (push-results)
INFOMEM_RESULTS_DIR             (none)     local folder of result JSONs for the Leaderboard
==============================  =========  ==============================================
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from infomem.errors import InvalidInputError

__all__ = ["SpaceConfig", "ENV_VARS"]

ENV_VARS = {
    "max_samples": "INFOMEM_SPACE_MAX_SAMPLES",
    "default_samples": "INFOMEM_SPACE_DEFAULT_SAMPLES",
    "max_params": "INFOMEM_SPACE_MAX_PARAMS",
    "max_models": "INFOMEM_SPACE_MAX_MODELS",
    "concurrency": "INFOMEM_SPACE_CONCURRENCY",
    "max_queue": "INFOMEM_SPACE_MAX_QUEUE",
    "cached_models": "INFOMEM_SPACE_CACHED_MODELS",
    "allow_local": "INFOMEM_SPACE_ALLOW_LOCAL",
    "results_dataset": "INFOMEM_RESULTS_DATASET",
    "results_dir": "INFOMEM_RESULTS_DIR",
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class SpaceConfig:
    """Limits per request and where the leaderboard reads results from."""

    max_samples: int = 1000  # cap on `max_samples` per request
    default_samples: int = 300  # slider start; <= max_samples
    max_params: int = 150_000_000  # cap on model size (parameters)
    max_models: int = 4  # models scored by one Compare request
    concurrency: int = 2  # events computed at once
    max_queue: int = 16  # waiting events
    cached_models: int = 2  # models kept loaded: per cache (Score / UnitMem, and Extraction)
    allow_local: bool = False  # local paths as model / dataset ids (off on a public Space)
    results_dataset: str | None = None  # "org/infomem-results"
    results_dir: str | None = None  # "./results"

    def __post_init__(self) -> None:
        for name in ("max_samples", "max_params", "max_models", "concurrency", "max_queue",
                     "cached_models", "default_samples"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInputError(
                    f"Space setting `{name}` ({ENV_VARS[name]}) must be a positive integer; "
                    f"received {value!r}."
                )
        if self.default_samples > self.max_samples:
            object.__setattr__(self, "default_samples", self.max_samples)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> SpaceConfig:
        """Read the INFOMEM_* variables of `env` (default: os.environ); `overrides` win."""
        env = os.environ if env is None else env
        kwargs: dict[str, Any] = {}
        types = {f.name: f.type for f in dataclasses.fields(cls)}
        for name, var in ENV_VARS.items():
            raw = env.get(var)
            if raw is None:
                continue
            kwargs[name] = _parse(var, raw.strip(), str(types[name]))
        kwargs.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**kwargs)

    @property
    def results_source(self) -> str | None:
        """The leaderboard's source: the local folder if set, else the Hub dataset."""
        return self.results_dir or self.results_dataset


def _parse(var: str, raw: str, kind: str) -> Any:
    if kind == "bool":
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise InvalidInputError(f"{var} must be 1 or 0 (true/false); received {raw!r}.")
    if kind == "int":
        try:
            return int(raw.replace("_", ""))
        except ValueError:
            raise InvalidInputError(f"{var} must be an integer; received {raw!r}.") from None
    return raw or None
