"""sms_core.protocol: query building and the parsing of every documented answer."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote, unquote_to_bytes

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sms_core.errors import (
    POLL_ERRORS,
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
from sms_core.models import DeliveryReport, InboundSms, ReportPage, ReportStatus, SendAnswer
from sms_core.protocol.body import decode_body, excerpt
from sms_core.protocol.query import (
    INBOUND_PAGE_SIZE,
    MAX_NUMBERS_PER_REQUEST,
    MAX_TEXT_CHARS,
    REPORT_PAGE_SIZE,
    Endpoint,
    auth_params,
    encode_query,
    format_send_time,
    send_params,
    send_query_parts,
)
from sms_core.protocol.read_answers import parse_balance, parse_inbound, parse_reports
from sms_core.protocol.send_answer import parse_send

PARSERS = [parse_send, parse_reports, parse_inbound, parse_balance]
HTML_PAGE = (
    "<html><head><title>500 - Internal server error.</title></head><body>"
    "<h2>Server Error</h2><p>/sendsms_txt.asp?us_name=acme&us_pwd=S3cr3t-Pw&send_phone=1</p>"
    "</body></html>\r\n"
)


# --- constants and requests --------------------------------------------------


def test_limits_match_the_vendor_document():
    assert MAX_NUMBERS_PER_REQUEST == 100
    assert REPORT_PAGE_SIZE == 100
    assert INBOUND_PAGE_SIZE == 50
    assert MAX_TEXT_CHARS == 335


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


def test_parse_send_reads_a_trailing_bar_and_bars_around_a_forbidden_word():
    assert parse_send("0|1|0|6408601|\r\n") == SendAnswer(accepted=1, rejected=0, ids=("6408601",))
    with pytest.raises(ForbiddenWord) as info:
        parse_send("-3|发票|")
    assert info.value.word == "发票"


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


@pytest.mark.parametrize("status", ["2", "0", "30", "-3", "100"])
def test_a_report_status_the_vendor_does_not_document_is_unreadable(status):
    # "...;2" is how a page cut inside its last status "20" reads
    with pytest.raises(GatewayProtocolError, match="unreadable delivery report") as err:
        parse_reports(f"3|6408676;13682250950;20|6408649;13711147169;10|6408649;13719445093;{status}")
    assert err.value.partial == ReportPage((DeliveryReport("6408676", "13682250950", 20),
                                            DeliveryReport("6408649", "13711147169", 10)), declared=3)


def test_an_unreadable_report_keeps_the_readable_ones_around_it_as_partial():
    with pytest.raises(GatewayProtocolError) as err:
        parse_reports("3|1;13800138000;10|2;;20|3;13800138002;-1")
    assert [r.sms_id for r in err.value.partial.reports] == ["1", "3"]
    assert "2;;20" in err.value.excerpt


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


@pytest.mark.parametrize(("body", "kept"), [
    ("2|133,13798361236;我回复一条|134,1382", "我回复一条"),  # the sandbox's cut-short page
    ("2|133;13798361236;我回复一条|134;13826588212", "我回复一条"),
    ("2|133;13798361236;我回复一条|134;", "我回复一条"),
    ("2|133;13798361236;我回复一条|13", "我回复一条"),
    ("3|133;13798361236;a|134;13826588212;b|", "b"),
])
def test_an_inbound_page_cut_inside_a_record_is_refused_with_the_intact_records(body, kept):
    with pytest.raises(GatewayProtocolError, match="cut short") as err:
        parse_inbound(body)
    assert err.value.partial.messages[-1].text == kept
    assert err.value.partial.declared == int(body.split("|")[0])


def test_an_inbound_text_ending_like_a_record_start_is_kept_when_the_count_agrees():
    # "|134,1382" could end a text: only a page announced longer than it is was cut
    page = parse_inbound("1|133;13798361236;call|134,1382")
    assert page.messages == (InboundSms("133", "13798361236", "call|134,1382"),)


def test_an_unreadable_first_inbound_record_keeps_the_rest_as_partial():
    with pytest.raises(GatewayProtocolError, match="unreadable inbound SMS") as err:
        parse_inbound("2|garbage|134;13826588212;ok")
    assert err.value.partial.messages == (InboundSms("134", "13826588212", "ok"),)


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


@pytest.mark.parametrize("body", ["-2", "-98", "12.5", "123.0", "", HTML_PAGE, "1|2", "１２"])
def test_parse_balance_refuses_anything_but_a_whole_count(body):
    with pytest.raises(GatewayProtocolError):
        parse_balance(body)


@pytest.mark.parametrize("body", ["-3", "-99"])
def test_parse_balance_reads_the_other_endpoints_busy_codes_as_busy(body):
    # not in the vendor's balance table; a balance read is safe to repeat
    with pytest.raises(GatewayBusy) as err:
        parse_balance(body)
    assert err.value.code == int(body)


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


# --- the one report parser, held to the spec on flawed and cut pages -------------

PAD = " \t\r\n\ufeff\x00"
"""Whitespace the generators below put around a body, a record or a field."""
DOCUMENTED_STATUS = {"-1": -1, "10": 10, "20": 20}
REPORT_FIELD = st.one_of(IDS, PHONES, st.sampled_from(["", " 1", "1 ", "a b", "发票", "1\t", "+"]))
REPORT_STATUS = st.one_of(st.sampled_from(["-1", "10", "20"]),
                          st.sampled_from(["0", "30", "-3", " 10", "10 ", "x", "", "1.0", "1" * 19,
                                           "2", "1", "-"]))  # the last three: a status cut short
SPACE = st.sampled_from(["", "", "", " ", "\r\n", "\t", "\ufeff", "\x00"])


def spec_report_page(head: str, records: list[tuple[str, str, str, str]], trailer: str) -> tuple:
    """What the spec (and the README's strictness) says of `head|w id;phone;status w|...trailer`:
    ("value", page), ("unreadable", partial, excerpt), ("unexpected",) or ("code",)."""
    head = head.strip(PAD)
    has_bar = bool(records) or "|" in trailer
    if not re.fullmatch(r"-?[0-9]{1,18}", head):
        return ("unexpected",)
    declared = int(head)
    if declared < 0:  # an error code stands alone; -3 is "busy" on the reads
        return ("code",) if not has_bar and (declared == -3 or declared in POLL_ERRORS) else (
            "unexpected",)
    reports, unreadable = [], None
    for sms_id, phone, status, _ in records:
        if sms_id.strip(PAD) and phone.strip(PAD) and status.strip(PAD) in DOCUMENTED_STATUS:
            reports.append(DeliveryReport(sms_id.strip(PAD), phone.strip(PAD),
                                          DOCUMENTED_STATUS[status.strip(PAD)]))
        elif unreadable is None:
            unreadable = f"{sms_id};{phone};{status}".strip(PAD)
    page = ReportPage(tuple(reports), declared)
    return ("value", page) if unreadable is None else ("unreadable", page, excerpt(unreadable))


def report_outcome(body: bytes | str, encoding: str) -> tuple:
    try:
        return ("value", parse_reports(body, encoding))
    except GatewayProtocolError as err:
        if str(err).startswith("unreadable delivery report"):
            return ("unreadable", err.partial, err.excerpt)
        assert err.partial is None
        return ("unexpected",)
    except GatewayError:
        return ("code",)


@given(records=st.lists(st.tuples(REPORT_FIELD, REPORT_FIELD, REPORT_STATUS, SPACE), max_size=20),
       head=st.one_of(st.none(), st.sampled_from(["-3", "-1", "-7", "-5", "x", "", "007", " 2"]),
                      st.integers(min_value=-10, max_value=10**19).map(str)),
       trailer=st.sampled_from(["", "|", "||", "\r\n", " | "]),
       as_bytes=st.booleans())
def test_parse_reports_reads_a_flawed_page_as_the_spec_says(records, head, trailer, as_bytes):
    head = str(len(records)) if head is None else head
    text = head + "".join(f"|{w}{i};{p};{s}{w}" for i, p, s, w in records) + trailer
    body = text.encode("gb18030") if as_bytes else text
    assert report_outcome(body, "gb18030") == spec_report_page(head, records, trailer)


@given(records=st.lists(st.tuples(IDS, PHONES, st.sampled_from([-1, 10, 20])), max_size=100),
       head=st.one_of(st.none(), st.from_regex(r"[0-9]{1,18}", fullmatch=True)))
def test_parse_reports_keeps_every_report_whatever_the_count_says(records, head):
    head = str(len(records)) if head is None else head
    page = parse_reports((head + "".join(f"|{i};{p};{s}" for i, p, s in records)).encode("gbk"))
    assert page.reports == tuple(DeliveryReport(i, p, s) for i, p, s in records)
    assert all(type(r) is DeliveryReport for r in page.reports)
    assert page.declared == int(head)
    assert page.count_mismatch == (int(head) != len(records))


@given(records=st.lists(st.tuples(IDS, PHONES, st.sampled_from([-1, 10, 20])), min_size=1,
                        max_size=30),
       data=st.data())
def test_a_report_page_cut_inside_a_record_is_refused_never_misread(records, data):
    # "…;2" is how a page cut inside a status "20" reads: refused, not read as 2 nor as 20
    expected = [DeliveryReport(i, p, s) for i, p, s in records]
    body = str(len(records)) + "".join(f"|{i};{p};{s}" for i, p, s in records)
    cut = data.draw(st.integers(min_value=0, max_value=len(body)))
    try:
        page = parse_reports(body[:cut])
    except GatewayProtocolError as err:
        assert err.partial is not None or cut == 0  # an empty answer: nothing to keep
        page = err.partial or ReportPage((), 0)
    else:  # read without complaint: cut in the count, or between two records
        whole = str(len(records)) + "".join(f"|{i};{p};{s}" for i, p, s in records[:len(page.reports)])
        assert body[:cut] in (whole, f"{whole}|") or cut < len(str(len(records)))
        assert page.count_mismatch == (len(page.reports) < len(expected))
    assert list(page.reports) == expected[:len(page.reports)]


@given(records=st.lists(st.tuples(st.from_regex(r"[0-9]{1,10}", fullmatch=True),
                                  st.sampled_from(";,"), PHONES, SMS_TEXT), min_size=1, max_size=20),
       data=st.data())
def test_an_inbound_page_cut_anywhere_keeps_only_what_it_holds(records, data):
    assume(not any(BOUNDARY.search(t) for *_, t in records))
    expected = [InboundSms(i, p, t) for i, _, p, t in records]
    body = format_inbound(records).decode("gbk")
    cut = data.draw(st.integers(min_value=0, max_value=len(body)))
    try:
        page = parse_inbound(body[:cut])
    except GatewayProtocolError as err:
        page = err.partial
    if page is None:
        assert cut == 0
        return
    got = list(page.messages)
    assert len(got) <= len(expected)
    if got:
        assert got[:-1] == expected[:len(got) - 1]  # every message but the last exactly
        # the last one: its own id and phone, and what arrived of its text
        last, whole = got[-1], expected[len(got) - 1]
        assert (last.msg_id, last.phone) == (whole.msg_id, whole.phone)
        assert whole.text.startswith(last.text)


# --- decoding and query encoding ------------------------------------------------------

ENCODINGS = ["gbk", "GB2312", "gb18030", "utf-8", "ascii", "latin-1", "utf-16-le", "cp037"]


@pytest.mark.parametrize("encoding", ENCODINGS)
@given(body=st.binary(max_size=100).map(lambda b: bytes(c & 0x7F for c in b)))
def test_decode_body_reads_ascii_bytes_as_the_codec_does(encoding, body):
    try:
        expected = ("value", body.decode(encoding).strip(PAD + "\x0b\x0c"))
    except UnicodeDecodeError:
        expected = ("error",)
    try:
        got = ("value", decode_body(body, encoding))
    except GatewayProtocolError:
        got = ("error",)
    assert got == expected


def test_decode_body_reads_ascii_bytes_in_the_encoding_given():
    assert decode_body(b"1\x002\x00", "utf-16-le") == "12"  # not read as ASCII
    assert decode_body(b"\xc1\xc2", "cp037") == "AB"  # EBCDIC
    assert decode_body(b" 42\r\n", "GBK") == "42"


def _quote_query(params, encoding="gbk"):
    """The query urllib builds: quote() of each key and of each value's bytes."""
    return "&".join(f"{quote(k, safe='')}={quote(v.encode(encoding), safe='')}"
                    for k, v in params.items())


@given(st.dictionaries(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=10),
                       st.one_of(GBK_TEXT, st.lists(PHONES, max_size=100).map(",".join)),
                       max_size=5))
