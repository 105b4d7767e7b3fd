"""The gateway's wire format, with no I/O: build query parameters, parse answers.

Every answer is a short text body (see spec/gateway-http-api.md). The parsers
turn it into a value or raise a `GatewayError` subclass -- for *any* input,
never ValueError/IndexError/UnicodeDecodeError -- so a strange answer can never
crash a poll job. Codes are mapped per endpoint: -1 and -3 mean different
things on send and on the reads.

    query         the endpoints, the limits, each call's query (GBK percent-escapes)
    body          an answer's text: decoding (code page 936), excerpts, reading helpers
    send_answer   the send's answer and its codes
    read_answers  the reads' answers (reports, inbound SMS, balance) and their codes
"""
