"""Layout and wiring of the Space: five tabs, named API endpoints `/score`, `/unit_mem`,
`/compare`, `/extraction` and `/leaderboard`.

The event functions here are the boundary: they pass form values to the typed handlers
(:mod:`.handlers`, :mod:`.comparing`, :mod:`.leaderboard`) through :func:`.events.boundary`,
which turns library errors into ``gr.Error`` messages, so users read one line, never a
traceback. The Extraction tab and the Score tab's UnitMem live in their own modules.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable
from importlib import resources
from typing import Any

import gradio as gr

from infomem.activations.models import DEFAULT_MODEL_ID
from infomem.errors import InfomemError

from . import comparing, controls, extraction_tab, handlers, leaderboard, unitmem_panel
from .config import SpaceConfig
from .events import Files, boundary, progress_of

__all__ = ["build_app"]

# Headers of the tables before the first run: the columns of handlers.result_table and
# comparing.ranking_table (tests/space check that they agree).
_LAYER_COLUMNS = ["layer", "neurons", "mean entropy", "median entropy", "q1", "q3",
                  "median 95% notch", "mean MI"]
_RANKING_COLUMNS = ["#", "model", "mean entropy", "median entropy", "mean MI", "rank (entropy)",
                    "rank (MI)"]
_RANKING_FIELDS = dataclasses.fields(comparing.Ranking)
_BOARD_TTL_S = 300  # the leaderboard is re-read at most every five minutes on page loads


def _score_tab(scorer: handlers.Scorer, files: Files) -> None:
    space = scorer.config
    with gr.Row():
        with gr.Column(scale=2):
            with gr.Row():
                model = gr.Textbox(DEFAULT_MODEL_ID, label="Model (Hub id)", scale=3,
                                   elem_id="score-model",
                                   info="Empty or the default: the embedded all-MiniLM-L6-v2.")
                revision = controls.revision_box("score")
            form = controls.form_controls(space, "score")
            unit_mem = unitmem_panel.add_controls()
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
            unit_outputs = unitmem_panel.add_outputs(unit_mem)

    @boundary
    @controls.takes_form
    def score(model_id: str = DEFAULT_MODEL_ID, *, form: controls.FormRequest,
              revision: str = "",  # last: positional API calls from before it keep working
              progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008 - gradio's API
              ) -> tuple[Any, ...]:
        """Score one model: entropy and MI of its neurons on unlabeled inputs."""
        result = scorer.score(model_id, form.inputs, form.choice, revision=revision,
                              progress=progress_of(progress))
        progress(0.95, desc="drawing")
        view = handlers.score_view(result, files.new_folder())
        return (view.headline, view.figure, view.table, view.result_path, view.card_command,
                view.scores)

    scored = run.click(score, [model, *form.components(), revision],
                       [headline, plot, table, result_file, command, scores], api_name="score",
                       show_progress_on=plot)
    unitmem_panel.wire(scored, scorer, files, (model, revision), form, unit_mem, unit_outputs)


def _compare_tab(scorer: handlers.Scorer) -> None:
    space = scorer.config
    with gr.Row():
        with gr.Column(scale=2):
            model_ids = gr.Textbox("", lines=3, placeholder=DEFAULT_MODEL_ID,
                                   elem_id="compare-model-ids",
                                   label=f"Model ids, one per line (at most {space.max_models})",
                                   info="`org/model@revision` scores a branch, tag or commit.")
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
            form = controls.form_controls(space, "compare")
            run = gr.Button("Compare", variant="primary", elem_id="compare-button")
        with gr.Column(scale=3):
            summary = gr.Markdown("Compare two or more models to rank them here.",
                                  label="Summary", elem_id="compare-summary")
            table = gr.Dataframe(headers=_RANKING_COLUMNS, label="Ranking", interactive=False)
            plot = gr.Plot(label="Entropy per layer side by side, and MI per layer",
                           show_label=False, elem_id="compare-plot")

    @boundary
    @controls.spread(ranking=(_RANKING_FIELDS, lambda v: comparing.Ranking(**v)),
                     form=(controls.FORM_FIELDS, controls.read_form))
    def compare(model_ids: str = "", result_files: list[str] | None = None, *,
                ranking: comparing.Ranking, form: controls.FormRequest,
                progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008 - gradio's API
                ) -> tuple[Any, ...]:
        """Rank several models (scored now or uploaded results) by mean entropy and mean MI."""
        view = comparing.compare_models(scorer, model_ids, result_files, form.inputs,
                                        form.choice, ranking=ranking,
                                        progress=progress_of(progress))
        return view.summary, view.table, view.figure

    run.click(compare, [model_ids, uploads, by, extrinsic, expect, higher, *form.components()],
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

    @boundary
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

    @boundary
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
    """The Space as a gr.Blocks: Score, Compare, Extraction, Leaderboard and About tabs.

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
    files = Files()
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
            with gr.Tab("Extraction", id="extraction"):
                extraction_tab.extraction_tab(config, files)
            with gr.Tab("Leaderboard", id="leaderboard"):
                load, outputs = _leaderboard_tab(source)
            with gr.Tab("About", id="about"):
                gr.Markdown(_about_text())
        demo.load(load, None, outputs, api_visibility="private", queue=False)
    demo.queue(default_concurrency_limit=config.concurrency, max_size=config.max_queue)
    demo.infomem_config = config  # type: ignore[attr-defined]  # for tests and the CLI
    return demo
