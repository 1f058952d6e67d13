"""The Space's form: its fields, declared once, their controls, and the event signatures.

The fields are those of the handlers' request types, in this order: :class:`InputSpec`
(where the inputs come from), then :class:`EstimatorChoice` (the catalogue's options with
``space=True``). The controls are built per tab under the fields' names, and
:func:`spread` gives an event function one API parameter per field, so gradio names the
endpoint's parameters from that one list.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from infomem.options import default

from . import handlers
from .config import SpaceConfig

__all__ = ["FORM_FIELDS", "INPUT_NAMES", "Fields", "FormRequest", "Form", "form_controls",
           "read_form", "spread", "takes_form", "revision_box", "ESTIMATORS", "BINNINGS"]

Fields = Sequence[dataclasses.Field[Any]]
# The form's fields in the API's order: the inputs, then the estimator settings.
FORM_FIELDS: Fields = (*dataclasses.fields(handlers.InputSpec),
               *dataclasses.fields(handlers.EstimatorChoice))
INPUT_NAMES = {f.name for f in dataclasses.fields(handlers.InputSpec)}
_POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD

ESTIMATORS = {
    "ksg": "KSG, k nearest neighbours (the paper's estimator)",
    "binned": "Binned (fast; biased upward for small samples)",
    "none": "None (entropy only)",
}
BINNINGS = {
    "global": "One range for all neurons (the paper's)",
    "layer": "One range per layer",
    "neuron": "One range per neuron (robust to outlier dimensions)",
}
_FILE_TYPES = [".txt", ".csv", ".tsv", ".json", ".jsonl", ".parquet"]


def source_visibility(source: str) -> list[Any]:
    return [gr.update(visible=source == "text"), gr.update(visible=source == "file"),
            gr.update(visible=source == "dataset"),
            gr.update(visible=source in ("dataset", "file"))]


def revision_box(tab: str) -> gr.Textbox:
    """The Hub revision beside a model id box (the Score and Extraction tabs)."""
    return gr.Textbox("", label="Revision", placeholder="main", elem_id=f"{tab}-revision",
                      info="A branch, tag or commit; empty: the default branch.")


def input_controls(tab: str) -> dict[str, Any]:
    source = gr.Radio([(label, key) for key, label in handlers.SOURCES.items()],
                      value="sample", label="Unlabeled inputs", elem_id=f"{tab}-source")
    texts = gr.Textbox("", label="Texts, one per line", lines=6, visible=False,
                       elem_id=f"{tab}-texts",
                       placeholder="the film was wonderful\na dull, overlong plot\n...")
    file = gr.File(label="Text file (.txt one per line) or table (.csv .json .jsonl .parquet)",
                   file_types=_FILE_TYPES, type="filepath", visible=False, elem_id=f"{tab}-file")
    with gr.Row(visible=False) as dataset_row:
        dataset = gr.Textbox("", label="Dataset id", placeholder="imdb", scale=2)
        config = gr.Textbox("", label="Config", placeholder="(default)")
        split = gr.Textbox("", label="Split", placeholder="validation / test")
    column = gr.Textbox("", label="Column", placeholder="text (guessed when empty)",
                        visible=False, elem_id=f"{tab}-column")
    source.change(source_visibility, source, [texts, file, dataset_row, column],
                  api_visibility="private", queue=False)
    return {"source": source, "texts": texts, "file": file, "dataset": dataset, "config": config,
            "split": split, "column": column}


def estimator_controls(config: SpaceConfig, tab: str) -> dict[str, Any]:
    # A Number, not a Slider: a slider's own bound check would answer API calls over the
    # cap with a bare "greater than maximum"; ours names the cap and what to do instead.
    max_samples = gr.Number(config.default_samples, precision=0, elem_id=f"{tab}-max-samples",
                            label=f"Max samples (at most {config.max_samples} on this Space; "
                                  "the paper used 2,500)")
    with gr.Accordion("Estimator settings", open=False):
        with gr.Row():
            binning = gr.Dropdown([(label, key) for key, label in BINNINGS.items()],
                                  value=default("binning"), label="Entropy bin range")
            mi_estimator = gr.Dropdown([(label, key) for key, label in ESTIMATORS.items()],
                                       value=default("mi_estimator"),
                                       label="Mutual information estimator")
        with gr.Row():
            bins = gr.Number(default("bins"), label="Entropy bins", precision=0)
            k = gr.Number(default("k"), label="KSG neighbours k", precision=0)
            seed = gr.Number(default("seed"), label="Seed (subsampling)", precision=0)
        mi_neurons = gr.Slider(1, 128, value=default("mi_neurons_per_layer"), step=1,
                               label="Neurons per layer entering MI")
    return {"max_samples": max_samples, "binning": binning, "mi_estimator": mi_estimator,
            "bins": bins, "k": k, "mi_neurons_per_layer": mi_neurons, "seed": seed}


@dataclass(frozen=True)
class FormRequest:
    """The form's values as the handlers take them."""

    inputs: handlers.InputSpec
    choice: handlers.EstimatorChoice


@dataclass(frozen=True)
class Form:
    """One tab's form controls by field name."""

    controls: Mapping[str, Any]

    def components(self, fields: Fields = FORM_FIELDS) -> list[Any]:
        """The controls of ``fields``, in their order: an event's inputs."""
        return [self.controls[f.name] for f in fields]


def form_controls(config: SpaceConfig, tab: str) -> Form:
    """The input source controls, then the estimator settings, laid out in the tab."""
    return Form({**input_controls(tab), **estimator_controls(config, tab)})


def read_form(values: Mapping[str, Any]) -> FormRequest:
    """Form values as typed requests: cleared input boxes (None) take their defaults, absent
    fields too; estimator values go as sent, for :meth:`EstimatorChoice.settings` to check."""
    inputs: dict[str, Any] = {f.name: values[f.name] or f.default
                              for f in dataclasses.fields(handlers.InputSpec) if f.name in values}
    choice = {name: value for name, value in values.items() if name not in INPUT_NAMES}
    return FormRequest(handlers.InputSpec(**inputs), handlers.EstimatorChoice(**choice))


def spread(**requests: tuple[Fields, Callable[[dict[str, Any]], Any]]
           ) -> Callable[[Callable[..., Any]], Any]:
    """Decorator: where ``fn`` takes a request parameter, gradio sees one parameter per field.

    ``requests`` maps each such parameter to its fields and the function that builds it from
    their values. gradio names an endpoint's parameters from the event function's signature
    and calls it with the values in order (a ``gr.Progress`` default inserted at its place),
    so the wrapper shows the fields where the request stood and hands ``fn`` the requests.
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        shown = []
        for p in inspect.signature(fn).parameters.values():
            listed = requests[p.name][0] if p.name in requests else ()
            shown += [inspect.Parameter(f.name, _POSITIONAL, default=f.default, annotation=f.type)
                      for f in listed] or [p.replace(kind=_POSITIONAL)]
        signature = inspect.Signature(shown)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            values = dict(bound.arguments)
            built = {name: build({f.name: values.pop(f.name) for f in listed})
                     for name, (listed, build) in requests.items()}
            return fn(**values, **built)

        wrapper.__signature__ = signature  # type: ignore[attr-defined]  # what gradio reads
        return wrapper

    return decorate


takes_form = spread(form=(FORM_FIELDS, read_form))  # the Score and Compare events' form
