"""The sandbox gateway's state and behaviour: pure Python, no I/O, thread-safe.

This module deliberately does NOT use `sms_core.protocol`: it reads queries and
writes answers on its own, from the vendor's document, so that a test of the
client against the sandbox is a real cross-check of both sides.

Order of checks on a send (a real site checks the account before it looks at
anything else; the rest follows the vendor's table):

    1. `us_name`/`us_pwd` wrong or missing  -> -7
    2. account locked                       -> -10
    3. no `send_phone` (or only commas)     -> -1
    4. no `send_content`                    -> -2
    5. more than 100 numbers                -> -4
    6. more than 335 characters             -> -8
    7. `send_time` present but not 14 digits of a real date and time -> -2
       (the vendor has no code for it; "your request's content is malformed"
       is the nearest documented meaning, and it is an answer after which the
       client never retries, which is what a client bug deserves)
    8. a forbidden word                     -> -3|WORD
    9. balance < segments x valid numbers   -> -9
   otherwise 0|a|b|d.

Reads (reports, inbound, balance): unknown `us_name` -> -1, wrong password -> -7.
A locked account can still read (the vendor documents no code for it there).
"""

from __future__ import annotations

import enum
import itertools
import math
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote_to_bytes

from sms_core.models import DeliveryReport, InboundSms

CST = timezone(timedelta(hours=8), "CST")
"""The gateway's clock (kept here on purpose rather than imported from sms_core.schedule)."""

MAX_NUMBERS = 100
MAX_CHARS = 335
SINGLE_SMS_CHARS = 70
REPORT_PAGE = 100
INBOUND_PAGE = 50

SEND_PATH = "/sendsms_txt.asp"
REPORTS_PATH = "/get_report_txt.asp"
INBOUND_PATH = "/get_receive_message_txt.asp"
BALANCE_PATH = "/Get_Account_Balance.asp"

ENDPOINTS: dict[str, str] = {
    SEND_PATH: "send",
    REPORTS_PATH: "reports",
    INBOUND_PATH: "inbound",
    BALANCE_PATH: "balance",
}
"""Path (exactly as the vendor spells it; the sandbox is case-sensitive, to catch typos) -> name."""

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0[0-9]{9,11}")
_SEND_TIME = re.compile(r"[0-9]{14}")


class FaultMode(enum.StrEnum):
    BUSY = "busy"  # send -> -99, reads -> -3; nothing done
    SLOW = "slow"  # the request is handled, the answer comes after `delay` seconds
    GARBAGE = "garbage"  # an HTML error page, an empty body or a cut-short answer
    STALL = "stall"  # the request is read and counted, then never answered
    DROP = "drop"  # the connection is closed without an answer
    HTTP500 = "http500"  # HTTP 500 with an IIS-style page


GARBAGE_VARIANTS = ("html", "empty", "truncated")


@dataclass
class Fault:
    """The next `count` calls (to `endpoint`, or to any gateway endpoint) misbehave.

    `process`: for stall/drop/garbage/http500, whether the gateway did the work
    (sent the SMS, consumed the page) before failing to answer -- the case in
    which a client that retried would text twice. Busy never processes; slow
    always does.
    """

    mode: FaultMode
    count: int = 1
    endpoint: str | None = None
    delay: float = 1.0
    variant: str = "html"
    process: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"mode": str(self.mode), "count": self.count, "endpoint": self.endpoint,
                "delay": self.delay, "variant": self.variant, "process": self.process}


@dataclass
class RequestRecord:
    """One request to a gateway endpoint, as the sandbox saw it.

    `raw_query` holds the bytes as received, password included: kept in memory
    only (tests check GBK on the wire with it), hidden from repr and from JSON.
    `params` has the password replaced by "***". `gbk_ok` is False when some
    value's bytes were not valid GBK (the real gateway would store mojibake).
    """

    endpoint: str
    path: str
    time: float
    raw_query: bytes = field(repr=False)
    params: dict[str, str]
    gbk_ok: bool
    fault: str | None = None
    answer: str | None = None
    status: int | None = None
    duration: float = 0.0  # seconds spent by the sandbox handling it (server side)

    def to_json(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "path": self.path, "time": self.time,
                "params": self.params, "gbk_ok": self.gbk_ok, "fault": self.fault,
                "answer": self.answer, "status": self.status, "duration": self.duration}


