"""Which measures one :func:`infomem.score` call computes: entropy, MI and UnitMem.

- **entropy** is always computed: a Result is built on it, and it costs nothing once the
  model has run. ``measures`` without "entropy" is refused; UnitMem alone is
  :func:`infomem.unit_mem_score` (on the command line, ``infomem score --measures unitmem``).
- **mi** absent means no MI (``mi_estimator="none"``); asking for an estimator as well is
  refused. A Settings object's default estimator counts as not asked for.
- **unitmem** runs on the model :func:`infomem.score` loaded and the items it scored, with
  the same seed, sample, batch size and max length, and lands in ``Result.unitmem``. Its
  modules are found before the entropy capture, so a model without a usable activation
  module is refused before any forward pass. On a transformers model its hooks record
  the entropy capture's forward passes (:func:`unit_mem_hooks`, :func:`first_view`):
  one pass over the batches gives both, bit-identical to two, and only views 2..A run
  again. A plain torch module keeps its own UnitMem pass: its entropy capture runs
  batches of max(256, batch_size) and CPU matmuls round differently per batch size, so a
  shared pass would move UnitMem's last bits away from :func:`infomem.unit_mem_score`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from infomem.errors import InvalidInputError
from infomem.options import check_options, default, option
from infomem.scoring.result import Result
from infomem.scoring.settings import Settings

if TYPE_CHECKING:
    import numpy as np

    from infomem.activations.hooks import Recorder
    from infomem.activations.views import Augment
    from infomem.scoring.unitmem import Prepared

__all__ = ["UnitMemRequest", "plan_measures", "check_views", "prepare_unit_mem", "unit_mem_hooks",
           "first_view", "with_unit_mem"]


@dataclass(frozen=True)
class UnitMemRequest:
    """UnitMem's options for one :func:`infomem.score` call, checked before model work."""

    augmentations: int  # A, views per example, e.g. 1
    augment: Augment | None  # makes views 2..A; None: the modality's default
    layers: tuple[str, ...] | None  # block indices or module names; None: the defaults


def check_views(augmentations: Any, augment: Any) -> int:
    """A, checked by the catalogue's rule, and ``augment`` checked against it."""
    augmentations = option("augmentations").check(augmentations)
    if augment is not None and not callable(augment):
        raise InvalidInputError(
            f"`augment` must be a callable `augment(item, rng) -> item`; received "
            f"{type(augment).__name__}."
        )
    if augment is not None and augmentations == 1:
        raise InvalidInputError(
            "`augment` makes views 2..A, but `augmentations=1` keeps only the examples "
            "themselves; pass `augmentations=` 2 or more, or drop `augment`."
        )
    return int(augmentations)


def _without_mi(settings: Settings, measures: tuple[str, ...], *, keyword: str | None,
                given: bool) -> Settings:
    """The settings with mi_estimator "none"; refused if MI was asked for explicitly."""
    asked = keyword if keyword is not None else (
        settings.mi_estimator if given and settings.mi_estimator != default("mi_estimator")
        else None)
    if asked not in (None, "none"):
        raise InvalidInputError(
            f"`mi_estimator={asked!r}` asks for MI, but `measures` {list(measures)} has no "
            "'mi'; add 'mi' to `measures`, or drop `mi_estimator`.")
    return dataclasses.replace(settings, mi_estimator="none")


def plan_measures(measures: Any, settings: Settings, *, mi_keyword: str | None,
                  settings_given: bool, unitmem: Mapping[str, Any],
                  distributed: bool) -> tuple[Settings, UnitMemRequest | None]:
    """The settings to score with and the UnitMem request (None: no UnitMem), or a
    one-line InvalidInputError for a choice of measures that cannot be honoured."""
    measures = option("measures").check(measures)
    if "entropy" not in measures:
        raise InvalidInputError(
            f"`measures` {list(measures)} leaves out 'entropy', which infomem.score always "
            "computes (its Result is built on it); for UnitMem alone call "
            "infomem.unit_mem_score (CLI: `infomem score --measures unitmem`).")
    if "mi" not in measures:
        settings = _without_mi(settings, measures, keyword=mi_keyword, given=settings_given)
    checked = check_options(unitmem)
    changed = sorted(k for k, v in checked.items() if v != default(k))
    if "unitmem" not in measures:
        if changed:
            raise InvalidInputError(
                f"`{changed[0]}` is a UnitMem option, but `measures` {list(measures)} has no "
                "'unitmem'; add 'unitmem' to `measures`, or drop it.")
        return settings, None
    if distributed:
        raise InvalidInputError(
            "UnitMem runs in one process: leave 'unitmem' out of `measures` under torchrun / "
            "--num-processes, or run it without them.")
    views = check_views(checked.get("augmentations", default("augmentations")),
                        checked.get("augment"))
    return settings, UnitMemRequest(views, checked.get("augment"), checked.get("unitmem_layers"))


def _renamed(e: InvalidInputError) -> InvalidInputError:
    """The rules speak of unit_mem_score's `layers=`; score() calls it `unitmem_layers=`."""
    return InvalidInputError(f"UnitMem: {str(e).replace('`layers=`', '`unitmem_layers=`')}")


def prepare_unit_mem(request: UnitMemRequest | None, source: Any, items: Sequence[Any], *,
                     settings: Settings, data_info: dict[str, Any]) -> Prepared | None:
    """Find UnitMem's modules in the loaded model or plain module (no forward pass)."""
    from infomem.scoring.unitmem import prepare

    if request is None:
        return None
    try:
        return prepare(source, items, layers=request.layers, max_length=settings.max_length,
                       data_info=data_info)
    except InvalidInputError as e:
        raise _renamed(e) from e


def unit_mem_hooks(prep: Prepared | None) -> list[AbstractContextManager[Recorder]]:
    """UnitMem's hooks for the entropy capture to enter (none without UnitMem)."""
    from infomem.activations.unitmem import recording

    return [] if prep is None else [recording(prep.forward, prep.targets)]


def first_view(prep: Prepared | None, recorders: Sequence[Recorder]) -> list[np.ndarray] | None:
    """View 0's values from the recorder of :func:`unit_mem_hooks` (None without UnitMem)."""
    from infomem.activations.unitmem import view_values

    if prep is None:
        return None
    try:
        return view_values(recorders[0], prep.targets)
    except InvalidInputError as e:
        raise _renamed(e) from e


def with_unit_mem(result: Result, request: UnitMemRequest | None, prep: Prepared | None, *,
                  settings: Settings, progress: bool,
                  first: Sequence[np.ndarray] | None = None) -> Result:
    """``result`` with UnitMem of the same model on the same items (no request: as it is).

    ``first``: view 0's values from the entropy capture's passes (:func:`first_view`).
    """
    from infomem.scoring.unitmem import score_prepared

    if request is None or prep is None:
        return result
    t0 = time.perf_counter()
    report = score_prepared(prep, augmentations=request.augmentations, augment=request.augment,
                            layers=request.layers, seed=settings.seed,
                            max_samples=settings.max_samples, max_length=settings.max_length,
                            batch_size=settings.batch_size, progress=progress, first=first)
    timings = {**result.timings, "unitmem": round(time.perf_counter() - t0, 4)}
    return dataclasses.replace(result, unitmem=report, timings=timings)
