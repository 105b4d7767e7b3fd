"""The README and docs/ as a reader meets them: every link leads somewhere in this repository,
and the README's test command is the one CI runs.

A link that leaves the repository (`../shared/...`) works on one machine and nowhere else; a
public web page (https://) is the only way out. Anchors (`#section`) must name a heading of the
page they point to, as GitHub spells it, so a renamed section cannot leave a dead link behind.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^\s*```")
_INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_LINK = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
_CODE_SPAN = re.compile(r"`+[^`]*`+")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _prose(text: str) -> str:
    """The page without its fenced code blocks and inline code (no link lives there); a link's
    text may run over a line break, as Markdown allows."""
    lines, inside = [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            inside = not inside
        elif not inside:
            lines.append(line)
    return _CODE_SPAN.sub("", "\n".join(lines))


def links(page: Path) -> list[str]:
    prose = _prose(page.read_text(encoding="utf-8"))
    found = _INLINE_LINK.findall(prose)
    for line in prose.splitlines():
        found += _REFERENCE_LINK.findall(line)
    return found


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LNM")
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    inside = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if _FENCE.match(line):
            inside = not inside
            continue
        m = None if inside else _HEADING.match(line)
        if m:
            base = slug(m.group(2))
            n = seen.get(base, 0)
            seen[base] = n + 1
            out.add(base if n == 0 else f"{base}-{n}")
    return out


def _is_web(target: str) -> bool:
    return target.startswith(("https://", "http://", "mailto:"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_of_a_page_leads_to_a_file_or_section_of_the_repository(page: Path) -> None:
    found = links(page)
    assert found or page != README, "no link found in the README: the link pattern is broken"
    dead = []
    for target in found:
        if _is_web(target):
            continue
        path_part, _, anchor = target.partition("#")
        if path_part.startswith("/") or re.match(r"^[a-z][a-z0-9+.-]*:", path_part):
            dead.append(f"{target}: not a path inside the repository")
            continue
        dest = (page.parent / unquote(path_part)).resolve() if path_part else page
        if not dest.is_relative_to(ROOT):
            dead.append(f"{target}: outside the repository")
        elif not dest.exists():
            dead.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            dead.append(f"{target}: no heading #{anchor} in {dest.relative_to(ROOT)}")
    assert not dead, dead


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_points_outside_the_repository(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert "shared/" not in text
    if page == README:
        assert not [t for t in links(page) if t.startswith("../")]


def test_the_readme_second_set_up_command_is_what_ci_runs() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ["# smsbot", ""] and lines[2].startswith("```")
    end = lines.index("```", 3)
    commands = lines[3:end]
    assert len(commands) == 2
    ci = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
          if line.strip() and not line.lstrip().startswith("#")]
    assert commands[1] == ci[-1]


def test_the_link_finder_sees_links_and_skips_code(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("See [a](docs/a.md#x) and [b](https://t.me/BotFather), [a\nlink](y.md).\n"
                    "`[c](../not-a-link)`\n```\n[d](../nor-this)\n```\n[e]: ../ref.md\n",
                    encoding="utf-8")
    assert links(page) == ["docs/a.md#x", "https://t.me/BotFather", "y.md", "../ref.md"]
    assert slug("When `check` fails") == "when-check-fails"
    assert slug("What it promises: what is guaranteed") == "what-it-promises-what-is-guaranteed"
    assert slug("The store's words") == "the-stores-words"