@dataclass(frozen=True)
class SentRecord:
    """One accepted send request (a `0|a|b|d` answer)."""

    time: float
    accepted: tuple[str, ...]  # valid numbers, in request order, duplicates kept
    rejected: tuple[str, ...]
    text: str
    send_time: str | None  # the raw 14 digits, if scheduled
    ids: tuple[str, ...]  # the `d` field split on commas
    batch: str
    segments: int
    charged: int

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("accepted", "rejected", "ids"):
            d[key] = list(d[key])
        return d


@dataclass(order=True)
class _Queued:
    due: float
    seq: int
    report: DeliveryReport = field(compare=False)


def segments_for(text: str, segment_size: int = 67) -> int:
    """70 characters = 1 SMS; longer text is billed by segments of `segment_size`."""
    n = len(text)
    if n <= SINGLE_SMS_CHARS:
        return 1
    return math.ceil(n / segment_size)


def is_valid_number(number: str) -> bool:
    """What the sandbox accepts: an 11-digit mobile 1[3-9]xxxxxxxxx or a landline 0 + 9..11 digits."""
    return bool(_MOBILE.fullmatch(number) or _LANDLINE.fullmatch(number))


def parse_send_time(raw: str) -> float | None:
    """14 digits YYYYMMDDhhmmss in CST -> epoch seconds; None when malformed."""
    if not _SEND_TIME.fullmatch(raw):
        return None
    try:
        at = datetime(int(raw[0:4]), int(raw[4:6]), int(raw[6:8]), int(raw[8:10]),
                      int(raw[10:12]), int(raw[12:14]), tzinfo=CST)
    except ValueError:
        return None
    return at.timestamp()


def decode_query(raw: bytes, encoding: str = "gbk") -> tuple[dict[str, str], bool]:
    """Read a raw query string the way a Chinese ASP site does: `+` is a space,
    %XX escapes are bytes, the bytes are GBK. Keys are case-insensitive (ASP's
    Request.QueryString); a repeated key's values are joined with ", " as ASP does.

    Returns (params, all values were valid GBK). An invalid value is decoded with
    replacement characters: garbage text, as the real gateway would store it.
    """
    params: dict[str, str] = {}
    ok = True
    for part in raw.split(b"&"):
        if not part:
            continue
        key_b, _, value_b = part.partition(b"=")
        key_bytes = unquote_to_bytes(key_b.replace(b"+", b" "))
        value_bytes = unquote_to_bytes(value_b.replace(b"+", b" "))
        try:
            key = key_bytes.decode(encoding)
        except UnicodeDecodeError:
            ok = False
            key = key_bytes.decode(encoding, errors="replace")
        try:
            value = value_bytes.decode(encoding)
        except UnicodeDecodeError:
            ok = False
            value = value_bytes.decode(encoding, errors="replace")
        key = key.lower()
        params[key] = f"{params[key]}, {value}" if key in params else value
    return params, ok


def format_reports(reports: Iterable[DeliveryReport | tuple[str, str, int]]) -> str:
    """`N|id;phone;status|...`, or `0` when there is none (the vendor's report page)."""
    records = [
        f"{r.sms_id};{r.phone};{r.status}" if isinstance(r, DeliveryReport)
        else f"{r[0]};{r[1]};{r[2]}"
        for r in reports
    ]
    if not records:
        return "0"
    return f"{len(records)}|" + "|".join(records)


def format_inbound(messages: Iterable[InboundSms | tuple[str, str, str]], style: str = ";") -> str:
    """`N|id;phone;text|...`, or `0`. style ";" as the vendor's prose, "," as its
    example (`133,13798361236;text`), "mixed" alternates the two."""
    if style not in (";", ",", "mixed"):
        raise ValueError(f"unknown inbound style {style!r}; expected ';', ',' or 'mixed'")
    records = []
    for i, m in enumerate(messages):
        msg_id, phone, text = (m.msg_id, m.phone, m.text) if isinstance(m, InboundSms) else m
        sep = style if style != "mixed" else (";" if i % 2 == 0 else ",")
        records.append(f"{msg_id}{sep}{phone};{text}")
    if not records:
        return "0"
    return f"{len(records)}|" + "|".join(records)


_GARBAGE_HTML = (
    "<html><head><title>HTTP 500 - 内部服务器错误</title></head><body>"
    "<h2>Microsoft VBScript 运行时错误 '800a000d'</h2><p>类型不匹配: 'CInt'</p>"
    "<p>/include/conn.asp，行 42</p></body></html>"
)
HTTP500_PAGE = (
    "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"><html><head>"
    "<title>500 - 内部服务器错误。</title></head><body><h2>500 - 内部服务器错误。</h2>"
    "<h3>您查找的资源存在问题，因而无法显示。</h3></body></html>"
)
_TRUNCATED = {
    "send": "0|2",
    "reports": "3|6408676;13682250950;20|6408649;137",
    "inbound": "2|133,13798361236;我回复一条|134,1382",
    "balance": "",
}


