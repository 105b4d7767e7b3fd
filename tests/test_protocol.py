"""sms_core.protocol: query building and the parsing of every documented answer."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import unquote_to_bytes

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sms_core import protocol
from sms_core.errors import (
    SEND_ERRORS,
    AccountLocked,
    AccountNotFound,
    ContentTooLong,
    ForbiddenWord,
    GatewayBusy,
    GatewayError,
    GatewayProtocolError,
    InsufficientBalance,
    LoginFailed,
    NoContent,
    NoTarget,
    TooManyNumbers,
    UnsupportedCharacters,
)
from sms_core.models import DeliveryReport, InboundSms, ReportStatus, SendAnswer
from sms_core.protocol import (
    Endpoint,
    auth_params,
    decode_body,
    encode_query,
    excerpt,
    format_send_time,
    parse_balance,
    parse_inbound,
    parse_reports,
    parse_send,
    send_params,
)

PARSERS = [parse_send, parse_reports, parse_inbound, parse_balance]
HTML_PAGE = (
    "<html><head><title>500 - Internal server error.</title></head><body>"
    "<h2>Server Error</h2><p>/sendsms_txt.asp?us_name=acme&us_pwd=S3cr3t-Pw&send_phone=1</p>"
    "</body></html>\r\n"
)


# --- constants and requests --------------------------------------------------


def test_limits_match_the_vendor_document():
    assert protocol.MAX_NUMBERS_PER_REQUEST == 100
    assert protocol.REPORT_PAGE_SIZE == 100
    assert protocol.INBOUND_PAGE_SIZE == 50
    assert protocol.MAX_TEXT_CHARS == 335


def test_endpoints_are_the_vendor_paths():
    assert Endpoint.SEND == "/sendsms_txt.asp"
    assert Endpoint.REPORTS == "/get_report_txt.asp"
    assert Endpoint.INBOUND == "/get_receive_message_txt.asp"
    assert Endpoint.BALANCE == "/Get_Account_Balance.asp"
    assert f"http://h{Endpoint.BALANCE}" == "http://h/Get_Account_Balance.asp"


def test_auth_params_carry_the_account():
    assert auth_params("mysms", "123456") == {"us_name": "mysms", "us_pwd": "123456"}


def test_send_params_join_numbers_with_ascii_commas_and_send_now_without_send_time():
    params = send_params("mysms", "pw", ["13798361236", "075580808080"], "这条是测试短信")
    assert params == {
        "us_name": "mysms",
        "us_pwd": "pw",
        "send_phone": "13798361236,075580808080",
        "send_content": "这条是测试短信",
    }


def test_send_params_add_send_time_when_scheduled():
    params = send_params("u", "p", ("13800138000",), "hi", at=datetime(2010, 9, 3, 11, 20, 30))
    assert params["send_time"] == "20100903112030"


def test_format_send_time_takes_a_naive_datetime_as_china_standard_time():
    assert format_send_time(datetime(2010, 9, 3, 11, 20, 30)) == "20100903112030"


def test_format_send_time_converts_an_aware_datetime_to_china_standard_time():
    assert format_send_time(datetime(2010, 9, 3, 3, 20, 30, tzinfo=UTC)) == "20100903112030"
    # 20:00 UTC is already the next day in Shenzhen
    assert format_send_time(datetime(2025, 12, 31, 20, 0, tzinfo=UTC)) == "20260101040000"
    berlin_summer = timezone(timedelta(hours=2))
    assert format_send_time(datetime(2026, 7, 1, 9, 0, 5, tzinfo=berlin_summer)) == "20260701150005"


def test_format_send_time_drops_microseconds_and_pads_to_14_digits():
    assert format_send_time(datetime(2026, 1, 2, 3, 4, 5, 999999)) == "20260102030405"
    assert format_send_time(datetime(999, 1, 1)) == "09990101000000"


@given(st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30)))
def test_format_send_time_is_always_14_digits(at):
    assert re.fullmatch(r"[0-9]{14}", format_send_time(at))
    assert re.fullmatch(r"[0-9]{14}", format_send_time(at.replace(tzinfo=UTC)))


def test_encode_query_percent_encodes_gbk_bytes_not_utf8():
    assert encode_query({"send_content": "发票"}) == "send_content=%B7%A2%C6%B1"
    assert encode_query({"send_content": "发票"}, encoding="utf-8") == "send_content=%E5%8F%91%E7%A5%A8"


def test_encode_query_escapes_reserved_characters_and_keeps_order():
    query = encode_query({"us_name": "a b", "us_pwd": "p&w=d+%/?#", "send_phone": "1,2"})
    assert query == "us_name=a%20b&us_pwd=p%26w%3Dd%2B%25%2F%3F%23&send_phone=1%2C2"


def test_encode_query_refuses_characters_the_encoding_lacks_and_names_them():
    with pytest.raises(UnsupportedCharacters) as info:
        encode_query({"send_content": "ok 😀 and 😀 again 🚀"})
    assert info.value.chars == ("😀", "🚀")
    assert info.value.encoding == "gbk"
    assert "😀" in str(info.value)


GBK_TEXT = st.text(
    st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
        st.sampled_from("\n\r\t，。、；：？！“”…￥"),
    ),
    max_size=80,
)


@given(GBK_TEXT)
def test_encode_query_round_trips_gbk_text(text):
    query = encode_query({"send_content": text})
    key, _, value = query.partition("=")
    assert key == "send_content"
    assert re.fullmatch(r"[A-Za-z0-9_.~%-]*", value)
    assert unquote_to_bytes(value).decode("gbk") == text


# --- decode_body and excerpt -------------------------------------------------


def test_decode_body_passes_str_through_and_strips_surrounding_whitespace_and_bom():
    assert decode_body("  0|1|0|SMSID\r\n") == "0|1|0|SMSID"
    assert decode_body("\ufeff123\n") == "123"
    assert decode_body(b"\xef\xbb\xbf123\r\n") == "123"


def test_decode_body_decodes_gbk_bytes():
    assert decode_body("-3|发票".encode("gbk")) == "-3|发票"


def test_decode_body_refuses_undecodable_bytes_with_a_short_excerpt():
    with pytest.raises(GatewayProtocolError) as info:
        decode_body(b"\xff" * 500)
    assert "GBK" in str(info.value)
    assert len(info.value.excerpt) <= 60


def test_excerpt_collapses_whitespace_escapes_control_characters_and_cuts():
    assert excerpt("a \r\n\t b") == "a b"
    assert excerpt("x\x00y\x1b") == "x\\x00y\\x1b"
    cut = excerpt("z" * 500)
    assert len(cut) == 60
    assert cut.endswith("…")
    assert excerpt("short", limit=5) == "short"
    assert excerpt("longer", limit=5) == "long…"


def test_excerpt_blanks_a_password_echoed_in_an_error_page():
    shown = excerpt(HTML_PAGE, limit=1000)
    assert "S3cr3t-Pw" not in shown
    assert "us_pwd=***" in shown


@given(st.text(), st.integers(min_value=2, max_value=200))
def test_excerpt_is_short_printable_and_one_line(text, limit):
    shown = excerpt(text, limit)
    assert len(shown) <= limit
    assert shown.isprintable()


# --- send --------------------------------------------------------------------


def test_parse_send_reads_the_vendor_example():
    assert parse_send("0|1|0|SMSID") == SendAnswer(accepted=1, rejected=0, ids=("SMSID",))


def test_parse_send_keeps_one_smsid_per_number_split_on_commas():
    answer = parse_send(b"0|3|1|101,102,,103,")
    assert answer == SendAnswer(accepted=3, rejected=1, ids=("101", "102", "103"))


def test_parse_send_is_lenient_about_whitespace():
    assert parse_send(" 0 | 2 | 0 | 7001 , 7002 \r\n") == SendAnswer(2, 0, ("7001", "7002"))


def test_parse_send_accepts_nothing_accepted_without_ids():
    assert parse_send("0|0|2|") == SendAnswer(accepted=0, rejected=2, ids=())


def test_parse_send_refuses_accepted_numbers_without_an_id():
    with pytest.raises(GatewayProtocolError):
        parse_send("0|1|0|")
    with pytest.raises(GatewayProtocolError):
        parse_send("0|1|0| , ")


def test_parse_send_forbidden_word_carries_the_word():
    with pytest.raises(ForbiddenWord) as info:
        parse_send("-3|发票".encode("gbk"))
    assert info.value.word == "发票"
    assert info.value.code == -3
    assert "发票" in str(info.value)


def test_parse_send_forbidden_word_without_the_word():
    with pytest.raises(ForbiddenWord) as info:
        parse_send("-3")
    assert info.value.word == ""


def test_parse_send_minus_99_is_busy_and_retryable():
    with pytest.raises(GatewayBusy) as info:
        parse_send("-99\r\n")
    assert info.value.code == -99
    assert info.value.retryable


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("-1", NoTarget),
        ("-2", NoContent),
        ("-4", TooManyNumbers),
        ("-7", LoginFailed),
        ("-8", ContentTooLong),
        ("-9", InsufficientBalance),
        ("-10", AccountLocked),
    ],
)
def test_parse_send_maps_each_documented_code(body, error):
    with pytest.raises(error) as info:
        parse_send(body)
    assert info.value.code == int(body)
    assert not info.value.retryable


def test_parse_send_minus_1_means_no_target_not_account_not_found():
    with pytest.raises(NoTarget):
        parse_send("-1")
    assert not issubclass(NoTarget, AccountNotFound)
    assert set(SEND_ERRORS) == {-1, -2, -4, -7, -8, -9, -10}


@pytest.mark.parametrize(
    "body",
    [
        HTML_PAGE,
        "",
        "   \r\n",
        "0|1",
        "0|1|0",
        "0|x|0|1",
        "0|1|-1|1",
        "0|1|0|1|extra",
        "-5",
        "-6",
        "-99|later",
        "-7|x",
        "1",
        "OK",
        "0.0|1|0|1",
        "9" * 5000,
    ],
)
def test_parse_send_refuses_an_undocumented_answer_as_a_protocol_error(body):
    with pytest.raises(GatewayProtocolError) as info:
        parse_send(body)
    assert len(info.value.excerpt) <= 60
    assert "S3cr3t-Pw" not in str(info.value)


def test_protocol_error_for_an_html_page_says_what_came_back():
    with pytest.raises(GatewayProtocolError) as info:
        parse_send(HTML_PAGE.encode("gbk"))
    assert str(info.value).startswith("unexpected answer from the gateway: '<html>")


# --- delivery reports --------------------------------------------------------


VENDOR_REPORTS = "3|6408676;13682250950;20|6408649;13711147169;20|6408649;13719445093;20"


def test_parse_reports_reads_the_vendor_example():
    page = parse_reports(VENDOR_REPORTS.encode("gbk"))
    assert page.reports == (
        DeliveryReport("6408676", "13682250950", 20),
        DeliveryReport("6408649", "13711147169", 20),
        DeliveryReport("6408649", "13719445093", 20),
    )
    assert page.declared == 3
    assert not page.count_mismatch


def test_parse_reports_zero_is_an_empty_page():
    page = parse_reports("0")
    assert page.reports == ()
    assert page.declared == 0
    assert not page.count_mismatch


def test_parse_reports_reads_every_status():
    page = parse_reports("3|1;13800138000;-1|2;13800138001;10|3;13800138002;20")
    assert [r.status for r in page.reports] == [ReportStatus.PENDING, ReportStatus.DELIVERED,
                                                ReportStatus.FAILED]
    assert [(r.final, r.delivered) for r in page.reports] == [(False, False), (True, True),
                                                              (True, False)]


def test_parse_reports_minus_3_means_busy_not_forbidden_word():
    with pytest.raises(GatewayBusy) as info:
        parse_reports("-3")
    assert info.value.code == -3
    assert info.value.retryable


def test_parse_reports_minus_1_means_account_not_found():
    with pytest.raises(AccountNotFound):
        parse_reports("-1")


def test_parse_reports_minus_7_means_login_failed():
    with pytest.raises(LoginFailed):
        parse_reports("-7\r\n")


def test_parse_reports_keeps_the_records_when_the_count_disagrees():
    page = parse_reports("5|1;13800138000;10|2;13800138001;20")
    assert len(page.reports) == 2
    assert page.declared == 5
    assert page.count_mismatch
    page = parse_reports("1|1;13800138000;10|2;13800138001;20")
    assert len(page.reports) == 2
    assert page.count_mismatch


def test_parse_reports_tolerates_whitespace_and_a_trailing_bar():
    page = parse_reports(" 2| 1 ;13800138000; 10 \r\n|2;13800138001;20|\r\n")
    assert page.reports == (DeliveryReport("1", "13800138000", 10),
                            DeliveryReport("2", "13800138001", 20))


@pytest.mark.parametrize(
    "body",
    [
        "2|1;13800138000;10|2;13800138001",
        "1|1;13800138000;delivered",
        "1|1;13800138000;10;extra",
        "1|;13800138000;10",
        "1|1;;10",
        "1|1;13800138000;10.0",
    ],
)
def test_parse_reports_refuses_an_unreadable_record_instead_of_dropping_it(body):
    with pytest.raises(GatewayProtocolError):
        parse_reports(body)


@pytest.mark.parametrize("body", [HTML_PAGE, "", "-4", "-99", "-3|x", "x|1;2;3", "0.5"])
def test_parse_reports_refuses_an_undocumented_answer(body):
    with pytest.raises(GatewayProtocolError):
        parse_reports(body)


# --- inbound -----------------------------------------------------------------


VENDOR_INBOUND = " 2|133,13798361236;我回复一条|134,13826588212;我也回复一条"


def test_parse_inbound_reads_the_vendor_example_as_gbk_bytes():
    page = parse_inbound(VENDOR_INBOUND.encode("gbk"))
    assert page.messages == (
        InboundSms("133", "13798361236", "我回复一条"),
        InboundSms("134", "13826588212", "我也回复一条"),
    )
    assert page.declared == 2
    assert not page.count_mismatch


def test_parse_inbound_reads_the_documented_semicolon_form_and_mixes():
    page = parse_inbound("3|133;13798361236;好的|134,13826588212;收到|a-7_B;+8613900139000;ok")
    assert [(m.msg_id, m.phone, m.text) for m in page.messages] == [
        ("133", "13798361236", "好的"),
        ("134", "13826588212", "收到"),
        ("a-7_B", "+8613900139000", "ok"),
    ]


def test_parse_inbound_keeps_texts_with_bars_semicolons_and_newlines_whole():
    body = "2|9;13800138000;a|b;c;d\nline 2|x;y|10;13900139000;价格|数量;1"
    page = parse_inbound(body.encode("gbk"))
    assert [m.text for m in page.messages] == ["a|b;c;d\nline 2|x;y", "价格|数量;1"]
    assert not page.count_mismatch


def test_parse_inbound_allows_an_empty_text():
    page = parse_inbound("2|1;13800138000;|2;13800138001;")
    assert [m.text for m in page.messages] == ["", ""]


def test_parse_inbound_zero_is_an_empty_page():
    page = parse_inbound("0\r\n")
    assert page.messages == ()
    assert page.declared == 0


def test_parse_inbound_keeps_the_records_when_the_count_disagrees():
    page = parse_inbound("5|1;13800138000;a|2;13800138001;b")
    assert len(page.messages) == 2
    assert page.declared == 5
    assert page.count_mismatch


def test_parse_inbound_codes_mean_what_they_mean_on_reads():
    with pytest.raises(GatewayBusy):
        parse_inbound("-3")
    with pytest.raises(AccountNotFound):
        parse_inbound("-1")
    with pytest.raises(LoginFailed):
        parse_inbound("-7")


@pytest.mark.parametrize(
    "body",
    [HTML_PAGE, "", "2|garbage", "1|1;abc;text", "1|13800138000;hello", "-99", "x|1;13800138000;a"],
)
def test_parse_inbound_refuses_an_answer_of_another_shape(body):
    with pytest.raises(GatewayProtocolError):
        parse_inbound(body)


# --- balance -----------------------------------------------------------------


def test_parse_balance_reads_a_count():
    assert parse_balance("1234") == 1234
    assert parse_balance(b" 56\r\n") == 56


def test_parse_balance_zero_is_a_balance_not_an_error():
    assert parse_balance("0") == 0


def test_parse_balance_codes():
    with pytest.raises(AccountNotFound):
        parse_balance("-1")
    with pytest.raises(LoginFailed):
        parse_balance("-7")


@pytest.mark.parametrize("body", ["-3", "-99", "12.5", "123.0", "", HTML_PAGE, "1|2", "１２"])
def test_parse_balance_refuses_anything_but_a_whole_count(body):
    with pytest.raises(GatewayProtocolError):
        parse_balance(body)


# --- any input: a value or a GatewayError, nothing else ---------------------

WIRE_ALPHABET = st.sampled_from(list("0123456789-|;,+ \r\n\tx发票\ufeff\x00."))
WIRE_TEXT = st.text(WIRE_ALPHABET, max_size=60)


@pytest.mark.parametrize("parse", PARSERS)
@given(body=st.binary(max_size=300))
def test_parsers_raise_only_gateway_errors_for_any_bytes(parse, body):
    try:
        parse(body)
    except GatewayError:
        pass


@pytest.mark.parametrize("parse", PARSERS)
@given(body=st.text(max_size=300))
def test_parsers_raise_only_gateway_errors_for_any_text(parse, body):
    try:
        parse(body)
    except GatewayError:
        pass


@pytest.mark.parametrize("parse", PARSERS)
@given(body=WIRE_TEXT)
def test_parsers_raise_only_gateway_errors_for_near_miss_answers(parse, body):
    try:
        parse(body)
    except GatewayError:
        pass
    try:
        parse(body.encode("gb18030"))
    except GatewayError:
        pass


# --- round trips through a tiny formatter written from the spec --------------

IDS = st.from_regex(r"[0-9A-Za-z_-]{1,12}", fullmatch=True)
PHONES = st.from_regex(r"\+?[0-9]{3,20}", fullmatch=True)
SMS_TEXT = st.text(
    st.one_of(
        st.sampled_from(list("|;,\n\r +-_:0123456789abcXYZ")),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
        st.sampled_from(list("，。；：？！…")),
    ),
    max_size=40,
)
BOUNDARY = re.compile(r"\|[ \t\r\n]*[0-9A-Za-z_-]+[;,]\+?[0-9]{3,20};")


def format_inbound(records: list[tuple[str, str, str, str]]) -> bytes:
    """What the vendor describes: N, then `|id;phone;text` (or `id,phone;text`) per message."""
    return (str(len(records)) + "".join(f"|{i}{sep}{p};{t}" for i, sep, p, t in records)).encode("gbk")


@given(st.lists(st.tuples(IDS, st.sampled_from(";,"), PHONES, SMS_TEXT), max_size=50))
def test_inbound_round_trip_keeps_every_message_exactly(records):
    # A text holding "|id;phone;" itself cannot be told from a record boundary, by anyone.
    assume(not any(BOUNDARY.search(t) for *_, t in records))
    page = parse_inbound(format_inbound(records))
    expected = [InboundSms(i, p, t) for i, _, p, t in records]
    if expected:  # the body's trailing whitespace is the transport's, not the last text's
        last = expected[-1]
        expected[-1] = InboundSms(last.msg_id, last.phone, last.text.rstrip())
    assert list(page.messages) == expected
    assert page.declared == len(records)
    assert not page.count_mismatch


@given(st.lists(st.tuples(IDS, st.from_regex(r"[0-9]{11}", fullmatch=True),
                          st.sampled_from([-1, 10, 20])), max_size=100))
def test_reports_round_trip(records):
    body = str(len(records)) + "".join(f"|{i};{p};{s}" for i, p, s in records)
    page = parse_reports(body.encode("gbk"))
    assert page.reports == tuple(DeliveryReport(i, p, s) for i, p, s in records)
    assert page.declared == len(records)


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=100),
       st.lists(IDS, min_size=1, max_size=100))
def test_send_answer_round_trip(accepted, rejected, ids):
    answer = parse_send(f"0|{accepted}|{rejected}|{','.join(ids)}".encode("gbk"))
    assert answer == SendAnswer(accepted, rejected, tuple(ids))


@given(st.integers(min_value=0, max_value=10**12))
def test_balance_round_trip(n):
    assert parse_balance(str(n).encode("gbk")) == n
