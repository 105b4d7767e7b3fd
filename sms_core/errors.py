"""The sms_core error tree, in one place.

    SmsCoreError                   .reason: a stable code (a StrEnum), stored and worded by callers
    ├── InputError                 bad input, refused before anything is sent (InputReason)
    │   ├── InvalidNumber          .raw, .why (NumberReason: why this number is refused)
    │   ├── UnsupportedCharacters  .chars (the characters the encoding lacks)
    │   ├── TextTooLong            .length, .limit
    │   ├── EmptyText
    │   ├── NoRecipients
    │   └── InvalidSchedule        .kind (format, past, ahead), .params
    └── GatewayError               .code: the gateway's code, None when it gave none (GatewayReason)
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

Messages are written for a person and never contain the account password. A caller that
keeps or words an error goes by its `reason` (and `reason_arg`), never by its class name:
a class may be renamed, a reason's value never is (stores keep it).
"""

from __future__ import annotations

import enum
import unicodedata


class InputReason(enum.StrEnum):
    """Why input is refused before anything is sent: a stable code, one per InputError."""

    INVALID_NUMBER = "invalid_number"
    UNSUPPORTED_CHARACTERS = "unsupported_characters"
    TEXT_TOO_LONG = "text_too_long"
    EMPTY_TEXT = "empty_text"
    NO_RECIPIENTS = "no_recipients"
    INVALID_SCHEDULE = "invalid_schedule"


class NumberReason(enum.StrEnum):
    """Why a typed number is refused (sms_core.phones): a stable code, worded per language by
    the caller; `sentence` says it in English, for sms_core's own messages and the CLI."""

    CHARACTERS = "characters"
    EMPTY = "empty"
    FOREIGN = "foreign"
    MOBILE_LENGTH = "mobile_length"
    MOBILE_PREFIX = "mobile_prefix"
    AREA_CODE = "area_code"
    LANDLINE = "landline"
    LANDLINE_SHORT = "landline_short"
    SHAPE = "shape"
    TOO_LONG = "too_long"

    @property
    def sentence(self) -> str:
        return _NUMBER_SENTENCES[self]


_NUMBER_SENTENCES: dict[NumberReason, str] = {
    NumberReason.CHARACTERS: "a number may contain only digits, spaces, dashes and a leading +",
    NumberReason.EMPTY: "the number is empty",
    NumberReason.FOREIGN: "only Chinese numbers (+86) can be texted through this gateway",
    NumberReason.MOBILE_LENGTH: "a mobile number has 11 digits",
    NumberReason.MOBILE_PREFIX: "a mobile number starts with 13 to 19",
    NumberReason.AREA_CODE: "a landline number needs its area code, e.g. 0755-80808080",
    NumberReason.LANDLINE: "not a landline number with a valid area code, e.g. 0755-80808080",
    NumberReason.LANDLINE_SHORT: "a landline number has 7 or 8 digits after the area code, e.g. 0755-80808080",
    NumberReason.SHAPE: ("a mobile number has 11 digits and starts with 1; "
                         "a landline number starts with its area code, e.g. 0755-80808080"),
    NumberReason.TOO_LONG: "too many digits for a phone number",
}


class GatewayReason(enum.StrEnum):
    """Why the gateway (or the way to it) failed: a stable code per GatewayError class, stored as
    it is (a send's error kind) and worded by the caller. UNREADABLE is the same code as
    UnknownReason.UNREADABLE: the same fault, worded once."""

    NO_TARGET = "no_target"
    NO_CONTENT = "no_content"
    FORBIDDEN_WORD = "forbidden_word"
    TOO_MANY_NUMBERS = "too_many_numbers"
    LOGIN_FAILED = "login_failed"
    CONTENT_TOO_LONG = "content_too_long"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    ACCOUNT_LOCKED = "account_locked"
    ACCOUNT_NOT_FOUND = "account_not_found"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"
    PAGE_MAYBE_LOST = "page_maybe_lost"
    UNREADABLE = "unreadable"
    GATEWAY_ERROR = "gateway_error"  # a GatewayError of no more precise kind


class SmsCoreError(Exception):
    """Root of everything sms_core raises on purpose. `reason` is its stable code; `reason_arg`
    the one value its wording needs (the forbidden word, the HTTP status), else None."""

    reason: enum.StrEnum

    @property
    def reason_arg(self) -> str | None:
        return None


# --- input -------------------------------------------------------------------


class InputError(SmsCoreError, ValueError):
    """Input that cannot be sent; the message says what to change."""

    reason: InputReason


class InvalidNumber(InputError):
    """`why` says what is wrong with the number (NumberReason)."""

    reason = InputReason.INVALID_NUMBER

    def __init__(self, raw: str, why: NumberReason) -> None:
        self.raw = raw
        self.why = why
        # An empty entry has nothing to quote: the reason alone says it.
        super().__init__(f"{raw} is not a valid number: {why.sentence}" if raw.strip() else why.sentence)


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
    reason = InputReason.UNSUPPORTED_CHARACTERS

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
    reason = InputReason.TEXT_TOO_LONG

    def __init__(self, length: int, limit: int) -> None:
        self.length = length
        self.limit = limit
        super().__init__(f"the text has {length} characters; at most {limit}")