def _endpoint_name(endpoint: str | None) -> str | None:
    """Accept "send", "sendsms_txt.asp" or "/sendsms_txt.asp" (and so on) for an endpoint."""
    if endpoint is None or endpoint == "":
        return None
    if endpoint in ENDPOINTS.values():
        return endpoint
    path = endpoint if endpoint.startswith("/") else "/" + endpoint
    if path in ENDPOINTS:
        return ENDPOINTS[path]
    raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {sorted(ENDPOINTS.values())}")


_SETTABLE = (
    "username", "password", "locked", "forbidden_words", "segment_size", "id_style",
    "report_delay", "auto_reports", "fail_numbers", "pending_first", "report_per_segment",
    "inbound_style", "balance",
)


_BOOL_SETTINGS = frozenset({"locked", "auto_reports", "pending_first", "report_per_segment"})


def _checked_setting(key: str, value: Any) -> Any:
    """A setting's value of the right type (the control surface takes JSON), or ValueError
    saying what is expected: a wrong type would misbehave later ("false" would lock the
    account, "spam" would forbid each of its letters)."""
    if key in _BOOL_SETTINGS:
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false")
        return value
    if key in ("username", "password"):
        if not isinstance(value, str):
            raise ValueError(f"{key} must be a string")
        return value
    if key in ("forbidden_words", "fail_numbers"):
        if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset) \
                or not all(isinstance(v, str) and v for v in value):
            raise ValueError(f"{key} must be a list of non-empty strings")
        return tuple(value) if key == "forbidden_words" else frozenset(value)
    if key == "balance":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError("balance must be a whole number >= 0")
        return value
    if key == "segment_size":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= SINGLE_SMS_CHARS:
            raise ValueError(f"segment_size must be a whole number from 1 to {SINGLE_SMS_CHARS}")
        return value
    if key == "report_delay":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
            raise ValueError("report_delay must be a number of seconds >= 0")
        return float(value)
    if key == "id_style" and value not in ("per-number", "batch"):
        raise ValueError("id_style must be 'per-number' or 'batch'")
    if key == "inbound_style" and value not in (";", ",", "mixed"):
        raise ValueError("inbound_style must be ';', ',' or 'mixed'")
    return value


