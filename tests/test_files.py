"""The three kinds of result file share one reader, writer and set of one-line errors."""

from __future__ import annotations

import json

import pytest

from infomem.errors import ResultFormatError
from infomem.scoring.extraction_result import ExtractionResult
from infomem.scoring.result import Result
from infomem.scoring.unitmem_report import UnitMemReport

KINDS = [(Result, "result", "infomem score --out"),
         (UnitMemReport, "UnitMem report", "infomem unitmem --out"),
         (ExtractionResult, "extraction result", "infomem extract --out")]


@pytest.mark.parametrize(("cls", "what", "command"), KINDS)
def test_each_kind_names_itself_in_every_error(tmp_path, cls, what, command):
    path = tmp_path / "x.json"
    with pytest.raises(ResultFormatError, match=f"^{what} '.*x.json' does not exist.$"):
        cls.from_json(path)
    path.write_text("{not json")
    with pytest.raises(ResultFormatError, match=f"is not JSON .*`{command}`"):
        cls.from_json(path)
    other = next(c for c, _, _ in KINDS if c is not cls)
    path.write_text(json.dumps(other.FILE.header()))  # another kind's file
    with pytest.raises(ResultFormatError, match=f"is not an infomem {what} .*`{command}`"):
        cls.from_json(path)
    path.write_text(json.dumps({**cls.FILE.header(), "format_version": 99}))
    with pytest.raises(ResultFormatError, match=f"{what} format version 99; this infomem reads"):
        cls.from_json(path)
    path.write_text(json.dumps(cls.FILE.header()))  # the right header, no fields
    with pytest.raises(ResultFormatError, match=f"damaged infomem {what}: the field '.*' is "
                                                f"missing; re-create it with `{command}`"):
        cls.from_json(path)


def test_headers_are_distinct_and_versioned():
    headers = [cls.FILE.header() for cls, _, _ in KINDS]
    assert len({h["format"] for h in headers}) == 3
    assert all(h["format_version"] >= 1 for h in headers)
