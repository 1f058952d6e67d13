"""What goes on a card and how it is written in (infomem.hub.card_content), through the
local-file route with results of the real scorers: both blocks written twice give the same
card, the author's text around the markers is kept byte for byte, results load alike from a
path, a dict or an object, and bad inputs are refused in one line before anything is written."""

from __future__ import annotations

import json

import pytest

from infomem.errors import InvalidInputError, ResultFormatError
from infomem.hub.card_text import EXTRACTION_END, EXTRACTION_START, SECTION_END, SECTION_START
from infomem.hub.cards import annotate_card_file
from tests.hub.real_results import USER_CARD, _block

REPO = "alice/tiny-lm"


def _outside(card: str, start: str, end: str) -> str:
    """`card` with the block between `start` and `end` cut out."""
    a, b = card.index(start), card.index(end) + len(end)
    return card[:a] + card[b:]


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
