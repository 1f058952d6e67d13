"""Byte-preserving surgery on a card's text: its YAML header and a marked body section.

Pure string functions, no network. A card is ``[BOM][blank lines]---NL yaml ---NL body``
or just a body. Edits touch one top-level YAML key's block (the rest of the header keeps
its bytes: order, comments, quoting) and one section between HTML-comment markers;
everything else, line endings included, is returned as it came.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import yaml

from infomem.errors import InvalidInputError

__all__ = [
    "CardParts",
    "split_card",
    "join_card",
    "parse_header",
    "set_header_key",
    "replace_section",
    "find_section",
    "SECTION_START",
    "SECTION_END",
    "EXTRACTION_START",
    "EXTRACTION_END",
]

SECTION_START = "<!-- infomem:start -->"
SECTION_END = "<!-- infomem:end -->"
# The verbatim-extraction block: its own markers, so either block is replaced without the other.
EXTRACTION_START = "<!-- infomem-extraction:start -->"
EXTRACTION_END = "<!-- infomem-extraction:end -->"

# A top-level mapping key at column 0: plain, or quoted.
_TOP_KEY = re.compile(r"""^(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<plain>[^\s#\-?:'"][^:]*?))\s*:(?:\s|$)""")


@dataclass(frozen=True)
class CardParts:
    """A card split into the pieces that are put back together verbatim."""

    lead: str  # BOM and blank lines before the opening fence ("" usually)
    header: str | None  # YAML text between the fences, with its line endings; None: no header
    open_fence: str  # "---\n" exactly as written ("" when there is no header)
    close_fence: str  # "---\n", "---\r\n" or "---" at the very end
    body: str  # everything after the closing fence
    newline: str  # the card's line ending: "\r\n" if it mostly uses CRLF, else "\n"


def _newline_of(text: str) -> str:
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf >= text.count("\n") - crlf else "\n"


def split_card(text: str) -> CardParts:
    """Split `text` into lead, YAML header, fences and body (see :class:`CardParts`)."""
    newline = _newline_of(text)
    match = re.match(r"(\ufeff?(?:[ \t]*\r?\n)*)(---[ \t]*\r?\n)", text)
    if match is None:
        return CardParts("", None, "", "", text, newline)
    start = match.end()
    for line in re.finditer(r"[^\n]*(?:\n|$)", text[start:]):
        if line.group().rstrip("\r\n").rstrip() == "---" and line.group().startswith("---"):
            header = text[start : start + line.start()]
            close_end = start + line.end()
            return CardParts(
                match.group(1), header, match.group(2), text[start + line.start() : close_end],
                text[close_end:], newline,
            )
        if not line.group():
            break
    raise InvalidInputError(
        "The card starts a YAML header with `---` but never closes it with a `---` line; "
        "fix the header (or remove the first `---`) and try again."
    )


def join_card(parts: CardParts) -> str:
    if parts.header is None:
        return parts.lead + parts.body
    return parts.lead + parts.open_fence + parts.header + parts.close_fence + parts.body


def parse_header(header: str | None) -> dict[str, Any]:
    """The header as a dict ({} for none or empty); refuses YAML that is not a mapping."""
    if header is None or not header.strip():
        return {}
    try:
        data = yaml.safe_load(header)
    except yaml.YAMLError as e:
        raise InvalidInputError(
            f"The card's YAML header cannot be parsed ({_one_line(e)}); fix it before adding scores."
        ) from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInputError(
            f"The card's YAML header must be a mapping of keys; received a {type(data).__name__}."
        )
    return data


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split())


def _lines(text: str) -> list[str]:
    """Lines with their endings kept (the last one may have none)."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def _key_of(line: str) -> str | None:
    m = _TOP_KEY.match(line)
    if m is None:
        return None
    return m.group("dq") if m.group("dq") is not None else m.group("sq") or (m.group("plain") or "").strip()


def _block_span(lines: list[str], key: str) -> tuple[int, int] | None:
    """[start, end) of `key`'s top-level block; trailing blanks/comments stay outside."""
    start = next((i for i, line in enumerate(lines) if _key_of(line) == key), None)
    if start is None:
        return None
    end = start + 1
    while end < len(lines) and _key_of(lines[end]) is None:
        end += 1
    while end - 1 > start and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    return start, end


def dump_key(key: str, value: Any, newline: str) -> str:
    """One top-level YAML block, in huggingface_hub's style, with `newline` endings."""
    text = yaml.safe_dump(
        {key: value}, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1000
    )
    return text.replace("\n", newline)


def set_header_key(parts: CardParts, key: str, value: Any) -> CardParts:
    """Replace (or add, or with `value` None remove) one top-level key of the header.

    Other keys keep their bytes. The edit is checked by re-parsing: every other key must
    read back unchanged, or the card is refused rather than risk damaging it.
    """
    before = parse_header(parts.header)
    header = parts.header if parts.header is not None else ""
    nl = parts.newline
    lines = _lines(header)
    block = "" if value is None else dump_key(key, value, nl)
    span = _block_span(lines, key)
    if span is not None:
        lines[span[0] : span[1]] = [block]
    elif block:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += nl
        lines.append(block)
    new_header = "".join(lines)
    after = parse_header(new_header)
    expected = {k: v for k, v in before.items() if k != key}
    if value is not None:
        expected[key] = value
    if after != expected:
        raise InvalidInputError(
            f"Could not update `{key}` in the card's YAML header without changing other keys "
            "(an unusual layout such as anchors or a duplicated key); edit it by hand."
        )
    if parts.header is None:
        return replace(parts, header=new_header, open_fence="---" + nl, close_fence="---" + nl)
    return replace(parts, header=new_header)


def find_section(body: str, *, start_marker: str = SECTION_START,
                 end_marker: str = SECTION_END) -> tuple[int, int] | None:
    """[start, end) of the first section between the markers, end marker included."""
    start = body.find(start_marker)
    if start < 0:
        return None
    end = body.find(end_marker, start)
    if end < 0:
        raise InvalidInputError(
            f"The card has `{start_marker}` but no `{end_marker}` after it; restore the end "
            "marker (or delete the start marker) and run again."
        )
    return start, end + len(end_marker)


def replace_section(body: str, section: str, newline: str, *, start_marker: str = SECTION_START,
                    end_marker: str = SECTION_END) -> str:
    """Put `section` (markers included, no trailing newline) in place of the marked one.

    With no marked section it is appended after one blank line. Extra marked sections
    (a copy pasted by hand) are removed so one remains. The markers default to the
    activation-score section's.
    """
    markers = {"start_marker": start_marker, "end_marker": end_marker}
    span = find_section(body, **markers)
    if span is None:
        if not body:
            return section + newline
        if not body.endswith("\n"):
            body += newline
        if not body.endswith(newline + newline) and body.strip():
            body += newline
        return body + section + newline
    head, tail = body[: span[0]], body[span[1] :]
    while (extra := find_section(tail, **markers)) is not None:
        cut_end = extra[1]
        if tail[cut_end : cut_end + len(newline)] == newline:
            cut_end += len(newline)
        tail = tail[: extra[0]] + tail[cut_end:]
    return head + section + tail
