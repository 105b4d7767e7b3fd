"""The sandbox gateway's state: one account, its balance, queues, logs and faults; thread-safe.

No I/O: the server (sms_core.sandbox.server) hands each request here. The rules live
beside it, one module each: the send's checks (sending), the wire format (wire), faults
(faults), delivery reports due later (reports), the settings' checks (settings).

Reads (reports, inbound, balance): unknown `us_name` -> -1, wrong password -> -7.
A locked account can still read (the vendor documents no code for it there).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sms_core.models import DeliveryReport, InboundSms
from sms_core.sandbox.faults import Fault, make_fault, take_fault
from sms_core.sandbox.records import RequestRecord, SentRecord
from sms_core.sandbox.reports import ReportQueue
from sms_core.sandbox.sending import SendOrder, check_send
from sms_core.sandbox.settings import SETTABLE, checked_setting
from sms_core.sandbox.wire import (
    ENDPOINTS,
    INBOUND_PAGE,
    REPORT_PAGE,
    decode_query,
    endpoint_name,
    format_inbound,
    format_reports,
)


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
        unknown = set(settings) - set(SETTABLE)
        if unknown:
            raise ValueError(f"unknown sandbox setting(s): {', '.join(sorted(unknown))}")
        checked = {key: checked_setting(key, value) for key, value in settings.items()}
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
            self._reports = ReportQueue()
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
            self._reports.add(DeliveryReport(str(sms_id), str(phone), int(status)),
                              self.clock() + delay)

    def flush_reports(self) -> None:
        """Make every queued report fetchable now (as if the carriers hurried)."""
        with self._lock:
            self._reports.flush(self.clock())

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
        fault = make_fault(mode, count, endpoint, delay=delay, variant=variant, process=process)
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
            name = endpoint_name(endpoint)
            return self._counts[name] if name else sum(self._counts.values())

    def queued_reports(self, *, due_only: bool = False) -> list[DeliveryReport]:
        with self._lock:
            return self._reports.listing(self.clock(), due_only=due_only)

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
                "due_reports": self._reports.due_count(now),
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
            fault = take_fault(self._faults, endpoint)
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

    # --- internals (lock held) ---------------------------------------------------

    def _read_login(self, params: Mapping[str, str]) -> str | None:
        if params.get("us_name") != self.username:
            return "-1"
        if params.get("us_pwd") != self.password:
            return "-7"
        return None

    def _take_reports(self) -> str:
        return format_reports(self._reports.take(self.clock(), REPORT_PAGE))

    def _take_inbound(self) -> str:
        page = [self._inbound.popleft() for _ in range(min(INBOUND_PAGE, len(self._inbound)))]
        return format_inbound(page, self.inbound_style)

    def _send(self, params: Mapping[str, str]) -> str:
        order = check_send(
            params, username=self.username, password=self.password, locked=self.locked,
            forbidden_words=self.forbidden_words, segment_size=self.segment_size,
            balance=self.balance,
        )
        if isinstance(order, str):
            return order
        self.balance -= order.cost
        batch = str(next(self._ids))
        if self.id_style == "batch":
            ids: tuple[str, ...] = (batch,)
            report_ids = [batch] * len(order.accepted)
        else:
            ids = tuple(str(next(self._ids)) for _ in order.accepted)
            report_ids = list(ids)
        now = self.clock()
        self._sent.append(SentRecord(
            time=now, accepted=order.accepted, rejected=order.rejected, text=order.text,
            send_time=order.send_time, ids=ids, batch=batch, segments=order.segments,
            charged=order.cost,
        ))
        if self.auto_reports:
            self._queue_reports(order, report_ids, now)
        return f"0|{len(order.accepted)}|{len(order.rejected)}|{','.join(ids)}"

    def _queue_reports(self, order: SendOrder, report_ids: list[str], now: float) -> None:
        """The reports of an accepted send: pending at once (if asked), final after the delay."""
        base = max(now, order.scheduled) if order.scheduled is not None else now
        for sms_id, phone in zip(report_ids, order.accepted, strict=True):
            if self.pending_first:
                self._reports.add(DeliveryReport(sms_id, phone, -1), base)
            status = 20 if phone in self.fail_numbers else 10
            for _ in range(order.segments if self.report_per_segment else 1):
                self._reports.add(DeliveryReport(sms_id, phone, status), base + self.report_delay)


__all__ = ["SandboxGateway"]
