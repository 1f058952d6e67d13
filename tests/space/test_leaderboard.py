"""The leaderboard (infomem.space.leaderboard): rows from real results, their comparable groups,
filters and sorting, and the sources it reads (none, an empty folder, a missing one)."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacekit import factories_texts

from infomem.errors import InvalidInputError
from infomem.space import leaderboard


def test_leaderboard_rows_filter_and_sort(tiny_bert: Path, tiny_gpt2: Path) -> None:
    import infomem

    texts = factories_texts(30)
    results = [infomem.score(str(m), texts, mi_estimator=e, progress=False)
               for m, e in ((tiny_bert, "binned"), (tiny_gpt2, "binned"), (tiny_bert, "none"))]
    table = leaderboard.rows(results)
    assert [r["architecture"] for r in table] == ["BertModel", "GPT2Model", "BertModel"]
    assert table[0]["group"] != table[2]["group"]  # other MI estimator: not comparable
    frame = leaderboard.filter_rows(table, architectures=["BertModel"], sort_by="mean MI",
                                    descending=True)
    assert len(frame) == 2 and frame["mean MI"].isna().tolist() == [False, True]
    assert len(leaderboard.filter_rows(table, search="gpt2")) == 1
    assert leaderboard.filter_rows(table, data=["nothing"]).empty
    with pytest.raises(InvalidInputError, match="Cannot sort by 'speed'"):
        leaderboard.filter_rows(table, sort_by="speed")


def test_a_row_names_the_commit_and_the_gguf_file_when_recorded(tiny_bert: Path) -> None:
    import dataclasses

    import infomem

    plain = infomem.score(str(tiny_bert), factories_texts(30), mi_estimator="none", progress=False)
    pinned = dataclasses.replace(plain, model={**plain.model, "sha": "0123456789abcdef",
                                               "gguf_file": "m.Q4.gguf"})
    models = [row["model"] for row in leaderboard.rows([plain, pinned])]
    assert models == [plain.model_id, f"{plain.model_id} @ 0123456 (m.Q4.gguf)"]


def test_leaderboard_sources(tmp_path: Path) -> None:
    assert leaderboard.load_leaderboard(None).rows == []
    empty = leaderboard.load_leaderboard(tmp_path)
    assert empty.rows == [] and empty.source == f"the folder `{tmp_path.name}`"
    with pytest.raises(InvalidInputError, match="is not a folder"):
        leaderboard.results_from_folder(tmp_path / "missing")
