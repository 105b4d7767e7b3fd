"""The `smsbot` command line as a user runs it: help everywhere, human messages, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from harness import GATEWAY_PASSWORD

from bot.cli import send_report
from sms_core.errors import SendOutcomeUnknown, UnknownReason
from sms_core.models import ChunkOutcome, ChunkResult, SendResult
from sms_core.sandbox import SandboxGateway, SandboxServer

COMMANDS = ["run", "sandbox", "send", "balance", "check", "demo"]


def smsbot(*args: str, env: dict[str, str] | None = None, cwd=None, timeout: float = 60):
    base = {k: v for k, v in os.environ.items() if not k.startswith("SMSBOT_")}
    base.update(env or {})
    return subprocess.run([sys.executable, "-m", "bot", *args], env=base, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def gateway_env(tmp_path):
    server = SandboxServer(SandboxGateway(username="team", password=GATEWAY_PASSWORD, report_delay=0.1)).start()
    yield server, {"SMSBOT_GATEWAY_URL": server.url, "SMSBOT_GATEWAY_USERNAME": "team",
                   "SMSBOT_GATEWAY_PASSWORD": GATEWAY_PASSWORD}
    server.stop()


def test_help_everywhere(tmp_path):
    top = smsbot("--help", cwd=tmp_path)
    assert top.returncode == 0 and all(c in top.stdout for c in COMMANDS)
    for command in COMMANDS:
        out = smsbot(command, "--help", cwd=tmp_path)
        assert out.returncode == 0 and "usage: smsbot " + command in out.stdout


def test_send_through_the_gateway_in_gbk(gateway_env, tmp_path):
    server, env = gateway_env
    out = smsbot("send", "13800138000,+86 139 0013 9000", "服务器已恢复", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "accepted 2" in out.stdout and "cost 2" in out.stdout
    [sent] = server.gateway.sent
    assert sent.text == "服务器已恢复" and sent.accepted == ("13800138000", "13900139000")
    assert GATEWAY_PASSWORD not in out.stdout + out.stderr


def test_scheduled_send(gateway_env, tmp_path):
    server, env = gateway_env
    out = smsbot("send", "13800138000", "later", "--at", "2027-03-04 05:06", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert server.gateway.sent[0].send_time == "20270304050600"


@pytest.mark.parametrize("args,expected", [
    (("13800", "hi"), "13800 is not a valid number: a mobile number has 11 digits"),
    (("13800138000", "hi 😀"), "'😀' cannot be sent: the gateway's encoding (GBK) has no such character"),
    (("13800138000", "x" * 412), "the text has 412 characters; at most 335"),
    (("13800138000", "hi", "--at", "2001-01-01 00:00"), "in the past"),
])
def test_bad_input_is_refused_with_a_clear_message_and_nothing_sent(gateway_env, tmp_path, args, expected):
    server, env = gateway_env
    out = smsbot("send", *args, env=env, cwd=tmp_path)
    assert out.returncode == 2
    assert expected in out.stderr
    assert server.gateway.request_count("send") == 0


def test_forbidden_word_names_the_word(gateway_env, tmp_path):
    _, env = gateway_env
    out = smsbot("send", "13800138000", "开发票", env=env, cwd=tmp_path)
    assert out.returncode == 1
    assert out.stdout.splitlines() == [
        "accepted 0 · refused by the gateway 1 (the gateway refused the word 发票) · 1 segment each · cost 0"]
    assert out.stderr == ""


def test_send_prints_one_summary_line_and_the_ids_only_when_asked(gateway_env, tmp_path):
    server, env = gateway_env
    numbers = ",".join(str(13800000000 + i) for i in range(250))
    out = smsbot("send", numbers, "hi", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["accepted 250 · 1 segment each · cost 250"]
    out = smsbot("send", "13800138000,13900139000", "hi", "--ids", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    summary, *ids = out.stdout.splitlines()
    assert summary == "accepted 2 · 1 segment each · cost 2"
    assert ids == list(server.gateway.sent[-1].ids) and len(ids) == 2


def test_a_refused_login_is_one_line_about_the_account(gateway_env, tmp_path):
    server, env = gateway_env
    server.gateway.configure(password="rotated")
    out = smsbot("send", "13800138000,13900139000", "hi", env=env, cwd=tmp_path)
    assert out.returncode == 1
    assert out.stdout.splitlines() == ["accepted 0 · not sent 2 (login refused) · 1 segment each · cost 0"]
    assert out.stderr.splitlines() == [
        "smsbot send: the gateway refused the login (-7): check SMSBOT_GATEWAY_USERNAME and "
        "SMSBOT_GATEWAY_PASSWORD; nothing was sent"]
    assert "rejected" not in out.stdout + out.stderr and GATEWAY_PASSWORD not in out.stdout + out.stderr


def test_a_locked_account_is_one_line_about_the_account(gateway_env, tmp_path):
    server, env = gateway_env
    server.gateway.configure(locked=True)
    numbers = ",".join(str(13800000000 + i) for i in range(150))
    out = smsbot("send", numbers, "hi", env=env, cwd=tmp_path)
    assert out.returncode == 1
    assert out.stdout.splitlines() == ["accepted 0 · not sent 150 (account locked) · 1 segment each · cost 0"]
    assert out.stderr.splitlines() == [
        "smsbot send: the gateway account is locked (-10): ask the SMS provider; nothing was sent"]


def test_a_balance_that_runs_out_midway_says_how_many_were_not_sent(gateway_env, tmp_path):
    server, env = gateway_env
    server.gateway.configure(balance=120)  # the first request of 100 passes, the second of 100 not
    numbers = ",".join(str(13800000000 + i) for i in range(250))
    out = smsbot("send", numbers, "hi", env=env, cwd=tmp_path)
    assert out.returncode == 1
    assert out.stdout.splitlines() == ["accepted 100 · not sent 150 (balance too low) · 1 segment each · cost 100"]
    assert out.stderr.splitlines() == [
        "smsbot send: the gateway account's balance is too low for this send (-9): top it up; "
        "150 numbers not sent"]


def test_the_summary_counts_invalid_numbers_and_unknown_outcomes_apart():
    # the gateway's own count of numbers it rejected (`b` of 0|a|b|d), and a request that may
    # have arrived: outcomes the sandbox has no way to give to numbers the client accepts
    unknown = SendOutcomeUnknown("the gateway did not answer in 15 s; the SMS may have been sent: check "
                                 "before sending again", UnknownReason.TIMEOUT)
    result = SendResult(chunks=(
        ChunkResult(("13800138000", "13800138001"), ChunkOutcome.ACCEPTED, accepted=1, rejected=1, ids=("9",)),
        ChunkResult(("13900139000",), ChunkOutcome.UNKNOWN, error=unknown),
    ), segments=2)
    summary, problems = send_report(result)
    assert summary == "accepted 1 · invalid numbers 1 · outcome unknown 1 · 2 segments each · cost 2"
    assert problems == [f"outcome unknown for 1 number: {unknown}"]


def test_library_log_lines_show_only_when_a_log_level_is_set(gateway_env, tmp_path):
    _, env = gateway_env
    out = smsbot("send", "13800138000", "开发票", env={**env, "SMSBOT_LOG_LEVEL": "info"}, cwd=tmp_path)
    assert out.returncode == 1
    assert "WARNING sms_core.client: send chunk 1/1 (1 number) refused by the gateway" in out.stderr
    assert "refused by the gateway 1 (the gateway refused the word 发票)" in out.stdout
    assert GATEWAY_PASSWORD not in out.stdout + out.stderr


def test_a_misspelt_variable_is_warned_about_with_the_nearest_setting(gateway_env, tmp_path):
    _, env = gateway_env
    (tmp_path / ".env").write_text("SMSBOT_GATEWAY_TIMEOUTT=3\n")
    out = smsbot("balance", env=env, cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == "10000"
    assert out.stderr.splitlines() == [
        f"smsbot: warning: SMSBOT_GATEWAY_TIMEOUTT (in {tmp_path / '.env'}) is not a setting: did you mean "
        "SMSBOT_GATEWAY_TIMEOUT? It is ignored."]


def test_balance_and_a_wrong_password(gateway_env, tmp_path):
    server, env = gateway_env
    out = smsbot("balance", env=env, cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == "10000"
    server.gateway.configure(password="rotated")
    out = smsbot("balance", env=env, cwd=tmp_path)
    assert out.returncode == 1 and "SMSBOT_GATEWAY_PASSWORD" in out.stderr
    assert GATEWAY_PASSWORD not in out.stdout + out.stderr


def test_unreachable_gateway_fails_cleanly(tmp_path):
    env = {"SMSBOT_GATEWAY_URL": "http://127.0.0.1:9", "SMSBOT_GATEWAY_USERNAME": "u",
           "SMSBOT_GATEWAY_PASSWORD": GATEWAY_PASSWORD}
    out = smsbot("send", "13800138000", "hi", env=env, cwd=tmp_path)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert GATEWAY_PASSWORD not in out.stdout + out.stderr


def test_missing_account_for_the_real_gateway_says_what_to_set(tmp_path):
    out = smsbot("balance", cwd=tmp_path)
    assert out.returncode == 2 and "SMSBOT_GATEWAY_USERNAME" in out.stderr and "sandbox" in out.stderr


def test_sandbox_word_needs_no_account(tmp_path):
    out = smsbot("send", "13800138000", "hi", env={"SMSBOT_GATEWAY_URL": "sandbox"}, cwd=tmp_path)
    assert out.returncode == 0 and "accepted 1" in out.stdout


def test_sandbox_command_prints_its_url_and_demo_account(tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith("SMSBOT_")}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "sandbox", "--port", "0"], env=base, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(5)]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    text = "".join(lines)
    assert "http://127.0.0.1:" in text and "SMSBOT_GATEWAY_USERNAME=demo" in text


def test_balance_with_a_password_the_encoding_cannot_hold_says_so(gateway_env, tmp_path):
    _, env = gateway_env
    out = smsbot("balance", env={**env, "SMSBOT_GATEWAY_PASSWORD": "pw😀secret"}, cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "SMSBOT_GATEWAY_PASSWORD" in out.stderr and "😀" not in out.stderr


def test_sandbox_on_a_port_in_use_says_so(gateway_env, tmp_path):
    server, _ = gateway_env
    port = server.url.rsplit(":", 1)[1]
    out = smsbot("sandbox", "--port", port, cwd=tmp_path)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr and "--port" in out.stderr


@pytest.mark.parametrize("args,expected", [
    (("--port", "99999"), "smsbot sandbox: argument --port: expected a port from 0 to 65535 (0 picks a free one), "
                          "not '99999'"),
    (("--port", "-1"), "smsbot sandbox: argument --port: expected a port from 0 to 65535"),
    (("--port", "http"), "smsbot sandbox: argument --port: expected a port from 0 to 65535 (0 picks a free one), not 'http'"),
    (("--report-delay", "-3"), "smsbot sandbox: argument --report-delay: expected a number of seconds, 0 or more, "
                               "e.g. 2, not '-3'"),
    (("--report-delay", "nan"), "smsbot sandbox: argument --report-delay: expected a number of seconds"),
    (("--report-delay", "inf"), "smsbot sandbox: argument --report-delay: expected a number of seconds"),
    (("--colour",), "smsbot: unrecognized arguments: --colour"),
])
def test_sandbox_refuses_a_bad_option_in_one_line(tmp_path, args, expected):
    out = smsbot("sandbox", *args, cwd=tmp_path, timeout=30)
    assert out.returncode == 2 and out.stdout == ""
    [line] = out.stderr.splitlines()
    assert line.startswith(expected) and line.endswith("--help)") and "Traceback" not in out.stderr


def test_check_prints_each_failure_once(gateway_env, tmp_path):
    server, env = gateway_env
    server.gateway.configure(password="rotated")
    out = smsbot("check", env=env, cwd=tmp_path)
    assert out.returncode == 1
    assert out.stdout.count("the gateway refused the login") == 1
    assert "skipped  " not in out.stdout  # nothing waits on the gateway
    assert out.stderr == ""  # no library log line repeating it
