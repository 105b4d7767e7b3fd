"""The sandbox and sms_core.protocol were written apart; what one writes the other must read.

Property tests over GBK on the wire: report and inbound pages the sandbox formats are
parsed back exactly by protocol.parse_*, queries protocol.encode_query builds are
decoded back exactly by the sandbox, and every send answer the sandbox gives is one
protocol.parse_send understands.
"""

from __future__ import annotations

import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sms_core.errors import GatewayRefused
from sms_core.models import DeliveryReport, InboundSms, SendAnswer
from sms_core.protocol.query import Endpoint, encode_query, send_params
from sms_core.protocol.read_answers import INBOUND_PREFIX, parse_inbound, parse_reports
from sms_core.protocol.send_answer import parse_send
from sms_core.sandbox import SandboxGateway, decode_query, format_inbound, format_reports

_STRIPPED = " \t\r\n\x0b\x0c\ufeff\x00"  # what a reader may cut from the ends of a whole body


def _gbk_roundtrips(ch: str) -> bool:
    try:
        return ch.encode("gbk").decode("gbk") == ch
    except UnicodeError:
        return False


gbk_char = st.one_of(
    st.sampled_from(list("|;,\r\n\t +&=%#?/\\") + list("我回复一条短信，。！？、；｜")),
    st.characters(codec="gbk", exclude_categories=("Cs", "Cc")).filter(_gbk_roundtrips),
)
gbk_text = st.text(gbk_char, max_size=80)
ids = st.text("0123456789ABCDEFabcdef", min_size=1, max_size=20)
phones = st.from_regex(r"\+?[0-9]{3,20}", fullmatch=True)

# A `|` followed by what looks like the next record's `id[;,]phone;` prefix: the one
# thing an inbound text cannot hold unambiguously (spec decision 3).
_LOOKS_LIKE_BOUNDARY = re.compile(
    r"\|[ \t\r\n]*" + re.sub(r"\?P<\w+>", "", INBOUND_PREFIX))


@settings(max_examples=300)
@given(st.lists(st.tuples(ids, st.from_regex(r"[0-9]{3,20}", fullmatch=True),
                          st.sampled_from([-1, 10, 20])),  # the statuses the vendor documents
                max_size=100))
def test_report_pages_read_back_exactly(records):
    reports = [DeliveryReport(i, p, s) for i, p, s in records]
    body = format_reports(reports).encode("gbk")
    page = parse_reports(body, "gbk")
    assert list(page.reports) == reports
    assert page.declared == len(reports) and not page.count_mismatch


@settings(max_examples=300)
@given(st.lists(st.tuples(ids, phones, gbk_text), max_size=50),
       st.sampled_from([";", ",", "mixed"]))
def test_inbound_pages_read_back_exactly(records, style):
    for _, _, text in records:
        assume(not _LOOKS_LIKE_BOUNDARY.search(text))
    if records:
        last = records[-1][2]
        assume(last == last.rstrip(_STRIPPED))  # the body's end cannot be told from the text's
    messages = [InboundSms(i, p, t) for i, p, t in records]
    body = format_inbound(messages, style).encode("gbk")
    page = parse_inbound(body, "gbk")
    assert list(page.messages) == messages
    assert not page.count_mismatch


@given(st.text(gbk_char, max_size=200), st.text(gbk_char, min_size=1, max_size=30))
def test_queries_built_by_the_client_are_read_back_by_the_sandbox(text, password):
    params = send_params("demo", password, ["13800138000", "075580808080"], text)
    raw = encode_query(params, "gbk").encode("ascii")
    decoded, ok = decode_query(raw, "gbk")
    assert ok
    assert decoded == params


@settings(max_examples=200)
@given(
    st.lists(st.one_of(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
                       st.from_regex(r"[0-9]{1,13}", fullmatch=True)), max_size=110),
    st.text(gbk_char, max_size=340),
    st.booleans(),
    st.sampled_from(["per-number", "batch"]),
)
def test_every_send_answer_of_the_sandbox_parses(numbers, text, wrong_password, id_style):
    gateway = SandboxGateway(id_style=id_style, balance=500)
    params = send_params(
        "demo", "nope" if wrong_password else "sandbox-password", numbers, text)
    raw = encode_query(params, "gbk").encode("ascii")
    record, _, decoded = gateway.begin(Endpoint.SEND.value, raw)
    answer = gateway.process(record, decoded).encode("gbk")
    try:
        parsed = parse_send(answer, "gbk")
    except GatewayRefused:
        assert gateway.sent == []
        return
    [sent] = gateway.sent
    assert isinstance(parsed, SendAnswer)
    assert parsed.accepted == len(sent.accepted) and parsed.rejected == len(sent.rejected)
    expected_ids = 1 if id_style == "batch" else len(sent.accepted)
    assert len(parsed.ids) == expected_ids
