"""Verbatim extraction and a membership signal for causal language models.

Each text long enough is split into a prefix of P tokens and the next L tokens; the
model greedy-decodes L tokens from the prefix, and the text is *extracted* when all L
come out verbatim (k-extractable, Carlini et al. 2022). Min-K% Prob (Shi et al. 2024)
scores how likely the model finds the whole text. With a reference split the model
cannot have seen, a one-sided Mann-Whitney U test asks whether the candidates look more
memorized than the reference (METHOD.md, "Extraction memorization").

Layers: statistics in :mod:`infomem.estimators.membership` (pure), decoding in
:mod:`infomem.activations.decoding` (torch), the result as data in :mod:`infomem.scoring.extraction_result`,
batches across processes in :mod:`infomem.scoring.extraction_parallel`, the activations of
extracted vs non-extracted texts in :mod:`infomem.scoring.extraction_activations`; this
module loads and checks the model and inputs and puts them together.

References
----------
Carlini, N. et al. (2022). Quantifying Memorization Across Neural Language Models. ICLR 2023.
Shi, W. et al. (2024). Detecting Pretraining Data from Large Language Models. ICLR 2024.
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from infomem.activations.data import Inputs, fingerprint
from infomem.activations.decoding import greedy_decode, token_logprobs
from infomem.activations.models import check_loading_applies, model_facts
from infomem.errors import InvalidInputError
from infomem.estimators.membership import (
    CONFIDENCE,
    MannWhitney,
    is_extracted,
    mann_whitney,
    matched_fraction,
    min_k_prob,
    wilson_interval,
)
from infomem.options import check_options, default, split_options
from infomem.scoring import distributed
from infomem.scoring.extraction_activations import (
    check_comparison_settings,
    check_feeds,
    compare_extracted,
    comparison_settings,
)
from infomem.scoring.extraction_parallel import sharded_decode, sharded_logprobs
from infomem.scoring.extraction_result import ExtractionRecord, ExtractionResult, summarize
from infomem.scoring.settings import Settings

__all__ = [
    "extraction",
    "ExtractionResult",
    "ExtractionRecord",
    "matched_fraction",
    "is_extracted",
    "min_k_prob",
    "mann_whitney",
    "MannWhitney",
    "wilson_interval",
    "greedy_decode",
    "token_logprobs",
]


def _check_causal(model: Any) -> None:
    from infomem.activations.models import model_kind, not_causal_error

    config = getattr(model, "config", None)
    if config is None:
        raise not_causal_error(type(model).__name__, "not a transformers model")
    kind = model_kind(config)
    if kind != "text-decoder":
        raise not_causal_error(type(model).__name__, f"a {kind}")
    get_head = getattr(model, "get_output_embeddings", None)
    if get_head is None or get_head() is None:
        raise not_causal_error(type(model).__name__, "a decoder without an LM head")


def _resolve(model: Any, tokenizer: Any, loading: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    """(causal LM, tokenizer, what it is) from an id/path (loaded with the `loading`
    options), a LoadedModel or a loaded model."""
    from infomem.activations.models import load_model

    if isinstance(model, (str, Path)):
        model = load_model(str(model), causal_lm=True, **loading)
    pinned: dict[str, Any] = {}
    if hasattr(model, "processor") and hasattr(model, "kind"):  # infomem.models.LoadedModel
        pinned = {key: model.info.get(key) for key in ("id", "revision", "sha", "gguf_file")}
        model, tokenizer = model.model, model.processor if tokenizer is None else tokenizer
    _check_causal(model)
    if tokenizer is None:
        raise InvalidInputError(
            f"A loaded {type(model).__name__} needs its tokenizer: pass `tokenizer=`."
        )
    name = pinned.get("id") or getattr(model.config, "_name_or_path", "") or type(model).__name__
    info = {"id": name, "revision": pinned.get("revision"), "sha": pinned.get("sha"),
            **model_facts(model)}
    if pinned.get("gguf_file"):
        info["gguf_file"] = pinned["gguf_file"]
    return model, tokenizer, info


def _leading_special_ids(tokenizer: Any) -> list[int]:
    """Special tokens the tokenizer puts before a text (BOS, [CLS]); trailing ones dropped."""
    probe = "the"
    plain = tokenizer(probe, add_special_tokens=False)["input_ids"]
    full = tokenizer(probe)["input_ids"]
    for start in range(len(full) - len(plain) + 1):
        if full[start:start + len(plain)] == plain:
            return list(full[:start])
    return []


def _pad_id(tokenizer: Any) -> int:
    for name in ("pad_token_id", "eos_token_id", "unk_token_id"):
        value = getattr(tokenizer, name, None)
        if isinstance(value, int):
            return value
    return 0


def _position_limit(model: Any) -> int | None:
    value = getattr(model.config, "max_position_embeddings", None)
    return value if isinstance(value, int) and value > 0 else None


def _texts_and_source(texts: Any, name: str) -> tuple[list[str], dict[str, Any]]:
    """The texts, and what they were (an Inputs' info, else "texts in memory") with their
    fingerprint: the provenance cards and records name."""
    info = {"kind": "texts"}
    if isinstance(texts, Inputs):
        texts, info = texts.items, dict(texts.info)
    if isinstance(texts, str) or not isinstance(texts, Sequence) or len(texts) == 0:
        raise InvalidInputError(
            f"`{name}` must be a non-empty list of strings; received {type(texts).__name__}."
        )
    bad = next((t for t in texts if not isinstance(t, str)), None)
    if bad is not None:
        raise InvalidInputError(f"`{name}` must hold strings; received a {type(bad).__name__}.")
    return list(texts), {**info, "n_used": len(texts), "fingerprint": fingerprint(texts)}


def _warn_overlap(texts: Sequence[str], reference: Sequence[str]) -> None:
    shared = set(texts) & set(reference)
    if set(texts) == set(reference):
        warnings.warn("`reference` is identical to the candidate texts: the test compares a split "
                      "with itself (AUC 0.5); pass texts the model cannot have seen.", stacklevel=3)
    elif shared:
        warnings.warn(f"{len(shared)} `reference` texts are also candidates; the reference should "
                      "hold texts the model cannot have seen.", stacklevel=3)


class _Run:
    """Everything one extraction run shares across its splits."""

    def __init__(self, model: Any, tokenizer: Any, *, prefix: int, suffix: int, min_k: float,
                 max_length: int, batch_size: int, progress: bool,
                 ctx: distributed.DistContext | None) -> None:
        self.model, self.tokenizer, self.ctx = model, tokenizer, ctx
        self.prefix, self.suffix, self.min_k, self.batch_size = prefix, suffix, min_k, batch_size
        self.lead = _leading_special_ids(tokenizer)
        self.pad_id = _pad_id(tokenizer)
        limit = _position_limit(model)
        self.needed = prefix + suffix
        if limit is not None and self.needed + len(self.lead) > limit:
            raise InvalidInputError(
                f"`prefix_tokens` + `suffix_tokens` = {self.needed} exceeds the model's "
                f"{limit - len(self.lead)} positions; pass smaller values."
            )
        room = max_length if limit is None else min(max_length, limit - len(self.lead))
        self.max_length = max(self.needed, room)  # Min-K% sees at least the tested window
        self.progress = progress
        self.timings = {"decode_seconds": 0.0, "score_seconds": 0.0}

    def tokenize(self, texts: Sequence[str], name: str) -> list[tuple[int, list[int]]]:
        """(index, token ids) of the texts with at least prefix + suffix tokens."""
        # verbose=False: a document longer than the tokenizer's max length is fine here.
        ids = self.tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]
        used = [(i, list(x)) for i, x in enumerate(ids) if len(x) >= self.needed]
        if not used:
            longest = max(len(x) for x in ids)
            raise InvalidInputError(
                f"No text in `{name}` is long enough: extraction needs at least {self.needed} tokens "
                f"(prefix_tokens={self.prefix} + suffix_tokens={self.suffix}); the longest of "
                f"{len(ids)} has {longest}. Pass longer texts or smaller token counts."
            )
        return used

    def measure(self, used: Sequence[tuple[int, list[int]]], name: str) -> tuple[ExtractionRecord, ...]:
        from tqdm.auto import tqdm

        prompts = [self.lead + ids[: self.prefix] for _, ids in used]
        targets = np.array([ids[self.prefix:self.needed] for _, ids in used], dtype=np.int64)
        decode, score = greedy_decode, token_logprobs
        if self.ctx is not None:  # the same batches, dealt to the ranks (extraction_parallel)
            decode = functools.partial(sharded_decode, ctx=self.ctx)
            score = functools.partial(sharded_logprobs, ctx=self.ctx)
        with tqdm(total=2 * len(used), desc=f"extraction ({name})", unit="ex",
                  disable=not self.progress, leave=False) as bar:
            t0 = time.perf_counter()
            generated = decode(self.model, prompts, max_new_tokens=self.suffix,
                               pad_token_id=self.pad_id, batch_size=self.batch_size,
                               on_batch=bar.update)
            t1 = time.perf_counter()
            logprobs = score(self.model, [self.lead + ids[: self.max_length] for _, ids in used],
                             pad_token_id=self.pad_id, batch_size=self.batch_size,
                             on_batch=bar.update)
        self.timings["decode_seconds"] += t1 - t0
        self.timings["score_seconds"] += time.perf_counter() - t1
        extracted = is_extracted(generated, targets)
        matched = matched_fraction(generated, targets)
        return tuple(
            ExtractionRecord(index=i, extracted=bool(e), matched_fraction=float(m),
                             min_k_prob=min_k_prob(lp, self.min_k))
            for (i, _), e, m, lp in zip(used, extracted, matched, logprobs, strict=True)
        )

    def compare(self, texts: Sequence[str], records: Sequence[ExtractionRecord],
                settings: Settings) -> dict[str, Any]:
        """The activation comparison of the tested candidates (extraction_activations)."""
        t0 = time.perf_counter()
        out = compare_extracted(self.model, self.tokenizer, texts, [r.index for r in records],
                                [r.extracted for r in records], settings, ctx=self.ctx,
                                progress=self.progress)
        self.timings["activations_seconds"] = time.perf_counter() - t0
        return out


def extraction(
    model: Any,
    texts: Sequence[str] | Inputs,
    *,
    tokenizer: Any = None,
    prefix_tokens: int = default("prefix_tokens"),
    suffix_tokens: int = default("suffix_tokens"),
    reference: Sequence[str] | Inputs | None = None,
    min_k: float = default("min_k"),
    max_length: int = 512,
    batch_size: int = 8,
    progress: bool = True,
    activations: bool = default("activations"),
    activation_settings: Settings | None = None,
    **loading: Any,
) -> ExtractionResult:
    """Verbatim extraction rate and Min-K% membership signal of a causal LM on texts.

    Parameters
    ----------
    model : str, Path, transformers causal LM or infomem LoadedModel
        A Hub id or local path is loaded with AutoModelForCausalLM and AutoTokenizer.
    texts : list of str, or the Inputs of :func:`infomem.activations.data.load_inputs`
        Candidate texts ("was this in the training data?"). Texts shorter than
        ``prefix_tokens + suffix_tokens`` tokens are skipped and counted. The result's
        ``data`` records their source (an Inputs' info) and fingerprint.
    tokenizer : transformers tokenizer, optional
        Required with a loaded model.
    prefix_tokens, suffix_tokens : int, default 32
        P tokens of context, L tokens that must come out verbatim (Carlini et al. use
        50 / 50). Counted without special tokens; a BOS the tokenizer adds is prepended.
    reference : list of str, optional
        Texts the model cannot have seen (e.g. written after its release). Adds one-sided
        Mann-Whitney p-values and AUCs of Min-K% and matched fraction, candidates vs reference.
    min_k : float, default 0.2
        Share of lowest token log-probabilities averaged by Min-K% Prob.
    max_length : int, default 512
        Tokens of each text scored by Min-K% (capped by the model's positions).
    batch_size : int, default 8
    progress : bool, default True
    activations : bool, default False
        Then capture the model's activations on the tested candidates and compare the
        extracted with the non-extracted ones: entropy and MI at equal S with intervals,
        and a cross-validated linear probe's AUC (``result.activations``; see
        :func:`infomem.scoring.extraction_activations.compare_groups`). Skipped, with the
        reason, when a group has fewer than ``MIN_GROUP`` (10) texts.
    activation_settings : Settings, optional
        Estimator settings of that comparison (default: infomem's, with 50 interval
        replicates, this call's ``batch_size`` and ``max_length``).
    **loading
        The catalogue's model-loading options (``revision``, ``device_map``, ``torch_dtype``,
        ``max_memory``, ``offload_folder``, ``gguf_file``, ``trust_remote_code``, ``token``),
        as for :func:`infomem.score`; they apply when ``model`` is an id or path (a .gguf
        file's path loads it). The result's ``model`` records the revision, the Hub commit
        it resolved to and the GGUF file.

    Returns
    -------
    ExtractionResult

    Notes
    -----
    Min-K% scores every text token that has context: all of them after a BOS, all but the
    first without one. Longer texts tend to have lower Min-K% (more chances of a rare
    token), so compare splits of similar lengths. Under ``torchrun`` (``infomem extract
    --num-processes N``) the batches are split across the ranks and every rank returns
    the one-process result.
    """
    checked = check_options({"prefix_tokens": prefix_tokens, "suffix_tokens": suffix_tokens,
                             "min_k": min_k, "batch_size": batch_size, "max_length": max_length,
                             "activations": activations})
    prefix, suffix, k = checked["prefix_tokens"], checked["suffix_tokens"], checked["min_k"]
    compare = None
    if checked["activations"]:
        compare = (comparison_settings(batch_size=batch_size, max_length=max_length)
                   if activation_settings is None else check_comparison_settings(activation_settings))
    texts, data = _texts_and_source(texts, "texts")
    ref, ref_data = (None, {}) if reference is None else _texts_and_source(reference, "reference")
    if ref is not None:
        _warn_overlap(texts, ref)
    ctx = distributed.context()
    progress = progress and (ctx is None or ctx.is_main)
    load = check_options(split_options(loading, ("loading",))["loading"])
    check_loading_applies(model, load)
    by_id = isinstance(model, (str, Path))
    if by_id and ctx is not None and load.get("device_map") is None and ctx.device.type == "cuda":
        load["device_map"] = {"": ctx.device.index}
    lm, tok, info = _resolve(model, tokenizer, load)
    run = _Run(lm, tok, prefix=prefix, suffix=suffix, min_k=k, max_length=max_length,
               batch_size=batch_size, progress=progress, ctx=ctx)
    used = run.tokenize(texts, "texts")
    ref_used = None if ref is None else run.tokenize(ref, "reference")
    if compare is not None:
        check_feeds(len(used), compare, ctx)
    was_training = lm.training
    lm.eval()  # dropout would make greedy decoding random
    try:
        records = run.measure(used, "texts")
        ref_records = None if ref_used is None else run.measure(ref_used, "reference")
        compared = None if compare is None else run.compare(texts, records, compare)
    finally:
        lm.train(was_training)
    settings = {"prefix_tokens": prefix, "suffix_tokens": suffix, "min_k": k,
                "max_length": run.max_length, "confidence": CONFIDENCE,
                "leading_special_tokens": len(run.lead)}
    if ctx is not None:
        info["processes"] = ctx.world
    return summarize(records, len(texts), ref_records, None if ref is None else len(ref),
                     settings=settings, model=info, timings=run.timings, activations=compared,
                     data=data, reference_data=ref_data)

