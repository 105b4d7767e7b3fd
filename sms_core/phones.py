"""Phone numbers as people type them -> the form the gateway wants.

The gateway takes Chinese mobile numbers as 11 digits and landlines with their
area code and a leading 0 (`075580808080`). People type "+86 138 0013 8000",
"0755-8080 8080" or full-width digits from a Chinese input method; all of them
become the gateway's form, and anything else is refused with a reason that
says what to change: a NumberReason code (sms_core.errors), which callers word in
their own language, with its English sentence in the error's message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import phonenumbers

from sms_core.errors import InvalidNumber, NumberReason

CN = 86

# Full-width forms a Chinese input method produces.
_FULLWIDTH = str.maketrans(
    {**{chr(0xFF10 + i): str(i) for i in range(10)},
     "＋": "+", "－": "-", "（": "(", "）": ")", "\u3000": " ",
     # spaces a copy from a web page or a document brings: no-break, figure, narrow, thin
     "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " "}
)
_ALLOWED_RE = re.compile(r"\+?[0-9 \t()-]*")
_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
_MOBILE_LINES_RE = re.compile(r"(?:1[3-9][0-9]{9}\n)*1[3-9][0-9]{9}")
_MAX_DIGITS = 20

# Between targets: ASCII and full-width commas, the enumeration comma, semicolons, newlines.
_HARD_SEPARATORS_RE = re.compile(r"[,，、;；\r\n]+")
_NUMBER_LIKE_RE = re.compile(r"[0-9\s()+-]*")


def _numberish(token: str) -> bool:
    """Made of number characters only (a start like "+86" counts; a name does not)."""
    token = token.translate(_FULLWIDTH)
    return bool(_NUMBER_LIKE_RE.fullmatch(token)) and any(c in "0123456789+" for c in token)


def _landline(significant: str) -> str | None:
    """`0` + area code + number if phonenumbers knows it as a Chinese fixed line."""
    try:
        parsed = phonenumbers.parse("+86" + significant)
    except phonenumbers.NumberParseException:
        return None
    if parsed.country_code != CN or not phonenumbers.is_valid_number(parsed):
        return None
    kind = phonenumbers.number_type(parsed)
    if kind not in (phonenumbers.PhoneNumberType.FIXED_LINE,
                    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return None
    return "0" + str(parsed.national_number)


def normalize_number(raw: str) -> str:
    """One typed number -> `13800138000` (mobile) or `075580808080` (landline with area code).

    Mobile numbers are checked by shape (11 digits, 1[3-9]) rather than by
    phonenumbers' metadata, so that a newly opened range is not refused; landlines
    are checked with phonenumbers. Raises InvalidNumber with a reason to act on.
    """
    if _MOBILE_RE.fullmatch(raw):
        return raw  # already the gateway's form (the steps below would return it unchanged)
    typed = raw.translate(_FULLWIDTH).strip()
    if not typed:
        raise InvalidNumber(raw, NumberReason.EMPTY)
    if not _ALLOWED_RE.fullmatch(typed):
        raise InvalidNumber(raw, NumberReason.CHARACTERS)
    digits = re.sub(r"[^0-9]", "", typed)
    if not digits:
        raise InvalidNumber(raw, NumberReason.CHARACTERS)
    if len(digits) > _MAX_DIGITS:
        raise InvalidNumber(raw, NumberReason.TOO_LONG)

    international = typed.startswith("+") or digits.startswith("00")
    if international:
        if not typed.startswith("+"):
            digits = digits[2:]  # "00": China's international prefix
        if not digits:
            raise InvalidNumber(raw, NumberReason.SHAPE)
        if not digits.startswith("86"):
            raise InvalidNumber(raw, NumberReason.FOREIGN)
        significant = digits[2:]
        if significant.startswith("0"):  # "+86 0755 ...": the trunk 0 written anyway
            significant = significant[1:]
    elif len(digits) == 13 and digits.startswith("86") and _MOBILE_RE.fullmatch(digits[2:]):
        return digits[2:]  # "86-13800138000": country code without + or 00
    elif digits.startswith("0"):
        significant = digits[1:]  # trunk 0 + area code (or 0 + mobile, the old out-of-town way)
    else:
        # typed as a national number without the trunk 0: a mobile, or a local landline number
        if _MOBILE_RE.fullmatch(digits):
            return digits
        if digits.startswith("1"):
            raise InvalidNumber(raw, NumberReason.MOBILE_LENGTH if len(digits) != 11 else NumberReason.MOBILE_PREFIX)
        if 7 <= len(digits) <= 8:
            raise InvalidNumber(raw, NumberReason.AREA_CODE)
        raise InvalidNumber(raw, NumberReason.SHAPE)

    if not significant:
        raise InvalidNumber(raw, NumberReason.SHAPE)
    if _MOBILE_RE.fullmatch(significant):
        return significant
    landline = _landline(significant)
    if landline is not None:
        return landline
    if significant.startswith("1") and not significant.startswith("10"):  # 10: Beijing
        raise InvalidNumber(raw, NumberReason.MOBILE_LENGTH if len(significant) != 11 else NumberReason.MOBILE_PREFIX)
    if international and 7 <= len(significant) <= 8:
        raise InvalidNumber(raw, NumberReason.AREA_CODE)  # "+86 8080 8080": the area code left out
    # area code (2-3 digits) + local number (7-8 digits) is 9 to 11 digits
    raise InvalidNumber(raw, NumberReason.LANDLINE_SHORT if len(significant) <= 8 else NumberReason.LANDLINE)


def looks_like_number(token: str) -> bool:
    """True for a token meant as a number (digits, spaces, dashes, +, parentheses; >= 3 digits).

    Lets the bot tell "13800138000" from a contact name such as "oncall".
    """
    token = token.translate(_FULLWIDTH)
    return bool(_NUMBER_LIKE_RE.fullmatch(token)) and sum(c in "0123456789" for c in token) >= 3


def _valid(candidate: str) -> bool:
    try:
        normalize_number(candidate)
    except InvalidNumber:
        return False
    return True


def number_run(tokens: Sequence[str], start: int = 0) -> int | None:
    """The end of the shortest run of tokens from `start` that, joined with spaces, is a valid
    number ("+86", "138", "0013", "8000" -> start + 4), or None when there is none."""
    ndigits = 0
    for j in range(start, len(tokens)):
        token = tokens[j]
        if not _numberish(token):
            return None
        ndigits += sum(c in "0123456789" for c in token.translate(_FULLWIDTH))
        if ndigits > _MAX_DIGITS:
            return None
        if _valid(" ".join(tokens[start:j + 1])):
            return j + 1
    return None


def _group(tokens: list[str]) -> list[str]:
    """Join whitespace-separated pieces of one number ("+86 138 0013 8000") back together.

    From each position the shortest run of number-like tokens that forms a valid
    number wins, so "13800138000 13900139000" stays two numbers. Tokens that form
    no number are kept together as one target, so the error names what was typed.
    """
    out: list[str] = []
    bad: list[str] = []
    i = 0
    while i < len(tokens):
        if not _numberish(tokens[i]):
            if bad:
                out.append(" ".join(bad))
                bad = []
            out.append(tokens[i])
            i += 1
            continue
        end = number_run(tokens, i)
        if end is None:
            bad.append(tokens[i])
            i += 1
            continue
        if bad:
            out.append(" ".join(bad))
            bad = []
        out.append(" ".join(tokens[i:end]))
        i = end
    if bad:
        out.append(" ".join(bad))
    return out


def split_targets(text: str) -> list[str]:
    """Split a list of targets (numbers or contact names), without normalising them.

    Separators: commas (also "，"), "、", semicolons, newlines and spaces; spaces
    inside one number ("138 0013 8000") do not split it.
    """
    targets: list[str] = []
    for piece in _HARD_SEPARATORS_RE.split(text):
        tokens = piece.split()
        if tokens:
            targets.extend(_group(tokens))
    return targets


def normalize_numbers(raws: Iterable[str]) -> tuple[str, ...]:
    """Each number normalised (normalize_number), deduplicated, in the order given.

    Raises the first InvalidNumber. A list that is all in the gateway's mobile form
    already (a bulk send from a file or a group) is checked with one regex over the
    joined list, ~3x faster than one call per number.
    """
    raws = list(raws)
    try:
        joined = "\n".join(raws)
    except TypeError:  # not all str: normalize_number says which
        joined = ""
    # more "\n" than the separators means an element held one: not all plain
    if joined.count("\n") == len(raws) - 1 and _MOBILE_LINES_RE.fullmatch(joined):
        if len(set(raws)) == len(raws):  # the usual case: a set is ~1.5x cheaper than a dict
            return tuple(raws)
        return tuple(dict.fromkeys(raws))
    return tuple(dict.fromkeys(map(normalize_number, raws)))


def parse_numbers(text: str) -> tuple[str, ...]:
    """A typed list of numbers -> normalised, deduplicated, in the order given.

    Raises the first InvalidNumber; an empty text gives an empty tuple.
    """
    return normalize_numbers(split_targets(text))


def chunked(numbers: Sequence[str], size: int = 100) -> list[tuple[str, ...]]:
    """Requests of at most `size` numbers: the gateway refuses more than 100 at once (-4)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return [tuple(numbers[i:i + size]) for i in range(0, len(numbers), size)]
