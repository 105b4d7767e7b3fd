"""Message catalogues (English, Simplified Chinese) and the one way the bot words anything.

Every value put into a message is HTML-escaped here, so an SMS text or a contact
name can never break Telegram's HTML parse mode. A value that is already safe
HTML (a rendered list) is passed wrapped in `Html`.
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping

from bot.i18n.en import MESSAGES as EN
from bot.i18n.zh import MESSAGES as ZH

CATALOGUES: dict[str, Mapping[str, str]] = {"en": EN, "zh": ZH}
LANGUAGES = tuple(CATALOGUES)


class Html(str):
    """A string that is already valid Telegram HTML: inserted as is."""


def pick_language(language_code: str | None, forced: str | None = None) -> str:
    """`zh*` Telegram language codes get Chinese; everything else English; a setting overrides."""
    if forced in CATALOGUES:
        return forced  # type: ignore[return-value]
    if language_code and language_code.lower().startswith("zh"):
        return "zh"
    return "en"


def _safe(value: object) -> str:
    if isinstance(value, Html):
        return str(value)
    return html.escape(str(value), quote=False)


class _Formatter(string.Formatter):
    """`{n|number|numbers}` is the word for the count `n`: the first form for 1, else the second.

    English needs it ("1 number", "3 numbers"); Chinese does not, and just leaves it out.
    """

    def get_field(self, field_name: str, args: object, kwargs: dict[str, object]) -> tuple[object, str]:
        if "|" in field_name:
            name, one, many = field_name.split("|", 2)
            return (one if str(kwargs[name]) == "1" else many), name
        return super().get_field(field_name, args, kwargs)  # type: ignore[arg-type]


_FORMATTER = _Formatter()


def template_of(key: str, catalogue: Mapping[str, str]) -> str:
    """`key`'s template in `catalogue`, or the English one where the catalogue lacks it (a
    message added in English first still reads, rather than failing)."""
    return catalogue.get(key) or EN[key]


def t(key: str, lang: str = "en", /, **params: object) -> str:
    """The message `key` in `lang`, placeholders filled with escaped values."""
    template = template_of(key, CATALOGUES.get(lang, EN))
    return _FORMATTER.vformat(template, (), {k: _safe(v) for k, v in params.items()})


def plain(key: str, lang: str = "en", /, **params: object) -> str:
    """The message `key` in `lang` as plain text, for answers outside Telegram (the webhook's
    JSON): its template holds no tags, and its entities and escaped values read as typed."""
    return html.unescape(t(key, lang, **params))


def placeholders(template: str) -> set[str]:
    """The parameters a template uses (a plural form `{n|one|many}` uses `n`)."""
    return {name.split("|", 1)[0] for _, name, _, _ in string.Formatter().parse(template) if name}


class Translator:
    """`t` bound to one language, handed to code that words several messages."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, /, **params: object) -> str:
        return t(key, self.lang, **params)
