"""What the Space's buttons do, as plain typed functions: requests in, results and views out.

No gradio here. Checks run first (sources, caps, model ids and sizes), then the library
does the work; its errors (InfomemError subclasses, one-line messages) propagate to the UI
boundary, which shows them as ``gr.Error``.
"""

from __future__ import annotations

import dataclasses
import shlex
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infomem.activations.models import DEFAULT_MODEL_ID, LoadedModel, ModelCache
from infomem.errors import InvalidInputError
from infomem.options import default
from infomem.presentation.tables import fmt
from infomem.scoring.result import Result
from infomem.scoring.selection import model_label
from infomem.scoring.settings import Settings

from . import guards
from .config import SpaceConfig

__all__ = ["InputSpec", "EstimatorChoice", "Scorer", "ScoreView", "SOURCES", "parse_lines",
           "score_view", "result_table", "card_command", "result_filename", "download_name"]

_PLOT_LOCK = threading.Lock()
Progress = Callable[[float, str], None]
SOURCES = {"sample": "Bundled sample", "text": "Pasted lines", "file": "Uploaded file",
           "dataset": "Dataset"}


def _no_progress(_fraction: float, _desc: str) -> None:
    return None


def parse_lines(text: str | None) -> list[str]:
    """One text per non-empty line."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


@dataclass(frozen=True)
class InputSpec:
    """Where the unlabeled inputs come from (one source per request)."""

    source: str = "sample"  # "sample" | "text" | "file" | "dataset"
    texts: str = ""  # pasted, one per line (source "text")
    file: str | None = None  # uploaded .txt/.csv/.json/.jsonl/.parquet (source "file")
    dataset: str = ""  # Hub dataset id (source "dataset")
    config: str = ""
    split: str = ""
    column: str = ""  # also picks the column of an uploaded table

    def score_kwargs(self, space: SpaceConfig) -> dict[str, Any]:
        """Keyword arguments for :func:`infomem.score` (checked: one source, no empty input)."""
        column = self.column.strip() or None
        if self.source == "sample":
            return {}
        if self.source == "text":
            texts = parse_lines(self.texts)
            if not texts:
                raise InvalidInputError(
                    "The pasted text is empty: paste one text per line, or pick another source."
                )
            return {"inputs": texts}
        if self.source == "file":
            if not self.file:
                raise InvalidInputError("No file uploaded: upload a .txt (one text per line), "
                                        ".csv, .json, .jsonl or .parquet file.")
            return {"file": self.file, "column": column}
        if self.source == "dataset":
            dataset = self.dataset.strip()
            if not dataset:
                raise InvalidInputError("No dataset id given: enter one, e.g. `imdb`, or pick "
                                        "another source.")
            if Path(dataset).expanduser().exists():
                guards.check_local_path(dataset, space, what="dataset")
            return {"dataset": dataset, "config": self.config.strip() or None,
                    "split": self.split.strip() or None, "column": column}
        raise InvalidInputError(
            f"Unknown input source {self.source!r}; use one of: {', '.join(SOURCES)}."
        )


@dataclass(frozen=True)
class EstimatorChoice:
    """The settings a Space user may change; the rest keep the paper's defaults.

    Numbers arrive as the form sends them (floats); :meth:`settings` checks they are whole.
    """

    max_samples: float = 300  # the Space's own default (a smaller, faster sample)
    binning: str = default("binning")
    mi_estimator: str = default("mi_estimator")
    bins: float = default("bins")
    k: float = default("k")
    mi_neurons_per_layer: float = default("mi_neurons_per_layer")
    seed: float = default("seed")

    def settings(self, space: SpaceConfig) -> Settings:
        max_samples = guards.check_max_samples(self.max_samples, space)
        return Settings(max_samples=max_samples, binning=self.binning,
                        mi_estimator=self.mi_estimator,
                        bins=_whole(self.bins, "bins"), k=_whole(self.k, "k"),
                        mi_neurons_per_layer=_whole(self.mi_neurons_per_layer,
                                                    "mi_neurons_per_layer"),
                        seed=_whole(self.seed, "seed"))


def _whole(value: Any, name: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"`{name}` must be a number; received {value!r}.") from None
    if number != int(number):
        raise InvalidInputError(f"`{name}` must be a whole number; received {value!r}.")
    return int(number)


class Scorer:
    """Scores models for the Space: caps checked, models cached, captures serialised per model.

    Capture hooks the model's modules, so two requests running one cached model at once
    would see each other's activations: each loaded model has a lock held while it is
    scored. Different models run in parallel up to the queue's concurrency limit.
    """

    def __init__(self, config: SpaceConfig) -> None:
        self.config = config
        self.cache = ModelCache(max_models=config.cached_models)
        self._locks_lock = threading.Lock()
        self._model_locks: dict[int, threading.Lock] = {}
        self._serial = threading.Lock()

    def load(self, model_id: str | None, revision: str | None = None) -> LoadedModel:
        guards.check_model_size(model_id, guards.estimate_parameters(model_id, revision),
                                self.config)
        loaded = self.cache.get(model_id, revision=revision)
        guards.check_model_size(model_id, loaded.info.get("num_parameters"), self.config)
        return loaded

    def _lock_for(self, loaded: LoadedModel) -> threading.Lock:
        with self._locks_lock:
            return self._model_locks.setdefault(id(loaded.model), threading.Lock())

    def score(
        self,
        model_text: str | None,
        inputs: InputSpec,
        choice: EstimatorChoice,
        *,
        revision: str | None = None,
        progress: Progress = _no_progress,
        return_mi_matrix: bool = True,
        intervals: int = 0,
    ) -> Result:
        """Check everything cheap first, then load (cached) and score.

        ``revision``: a branch, tag or commit of the Hub repo (empty: its default branch)."""
        import infomem

        settings = dataclasses.replace(choice.settings(self.config), intervals=intervals)
        source = inputs.score_kwargs(self.config)
        model_id = guards.resolve_model_id(model_text, self.config)
        revision = guards.resolve_revision(revision)
        progress(0.05, f"loading {model_id or DEFAULT_MODEL_ID}")
        t0 = time.perf_counter()
        loaded = self.load(model_id, revision)
        load_s = time.perf_counter() - t0
        progress(0.15, "waiting for the model" if self._lock_for(loaded).locked() else "scoring")
        with self._lock_for(loaded), (self._serial if _numba_needs_serial() else nullcontext()):
            progress(0.2, "capturing activations and computing MI")
            result = infomem.score(loaded, settings=settings, return_mi_matrix=return_mi_matrix,
                                   progress=True, **source)
        timings = {"load": round(load_s, 4), **{k: v for k, v in result.timings.items()
                                                 if k != "load"}}
        return dataclasses.replace(result, timings=timings)


def _numba_needs_serial() -> bool:
    """numba's `workqueue` threading layer aborts the process when two threads run parallel
    kernels at once; with it (or before numba has picked a layer) requests run one by one.
    The `omp` and `tbb` layers are thread-safe."""
    try:
        import numba

        return bool(numba.threading_layer() == "workqueue")
    except (ImportError, ValueError):  # ValueError: no parallel kernel has run yet
        return True


# --- views -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreView:
    """Everything the Score tab shows for one result."""

    headline: str  # markdown
    figure: Any  # matplotlib figure: entropy box plot per layer + MI heatmap
    table: Any  # pandas DataFrame, one row per layer
    scores: dict[str, Any]  # flat numbers for API clients
    result_path: str  # downloadable result JSON (without the MI matrix)
    card_command: str


def download_name(model_id: str, kind: str = "infomem") -> str:
    """A download's file name: the kind and the model's last path part, e.g. infomem-gpt2.json."""
    name = model_id.rstrip("/").split("/")[-1] or "model"
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)
    return f"{kind}-{safe}.json"


def result_filename(result: Result) -> str:
    return download_name(result.model_id)


def card_command(result: Result, filename: str) -> str:
    """The command that writes this result into the model's card on the Hub."""
    return f"infomem card {shlex.quote(result.model_id)} {shlex.quote(filename)}"


