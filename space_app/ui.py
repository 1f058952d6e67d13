"""Layout and wiring of the Space: four tabs, named API endpoints `/score` and `/compare`.

The event functions here are the boundary: they pass form values to the typed handlers
(:mod:`.handlers`, :mod:`.comparing`, :mod:`.leaderboard`) and turn library errors into
``gr.Error`` messages, so users read one line, never a traceback.
"""

from __future__ import annotations

import functools
import logging
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import gradio as gr

from infomem.activations.models import DEFAULT_MODEL_ID
from infomem.errors import InfomemError

from . import comparing, controls, handlers, leaderboard
from .config import SpaceConfig

__all__ = ["build_app"]

log = logging.getLogger("infomem.space")

# Registry dicts drive the dropdowns: value -> what the user reads.
_D = handlers.EstimatorChoice()  # the form's defaults: the catalogue's, as the handlers take them
# Headers of the tables before the first run: the columns of handlers.result_table and
# comparing.ranking_table (tests/space check that they agree).
_LAYER_COLUMNS = ["layer", "neurons", "mean entropy", "median entropy", "q1", "q3",
                  "median 95% notch", "mean MI"]
_RANKING_COLUMNS = ["#", "model", "mean entropy", "median entropy", "mean MI", "rank (entropy)",
                    "rank (MI)"]
_KEEP_FILES_S = 3600  # downloadable results are removed after an hour
_BOARD_TTL_S = 300  # the leaderboard is re-read at most every five minutes on page loads


