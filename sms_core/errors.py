"""The sms_core error tree, in one place.

    SmsCoreError
    ├── InputError                 bad input, refused before anything is sent
    │   ├── InvalidNumber          .raw, .reason
    │   ├── UnsupportedCharacters  .chars (the characters the encoding lacks)
    │   ├── TextTooLong            .length, .limit
    │   ├── EmptyText
    │   ├── NoRecipients
    │   └── InvalidSchedule        .reason
    └── GatewayError               .code: the gateway's code, None when it gave none
        ├── GatewayRefused         the gateway answered with an error code
        │   ├── NoTarget (-1 send)         ├── NoContent (-2)
        │   ├── ForbiddenWord (-3 send, .word)
        │   ├── TooManyNumbers (-4)        ├── LoginFailed (-7)
        │   ├── ContentTooLong (-8)        ├── InsufficientBalance (-9)
        │   ├── AccountLocked (-10)        └── AccountNotFound (-1 polls/balance)
        ├── GatewayBusy            -99 on send, -3 on polls: not accepted, safe to retry
        ├── GatewayUnavailable     the request certainly did not arrive (refused, DNS): safe to retry
        ├── SendOutcomeUnknown     the request may have arrived (timeout, dropped): never retried;
        │                          .reason (UnknownReason) says why, .http_status the status of a 5xx
        ├── PageMaybeLost          a destructive read got no answer after it was sent: not retried at once
        └── GatewayProtocolError   an answer of none of the documented forms; .excerpt is short and
                                   safe, .partial holds the records that could still be read

Messages are written for a person and never contain the account password.
"""

from __future__ import annotations

import enum
import unicodedata


class SmsCoreError(Exception):
    """Root of everything sms_core raises on purpose."""


# --- input -------------------------------------------------------------------


class InputError(SmsCoreError, ValueError):
    """Input that cannot be sent; the message says what to change."""


class InvalidNumber(InputError):
    def __init__(self, raw: str, reason: str) -> None:
        self.raw = raw
        self.reason = reason
        # An empty entry has nothing to quote: the reason alone says it.
        super().__init__(f"{raw} is not a valid number: {reason}" if raw.strip() else reason)


def show_char(ch: str) -> str:
    """A character as a person can find it: `'😀'`, or `U+200B (ZERO WIDTH SPACE)` for one
    that shows as nothing, as a blank or on top of its neighbour."""
    if unicodedata.category(ch) in _UNSEEN:
        name = unicodedata.name(ch, "")
        return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")
    return f"'{ch}'"


_UNSEEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me", "Mc"})
"""Unicode categories of characters that cannot be seen on their own."""


class UnsupportedCharacters(InputError):
    def __init__(self, chars: tuple[str, ...], encoding: str) -> None:
        self.chars = chars
        self.encoding = encoding
        super().__init__(
            f"{self.shown} cannot be sent: the gateway's encoding ({encoding.upper()}) has no such "
            f"character{'s' if len(chars) > 1 else ''}"
        )

    @property
    def shown(self) -> str:
        """The characters, each as show_char writes it."""
        return " ".join(map(show_char, self.chars))


class TextTooLong(InputError):
    def __init__(self, length: int, limit: int) -> None:
        self.length = length
        self.limit = limit
        super().__init__(f"the text has {length} characters; at most {limit}")


class EmptyText(InputError):
    def __init__(self) -> None:
        super().__init__("the text is empty; write what the SMS should say")


class NoRecipients(InputError):
    def __init__(self) -> None:
        super().__init__("no number to send to; give at least one number")


class InvalidSchedule(InputError):
    """`kind` is format, past or ahead; `params` hold the times shown, for other languages."""

    def __init__(self, reason: str, kind: str = "format", **params: str) -> None:
        self.reason = reason
        self.kind = kind
        self.params = params
        super().__init__(reason)


# --- gateway -----------------------------------------------------------------


class GatewayError(SmsCoreError):
    """Anything the gateway (or the way to it) did wrong. `code` is the gateway's, if any."""

    code: int | None = None
    retryable: bool = False

    def __init__(self, message: str, code: int | None = None) -> None:
        if code is not None:
            self.code = code
        super().__init__(message)


class GatewayRefused(GatewayError):
    """The gateway answered with a documented error code."""


class NoTarget(GatewayRefused):
    code = -1

    def __init__(self) -> None:
        super().__init__("the gateway got no target number (-1)")


class NoContent(GatewayRefused):
    code = -2

    def __init__(self) -> None:
        super().__init__("the gateway got no text (-2)")


