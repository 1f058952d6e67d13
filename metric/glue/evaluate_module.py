"""The evaluate metric: `evaluate.load("infomem")` -> InfoMem. Thin glue over
:func:`infomem.score`; keeps loaded models between `compute` calls."""

from __future__ import annotations

from importlib import resources
from typing import Any

import datasets
import evaluate

from infomem.activations.data import check_texts
from infomem.activations.models import ModelCache
from infomem.errors import InfomemError
from infomem.options import OPTIONS, check_options

__all__ = ["InfoMem", "metric_card_text"]

_CITATION = """\
@inproceedings{bansal2022measures,
  title     = {Measures of Information Reflect Memorization Patterns},
  author    = {Bansal, Rachit and Pruthi, Danish and Belinkov, Yonatan},
  booktitle = {Advances in Neural Information Processing Systems},
  year      = {2022},
  url       = {https://arxiv.org/abs/2210.09404}
}
"""

_DESCRIPTION = """\
Label-free memorization diagnostics (Bansal, Pruthi & Belinkov, NeurIPS 2022). The model
runs over unlabeled, in-distribution texts; one activation per neuron per example is
recorded (the [CLS]/first token of every block for encoders, the last real token for
decoders), and their diversity is scored: per-neuron entropy (equal-width bins, nats)
and pairwise mutual information between neurons (Kraskov-Stoegbauer-Grassberger, k=3).
Low entropy and high MI point to shortcut (heuristic) memorization; high entropy and
low MI to example-level memorization (e.g. memorized random labels). The scores are
relative: compare models of one architecture on the same inputs with the same settings.
"""

_KWARGS_DESCRIPTION = """
Scores the activation diversity of a model on unlabeled texts.
Args:
    predictions (list of str): the unlabeled input texts (no labels needed).
    model_id (str): Hub id or local path of a transformers model. Defaults to the one given
        to `evaluate.load(..., model_id=...)`, else the embedded all-MiniLM-L6-v2.
    revision (str): model revision. Defaults to the main branch.
    batch_size (int): texts per forward pass. Defaults to 16.
    max_samples (int): texts scored; more are subsampled with `seed`. Defaults to 2500.
    device_map (str or dict): accelerate device map, e.g. "auto" to shard a big model
        across GPUs. Defaults to None (one device).
    torch_dtype (str): e.g. "float32", "bfloat16", "auto". Defaults to the checkpoint's.
    bins (int): equal-width bins for entropy. Defaults to 100.
    k (int): KSG neighbours. Defaults to 3.
    mi_estimator (str): "ksg" (paper), "binned", or "none". Defaults to "ksg".
    mi_neurons_per_layer (int): neurons per layer entering MI. Defaults to 64.
    intervals (int): replicates for 95% intervals of the scores. Defaults to 0 (none).
    measures (list of str): any of "entropy", "mi", "unitmem"; must include "entropy".
        Defaults to ["entropy", "mi"]; without "mi" no MI is computed. "unitmem" adds
        UnitMem (Wang et al., NeurIPS 2024) of the same model on the same texts.
    augmentations (int): UnitMem's views per text (1 + A-1 with 10% of the words
        dropped), averaged. Defaults to 1 (no augmentation). Needs "unitmem".
    augment (callable): `augment(text, rng) -> text` making UnitMem's views 2..A.
    unitmem_layers (list of str): block indices or module names UnitMem hooks instead of
        each block's MLP activation module.
    Any other option of `infomem score` but the inputs (see `infomem.options`): binning,
    correction, pooling, layers, mi_subset, mi_diagonal, paper_digitize, seed, max_length,
    n_bootstrap, interval_fraction, interval_pairs, max_memory, offload_folder, gguf_file,
    trust_remote_code, token, mi_device.
Returns:
    mean_entropy (float): mean neuron entropy in nats, in [0, ln(bins)].
    median_entropy (float): median neuron entropy in nats.
    mean_mi (float): mean pairwise KSG MI in nats over pairs i < j (can be slightly < 0).
    n_samples (int), n_neurons (int).
    per_layer (list of dict): entropy quartiles, notch interval and within-layer MI.
    settings (dict): every setting, the model id/revision/sha, data and library versions.
    warnings (list of str): plain-words reasons a score may carry no signal.
    diagnostics (dict): per-layer validity checks (collapsed fraction, ties, range).
    intervals (dict): with `intervals=R`, 95% intervals of the headline scores.
    unitmem (dict): with "unitmem" in `measures`: per_layer UnitMem summaries (mean,
        median, q1, q3, share_above 0.5 / 0.9, n_at_one, and the top units with the
        index and text of the example that maximizes each), n_samples and settings.
Config "extraction" (`evaluate.load("infomem", "extraction")`, causal LMs): verbatim
extraction instead; takes model_id, reference (texts the model cannot have seen),
prefix_tokens (32), suffix_tokens (32), min_k (0.2), activations (False), batch_size,
max_length and the model-loading options (revision, device_map, torch_dtype, ...);
returns extraction_rate with its Wilson interval, the matched fraction, Min-K% Prob, and
with a reference the Mann-Whitney p-values and AUCs.
Examples:
    >>> import evaluate
    >>> infomem = evaluate.load("infomem")  # doctest: +SKIP
    >>> texts = ["A quiet film about a lighthouse keeper.", "Rain is expected by noon."] * 150
    >>> out = infomem.compute(predictions=texts, max_samples=300)  # doctest: +SKIP
    >>> sorted(k for k in out if k.startswith("mean"))  # doctest: +SKIP
    ['mean_entropy', 'mean_mi']
    >>> out = infomem.compute(predictions=texts, measures=["entropy", "unitmem"])  # doctest: +SKIP
    >>> out["mean_mi"], sorted(out["unitmem"])  # doctest: +SKIP
    (None, ['data', 'model', 'n_samples', 'per_layer', 'settings', 'versions'])
"""

