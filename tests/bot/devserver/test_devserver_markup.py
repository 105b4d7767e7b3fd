"""Telegram's HTML parse mode as the double re-implements it."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.devserver import EntityParseError, parse_html


def test_parse_html_entities_and_offsets() -> None:
    parsed = parse_html(
        '😀 <b>bold <i>both</i></b> <a href="https://e.x/?a=1&amp;b=2">link</a> '
        '<pre><code class="language-python">x = 1</code></pre> <blockquote expandable>q</blockquote>'
    )
    assert parsed.text == "😀 bold both link x = 1 q"
    kinds = [(e["type"], e["offset"], e["length"]) for e in parsed.entities]
    assert kinds == [
        ("bold", 3, 9),
        ("italic", 8, 4),
        ("text_link", 13, 4),
        ("pre", 18, 5),
        ("expandable_blockquote", 24, 1),
    ]
    assert parsed.entities[2]["url"] == "https://e.x/?a=1&b=2"
    assert parsed.entities[3]["language"] == "python"
    assert parse_html("AT&T", strict_ampersand=False).text == "AT&T"
    with pytest.raises(EntityParseError):
        parse_html("AT&T")


@given(st.text())
def test_escaped_text_always_parses_back_to_itself(text: str) -> None:
    parsed = parse_html(html.escape(text))
    assert parsed.text == text and parsed.entities == ()


@given(st.text(alphabet="<>&;/ab#x1 \"'=", max_size=30))
def test_parser_never_fails_unexpectedly(text: str) -> None:
    try:
        parse_html(text)
    except EntityParseError:
        pass
