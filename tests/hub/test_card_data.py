"""Card data (infomem.hub.card_data): annotate_card_text on many card shapes (only infomem's
parts change, a second run is a no-op, other tools' results kept, broken cards refused), the
section it writes, eval_result_files and merge_model_index."""

from __future__ import annotations

import difflib

import pytest
import yaml

from infomem.errors import InvalidInputError
from infomem.hub.card_data import annotate_card_text, eval_result_files, merge_model_index
from infomem.hub.card_section import KNOWN_LIMITS
from infomem.hub.card_text import (
    SECTION_END,
    SECTION_START,
    _block_span,
    _lines,
    find_section,
    parse_header,
    split_card,
)
from tests.support.results import make_result

OTHER_TOOL_INDEX = """\
model-index:
- name: tiny-bert
  results:
  - task:
      type: text-classification
    dataset:
      name: GLUE SST-2
      type: glue
      config: sst2
    metrics:
    - type: accuracy
      value: 0.91
    source:
      name: Open LLM Leaderboard
      url: https://example.org/leaderboard
"""

OLD_SECTION = f"""{SECTION_START}
## Activation diversity (infomem)
Old numbers: 1.0 nats.
{SECTION_END}"""

LONG_BODY = "".join(f"Line {i}: some text with a table | a | b |\n" for i in range(8000))

CARDS = {
    "empty": "",
    "body only": "# Tiny BERT\n\nA small model.\n",
    "body no final newline": "# Tiny BERT\n\nA small model.",
    "yaml without model-index": "---\nlicense: mit\ntags:\n- text\n- bert\n---\n\n# Tiny\n",
    "yaml, model-index from another tool": f"---\nlicense: apache-2.0\n{OTHER_TOOL_INDEX}---\n# Tiny\n",
    "model-index in the middle": (
        f"---\nlanguage: en\n{OTHER_TOOL_INDEX}library_name: transformers\n---\nBody\n"
    ),
    "our earlier section and index": (
        "---\nlicense: mit\nmodel-index:\n- name: tiny-bert\n  results:\n  - task:\n      type: "
        "feature-extraction\n    dataset:\n      name: imdb\n      type: imdb\n    metrics:\n"
        "    - type: infomem_mean_entropy\n      value: 1.0\n    source:\n      name: infomem\n"
        f"      url: https://x\n---\n# Tiny\n\n{OLD_SECTION}\n\n## Training\nDetails.\n"
    ),
    "our metric mixed into another entry": (
        "---\nmodel-index:\n- name: m\n  results:\n  - task:\n      type: text-classification\n"
        "    dataset:\n      name: imdb\n      type: imdb\n    metrics:\n    - type: accuracy\n"
        "      value: 0.8\n    - type: infomem_mean_entropy\n      value: 9.9\n---\nx\n"
    ),
    "crlf with yaml": "---\r\nlicense: mit\r\n---\r\n\r\n# Tiny\r\n\r\nText.\r\n",
    "crlf without yaml": "# Tiny\r\n\r\nText.\r\n",
    "unicode": "---\nlicense: mit\nlanguage:\n- ja\n---\n# 小さなモデル 🤗\n\nמודל קטן — café naïve\n",
    "very long": "---\nlicense: mit\n---\n" + LONG_BODY,
    "html comments": (
        "---\nlicense: mit\n---\n<!-- Provide a quick summary -->\n# Model\n<!-- infomem -->\n"
        "<!-- a comment\nover lines -->\nText\n"
    ),
    "yaml comments and quoted keys": (
        "---\n# Card metadata\n\"license\": mit  # inline comment\n\n'tags':\n  - a # the a tag\n"
        "# trailing comment\n---\nBody\n"
    ),
    "empty yaml header": "---\n---\n# Body\n",
    "yaml only": "---\nlicense: mit\n---\n",
    "bom": "\ufeff---\nlicense: mit\n---\n# Title\n",
    "leading blank lines": "\n\n---\nlicense: mit\n---\n# Title\n",
    "flow style model-index": "---\nlicense: mit\nmodel-index: []\n---\n# T\n",
    "two model-index entries": (
        "---\nmodel-index:\n- name: first\n  results: []\n- name: second\n  results:\n"
        "  - task: {type: fill-mask}\n    dataset: {name: wiki, type: wikitext}\n"
        "    metrics: [{type: perplexity, value: 12.5}]\n---\nB\n"
    ),
    "section mid-body": f"# Model\n\nIntro.\n\n{OLD_SECTION}\n\n## Limitations\n\nMore text.\n",
    "section duplicated by hand": f"# Model\n\n{OLD_SECTION}\n\nMiddle.\n\n{OLD_SECTION}\nEnd.\n",
    "block scalar last key": "---\nlicense: mit\ndescription: |\n  Line one.\n  Line two.\n---\nB\n",
    "horizontal rules and code": "---\nlicense: mit\n---\n# T\n\n---\n\n```yaml\n---\na: 1\n---\n```\n",
    "trailing blank lines": "---\nlicense: mit\n---\n# T\n\n\n\n",
    "tabs and spaces": "---\nlicense: mit\n---\n#\tT\n\tindented\t\n   \n",
    "mixed line endings": "---\nlicense: mit\r\n---\n# T\r\nline\nline\r\n",
    "hub default template": (
        "---\nlibrary_name: transformers\ntags: []\n---\n\n# Model Card for Model ID\n\n<!-- Provide a "
        "quick summary of what the model is/does. -->\n\n\n\n## Model Details\n"
    ),
}


