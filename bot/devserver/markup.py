"""Telegram's HTML parse mode, re-implemented to refuse what Telegram refuses.

Modelled on tdlib's ``parse_html`` (the parser behind the Bot API): the same
tags, the same nesting rules and the same error texts, so a bot that sends
unescaped text gets the 400 it would get in production.  One deliberate
difference: by default an ``&`` that starts no known entity is refused
(Telegram keeps it literally), because the design requires every text to be
escaped and a lenient double would hide a missing ``html.escape``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["EntityParseError", "ParsedText", "parse_html", "utf16_len"]

_ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,10})|#[xX]([0-9a-fA-F]{1,8})|([a-zA-Z][a-zA-Z0-9]{0,30}));")


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; ``str(exc)`` is Telegram's wording."""


@dataclass(frozen=True)
class ParsedText:
    """What Telegram stores for a text: the plain text and its entities (UTF-16 offsets)."""

    text: str
    entities: tuple[dict[str, Any], ...] = ()


@dataclass
class _Open:
    tag: str
    attrs: dict[str, str]
    start: int  # UTF-16 offset in the output
    language: str | None = None


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, index: int) -> tuple[str, int] | None:
    """Decode the entity starting at ``text[index] == "&"``; None if it is not one."""
    match = _ENTITY_RE.match(text, index)
    if match is None:
        return None
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        char = _NAMED_ENTITIES.get(name)
        return (char, match.end()) if char is not None else None
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def _unescape_attribute(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&" and (decoded := _decode_entity(value, i)) is not None:
            out.append(decoded[0])
            i = decoded[1]
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_html(text: str, *, strict_ampersand: bool = True) -> ParsedText:
    """Parse ``text`` as Telegram HTML; raise EntityParseError with Telegram's message."""
    out: list[str] = []
    offset = 0  # UTF-16 length of ``out``
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    n = len(text)
    i = 0
    while i < n:
        char = text[i]
        if char == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                offset += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict_ampersand:
                raise EntityParseError(
                    f'Character "&" is not part of an HTML entity at byte offset {_byte_offset(text, i)}'
                )
        if char != "<":
            out.append(char)
            offset += utf16_len(char)
            i += 1
            continue

        begin = i
        i += 1
        if i < n and text[i] == "/":
            if not stack:
                raise EntityParseError(
                    f"Unexpected end tag at byte offset {_byte_offset(text, begin)}"
                )
            j = i + 1
            while j < n and not text[j].isspace() and text[j] != ">":
                j += 1
            end_name = text[i + 1 : j].lower()
            while j < n and text[j].isspace():
                j += 1
            if j >= n or text[j] != ">":
                raise EntityParseError(
                    f"Unclosed end tag at byte offset {_byte_offset(text, begin)}"
                )
            opened = stack.pop()
            if end_name and end_name != opened.tag:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{opened.tag}>", found "</{end_name}>"'
                )
            _close(opened, offset, stack, entities)
            i = j + 1
            continue

        j = i
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        tag = text[i:j].lower()
        if tag not in _ALLOWED_TAGS:
            raise EntityParseError(
                f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
            )
        attrs, j = _parse_attributes(text, j, tag, begin)
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}'
            )
        if tag == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise EntityParseError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {_byte_offset(text, begin)}'
            )
        stack.append(_Open(tag=tag, attrs=attrs, start=offset))
        i = j

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText(text="".join(out), entities=tuple(entities))


def _parse_attributes(text: str, j: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
    """Read ``name="value"`` pairs up to the closing ``>``; return them and the index after it."""
    n = len(text)
    attrs: dict[str, str] = {}
    where = _byte_offset(text, begin)
    while True:
        while j < n and text[j].isspace():
            j += 1
        if j >= n:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {where}')
        if text[j] == ">":
            return attrs, j + 1
        k = j
        while k < n and not text[k].isspace() and text[k] not in "=>":
            k += 1
        name = text[j:k].lower()
        if not name:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {where}'
            )
        j = k
        while j < n and text[j].isspace():
            j += 1
        if j >= n or text[j] != "=":
            attrs[name] = ""  # a bare attribute, e.g. <blockquote expandable>
            continue
        j += 1
        while j < n and text[j].isspace():
            j += 1
        if j >= n:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {where}')
        if text[j] in "'\"":
            quote = text[j]
            end = text.find(quote, j + 1)
            if end < 0:
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {where}')
            raw = text[j + 1 : end]
            j = end + 1
        else:
            k = j
            while k < n and not text[k].isspace() and text[k] != ">":
                k += 1
            raw = text[j:k]
            j = k
        attrs[name] = _unescape_attribute(raw)


def _close(opened: _Open, offset: int, stack: list[_Open], entities: list[dict[str, Any]]) -> None:
    """Turn a closed tag into an entity, as Telegram does (empty ranges make none)."""
    length = offset - opened.start
    tag = opened.tag
    language = None
    if tag == "code" and stack and stack[-1].tag == "pre":
        cls = opened.attrs.get("class", "")
        if cls.startswith("language-") and stack[-1].start == opened.start:
            stack[-1].language = cls.removeprefix("language-")
            return
    if length <= 0:
        return
    entity: dict[str, Any] = {"offset": opened.start, "length": length}
    if tag in _SIMPLE_ENTITY:
        entity["type"] = _SIMPLE_ENTITY[tag]
    elif tag == "a":
        href = opened.attrs.get("href", "")
        if not href:
            return
        entity["type"] = "text_link"
        entity["url"] = href
    elif tag == "pre":
        entity["type"] = "pre"
        language = opened.language
        if language:
            entity["language"] = language
    elif tag == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in opened.attrs else "blockquote"
    elif tag == "tg-emoji":
        entity["type"] = "custom_emoji"
        entity["custom_emoji_id"] = opened.attrs["emoji-id"]
    else:  # pragma: no cover - every allowed tag is handled above
        return
    entities.append(entity)