def metric_card_text() -> str:
    """The metric card (evaluate's README format) shipped with the package."""
    return resources.files("infomem").joinpath("resources/metric_card.md").read_text("utf-8")


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class InfoMem(evaluate.Metric):
    """Activation entropy and mutual information of a model on unlabeled texts."""

    def __init__(self, *args: Any, model_id: str | None = None, **kwargs: Any) -> None:
        load_time = {o.name for o in OPTIONS.values() if o.metric_load}
        defaults = {k: kwargs.pop(k) for k in list(kwargs) if k in load_time}
        super().__init__(*args, **kwargs)
        self._defaults = {"model_id": model_id, **check_options(defaults)}
        self._models = ModelCache(max_models=2)

    def _info(self) -> evaluate.MetricInfo:
        # config "extraction" (evaluate.load("infomem", "extraction")): verbatim extraction.
        return evaluate.MetricInfo(
            module_type="metric",
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string")}),
            reference_urls=["https://arxiv.org/abs/2210.09404"],
        )

    def compute(self, *, predictions: Any = None, references: Any = None, **kwargs: Any) -> Any:
        """Score the model on `predictions` (unlabeled texts); see the arguments below."""
        # Check inputs here: evaluate's own feature check gives a long, unclear message.
        if predictions is not None:
            check_texts(predictions, name="predictions")
        if references is not None:
            raise InfomemError("infomem is label-free: pass `predictions` (texts) only, no `references`.")
        return super().compute(predictions=predictions, **kwargs)

    def _compute(self, predictions: list[str], **kwargs: Any) -> dict[str, Any]:
        from infomem.scoring.scores import score

        not_here = sorted(k for k in kwargs if k in OPTIONS and not OPTIONS[k].metric)
        if not_here:
            raise InfomemError(
                f"The metric does not take {', '.join(not_here)}: "
                f"{OPTIONS[not_here[0]].not_everywhere}.")
        run = {**self._defaults, **kwargs}
        if self.config_name == "extraction":
            return self._extraction(list(predictions), run)
        result = score(run.pop("model_id"), list(predictions), progress=False,
                       model_cache=self._models, **run)
        return result.summary()

    def _extraction(self, texts: list[str], run: dict[str, Any]) -> dict[str, Any]:
        """`evaluate.load("infomem", "extraction")`: verbatim extraction of a causal LM."""
        from infomem.scoring.extraction import extraction

        model_id = run.pop("model_id")
        check_options({k: v for k, v in run.items() if k in OPTIONS})
        if model_id is None:
            raise InfomemError("The extraction config needs a causal LM: pass `model_id=` to "
                               "evaluate.load or compute (the embedded default is an encoder).")
        allowed = {o.name for o in OPTIONS.values() if o.group in ("extraction", "loading")}
        allowed |= {"reference", "batch_size", "max_length"}
        unknown = sorted(k for k, v in run.items() if k not in allowed and v not in (None, False))
        if unknown:
            raise InfomemError(f"The extraction config does not take {', '.join(unknown)}; it "
                               f"takes {', '.join(sorted(allowed))}.")
        kwargs = {k: v for k, v in run.items() if k in allowed and v is not None}
        return extraction(model_id, texts, progress=False, **kwargs).summary()
