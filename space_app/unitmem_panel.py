"""The Score tab's opt-in UnitMem: a checkbox, the views per example, and a results panel.

Ticked, a Score that succeeded is followed by UnitMem on the same model and form values,
through the named endpoint ``/unit_mem`` (which API clients call directly).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from infomem.activations.models import DEFAULT_MODEL_ID
from infomem.options import option

from . import controls, handlers, unitmem
from .events import Files, boundary, progress_of

__all__ = ["UnitMemControls", "add_controls", "add_outputs", "wire", "FIELDS"]

# UnitMem reads the inputs, the sample count and the seed of the form; the estimator settings
# (bins, k, MI) do not enter it.
FIELDS = tuple(f for f in controls.FORM_FIELDS
               if f.name in controls.INPUT_NAMES or f.name in ("max_samples", "seed"))
_VIEWS = option("augmentations")  # A: the catalogue's default and minimum


@dataclass(frozen=True)
class UnitMemControls:
    enabled: gr.Checkbox
    views: gr.Number


def add_controls() -> UnitMemControls:
    with gr.Row():
        enabled = gr.Checkbox(False, label="Also UnitMem (which units single out one example)",
                              elem_id="score-unit-mem")
        views = gr.Number(_VIEWS.default, precision=0,
                          label=f"UnitMem views per example A ({_VIEWS.minimum} = no "
                                f"augmentation; at most {unitmem.MAX_VIEWS})")
    return UnitMemControls(enabled, views)


def add_outputs(chosen: UnitMemControls) -> list[Any]:
    """The panel, shown while the checkbox is ticked; its outputs in the endpoint's order."""
    with gr.Column(visible=False) as panel:
        headline = gr.Markdown("Score with *Also UnitMem* ticked to see UnitMem here.",
                               label="UnitMem", elem_id="score-unit-mem-headline")
        layers = gr.Dataframe(headers=unitmem.LAYER_COLUMNS, label="UnitMem per layer",
                              interactive=False, elem_id="score-unit-mem-layers")
        top = gr.Dataframe(headers=unitmem.TOP_COLUMNS, label="Top units and their example",
                           interactive=False, wrap=True)
        report = gr.File(label="UnitMem JSON", interactive=False)
    chosen.enabled.change(lambda on: gr.update(visible=bool(on)), chosen.enabled, panel,
                          api_visibility="private", queue=False)
    return [headline, layers, top, report]


def _asked(enabled: bool) -> None:
    """Stops the chain after Score, silently, when UnitMem was not asked for."""
    if not enabled:
        raise gr.Error("UnitMem not asked for.", visible=False, print_exception=False)


def wire(scored: Any, scorer: handlers.Scorer, files: Files,
         model: tuple[gr.Textbox, gr.Textbox], form: controls.Form, chosen: UnitMemControls,
         outputs: list[Any]) -> None:
    """After a successful Score (the event `scored`), run UnitMem when the box is ticked.

    ``model``: the Score tab's model id and revision boxes."""

    @boundary
    @controls.spread(form=(FIELDS, controls.read_form))
    def unit_mem(model_id: str = DEFAULT_MODEL_ID, *, form: controls.FormRequest,
                 augmentations: float = _VIEWS.default, revision: str = "",
                 progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008 - gradio's API
                 ) -> tuple[Any, ...]:
        """UnitMem per layer and the top units with their example, on the Score tab's inputs."""
        view = unitmem.unit_mem_view(scorer, model_id, form.inputs, form.choice, augmentations,
                                     files.new_folder(), revision=revision,
                                     progress=progress_of(progress))
        return view.headline, view.layers, view.top, view.report_path

    asked = scored.success(_asked, chosen.enabled, None, api_visibility="private", queue=False,
                           show_progress="hidden")
    model_id, revision = model
    asked.success(unit_mem, [model_id, *form.components(FIELDS), chosen.views, revision], outputs,
                  api_name="unit_mem", show_progress_on=outputs[1])
