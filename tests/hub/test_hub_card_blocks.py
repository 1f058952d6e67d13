"""The UnitMem subsection and the extraction block, from results of the real scorers on tiny
models, through the local-file route: what they show, idempotence, byte-for-byte
preservation of everything outside their markers, and one-line refusals."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from infomem.activations.hooks import Activations
from infomem.errors import InvalidInputError, ResultFormatError
from infomem.hub.card_extraction import render_extraction
from infomem.hub.card_text import (
    EXTRACTION_END,
    EXTRACTION_START,
    SECTION_END,
    SECTION_START,
    find_section,
    split_card,
)
from infomem.hub.card_unitmem import UNITMEM_CAVEAT
from infomem.hub.cards import annotate_card_file
from infomem.scoring.extraction_activations import compare_groups, comparison_settings
from infomem.scoring.files import dump_json
from infomem.scoring.result import Result
from tests.hub.real_results import SHORT

REPO = "alice/tiny-lm"
USER_CARD = ("---\r\nlicense: mit\r\n---\r\n# Tiny LM\r\n\r\nIntro by the author.\r\n\r\n"
             "{blocks}\r\n\r\nClosing words by the author.\r\n")


@pytest.fixture
def files(tmp_path, scored, extracted):
    """The results as the commands write them (`--out`), and an empty card path."""
    result, report = scored
    tested, plain = extracted
    paths = {"result": tmp_path / "r.json", "unitmem": tmp_path / "um.json",
             "extraction": tmp_path / "ex.json", "plain": tmp_path / "plain.json"}
    result.to_json(paths["result"])
    report.to_json(paths["unitmem"])
    dump_json(tested.to_dict(), paths["extraction"])
    dump_json(plain.to_dict(), paths["plain"])
    return paths


def _block(card: str, start: str, end: str) -> str:
    span = find_section(split_card(card).body, start_marker=start, end_marker=end)
    assert span is not None
    return split_card(card).body[span[0]:span[1]]


def _outside(card: str, start: str, end: str) -> str:
    """`card` with the block between `start` and `end` cut out."""
    a, b = card.index(start), card.index(end) + len(end)
    return card[:a] + card[b:]


def test_unitmem_subsection_shows_each_layer_and_the_caveat(tmp_path, files, scored):
    result, report = scored
    card, _diff = annotate_card_file(tmp_path / "README.md", files["result"],
                                     unitmem=files["unitmem"], force=True)
    section = _block(card, SECTION_START, SECTION_END)
    sub = section[section.index("### Per-unit memorization (UnitMem)"):]
    for layer in report.per_layer:
        row = next(line for line in sub.splitlines() if line.startswith(f"| {layer.name} |"))
        assert f"| {layer.mean:.3f} | {layer.median:.3f} |" in row
        assert f"| {layer.share_above[0.5]:.3f} | {layer.share_above[0.9]:.3f} |" in row
        assert f"{layer.n_units} ({layer.n_defined})" in row
    assert UNITMEM_CAVEAT in sub and f"S = {report.n_samples} examples" in sub
    assert f"input fingerprint `{report.data['fingerprint']}`" in sub
    assert all(t.text not in sub for layer in report.per_layer for t in layer.top if t.text)
    assert "### Per-unit" not in annotate_card_file(tmp_path / "x.md", result, force=True)[0]


@pytest.mark.skipif("unitmem" not in {f.name for f in dataclasses.fields(Result)},
                    reason="Result has no `unitmem` field yet")
def test_a_result_carrying_unitmem_gets_the_subsection(tmp_path, scored):
    result, report = scored
    card, _ = annotate_card_file(tmp_path / "x.md", dataclasses.replace(result, unitmem=report),
                                 force=True)
    assert "### Per-unit memorization (UnitMem)" in card and UNITMEM_CAVEAT in card


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


def test_both_blocks_twice_give_the_same_card(tmp_path, files):
    readme, out = tmp_path / "README.md", tmp_path / "out.md"
    readme.write_bytes(USER_CARD.format(blocks="").encode())
    parts = {"extraction": files["extraction"], "unitmem": files["unitmem"], "force": True}
    first, _ = annotate_card_file(readme, files["result"], output=out, **parts)
    second, diff = annotate_card_file(out, files["result"], **parts)
    assert second == first and diff == "" and out.read_bytes() == first.encode()
    assert first.count(SECTION_START) == first.count(EXTRACTION_START) == 1
    assert first.index(SECTION_END) < first.index(EXTRACTION_START)


def test_user_text_around_the_markers_is_kept_byte_for_byte(tmp_path, files):
    readme = tmp_path / "README.md"
    readme.write_bytes(USER_CARD.format(blocks="").encode())
    card, _ = annotate_card_file(readme, files["result"], extraction=files["extraction"],
                                 force=True)
    edited = card.replace(SECTION_END + "\r\n", SECTION_END + "\r\n\r\nThe author's note. ✍\r\n")
    edited += "Signed, the author.\r\n"
    readme.write_bytes(edited.encode())
    # A new extraction result replaces its block only: the score section, the header and
    # the author's text stay byte for byte.
    again, _ = annotate_card_file(readme, extraction=files["plain"], force=True)
    assert _outside(again, EXTRACTION_START, EXTRACTION_END) == _outside(
        edited, EXTRACTION_START, EXTRACTION_END)
    assert "None of the" in _block(again, EXTRACTION_START, EXTRACTION_END)
    # A score result with UnitMem replaces the score section only.
    third, _ = annotate_card_file(readme, files["result"], unitmem=files["unitmem"], force=True)
    assert _outside(third, SECTION_START, SECTION_END) == _outside(edited, SECTION_START, SECTION_END)
    assert "### Per-unit memorization" in _block(third, SECTION_START, SECTION_END)


def test_a_hand_pasted_copy_of_the_block_is_removed(tmp_path, files, extracted):
    block = render_extraction(extracted[1]).replace("\n", "\r\n")
    readme = tmp_path / "README.md"
    readme.write_bytes(USER_CARD.format(blocks=block + "\r\n\r\n" + block).encode())
    card, _ = annotate_card_file(readme, extraction=files["extraction"], force=True)
    assert card.count(EXTRACTION_START) == card.count(EXTRACTION_END) == 1
    assert "Intro by the author.\r\n\r\n" + EXTRACTION_START in card


def _one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


def test_bad_inputs_are_refused_in_one_line(tmp_path, files):
    readme = tmp_path / "README.md"
    with pytest.raises(ResultFormatError) as err:
        annotate_card_file(readme, extraction=files["result"])
    assert "is not an infomem extraction result" in _one_line(err)
    assert str(files["result"]) in _one_line(err) and "infomem extract --out" in _one_line(err)
    with pytest.raises(ResultFormatError) as err:
        annotate_card_file(readme, extraction=tmp_path / "missing.json")
    assert "missing.json" in _one_line(err) and "does not exist" in _one_line(err)
    with pytest.raises(ResultFormatError) as err:
        annotate_card_file(readme, files["result"], unitmem=files["extraction"])
    assert "is not an infomem UnitMem report" in _one_line(err)
    with pytest.raises(InvalidInputError) as err:
        annotate_card_file(readme, unitmem=files["unitmem"], extraction=files["extraction"])
    assert "pass the score result" in _one_line(err)
    with pytest.raises(InvalidInputError) as err:
        annotate_card_file(readme)
    assert "Nothing to write" in _one_line(err)
    with pytest.raises(InvalidInputError) as err:
        annotate_card_file(readme, extraction=files["extraction"], repo_id=REPO)
    assert "The extraction result is for model `" in _one_line(err)
    assert "not `alice/tiny-lm`" in _one_line(err) and "--force" in _one_line(err)
    assert not readme.exists()


def test_dict_and_object_inputs_give_the_same_block(tmp_path, files, extracted):
    from_file, _ = annotate_card_file(tmp_path / "a.md", extraction=files["extraction"])
    from_dict, _ = annotate_card_file(tmp_path / "a.md",
                                      extraction=json.loads(files["extraction"].read_text()))
    assert from_file == from_dict == annotate_card_file(tmp_path / "a.md",
                                                        extraction=extracted[0])[0]
