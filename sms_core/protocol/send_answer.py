"""The send's answer: `0|a|b|d`, or one of the send's own codes (-3 carries a forbidden word)."""

from __future__ import annotations

from sms_core.errors import SEND_ERRORS, ForbiddenWord, GatewayBusy
from sms_core.models import SendAnswer
from sms_core.protocol.body import STRIP, decode_body, read_int, unexpected


def parse_send(body: bytes | str, encoding: str = "gbk") -> SendAnswer:
    """`0|a|b|d` -> SendAnswer; an error code -> its exception (-3 carries the forbidden word).

    Error codes must stand alone (only -3 has a payload), so that `-99`, the one
    code after which a send is retried, is never read into a longer answer.
    """
    text = decode_body(body, encoding)
    parts = text.split("|")
    code = read_int(parts[0])
    if code is None:
        raise unexpected(text)
    if code == 0:
        if len(parts) == 5 and not parts[4].strip(STRIP):
            del parts[4]  # `0|a|b|d|`: a trailing bar, as report pages may have
        if len(parts) != 4:
            raise unexpected(text)
        accepted, rejected = read_int(parts[1]), read_int(parts[2])
        if accepted is None or rejected is None or accepted < 0 or rejected < 0:
            raise unexpected(text)
        ids = tuple(i for i in (p.strip(STRIP) for p in parts[3].split(",")) if i)
        if accepted > 0 and not ids:
            raise unexpected(text)
        return SendAnswer(accepted=accepted, rejected=rejected, ids=ids)
    if code == -3:
        word = text.split("|", 1)[1].strip(STRIP + "|") if len(parts) > 1 else ""
        raise ForbiddenWord(word)
    if len(parts) == 1:
        if code == -99:
            raise GatewayBusy(-99)
        if code in SEND_ERRORS:
            raise SEND_ERRORS[code]()
    raise unexpected(text)


__all__ = ["parse_send"]
