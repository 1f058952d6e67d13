"""The Space's form controls: input sources and estimator settings, built per tab.

Defaults come from the options catalogue (through the handlers' EstimatorChoice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from infomem.options import default

from . import handlers
from .config import SpaceConfig

__all__ = ["InputControls", "EstimatorControls", "input_controls", "estimator_controls",
           "ESTIMATORS", "BINNINGS"]

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


@dataclass
class InputControls:
    source: gr.Radio
    texts: gr.Textbox
    file: gr.File
    dataset: gr.Textbox
    config: gr.Textbox
    split: gr.Textbox
    column: gr.Textbox

    def all(self) -> list[Any]:
        return [self.source, self.texts, self.file, self.dataset, self.config, self.split,
                self.column]


def source_visibility(source: str) -> list[Any]:
    return [gr.update(visible=source == "text"), gr.update(visible=source == "file"),
            gr.update(visible=source == "dataset"),
            gr.update(visible=source in ("dataset", "file"))]


def input_controls(tab: str) -> InputControls:
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
    return InputControls(source, texts, file, dataset, config, split, column)


@dataclass
class EstimatorControls:
    max_samples: gr.Number
    binning: gr.Dropdown
    mi_estimator: gr.Dropdown
    bins: gr.Number
    k: gr.Number
    mi_neurons_per_layer: gr.Slider
    seed: gr.Number

    def all(self) -> list[Any]:
        return [self.max_samples, self.binning, self.mi_estimator, self.bins, self.k,
                self.mi_neurons_per_layer, self.seed]


def estimator_controls(config: SpaceConfig, tab: str) -> EstimatorControls:
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
    return EstimatorControls(max_samples, binning, mi_estimator, bins, k, mi_neurons, seed)