class SandboxGateway:
    """One gateway account with its balance, queues, logs and scheduled faults.

    Every public method takes the lock, so the server thread and a test thread
    may use it at once. Settings are plain attributes (see `configure`).
    """

    def __init__(
        self,
        *,
        username: str = "demo",
        password: str = "sandbox-password",
        balance: int = 10_000,
        locked: bool = False,
        forbidden_words: Iterable[str] = ("发票", "代开"),
        segment_size: int = 67,
        id_style: str = "per-number",
        report_delay: float = 1.0,
        auto_reports: bool = True,
        fail_numbers: Iterable[str] = (),
        pending_first: bool = False,
        report_per_segment: bool = False,
        inbound_style: str = ";",
        encoding: str = "gbk",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._lock = threading.RLock()
        self._initial: dict[str, Any] = {
            "username": username, "password": password, "balance": balance, "locked": locked,
            "forbidden_words": tuple(forbidden_words), "segment_size": segment_size,
            "id_style": id_style, "report_delay": report_delay, "auto_reports": auto_reports,
            "fail_numbers": frozenset(fail_numbers), "pending_first": pending_first,
            "report_per_segment": report_per_segment, "inbound_style": inbound_style,
        }
        self.encoding = encoding
        self.clock = clock
        self.reset()

    # --- settings ------------------------------------------------------------

    def configure(self, **settings: Any) -> None:
        """Change settings (the names of the constructor's arguments)."""
        unknown = set(settings) - set(_SETTABLE)
        if unknown:
            raise ValueError(f"unknown sandbox setting(s): {', '.join(sorted(unknown))}")
        checked = {key: _checked_setting(key, value) for key, value in settings.items()}
        with self._lock:  # all or nothing: every value was checked first
            for key, value in checked.items():
                setattr(self, key, value)

    def reset(self) -> None:
        """Back to the constructor's settings, with empty logs, queues and faults."""
        with self._lock:
            for key, value in self._initial.items():
                setattr(self, key, value)
            self._ids = itertools.count(6_408_601)
            self._msg_ids = itertools.count(101)
            self._seq = itertools.count()
            self._reports: list[_Queued] = []
            self._inbound: deque[InboundSms] = deque()
            self._faults: list[Fault] = []
            self._requests: list[RequestRecord] = []
            self._sent: list[SentRecord] = []
            self._counts: Counter[str] = Counter()

    # --- control API -----------------------------------------------------------

    def set_balance(self, balance: int) -> None:
        with self._lock:
            self.balance = int(balance)

    def add_inbound(self, phone: str, text: str, *, msg_id: str | None = None) -> str:
        """Queue an SMS from `phone`; returns its msg id (increasing integers)."""
        with self._lock:
            mid = msg_id if msg_id is not None else str(next(self._msg_ids))
            self._inbound.append(InboundSms(msg_id=mid, phone=phone, text=text))
            return mid

    def add_report(self, sms_id: str, phone: str, status: int = 10, *, delay: float = 0.0) -> None:
        """Queue a delivery report, fetchable after `delay` seconds."""
        with self._lock:
            self._queue_report(DeliveryReport(str(sms_id), str(phone), int(status)),
                               self.clock() + delay)

    def flush_reports(self) -> None:
        """Make every queued report fetchable now (as if the carriers hurried)."""
        with self._lock:
            now = self.clock()
            for q in self._reports:
                q.due = min(q.due, now)

    def add_fault(
        self,
        mode: str,
        count: int = 1,
        endpoint: str | None = None,
        *,
        delay: float | None = None,
        variant: str | None = None,
        process: bool = False,
    ) -> Fault:
        """Make the next `count` calls (optionally to one endpoint) misbehave; see FaultMode."""
        fault_mode = FaultMode(mode)
        if variant is not None and variant not in GARBAGE_VARIANTS:
            raise ValueError(f"unknown garbage variant {variant!r}; expected {GARBAGE_VARIANTS}")
        if count < 1:
            raise ValueError("count must be at least 1")
        fault = Fault(
            mode=fault_mode, count=int(count), endpoint=_endpoint_name(endpoint),
            delay=1.0 if delay is None else float(delay), variant=variant or "html",
            process=bool(process) or fault_mode is FaultMode.SLOW,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # --- inspection ----------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    @property
    def sent(self) -> list[SentRecord]:
        with self._lock:
            return list(self._sent)

    @property
    def faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def request_count(self, endpoint: str | None = None) -> int:
        """Requests received (faulty ones included), to one endpoint or in all."""
        with self._lock:
            name = _endpoint_name(endpoint)
            return self._counts[name] if name else sum(self._counts.values())

    def queued_reports(self, *, due_only: bool = False) -> list[DeliveryReport]:
        with self._lock:
            now = self.clock()
            return [q.report for q in sorted(self._reports) if not due_only or q.due <= now]

    def queued_inbound(self) -> list[InboundSms]:
        with self._lock:
            return list(self._inbound)

    def state(self) -> dict[str, Any]:
        """A JSON-able summary (GET /_sandbox/state)."""
        with self._lock:
            now = self.clock()
            return {
                "username": self.username,
                "balance": self.balance,
                "locked": self.locked,
                "id_style": self.id_style,
                "inbound_style": self.inbound_style,
                "segment_size": self.segment_size,
                "report_delay": self.report_delay,
                "auto_reports": self.auto_reports,
                "forbidden_words": list(self.forbidden_words),
                "queued_reports": len(self._reports),
                "due_reports": sum(1 for q in self._reports if q.due <= now),
                "queued_inbound": len(self._inbound),
                "sent": len(self._sent),
                "requests": {name: self._counts[name] for name in ENDPOINTS.values()},
                "faults": [f.to_json() for f in self._faults],
            }

    # --- request handling (called by the server) -------------------------------

    def begin(
        self, path: str, raw_query: bytes
    ) -> tuple[RequestRecord, Fault | None, dict[str, str]]:
        """Log and count a request to a gateway endpoint; take the fault that applies, if any.

        Returns the record, the fault and the decoded params (password included,
        for `process`; the record itself only keeps them masked)."""
        endpoint = ENDPOINTS[path]
        params, ok = decode_query(raw_query, self.encoding)
        shown = dict(params)
        if "us_pwd" in shown:
            shown["us_pwd"] = "***"
        with self._lock:
            record = RequestRecord(endpoint=endpoint, path=path, time=self.clock(),
                                   raw_query=raw_query, params=shown, gbk_ok=ok)
            self._requests.append(record)
            self._counts[endpoint] += 1
            fault = self._take_fault(endpoint)
            if fault is not None:
                record.fault = str(fault.mode)
        return record, fault, params

    def process(self, record: RequestRecord, params: Mapping[str, str]) -> str:
        """Do what the endpoint does and return the answer text."""
        with self._lock:
            if record.endpoint == "send":
                return self._send(params)
            login = self._read_login(params)
            if login is not None:
                return login
            if record.endpoint == "reports":
                return self._take_reports()
            if record.endpoint == "inbound":
                return self._take_inbound()
            return str(self.balance)

    def finish(self, record: RequestRecord, answer: str | None, status: int | None,
               duration: float) -> None:
        """Note how a request ended (for tests and for the bench's server-side timing)."""
        with self._lock:
            record.answer = answer
            record.status = status
            record.duration = duration

    @staticmethod
    def busy_answer(endpoint: str) -> str:
        """The vendor's busy code: -99 on send, -3 on the reads (balance has none; -3 too)."""
        return "-99" if endpoint == "send" else "-3"

    @staticmethod
    def garbage_answer(endpoint: str, variant: str) -> str:
        if variant == "empty":
            return ""
        if variant == "truncated":
            return _TRUNCATED[endpoint]
        return _GARBAGE_HTML

    # --- internals (lock held) ---------------------------------------------------

    def _take_fault(self, endpoint: str) -> Fault | None:
        for fault in self._faults:
            if fault.endpoint is None or fault.endpoint == endpoint:
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _read_login(self, params: Mapping[str, str]) -> str | None:
        if params.get("us_name") != self.username:
            return "-1"
        if params.get("us_pwd") != self.password:
            return "-7"
        return None

    def _queue_report(self, report: DeliveryReport, due: float) -> None:
        self._reports.append(_Queued(due=due, seq=next(self._seq), report=report))

    def _take_reports(self) -> str:
        now = self.clock()
        due = sorted(q for q in self._reports if q.due <= now)[:REPORT_PAGE]
        if due:
            taken = {id(q) for q in due}
            self._reports = [q for q in self._reports if id(q) not in taken]
        return format_reports(q.report for q in due)

    def _take_inbound(self) -> str:
        page = [self._inbound.popleft() for _ in range(min(INBOUND_PAGE, len(self._inbound)))]
        return format_inbound(page, self.inbound_style)

    def _send(self, params: Mapping[str, str]) -> str:
        if params.get("us_name") != self.username or params.get("us_pwd") != self.password:
            return "-7"
        if self.locked:
            return "-10"
        numbers = [n.strip() for n in params.get("send_phone", "").split(",")]
        numbers = [n for n in numbers if n]
        if not numbers:
            return "-1"
        text = params.get("send_content", "")
        if text == "":
            return "-2"
        if len(numbers) > MAX_NUMBERS:
            return "-4"
        if len(text) > MAX_CHARS:
            return "-8"
        raw_time = params.get("send_time")
        scheduled: float | None = None
        if raw_time is not None:
            scheduled = parse_send_time(raw_time)
            if scheduled is None:
                return "-2"
        for word in self.forbidden_words:
            if word and word in text:
                return f"-3|{word}"
        accepted = tuple(n for n in numbers if is_valid_number(n))
        rejected = tuple(n for n in numbers if not is_valid_number(n))
        segments = segments_for(text, self.segment_size)
        cost = segments * len(accepted)
        if self.balance < cost:
            return "-9"
        self.balance -= cost
        batch = str(next(self._ids))
        if self.id_style == "batch":
            ids: tuple[str, ...] = (batch,)
            report_ids = [batch] * len(accepted)
        else:
            ids = tuple(str(next(self._ids)) for _ in accepted)
            report_ids = list(ids)
        now = self.clock()
        self._sent.append(SentRecord(
            time=now, accepted=accepted, rejected=rejected, text=text, send_time=raw_time,
            ids=ids, batch=batch, segments=segments, charged=cost,
        ))
        if self.auto_reports:
            base = max(now, scheduled) if scheduled is not None else now
            for sms_id, phone in zip(report_ids, accepted, strict=True):
                if self.pending_first:
                    self._queue_report(DeliveryReport(sms_id, phone, -1), base)
                status = 20 if phone in self.fail_numbers else 10
                for _ in range(segments if self.report_per_segment else 1):
                    self._queue_report(DeliveryReport(sms_id, phone, status),
                                       base + self.report_delay)
        return f"0|{len(accepted)}|{len(rejected)}|{','.join(ids)}"