def test_encode_query_is_what_urllib_quote_gives(params):
    assert encode_query(params) == _quote_query(params)
    assert encode_query(params, "utf-8") == _quote_query(params, "utf-8")


@given(st.integers(min_value=0, max_value=100), st.integers(min_value=0, max_value=100),
       st.text(st.sampled_from(list("0123456789,abZ_- \r\t")), max_size=120))
def test_parse_send_reads_the_ids_split_on_commas_without_blanks(accepted, rejected, d):
    body = f"0|{accepted}|{rejected}|{d}"
    ids = tuple(i for i in (p.strip(" \r\t") for p in d.split(",")) if i)
    if accepted > 0 and not ids:
        with pytest.raises(GatewayProtocolError):
            parse_send(body)
    else:
        assert parse_send(body).ids == ids


# --- DeliveryReport: a frozen value -----------------------------------------------


def test_delivery_report_is_a_frozen_value_with_named_fields_only():
    report = DeliveryReport(sms_id="6408676", phone="13682250950", status=20)
    assert report == DeliveryReport("6408676", "13682250950", 20)
    assert report != DeliveryReport("6408676", "13682250950", 10)
    assert report != ("6408676", "13682250950", 20)  # not a tuple
    assert len({report, DeliveryReport("6408676", "13682250950", 20)}) == 1
    assert repr(report) == "DeliveryReport(sms_id='6408676', phone='13682250950', status=20)"
    assert (report.sms_id, report.phone, report.status) == ("6408676", "13682250950", 20)
    assert (report.final, report.delivered) == (True, False)
    assert DeliveryReport("1", "2", -1).final is False
    assert DeliveryReport("1", "2", 10).delivered is True
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.status = 10  # type: ignore[misc]
    with pytest.raises(TypeError):
        sorted([report, report])  # not ordered
    with pytest.raises(TypeError):
        tuple(report)  # type: ignore[call-overload]  # no unpacking: fields by name
    with pytest.raises(TypeError):
        report[0]  # type: ignore[index]


@given(
    username=st.text(alphabet="abcXYZ019_-. 中", min_size=1, max_size=8),
    password=st.text(alphabet="aZ09!@#%&=+ ?/中~", max_size=12),
    numbers=st.lists(st.from_regex(r"1[3-9][0-9]{9}|0[0-9]{10,11}", fullmatch=True),
                     min_size=1, max_size=100),
    text=st.text(alphabet="ab &=%+?#;|,中文，！\n", min_size=1, max_size=40),
    at=st.none() | st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 1, 1)),
)
def test_send_query_parts_build_the_same_query_as_send_params(username, password, numbers,
                                                              text, at):
    head, tail = send_query_parts(encode_query(auth_params(username, password)), text, at)
    assert head + "%2C".join(numbers) + tail == encode_query(
        send_params(username, password, numbers, text, at))
