"""The Extraction tab: verbatim extraction and Min-K% of a causal LM; named endpoint `/extraction`.

Defaults and limits of P, L and Min-K% come from the options catalogue's "extraction" group.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import gradio as gr

from infomem.options import option

from . import controls, extracting
from .config import SpaceConfig
from .events import Files, boundary, progress_of

__all__ = ["extraction_tab"]

_FIELDS = dataclasses.fields(extracting.ExtractionRequest)
_FILE_TYPES = [".txt", ".csv", ".tsv", ".json", ".jsonl", ".parquet"]


def _token_count(name: str, label: str) -> gr.Number:
    # A Number without bounds: the catalogue's check answers with the option's name and rule.
    entry = option(name)
    return gr.Number(entry.default, precision=0, label=f"{label} (at least {entry.minimum})",
                     elem_id=f"extract-{name.replace('_', '-')}")


def _form() -> dict[str, Any]:
    """The controls by request field name."""
    with gr.Row():
        model = gr.Textbox("", label="Causal LM (Hub id)", elem_id="extract-model", scale=3,
                           placeholder=extracting.EXAMPLE_MODEL,
                           info="A decoder with an LM head (GPT-2, Llama, SmolLM2...). The "
                                "embedded default model is an encoder: it cannot be used here.")
        revision = controls.revision_box("extract")
    texts = gr.Textbox("", lines=6, label="Candidate texts, one per line (was each in the "
                       "training data?)", elem_id="extract-texts")
    with gr.Row():
        file = gr.File(label="…or a file (.txt one per line, or a table)", type="filepath",
                       file_types=_FILE_TYPES, elem_id="extract-file", scale=2)
        column = gr.Textbox("", label="Column", placeholder="text (guessed when empty)")
    reference = gr.Textbox("", lines=3, elem_id="extract-reference",
                           label="Reference texts the model cannot have seen, one per line "
                                 "(optional: adds a membership test)")
    with gr.Row():
        prefix = _token_count("prefix_tokens", "Prefix tokens P")
        suffix = _token_count("suffix_tokens", "Suffix tokens L")
        min_k = gr.Number(option("min_k").default, label="Min-K% share (above 0, at most 1)",
                          elem_id="extract-min-k")
    activations = gr.Checkbox(option("activations").default, elem_id="extract-activations",
                              label="Compare the activations of extracted and other texts",
                              info="Entropy and MI of each group at equal size, with intervals, "
                                   "and a linear probe's AUC; needs 10 texts in each group.")
    return {"model_id": model, "revision": revision, "texts": texts, "file": file, "column": column,
            "reference": reference, "prefix_tokens": prefix, "suffix_tokens": suffix,
            "min_k": min_k, "activations": activations}


def extraction_tab(space: SpaceConfig, files: Files) -> None:
    models = extracting.causal_lms(space)
    with gr.Row():
        with gr.Column(scale=2):
            form = controls.Form(_form())
            run = gr.Button("Extract", variant="primary", elem_id="extract-button")
        with gr.Column(scale=3):
            headline = gr.Markdown(
                "Give a causal LM and candidate texts: each text's first P tokens prompt the "
                "model, and the text counts as *extracted* when greedy decoding reproduces the "
                "next L tokens verbatim.", label="Extraction", elem_id="extract-headline")
            table = gr.Dataframe(headers=extracting.TABLE_COLUMNS, label="Per text",
                                 interactive=False, wrap=True, elem_id="extract-table")
            result_file = gr.File(label="Extraction JSON", interactive=False)
            with gr.Accordion("Scores as JSON", open=False):
                scores = gr.JSON(label="Extraction scores")

    @boundary
    @controls.spread(request=(_FIELDS, extracting.ExtractionRequest.from_form))
    def extraction(*, request: extracting.ExtractionRequest,
                   progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008 - gradio's API
                   ) -> tuple[Any, ...]:
        """Verbatim extraction rate and Min-K% of a causal LM; a membership test with a reference."""
        view = extracting.run_extraction(request, space, models, files.new_folder(),
                                         progress=progress_of(progress))
        return view.headline, view.table, view.result_path, view.scores

    run.click(extraction, form.components(_FIELDS), [headline, table, result_file, scores],
              api_name="extraction", show_progress_on=table)