@pytest.fixture(scope="module")
def result():
    return make_result("alice/tiny-bert")


def _our_lines(text: str) -> set[int]:
    """Line numbers of infomem's parts: the model-index block, the section, the fences."""
    lines = _lines(text)
    parts = split_card(text)
    ours: set[int] = set()
    if parts.header is not None:
        first = len(_lines(parts.lead + parts.open_fence))
        span = _block_span(_lines(parts.header), "model-index")
        if span is not None:
            ours |= set(range(first + span[0], first + span[1]))
    body_start = len(lines) - len(_lines(parts.body))
    offset = 0
    while (span := find_section(parts.body[offset:])) is not None:
        start_line = parts.body[: offset + span[0]].count("\n")
        end_line = parts.body[: offset + span[1]].count("\n")
        ours |= set(range(body_start + start_line, body_start + end_line + 1))
        offset += span[1]
    return ours


def _assert_only_ours_changed(old: str, new: str) -> None:
    a, b = _lines(old), _lines(new)
    if a and not a[-1].endswith("\n"):  # accepted: the last line gains its newline
        a[-1] += split_card(old).newline
    ours_a, ours_b = _our_lines(old), _our_lines(new)
    fences = {i for i, line in enumerate(b) if line.rstrip("\r\n") == "---"}
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for i in range(i1, i2):
            assert i in ours_a or not a[i].strip(), f"old line {i} changed: {a[i]!r}"
        for j in range(j1, j2):
            assert j in ours_b or j in fences or not b[j].strip(), (
                f"new line {j} is not infomem's: {b[j]!r}"
            )


@pytest.mark.parametrize("name", sorted(CARDS))
def test_card_shape_round_trip(name, result):
    old = CARDS[name]
    new = annotate_card_text(old, result, repo_id="alice/tiny-bert", plot_path="infomem/scores.png")
    assert annotate_card_text(new, result, repo_id="alice/tiny-bert",
                              plot_path="infomem/scores.png") == new  # second run: no-op
    _assert_only_ours_changed(old, new)
    meta = parse_header(split_card(new).header)
    before = parse_header(split_card(old).header)
    assert {k: v for k, v in meta.items() if k != "model-index"} == {
        k: v for k, v in before.items() if k != "model-index"}
    ours = [r for entry in meta["model-index"] for r in entry["results"]
            if r.get("source", {}).get("name") == "infomem"]
    assert len(ours) == 1  # replaced, not duplicated
    assert {m["type"] for m in ours[0]["metrics"]} == {
        "infomem_mean_entropy", "infomem_median_entropy", "infomem_mean_mi"}
    assert new.count(SECTION_START) == new.count(SECTION_END) == 1
    assert KNOWN_LIMITS in new.replace("\r\n", "\n")
    assert "infomem/scores.png" in new


def test_other_tools_results_are_kept(result):
    new = annotate_card_text(CARDS["yaml, model-index from another tool"], result)
    index = parse_header(split_card(new).header)["model-index"]
    assert index[0]["results"][0] == yaml.safe_load(OTHER_TOOL_INDEX)["model-index"][0]["results"][0]
    mixed = annotate_card_text(CARDS["our metric mixed into another entry"], result)
    results = parse_header(split_card(mixed).header)["model-index"][0]["results"]
    assert results[0]["metrics"] == [{"type": "accuracy", "value": 0.8}]
    assert "9.9" not in mixed


def test_earlier_section_replaced_in_place(result):
    new = annotate_card_text(CARDS["section mid-body"], result)
    assert "Old numbers" not in new
    assert new.index("Intro.") < new.index(SECTION_START) < new.index("## Limitations")
    assert new.endswith("## Limitations\n\nMore text.\n")
    dup = annotate_card_text(CARDS["section duplicated by hand"], result)
    assert dup.count(SECTION_START) == 1 and "Middle." in dup and dup.endswith("End.\n")


