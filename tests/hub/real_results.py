"""Results built by infomem's real scorers on tiny models, for the card and records tests.

A tiny BERT (factories.save_tiny_bert) gives a score Result and a UnitMem report; a tiny
GPT-2 trained to memorize six texts (the positive control of tests/test_extraction.py),
saved with its texts so `infomem extract` can run on it too, gives an extraction result
with a reference split, and the same GPT-2 untrained one without. Texts are random
sequences of the tiny vocabulary's words (one token each).

Also what the card and records tests share around them: the author's card the blocks are
written into, the block between two markers, and the records a results dataset holds.
"""

from __future__ import annotations

import json
from pathlib import Path

from infomem.hub.card_text import find_section, split_card
from infomem.hub.results_records import RESULTS_PATH

import factories

SEEN, UNSEEN, SHORT = 6, 6, 2  # memorized candidates, reference texts, too-short candidates
PREFIX, SUFFIX = 6, 8  # tokens
USER_CARD = ("---\r\nlicense: mit\r\n---\r\n# Tiny LM\r\n\r\nIntro by the author.\r\n\r\n"
             "{blocks}\r\n\r\nClosing words by the author.\r\n")
DS = "alice/infomem-results"


def score_and_unitmem(folder: Path):
    """(Result, UnitMemReport) of a tiny BERT saved in `folder`, on the same 40 texts."""
    import infomem
    from infomem.scoring.unitmem import unit_mem_score

    factories.save_tiny_bert(folder)
    texts = factories.random_texts(40, words=10, seed=0)
    result = infomem.score(str(folder), texts, max_samples=40, progress=False)
    report = unit_mem_score(str(folder), texts, progress=False)
    return result, report


def _gpt2(vocab: int, seed: int):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    config = GPT2Config(vocab_size=vocab, n_embd=32, n_layer=2, n_head=2, n_positions=64,
                        bos_token_id=None, eos_token_id=None)
    return GPT2LMHeadModel(config).eval()


def save_lms(folder: Path) -> Path:
    """`folder` with an untrained tiny GPT-2 (untrained/), the same trained to memorize the
    SEEN texts (lm/), and the texts: candidates.txt (seen + short) and reference.txt."""
    tokenizer = factories.tiny_tokenizer(folder)
    seen = factories.random_texts(SEEN, words=16, seed=4)
    unseen = factories.random_texts(UNSEEN, words=16, seed=5)
    candidates = seen + factories.random_texts(SHORT, words=4, seed=6)  # < prefix + suffix: skipped
    lm = _gpt2(len(tokenizer), seed=1)
    for name, steps in (("untrained", 0), ("lm", 40)):
        factories.memorize(lm, tokenizer, seen, steps=steps)
        lm.save_pretrained(folder / name)
        tokenizer.save_pretrained(folder / name)
    (folder / "candidates.txt").write_text("\n".join(candidates) + "\n", encoding="utf-8")
    (folder / "reference.txt").write_text("\n".join(unseen) + "\n", encoding="utf-8")
    return folder


def extractions(folder: Path):
    """(memorizing GPT-2 with a reference, untrained GPT-2 without) ExtractionResults, from
    the models and texts :func:`save_lms` wrote to `folder`."""
    from infomem.scoring.extraction import extraction

    lines = {name: (folder / f"{name}.txt").read_text(encoding="utf-8").splitlines()
             for name in ("candidates", "reference")}
    options = {"prefix_tokens": PREFIX, "suffix_tokens": SUFFIX, "progress": False}
    tested = extraction(str(folder / "lm"), lines["candidates"], reference=lines["reference"],
                        **options)
    return tested, extraction(str(folder / "untrained"), lines["reference"], **options)


def _block(card: str, start: str, end: str) -> str:
    span = find_section(split_card(card).body, start_marker=start, end_marker=end)
    assert span is not None
    return split_card(card).body[span[0]:span[1]]


def _records(hub, ds=DS, revision="main"):
    text = hub.read(ds, RESULTS_PATH, repo_type="dataset", revision=revision).decode()
    return [json.loads(line) for line in text.splitlines()]