def result_table(result: Result) -> Any:
    import pandas as pd

    rows = [
        {"layer": layer.name, "neurons": layer.n_neurons,
         "mean entropy": round(layer.mean_entropy, 4),
         "median entropy": round(layer.median_entropy, 4),
         "q1": round(layer.q1, 4), "q3": round(layer.q3, 4),
         "median 95% notch": f"{layer.notch_low:.3f} – {layer.notch_high:.3f}",
         "mean MI": None if layer.mean_mi is None else round(layer.mean_mi, 4)}
        for layer in result.per_layer
    ]
    return pd.DataFrame(rows)


def _headline(result: Result) -> str:
    s = result.settings
    layers = len(result.per_layer)
    timing = " · ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
    mi_text = (f"**mean MI {fmt(result.mean_mi)} nats** ({s.mi_estimator}, "
               f"{s.mi_neurons_per_layer or 'all'} neurons/layer)")
    if result.mean_mi is None:
        mi_text = "MI not computed (estimator `none`)"
    lines = [
        f"### {model_label(result.model)}",  # with the commit, when from the Hub
        f"**mean entropy {fmt(result.mean_entropy)} nats** · median "
        f"{fmt(result.median_entropy)} · {mi_text}",
        f"S = {result.n_samples} examples · {result.n_neurons} neurons in {layers} layers · "
        f"{s.bins} bins ({s.binning}) · k = {s.k} · {timing}",
        "Lower entropy with higher MI suggests shortcut (heuristic) memorization; higher "
        "entropy with lower MI, example-level memorization. The numbers are relative: "
        "compare only models of one architecture scored on the same inputs and settings.",
    ]
    lines += [f"> **Warning.** {w}" for w in result.warnings]
    return "\n\n".join(lines)


def score_view(result: Result, folder: Path) -> ScoreView:
    """Figures, table, headline and a result file written under `folder`."""
    from infomem.presentation.plots import plot_result

    folder.mkdir(parents=True, exist_ok=True)
    name = result_filename(result)
    path = folder / name
    result.without_heavy(keep=("neuron_entropy",)).to_json(path)
    summary = result.summary()
    scores = {k: summary[k] for k in ("mean_entropy", "median_entropy", "mean_mi",
                                      "n_samples", "n_neurons")}
    scores["model"] = result.model_id
    return ScoreView(headline=_headline(result), figure=detached(plot_result, result),
                     table=result_table(result), scores=scores, result_path=str(path),
                     card_command=card_command(result, name))


def detached(plot: Callable[..., Any], *args: Any) -> Any:
    """Draw under a lock (pyplot is not thread-safe) and detach the figure from pyplot.

    A closed figure still renders (gradio saves it to PNG later) but is not kept in
    pyplot's global list, so a long-running Space does not accumulate figures.
    """
    with _PLOT_LOCK:
        fig = plot(*args)  # infomem.presentation.plots selects the Agg backend before pyplot loads
        import matplotlib.pyplot as plt

        plt.close(fig)
    return fig
