"""Extraction: Min-K% against the model's logits, memorized texts extracted and unseen ones
not, counts, records and the JSON round trip, models by path, and bad inputs."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
import torch

from infomem.activations.data import fingerprint
from infomem.activations.decoding import token_logprobs
from infomem.errors import InvalidInputError, ResultFormatError
from infomem.scoring.extraction import (
    ExtractionResult,
    _leading_special_ids,
    extraction,
    is_extracted,
    matched_fraction,
)

import factories

WORDS = factories.WORDS


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory):
    return factories.tiny_tokenizer(tmp_path_factory.mktemp("tok"))


@pytest.fixture(scope="module")
def gpt2(tokenizer):
    return factories.gpt2_lm(len(tokenizer))


# --- Min-K% --------------------------------------------------------------------------


@pytest.mark.parametrize("k", [0.1, 0.2, 0.5, 1.0])
def test_extraction_min_k_matches_direct_computation(k, gpt2, tokenizer):
    texts = factories.random_texts(5, words=14, seed=2)
    result = extraction(gpt2, texts, tokenizer=tokenizer, prefix_tokens=4, suffix_tokens=4,
                        min_k=k, progress=False)
    cls = tokenizer.cls_token_id
    assert result.settings["leading_special_tokens"] == 1  # [CLS] acts as BOS
    for record in result.records:
        ids = [cls, *tokenizer(texts[record.index], add_special_tokens=False)["input_ids"]]
        with torch.no_grad():
            logits = gpt2(torch.tensor([ids])).logits[0]
        logp = torch.log_softmax(logits[:-1].double(), -1).gather(-1, torch.tensor(ids[1:])[:, None])
        lowest = torch.sort(logp[:, 0]).values[: max(1, math.floor(k * (len(ids) - 1) + 1e-9))]
        assert record.min_k_prob == pytest.approx(float(lowest.mean()), abs=1e-5)


def test_no_bos_tokenizer_leaves_first_token_unscored(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<unk>": 0, **{w: i + 1 for i, w in enumerate(WORDS)}}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=core, unk_token="<unk>")
    assert _leading_special_ids(tok) == []
    model = factories.gpt2_lm(len(vocab))
    texts = factories.random_texts(3, words=10, seed=3)
    result = extraction(model, texts, tokenizer=tok, prefix_tokens=3, suffix_tokens=3, min_k=1.0,
                        progress=False)
    ids = tok(texts[0])["input_ids"]
    direct = token_logprobs(model, [ids])[0]
    assert direct.shape == (9,)
    assert result.records[0].min_k_prob == pytest.approx(direct.mean(), abs=1e-6)


# --- extraction end to end -------------------------------------------------------------


def test_trained_texts_are_extracted_unseen_are_not(tokenizer):
    seen, unseen = factories.random_texts(6, words=16, seed=4), factories.random_texts(6, words=16, seed=5)
    model = factories.gpt2_lm(len(tokenizer), seed=1)
    factories.memorize(model, tokenizer, seen, steps=120)
    result = extraction(model, seen, tokenizer=tokenizer, prefix_tokens=6, suffix_tokens=8,
                        reference=unseen, progress=False)
    assert result.extraction_rate == 1.0 and result.mean_matched_fraction == 1.0
    assert result.reference_extraction_rate == 0.0
    assert result.min_k_auc == 1.0 and result.min_k_p_value < 0.01
    assert result.matched_fraction_auc == 1.0
    assert 0.5 < result.extraction_rate_low < 1.0 == result.extraction_rate_high


def test_counts_records_and_json_round_trip(gpt2, tokenizer):
    lengths = (3, 12, 8, 20, 7)  # tokens: every vocabulary word is one token
    texts = [" ".join(WORDS[:n]) for n in lengths]
    long_enough = [i for i, n in enumerate(lengths) if n >= 5 + 3]
    result = extraction(gpt2, texts, tokenizer=tokenizer, prefix_tokens=5, suffix_tokens=3,
                        reference=factories.random_texts(4, words=9, seed=6), progress=False)
    assert (result.n_texts, result.n_used, result.n_skipped) == (5, 3, 2)
    assert [r.index for r in result.records] == long_enough
    assert (result.n_reference_texts, result.n_reference_used) == (4, 4)
    cls = tokenizer.cls_token_id
    for record in result.records:
        ids = tokenizer(texts[record.index], add_special_tokens=False)["input_ids"]
        generated = factories.recompute_greedy(gpt2, [cls, *ids[:5]], 3)
        assert record.matched_fraction == matched_fraction(generated, ids[5:8])
        assert record.extracted == is_extracted(generated, ids[5:8])
    assert result.min_k_p_value is not None and 0 <= result.min_k_auc <= 1
    assert result.data == {"kind": "texts", "n_used": 5, "fingerprint": fingerprint(texts)}
    assert result.reference_data["n_used"] == 4
    assert result.versions["infomem"] and result.versions["torch"]
    again = ExtractionResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result
    written_before = {k: v for k, v in result.to_dict().items() if "data" not in k}
    assert ExtractionResult.from_dict(written_before).data == {}  # files without provenance read
    with pytest.raises(ResultFormatError):
        ExtractionResult.from_dict({"format": "infomem-result"})


def test_model_by_path_and_training_mode_restored(tmp_path, tokenizer):
    model = factories.gpt2_lm(len(tokenizer))
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    texts = factories.random_texts(3, words=10, seed=7)
    by_path = extraction(str(tmp_path), texts, prefix_tokens=4, suffix_tokens=4, progress=False)
    model.train()
    loaded = extraction(model, texts, tokenizer=tokenizer, prefix_tokens=4, suffix_tokens=4,
                        progress=False)
    assert model.training
    assert [r.to_dict() for r in by_path.records] == [r.to_dict() for r in loaded.records]


# --- bad inputs ------------------------------------------------------------------------


def _one_line(error: pytest.ExceptionInfo) -> str:
    text = str(error.value)
    assert "\n" not in text
    return text


def test_encoder_only_models_are_refused(tiny_bert: Path, tokenizer):
    from transformers import GPT2Config, GPT2Model

    with pytest.raises(InvalidInputError, match="causal language model") as err:
        extraction(str(tiny_bert), ["the film"], progress=False)
    assert "text-encoder" in _one_line(err)
    headless = GPT2Model(GPT2Config(vocab_size=len(tokenizer), n_embd=16, n_layer=1, n_head=2))
    with pytest.raises(InvalidInputError, match="without an LM head") as err:
        extraction(headless, ["the film"], tokenizer=tokenizer, progress=False)
    _one_line(err)


def test_loading_options_load_the_model_by_path_and_are_recorded(tmp_path, tokenizer):
    texts = factories.random_texts(6, words=12, seed=9)
    factories.memorized_gpt2(tokenizer, texts[:3]).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    plain = extraction(str(tmp_path), texts, prefix_tokens=5, suffix_tokens=5, progress=False)
    wide = extraction(str(tmp_path), texts, prefix_tokens=5, suffix_tokens=5, progress=False,
                      torch_dtype="float64", trust_remote_code=False)
    assert plain.model["dtype"] == "float32" and wide.model["dtype"] == "float64"
    assert plain.model["sha"] is None and plain.model["revision"] is None  # a local folder
    assert [r.extracted for r in wide.records] == [r.extracted for r in plain.records]
    assert [r.extracted for r in plain.records] == [True] * 3 + [False] * 3
    assert [r.min_k_prob for r in wide.records] == pytest.approx(
        [r.min_k_prob for r in plain.records], rel=1e-5)


def test_loading_options_are_checked_and_refused_where_they_cannot_apply(tmp_path, gpt2,
                                                                         tokenizer):
    gpt2.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    texts = ["the good film was fun and the plot was fine"]
    cases = [
        ((gpt2,), {"tokenizer": tokenizer, "revision": "v1"},
         "revision apply when `model` is a Hub id or a path"),
        ((str(tmp_path),), {"revision": "v1"}, "a folder has no revisions"),
        ((str(tmp_path),), {"torch_dtype": "int8"}, "Unknown torch_dtype 'int8'"),
        ((str(tmp_path),), {"max_memory": {"cpu": "1GiB"}}, "no `device_map` was given"),
        ((str(tmp_path),), {"revison": "v1"}, "did you mean revision"),
    ]
    for args, kwargs, message in cases:
        with pytest.raises(InvalidInputError, match=re.escape(message)) as err:
            extraction(*args, texts, prefix_tokens=3, suffix_tokens=3, progress=False, **kwargs)
        _one_line(err)
    # defaults are not "given": a loaded model takes them
    extraction(gpt2, texts, tokenizer=tokenizer, prefix_tokens=3, suffix_tokens=3,
               trust_remote_code=False, revision=None, progress=False)


@pytest.mark.parametrize("option", ["prefix_tokens", "suffix_tokens"])
def test_prefix_and_suffix_must_be_positive(option, gpt2, tokenizer):
    with pytest.raises(InvalidInputError, match=option) as err:
        extraction(gpt2, ["the film"], tokenizer=tokenizer, progress=False, **{option: 0})
    _one_line(err)


def test_no_text_long_enough_names_the_length(gpt2, tokenizer):
    with pytest.raises(InvalidInputError, match="at least 12 tokens") as err:
        extraction(gpt2, ["the good film", "a bad movie"], tokenizer=tokenizer, prefix_tokens=7,
                   suffix_tokens=5, progress=False)
    assert "longest of 2 has 3" in _one_line(err)


def test_other_bad_inputs(gpt2, tokenizer):
    with pytest.raises(InvalidInputError, match="list of strings"):
        extraction(gpt2, "the good film", tokenizer=tokenizer, progress=False)
    with pytest.raises(InvalidInputError, match="tokenizer="):
        extraction(gpt2, ["the good film"], progress=False)
    with pytest.raises(InvalidInputError, match="positions"):
        extraction(gpt2, ["the good film"], tokenizer=tokenizer, prefix_tokens=40, suffix_tokens=40,
                   progress=False)
    with pytest.raises(InvalidInputError, match="min_k"):
        extraction(gpt2, ["the good film"], tokenizer=tokenizer, min_k=0, progress=False)


def test_reference_identical_to_candidates_warns(gpt2, tokenizer):
    texts = factories.random_texts(4, words=10, seed=8)
    with pytest.warns(UserWarning, match="identical"):
        result = extraction(gpt2, texts, tokenizer=tokenizer, prefix_tokens=4, suffix_tokens=4,
                            reference=list(reversed(texts)), progress=False)
    assert result.min_k_auc == 0.5