def test_crlf_unicode_bom_bytes_kept(result):
    crlf = annotate_card_text(CARDS["crlf with yaml"], result)
    assert "\n" not in crlf.replace("\r\n", "")
    assert crlf.startswith("---\r\nlicense: mit\r\n")
    assert annotate_card_text(CARDS["crlf without yaml"], result).endswith("# Tiny\r\n\r\nText.\r\n\r\n"
                                                                          + _section_tail(result))
    uni = annotate_card_text(CARDS["unicode"], result)
    assert "# 小さなモデル 🤗\n\nמודל קטן — café naïve\n" in uni
    assert annotate_card_text(CARDS["bom"], result).startswith("\ufeff---\nlicense: mit\n")


def _section_tail(result) -> str:
    new = annotate_card_text("x\r\n", result)
    return new[new.index(SECTION_START):]


def test_no_yaml_gets_a_header(result):
    new = annotate_card_text("# Tiny\n", result, repo_id="alice/tiny-bert")
    assert new.startswith("---\nmodel-index:\n- name: tiny-bert\n")
    assert "---\n# Tiny\n\n" + SECTION_START in new


def test_result_for_another_model_refused_unless_forced(result):
    with pytest.raises(InvalidInputError, match="not `bob/other`.*force"):
        annotate_card_text("# x\n", result, repo_id="bob/other")
    assert SECTION_START in annotate_card_text("# x\n", result, repo_id="bob/other", force=True)


@pytest.mark.parametrize("card, match", [
    ("---\nlicense: [mit\n---\nx\n", "cannot be parsed"),
    ("---\n- a\n- b\n---\nx\n", "must be a mapping"),
    ("---\nlicense: mit\nno closing fence\n", "never closes"),
    (f"# x\n{SECTION_START}\nno end\n", "no `<!-- infomem:end -->`"),
])
def test_broken_cards_refused_with_a_reason(card, match, result):
    with pytest.raises(InvalidInputError, match=match):
        annotate_card_text(card, result)


def test_section_content(result):
    text = annotate_card_text("", result, plot_path="infomem/scores.png", result_path="infomem/r.json")
    section = text[text.index(SECTION_START):]
    for expected in ("| Mean neuron entropy | 3.2199 |", "| layer.0 | 32 |", "S = 300 examples",
                     "100 equal-width bins", "k = 3", "first 16 neurons", "dataset `imdb`",
                     "split `test`", "revision `0123456789ab`", "![Per-layer", "Known limits",
                     "[infomem/r.json](infomem/r.json)", "Reading these numbers"):
        assert expected in section, expected


def test_no_mi_and_local_data():
    res = make_result("alice/tiny-bert", mean_mi=None, dataset=None)
    text = annotate_card_text("", res)
    index = parse_header(split_card(text).header)["model-index"][0]["results"][0]
    assert {m["type"] for m in index["metrics"]} == {"infomem_mean_entropy", "infomem_median_entropy"}
    assert index["dataset"]["type"] == "unlabeled-inputs"
    assert "| Mean pairwise MI | not computed |" in text and "; no MI;" in text
    assert eval_result_files(res) == {}  # no Hub dataset to link the entries to


def test_eval_result_files(result):
    files = eval_result_files(result, source_url="https://hub/x")
    assert sorted(files) == [".eval_results/infomem_mean_entropy.yaml",
                             ".eval_results/infomem_mean_mi.yaml",
                             ".eval_results/infomem_median_entropy.yaml"]
    entry = yaml.safe_load(files[".eval_results/infomem_mean_mi.yaml"])[0]
    assert entry["dataset"] == {"id": "imdb", "task_id": "infomem_mean_mi"}
    assert entry["value"] == 0.4123 and entry["source"] == {"url": "https://hub/x", "name": "infomem"}


def test_merge_model_index_keeps_position_of_ours():
    ours = [{"task": {"type": "t"}, "source": {"name": "infomem"}, "metrics": [{"type": "infomem_x"}]}]
    other = {"task": {"type": "o"}, "metrics": [{"type": "acc", "value": 1}]}
    existing = [{"name": "m", "results": [{"source": {"name": "infomem"}, "metrics": []}, other]}]
    assert merge_model_index(existing, ours, "m")[0]["results"] == [*ours, other]
    assert merge_model_index(None, ours, "m") == [{"name": "m", "results": ours}]