def _boundary(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Library errors become one-line gr.Error messages; bugs are logged, never shown raw."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except InfomemError as e:
            raise gr.Error(str(e), print_exception=False) from None
        except Exception as e:  # noqa: BLE001 - the boundary: log it, show one line
            log.exception("unexpected error in %s", fn.__name__)
            first = (str(e).strip().splitlines() or [""])[0][:160]
            raise gr.Error(
                f"Something went wrong on the server ({type(e).__name__}: {first}). Try "
                "fewer examples or another model; if it persists, please report it.",
                print_exception=False,
            ) from None

    return wrapper


class _Files:
    """Per-request folders for downloadable results; old ones are removed as new ones come."""

    def __init__(self) -> None:
        self._root: Path | None = None
        self._lock = threading.Lock()

    def new_folder(self) -> Path:
        with self._lock:
            if self._root is None:
                self._root = Path(tempfile.mkdtemp(prefix="infomem-space-"))
            now = time.time()
            for old in self._root.iterdir():
                if now - old.stat().st_mtime > _KEEP_FILES_S:
                    shutil.rmtree(old, ignore_errors=True)
            folder = self._root / uuid.uuid4().hex
            folder.mkdir()
            return folder


def _request(source: str, texts: str, file: str | None, dataset: str, config: str, split: str,
             column: str, max_samples: float, binning: str, mi_estimator: str, bins: float,
             k: float, mi_neurons_per_layer: float,
             seed: float) -> tuple[handlers.InputSpec, handlers.EstimatorChoice]:
    """Form values (None for cleared boxes) as the handlers' typed requests."""
    spec = handlers.InputSpec(source=source, texts=texts or "", file=file or None,
                              dataset=dataset or "", config=config or "", split=split or "",
                              column=column or "")
    choice = handlers.EstimatorChoice(max_samples=max_samples, binning=binning,
                                      mi_estimator=mi_estimator, bins=bins, k=k,
                                      mi_neurons_per_layer=mi_neurons_per_layer, seed=seed)
    return spec, choice


def _progress_of(progress: Any) -> handlers.Progress:
    def report(fraction: float, desc: str) -> None:
        progress(fraction, desc=desc)

    return report


def _score_tab(scorer: handlers.Scorer, files: _Files) -> None:
    space = scorer.config
    with gr.Row():
        with gr.Column(scale=2):
            model = gr.Textbox(DEFAULT_MODEL_ID, label="Model (Hub id)", elem_id="score-model",
                               info="Empty or the default: the embedded all-MiniLM-L6-v2.")
            inputs = controls.input_controls("score")
            est = controls.estimator_controls(space, "score")
            run = gr.Button("Score", variant="primary", elem_id="score-button")
        with gr.Column(scale=3):
            # Labels name the outputs in the API (gradio_client), also where none is shown.
            headline = gr.Markdown("Score a model to see its entropy and MI here.",
                                   label="Headline", elem_id="score-headline")
            plot = gr.Plot(label="Entropy per layer (notched box plot) and pairwise MI",
                           show_label=False, elem_id="score-plot")
            table = gr.Dataframe(headers=_LAYER_COLUMNS, label="Per layer (nats)",
                                 interactive=False)
            result_file = gr.File(label="Result JSON", interactive=False)
            command = gr.Code(label="Put it on the model card (after downloading the JSON)",
                              language="shell", interactive=False, lines=1, max_lines=2)
            with gr.Accordion("Scores as JSON", open=False):
                scores = gr.JSON(label="Scores")

    @_boundary
    def score(model_id: str = DEFAULT_MODEL_ID, source: str = "sample", texts: str = "",
              file: str | None = None, dataset: str = "", config: str = "", split: str = "",
              column: str = "", max_samples: float = space.default_samples,
              binning: str = _D.binning, mi_estimator: str = _D.mi_estimator,
              bins: float = _D.bins, k: float = _D.k,
              mi_neurons_per_layer: float = _D.mi_neurons_per_layer, seed: float = _D.seed,
              progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008 - gradio's API
              ) -> tuple[Any, ...]:
        """Score one model: entropy and MI of its neurons on unlabeled inputs."""
        spec, choice = _request(source, texts, file, dataset, config, split, column,
                                max_samples, binning, mi_estimator, bins, k,
                                mi_neurons_per_layer, seed)
        result = scorer.score(model_id, spec, choice, progress=_progress_of(progress))
        progress(0.95, desc="drawing")
        view = handlers.score_view(result, files.new_folder())
        return (view.headline, view.figure, view.table, view.result_path, view.card_command,
                view.scores)

    run.click(score, [model, *inputs.all(), *est.all()],
              [headline, plot, table, result_file, command, scores], api_name="score",
              show_progress_on=plot)


def _compare_tab(scorer: handlers.Scorer) -> None:
    space = scorer.config
    with gr.Row():
        with gr.Column(scale=2):
            model_ids = gr.Textbox("", lines=3, placeholder=DEFAULT_MODEL_ID,
                                   elem_id="compare-model-ids",
                                   label=f"Model ids, one per line (at most {space.max_models})")
            uploads = gr.File(label="…and/or result JSONs (from Score or `infomem score --out`)",
                              file_count="multiple", file_types=[".json"], type="filepath")
            by = gr.Radio([(label, key) for key, label in comparing.BY.items()],
                          value="mean_entropy", label="Rank by")
            with gr.Accordion("Extrinsic values: agree the ranking with a metric", open=False):
                extrinsic = gr.Textbox("", lines=3, label="`model = value`, one per line",
                                       elem_id="compare-extrinsic",
                                       placeholder="org/model-a = 0.91\norg/model-b = 0.84")
                expect = gr.Radio([(label, key) for key, label in comparing.EXPECT.items()],
                                  value="shortcut", label="The models differ in")
                higher = gr.Checkbox(True, label="Higher extrinsic values are better")
            gr.Markdown("Models given by id are scored on these inputs and settings:")
            inputs = controls.input_controls("compare")
            est = controls.estimator_controls(space, "compare")
            run = gr.Button("Compare", variant="primary", elem_id="compare-button")
        with gr.Column(scale=3):
            summary = gr.Markdown("Compare two or more models to rank them here.",
                                  label="Summary", elem_id="compare-summary")
            table = gr.Dataframe(headers=_RANKING_COLUMNS, label="Ranking", interactive=False)
            plot = gr.Plot(label="Entropy per layer side by side, and MI per layer",
                           show_label=False, elem_id="compare-plot")

    @_boundary
    def compare(model_ids: str = "", result_files: list[str] | None = None,
                by: str = "mean_entropy", extrinsic: str = "", expect: str = "shortcut",
                higher_is_better: bool = True, source: str = "sample",
                texts: str = "", file: str | None = None, dataset: str = "", config: str = "",
                split: str = "", column: str = "", max_samples: float = space.default_samples,
                binning: str = _D.binning, mi_estimator: str = _D.mi_estimator,
                bins: float = _D.bins, k: float = _D.k,
                mi_neurons_per_layer: float = _D.mi_neurons_per_layer, seed: float = _D.seed,
                progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008 - gradio's API
              ) -> tuple[Any, ...]:
        """Rank several models (scored now or uploaded results) by mean entropy and mean MI."""
        spec, choice = _request(source, texts, file, dataset, config, split, column,
                                max_samples, binning, mi_estimator, bins, k,
                                mi_neurons_per_layer, seed)
        view = comparing.compare_models(scorer, model_ids, result_files, spec, choice, by=by,
                                        extrinsic_text=extrinsic, expect=expect,
                                        higher_is_better=bool(higher_is_better),
                                        progress=_progress_of(progress))
        return view.summary, view.table, view.figure

    run.click(compare, [model_ids, uploads, by, extrinsic, expect, higher, *inputs.all(),
                        *est.all()],
              [summary, table, plot], api_name="compare", show_progress_on=plot)


def _leaderboard_tab(source: str | None) -> tuple[Callable[[], Any], list[Any]]:
    """Build the tab; return its loader and outputs, which the app runs on page load."""
    shown = leaderboard.describe_source(source) or (
        "nowhere yet: set INFOMEM_RESULTS_DATASET (a Hub dataset written by `infomem "
        "push-results`) or INFOMEM_RESULTS_DIR (a folder of result JSONs)")
    gr.Markdown(f"Results from {shown}. Rank only rows of one *group* (same inputs, "
                "sample count and settings).")
    with gr.Row():
        arch = gr.Dropdown([], multiselect=True, label="Architecture")
        data = gr.Dropdown([], multiselect=True, label="Data")
        search = gr.Textbox("", label="Model contains")
    with gr.Row():
        sort_by = gr.Dropdown(leaderboard.SORTABLE, value="mean entropy", label="Sort by")
        descending = gr.Checkbox(False, label="Descending")
        refresh = gr.Button("Reload results")
    status = gr.Markdown(label="Status")
    table = gr.Dataframe(headers=leaderboard.COLUMNS, label="Leaderboard", show_label=False,
                         interactive=False, elem_id="leaderboard-table")
    rows = gr.State([])

    cached: dict[str, Any] = {}

    def read(force: bool) -> leaderboard.Leaderboard:
        """Page loads reuse a read for a few minutes; "Reload results" reads again."""
        if force or time.monotonic() - cached.get("at", -_BOARD_TTL_S) >= _BOARD_TTL_S:
            cached.update(board=leaderboard.load_leaderboard(source), at=time.monotonic())
        return cached["board"]

    @_boundary
    def load(force: bool = True) -> tuple[Any, ...]:
        try:
            board = read(force)
        except InfomemError as e:  # shown in the tab, not as a toast on every page load
            note = f"**Cannot read the results:** {e}"
            empty = leaderboard.filter_rows([])
            return [], gr.update(choices=[]), gr.update(choices=[]), note, empty
        note = f"{len(board.rows)} results."
        if board.skipped:
            names = ", ".join(f"`{name}`" for name in board.skipped[:5])
            more = "…" if len(board.skipped) > 5 else ""
            note += (f" Skipped {len(board.skipped)} file(s) that are not infomem results: "
                     f"{names}{more}")
        frame = leaderboard.filter_rows(board.rows)
        return (board.rows, gr.update(choices=board.choices("architecture"), value=[]),
                gr.update(choices=board.choices("data"), value=[]), note, frame)

    @_boundary
    def show(rows: list[dict[str, Any]], arch: list[str], data: list[str], search: str,
             sort_by: str, descending: bool) -> Any:
        return leaderboard.filter_rows(rows, architectures=arch or [], data=data or [],
                                       search=search or "", sort_by=sort_by,
                                       descending=bool(descending))

    outputs = [rows, arch, data, status, table]
    refresh.click(load, None, outputs, api_name="leaderboard", queue=False)
    for control in (arch, data, search, sort_by, descending):
        control.change(show, [rows, arch, data, search, sort_by, descending], table,
                       api_visibility="private", queue=False)
    return functools.partial(load, False), outputs


def _about_text() -> str:
    return resources.files("infomem.space").joinpath("about.md").read_text("utf-8")


def build_app(
    *,
    config: SpaceConfig | None = None,
    results_source: str | None = None,
    max_samples_cap: int | None = None,
    allow_local: bool | None = None,
) -> gr.Blocks:
    """The Space as a gr.Blocks: Score, Compare, Leaderboard and About tabs.

    Parameters
    ----------
    config : SpaceConfig, optional
        Limits and sources; default: read from the INFOMEM_* environment variables.
    results_source : str, optional
        Leaderboard source: a local folder of result JSONs or a Hub dataset id
        (overrides INFOMEM_RESULTS_DIR / INFOMEM_RESULTS_DATASET).
    max_samples_cap : int, optional
        Most examples per request (overrides INFOMEM_SPACE_MAX_SAMPLES).
    allow_local : bool, optional
        Accept local paths as model and dataset ids (off by default; on for `infomem app`).
    """
    config = config or SpaceConfig.from_env(max_samples=max_samples_cap, allow_local=allow_local)
    source = results_source or config.results_source
    scorer = handlers.Scorer(config)
    files = _Files()
    with gr.Blocks(title="infomem: memorization from activation diversity",
                   delete_cache=(1800, 3600)) as demo:
        gr.Markdown(
            "# infomem\nLabel-free memorization diagnostics: per-neuron **entropy** and "
            "pairwise **mutual information** of a model's activations on unlabeled inputs "
            "(Bansal, Pruthi & Belinkov, NeurIPS 2022). Low entropy with high MI suggests "
            "shortcut memorization; high entropy with low MI, example-level memorization."
        )
        with gr.Tabs():
            with gr.Tab("Score", id="score"):
                _score_tab(scorer, files)
            with gr.Tab("Compare", id="compare"):
                _compare_tab(scorer)
            with gr.Tab("Leaderboard", id="leaderboard"):
                load, outputs = _leaderboard_tab(source)
            with gr.Tab("About", id="about"):
                gr.Markdown(_about_text())
        demo.load(load, None, outputs, api_visibility="private", queue=False)
    demo.queue(default_concurrency_limit=config.concurrency, max_size=config.max_queue)
    demo.infomem_config = config  # type: ignore[attr-defined]  # for tests and the CLI
    return demo
