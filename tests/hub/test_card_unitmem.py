"""The UnitMem subsection of the score section (infomem.hub.card_unitmem): each layer's row and
the caveat, from a report of the real scorer on a tiny BERT, given beside the result or carried
by it, through the local-file route."""

from __future__ import annotations

import dataclasses

import pytest

from infomem.hub.card_text import SECTION_END, SECTION_START
from infomem.hub.card_unitmem import UNITMEM_CAVEAT
from infomem.hub.cards import annotate_card_file
from infomem.scoring.result import Result
from tests.hub.real_results import _block


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