class ForbiddenWord(GatewayRefused):
    code = -3

    def __init__(self, word: str) -> None:
        self.word = word
        super().__init__(f"the gateway refused the word {word}" if word else
                         "the gateway refused a forbidden word in the text")


class TooManyNumbers(GatewayRefused):
    code = -4

    def __init__(self) -> None:
        super().__init__("the gateway refused more than 100 numbers in one request (-4)")


class LoginFailed(GatewayRefused):
    code = -7

    def __init__(self) -> None:
        super().__init__("the gateway refused the login (-7): check SMSBOT_GATEWAY_USERNAME and SMSBOT_GATEWAY_PASSWORD")


class ContentTooLong(GatewayRefused):
    code = -8

    def __init__(self) -> None:
        super().__init__("the gateway refused the text as longer than 335 characters (-8)")


class InsufficientBalance(GatewayRefused):
    code = -9

    def __init__(self) -> None:
        super().__init__("the gateway account's balance is too low for this send (-9): top it up")


class AccountLocked(GatewayRefused):
    code = -10

    def __init__(self) -> None:
        super().__init__("the gateway account is locked (-10): ask the SMS provider")


class AccountNotFound(GatewayRefused):
    code = -1

    def __init__(self) -> None:
        super().__init__("the gateway does not know this account (-1): check SMSBOT_GATEWAY_USERNAME")


class GatewayBusy(GatewayError):
    """Not accepted; the same request may be sent again later."""

    retryable = True

    def __init__(self, code: int) -> None:
        super().__init__(f"the gateway is busy ({code}); try again in a moment", code)


class GatewayUnavailable(GatewayError):
    """The request certainly did not reach the gateway (refused, DNS): safe to retry."""

    retryable = True


class UnknownReason(enum.StrEnum):
    """Why a send's outcome is unknown: a stable code, stored as it is and worded by the caller.

    The first four come from SmsGateway.send; the last two are for a caller's journal of a
    send that stopped before its chunks' answers were recorded.
    """

    TIMEOUT = "timeout"  # no answer in time
    UNREADABLE = "unreadable"  # an answer of none of the documented forms (an HTML page, empty)
    HTTP_STATUS = "http_status"  # HTTP 5xx: SendOutcomeUnknown.http_status says which
    CONNECTION_CLOSED = "connection_closed"  # the connection closed or broke before an answer
    INTERRUPTED = "interrupted"  # the process stopped mid-send (a crash, a kill)
    INTERNAL_ERROR = "internal_error"  # an error in the caller stopped the send


class SendOutcomeUnknown(GatewayError):
    """The send may have reached the gateway. Never retried automatically: check before re-sending.

    `reason` is the fault as a code (for storage and for wording in any language); `http_status`
    the status of an HTTP 5xx answer (reason HTTP_STATUS), else None.
    """

    def __init__(self, message: str, reason: UnknownReason, *, http_status: int | None = None) -> None:
        self.reason = reason
        self.http_status = http_status
        super().__init__(message)


class PageMaybeLost(GatewayError):
    """A destructive read (reports, inbound) was sent, but no answer came back (a timeout, a
    dropped connection, HTTP 5xx): the gateway may have handed the page out and forgotten it.
    Not retried at once: a repeat cannot bring that page back; the next poll reads on."""


class GatewayProtocolError(GatewayError):
    """An answer of none of the documented forms (an HTML page, empty, cut short).

    `partial` is what could still be read of a poll answer (a ReportPage or InboundPage
    of its intact records, or None): the read was destructive, so a caller keeps those
    records rather than lose them with the damaged part.
    """

    def __init__(self, message: str, excerpt: str = "", *, partial: object | None = None) -> None:
        self.reason = message
        self.excerpt = excerpt
        self.partial = partial
        super().__init__(f"{message}: {excerpt!r}" if excerpt else message)


SEND_ERRORS: dict[int, type[GatewayRefused]] = {
    -1: NoTarget,
    -2: NoContent,
    -4: TooManyNumbers,
    -7: LoginFailed,
    -8: ContentTooLong,
    -9: InsufficientBalance,
    -10: AccountLocked,
}
"""Send codes without payload; -3 (ForbiddenWord, carries a word) and -99 (busy) are special."""

POLL_ERRORS: dict[int, type[GatewayRefused]] = {-1: AccountNotFound, -7: LoginFailed}
"""Codes of the report/inbound/balance reads; -3 on a poll means busy."""