class EmptyText(InputError):
    reason = InputReason.EMPTY_TEXT

    def __init__(self) -> None:
        super().__init__("the text is empty; write what the SMS should say")


class NoRecipients(InputError):
    reason = InputReason.NO_RECIPIENTS

    def __init__(self) -> None:
        super().__init__("no number to send to; give at least one number")


class InvalidSchedule(InputError):
    """`kind` is format, past or ahead; `params` hold the times shown, for other languages."""

    reason = InputReason.INVALID_SCHEDULE

    def __init__(self, message: str, kind: str = "format", **params: str) -> None:
        self.kind = kind
        self.params = params
        super().__init__(message)


# --- gateway -----------------------------------------------------------------


class GatewayError(SmsCoreError):
    """Anything the gateway (or the way to it) did wrong. `code` is the gateway's, if any."""

    code: int | None = None
    retryable: bool = False
    reason: GatewayReason | UnknownReason = GatewayReason.GATEWAY_ERROR

    def __init__(self, message: str, code: int | None = None) -> None:
        if code is not None:
            self.code = code
        super().__init__(message)


class GatewayRefused(GatewayError):
    """The gateway answered with a documented error code."""


class NoTarget(GatewayRefused):
    reason = GatewayReason.NO_TARGET
    code = -1

    def __init__(self) -> None:
        super().__init__("the gateway got no target number (-1)")


class NoContent(GatewayRefused):
    reason = GatewayReason.NO_CONTENT
    code = -2

    def __init__(self) -> None:
        super().__init__("the gateway got no text (-2)")


class ForbiddenWord(GatewayRefused):
    reason = GatewayReason.FORBIDDEN_WORD
    code = -3

    def __init__(self, word: str) -> None:
        self.word = word
        super().__init__(f"the gateway refused the word {word}" if word else
                         "the gateway refused a forbidden word in the text")

    @property
    def reason_arg(self) -> str | None:
        return self.word or None


class TooManyNumbers(GatewayRefused):
    reason = GatewayReason.TOO_MANY_NUMBERS
    code = -4

    def __init__(self) -> None:
        super().__init__("the gateway refused more than 100 numbers in one request (-4)")


class LoginFailed(GatewayRefused):
    reason = GatewayReason.LOGIN_FAILED
    code = -7

    def __init__(self) -> None:
        super().__init__("the gateway refused the login (-7): check SMSBOT_GATEWAY_USERNAME and SMSBOT_GATEWAY_PASSWORD")


class ContentTooLong(GatewayRefused):
    reason = GatewayReason.CONTENT_TOO_LONG
    code = -8

    def __init__(self) -> None:
        super().__init__("the gateway refused the text as longer than 335 characters (-8)")


class InsufficientBalance(GatewayRefused):
    reason = GatewayReason.INSUFFICIENT_BALANCE
    code = -9

    def __init__(self) -> None:
        super().__init__("the gateway account's balance is too low for this send (-9): top it up")


class AccountLocked(GatewayRefused):
    reason = GatewayReason.ACCOUNT_LOCKED
    code = -10

    def __init__(self) -> None:
        super().__init__("the gateway account is locked (-10): ask the SMS provider")


class AccountNotFound(GatewayRefused):
    reason = GatewayReason.ACCOUNT_NOT_FOUND
    code = -1

    def __init__(self) -> None:
        super().__init__("the gateway does not know this account (-1): check SMSBOT_GATEWAY_USERNAME")


class GatewayBusy(GatewayError):
    """Not accepted; the same request may be sent again later."""

    retryable = True
    reason = GatewayReason.BUSY

    def __init__(self, code: int) -> None:
        super().__init__(f"the gateway is busy ({code}); try again in a moment", code)


class GatewayUnavailable(GatewayError):
    """The request certainly did not reach the gateway (refused, DNS): safe to retry."""

    retryable = True
    reason = GatewayReason.UNAVAILABLE


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

    @property
    def reason_arg(self) -> str | None:
        return None if self.http_status is None else str(self.http_status)


class PageMaybeLost(GatewayError):
    """A destructive read (reports, inbound) was sent, but no answer came back (a timeout, a
    dropped connection, HTTP 5xx): the gateway may have handed the page out and forgotten it.
    Not retried at once: a repeat cannot bring that page back; the next poll reads on."""

    reason = GatewayReason.PAGE_MAYBE_LOST


class GatewayProtocolError(GatewayError):
    """An answer of none of the documented forms (an HTML page, empty, cut short).

    `partial` is what could still be read of a poll answer (a ReportPage or InboundPage
    of its intact records, or None): the read was destructive, so a caller keeps those
    records rather than lose them with the damaged part. `detail` is the message without the
    excerpt.
    """

    reason = GatewayReason.UNREADABLE

    def __init__(self, message: str, excerpt: str = "", *, partial: object | None = None) -> None:
        self.detail = message
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
