"""The verbatim-extraction block (infomem.hub.card_extraction): what it shows for results of the
real extraction on tiny GPT-2s, with and without a reference and with an activation comparison,
the verdict, and its place on a card written through the local-file route (appended in the
card's line endings, a hand-pasted copy removed)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from infomem.activations.hooks import Activations
from infomem.hub.card_extraction import render_extraction
from infomem.hub.card_text import EXTRACTION_END, EXTRACTION_START, SECTION_START
from infomem.hub.cards import annotate_card_file
from infomem.scoring.extraction_activations import compare_groups, comparison_settings
from tests.hub.real_results import SHORT, USER_CARD, _block

REPO = "alice/tiny-lm"


def test_extraction_block_from_a_real_run_with_a_reference(extracted):
    tested, _plain = extracted
    block = render_extraction(tested)
    assert block.startswith(EXTRACTION_START) and block.endswith(EXTRACTION_END)
    assert "## Verbatim extraction (infomem)" in block and "not its activations" in block
    assert "first 6 tokens" in block and "greedy-decoded 8 more" in block and "lowest 20%" in block
    assert (f"{tested.n_texts} texts, {tested.n_used} long enough to test, {SHORT} skipped as "
            "shorter than 14 tokens") in block
    assert (f"| Candidates ({tested.n_used}) | {tested.n_extracted} | "
            f"{tested.extraction_rate:.1%} ({tested.extraction_rate_low:.1%} - "
            f"{tested.extraction_rate_high:.1%}) |") in block
    assert f"| Min-K% Prob | {tested.min_k_auc:.3f} | {tested.min_k_p_value:.3g} |" in block
    assert f"| Reference ({tested.n_reference_used}) |" in block
    assert " at revision " not in block  # a local folder has no commit
    pinned = dataclasses.replace(tested, model={**tested.model, "sha": "0123456789abcdef"})
    assert f"`{tested.model['id']}` at revision `0123456789ab` (GPT2LMHeadModel, " in (
        render_extraction(pinned))
    gguf = dataclasses.replace(pinned, model={**pinned.model, "gguf_file": "m.Q4.gguf"})
    assert (f"`{tested.model['id']}` (GGUF weights `m.Q4.gguf`) at revision `0123456789ab` "
            "(GPT2LMHeadModel, ") in render_extraction(gguf)
    assert (f"wrote out {tested.n_extracted} of {tested.n_used} candidate texts word for word"
            in block and "Min-K% separates the candidates" in block)


def test_extraction_block_without_a_reference(extracted):
    _tested, plain = extracted
    block = render_extraction(plain)
    assert "**Membership test.** None: no reference texts were given" in block
    assert f"None of the {plain.n_used} candidate texts came out word for word" in block
    assert f"below {plain.extraction_rate_high:.1%}" in block and "Reference (" not in block


def test_the_verdict_weighs_the_reference(extracted):
    tested, _plain = extracted
    shared = dataclasses.replace(tested, reference_extraction_rate=0.5)
    assert "but also 50.0% of the reference texts" in render_extraction(shared)
    weak = dataclasses.replace(tested, min_k_p_value=0.4)
    assert "Min-K% does not separate the candidates" in render_extraction(weak)


@pytest.mark.filterwarnings("ignore:.*(examples|bins|KSG)")  # small S, said in the result
def test_extraction_block_shows_the_activation_comparison(extracted):
    tested, _plain = extracted
    rng = np.random.default_rng(3)
    collapsed = np.round(rng.normal(size=(40, 16)))  # few distinct values: lower entropy
    collapsed[:, 0] += 4.0  # and a direction a linear probe can read
    values = np.vstack([collapsed, rng.normal(size=(40, 16))]).astype(np.float32)
    acts = Activations(values, ("block0", "block1"), (8, 8))
    found = compare_groups(acts, np.arange(80) < 40, comparison_settings())
    block = render_extraction(dataclasses.replace(tested, activations=found))
    diff = found["difference"]
    assert "compares the activations of the texts it wrote out" in block
    assert f"| Extracted | 40 | {found['extracted']['mean_entropy']:.3f} [" in block
    assert (f"| Difference |  | {diff['mean_entropy']:+.3f} [{diff['mean_entropy_low']:+.3f}, "
            f"{diff['mean_entropy_high']:+.3f}] (significant) |") in block
    assert diff["mean_entropy"] < 0 and f"held-out AUC {found['probe']['auc']:.3f}" in block
    assert found["warnings"] and all(f"- {w}" in block for w in found["warnings"])
    skipped = compare_groups(acts, np.arange(80) < 5, comparison_settings())
    block = render_extraction(dataclasses.replace(tested, activations=skipped))
    assert f"Not compared: {skipped['skipped']}" in block and "| Not extracted |" not in block


def test_extraction_only_card_keeps_the_header_and_needs_no_result(tmp_path, files):
    readme = tmp_path / "README.md"
    readme.write_bytes(USER_CARD.format(blocks="").encode())
    card, diff = annotate_card_file(readme, extraction=files["extraction"], repo_id=REPO,
                                    force=True)
    assert card.startswith("---\r\nlicense: mit\r\n---\r\n# Tiny LM\r\n")  # no model-index
    assert SECTION_START not in card and card.count(EXTRACTION_START) == 1
    assert card.endswith("Closing words by the author.\r\n\r\n" + _block(card, EXTRACTION_START,
                                                                       EXTRACTION_END) + "\r\n")
    assert "\r\n" in _block(card, EXTRACTION_START, EXTRACTION_END)  # the card's line endings
    assert diff.startswith("--- a/README.md")


def test_a_hand_pasted_copy_of_the_block_is_removed(tmp_path, files, extracted):
    block = render_extraction(extracted[1]).replace("\n", "\r\n")
    readme = tmp_path / "README.md"
    readme.write_bytes(USER_CARD.format(blocks=block + "\r\n\r\n" + block).encode())
    card, _ = annotate_card_file(readme, extraction=files["extraction"], force=True)
    assert card.count(EXTRACTION_START) == card.count(EXTRACTION_END) == 1
    assert "Intro by the author.\r\n\r\n" + EXTRACTION_START in card
