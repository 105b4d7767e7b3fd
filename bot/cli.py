"""The `smsbot` command line. Human messages; secrets never printed. Exit code 0 on success,
2 for input or settings to fix (a wrong option, number or setting), 1 for anything else."""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from bot.contacts_cli import add_parser as add_contacts_parser
from config import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from sms_core.models import SendResult

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _settings() -> Settings:
    """The settings, and a warning for each SMSBOT_* name that is none (`check` fails on them)."""
    from config.settings import unknown_settings

    settings = load_settings()
    for unknown in unknown_settings():
        print(f"smsbot: warning: {unknown.message()} It is ignored.", file=sys.stderr)
    return settings


def _quiet_logging(settings: Settings) -> None:
    from bot.logsetup import setup_cli_logging

    setup_cli_logging(settings.explicit_log_level, settings.secret_values())


def cmd_run(args: argparse.Namespace) -> int:
    import logging

    from telegram.error import InvalidToken, TelegramError

    from bot.app import run
    from bot.escaping import host_of
    from bot.logsetup import secret_filter
    from bot.store import StoreError
    from bot.web.errors import WebError

    settings = _settings()
    scrub = secret_filter().scrub  # run() registers the secrets with it first thing
    try:
        run(settings)
    except SettingsError:
        raise  # main() prints it
    except (StoreError, WebError) as exc:
        print(f"smsbot: {scrub(str(exc))}", file=sys.stderr)
        return EXIT_FAIL
    except InvalidToken:  # its text quotes the token
        print("smsbot: Telegram refused the token: copy it again from @BotFather into "
              "SMSBOT_TELEGRAM_TOKEN", file=sys.stderr)
        return EXIT_FAIL
    except TelegramError as exc:
        print(f"smsbot: Telegram did not answer at {host_of(settings.telegram_api_url)}: "
              f"{scrub(str(exc))}; check SMSBOT_TELEGRAM_API_URL and the network", file=sys.stderr)
        return EXIT_FAIL
    except Exception as exc:  # a bug: its traceback goes to the log, through the secret filter
        logging.getLogger("bot.cli").exception("smsbot run stopped")
        print(f"smsbot: stopped by an unexpected error ({type(exc).__name__}); see the log above",
              file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535 (0 picks a free one), not {text!r}")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a number of seconds, 0 or more, e.g. 2, not {text!r}")
    return value


def cmd_sandbox(args: argparse.Namespace) -> int:
    from sms_core.sandbox import run_sandbox

    try:
        run_sandbox(host=args.host, port=args.port, report_delay=args.report_delay)
    except OSError as exc:  # port taken, address not local, name not resolved
        print(f"smsbot sandbox: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
              "choose another --port or --host", file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


async def _with_gateway(settings: Settings, fn):  # type: ignore[no-untyped-def]
    from bot.gateways import gateway_from_settings

    _quiet_logging(settings)
    gateway, sandbox = gateway_from_settings(settings)
    try:
        async with gateway:
            return await fn(gateway)
    finally:
        if sandbox is not None:
            sandbox.stop()


def cmd_send(args: argparse.Namespace) -> int:
    from sms_core.errors import GatewayError, InputError
    from sms_core.phones import parse_numbers
    from sms_core.schedule import check_schedule, parse_schedule

    settings = _settings()
    try:
        numbers = parse_numbers(",".join(args.numbers))
        at = check_schedule(parse_schedule(args.at)) if args.at else None
    except InputError as exc:
        print(f"smsbot send: {exc}", file=sys.stderr)
        return EXIT_USAGE

    async def go(gateway):  # type: ignore[no-untyped-def]
        return await gateway.send(numbers, args.text, at=at)

    try:
        result = asyncio.run(_with_gateway(settings, go))
    except InputError as exc:
        print(f"smsbot send: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except GatewayError as exc:
        print(f"smsbot send: {exc}", file=sys.stderr)
        return EXIT_FAIL
    summary, problems = send_report(result)
    print(summary)
    if args.ids:
        print("\n".join(result.ids))
    for line in problems:
        print(f"smsbot send: {line}", file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_FAIL


def send_report(result: SendResult) -> tuple[str, list[str]]:
    """One summary line, and a line for each problem that needs a person: an account the
    gateway refused (once, however many numbers it held back) and an unknown outcome.

    The counts: accepted; invalid numbers (the gateway's own count of numbers it rejected in
    an accepted request); refused by the gateway, with its reason (a forbidden word, a text too
    long); not sent (the account refused, or the gateway unreachable); outcome unknown.
    """
    from sms_core.errors import AccountLocked, AccountNotFound, InsufficientBalance, LoginFailed
    from sms_core.models import ChunkOutcome

    account_labels = {LoginFailed: "login refused", AccountLocked: "account locked",
                      InsufficientBalance: "balance too low", AccountNotFound: "unknown account"}
    refused: dict[str, int] = {}
    not_sent: dict[str, int] = {}
    account: dict[str, int] = {}
    unknown: dict[str, int] = {}
    for chunk in result.chunks:
        n, reason = len(chunk.numbers), str(chunk.error)
        label = account_labels.get(type(chunk.error))
        if chunk.outcome is ChunkOutcome.REFUSED and label is not None:
            not_sent[label] = not_sent.get(label, 0) + n
            account[reason] = account.get(reason, 0) + n
        elif chunk.outcome is ChunkOutcome.REFUSED:
            refused[reason] = refused.get(reason, 0) + n
        elif chunk.outcome is ChunkOutcome.FAILED:
            not_sent[reason] = not_sent.get(reason, 0) + n
        elif chunk.outcome is ChunkOutcome.UNKNOWN:
            unknown[reason] = unknown.get(reason, 0) + n
    parts = [f"accepted {result.accepted}"]
    if result.rejected:
        parts.append(f"invalid numbers {result.rejected}")
    parts += [f"refused by the gateway {n} ({reason})" for reason, n in refused.items()]
    parts += [f"not sent {n} ({reason})" for reason, n in not_sent.items()]
    if unknown:
        parts.append(f"outcome unknown {sum(unknown.values())}")
    parts += [f"{result.segments} segment{'' if result.segments == 1 else 's'} each", f"cost {result.cost}"]
    total = len(result.numbers)
    problems = [f"{reason}; " + ("nothing was sent" if n == total else f"{_numbers(n)} not sent")
                for reason, n in account.items()]
    problems += [f"outcome unknown for {_numbers(n)}: {reason}" for reason, n in unknown.items()]
    return " · ".join(parts), problems


def _numbers(n: int) -> str:
    return f"{n} number" if n == 1 else f"{n} numbers"


def cmd_balance(args: argparse.Namespace) -> int:
    from sms_core.errors import GatewayError, InputError

    settings = _settings()
    try:
        balance = asyncio.run(_with_gateway(settings, lambda g: g.balance()))
    except InputError as exc:
        print(f"smsbot balance: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except GatewayError as exc:
        print(f"smsbot balance: {exc}", file=sys.stderr)
        return EXIT_FAIL
    print(balance)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from bot.checks import run_checks

    try:
        settings = load_settings()  # unknown SMSBOT_* names are a line of the check, not a warning
    except SettingsError:
        return run_checks()  # it prints the settings line as a FAIL
    _quiet_logging(settings)  # each line says what failed: log lines would say it again
    return run_checks(settings)


def cmd_contacts(args: argparse.Namespace) -> int:
    from bot.contacts_cli import run_contacts

    settings = _settings()
    _quiet_logging(settings)
    return run_contacts(args, settings)


def cmd_healthcheck(args: argparse.Namespace) -> int:
    from bot.healthcheck import main as healthcheck

    return healthcheck()


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo()


class _Parser(argparse.ArgumentParser):
    """argparse, but a wrong option is one line (the usage is one --help away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="smsbot",
        description="A Telegram bot that texts phones through the 112088 SMS gateway. "
                    "Settings come from SMSBOT_* environment variables or a .env file.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    p = sub.add_parser("run", help="run the bot (long polling)", description="Run the Telegram bot until stopped.")
    p.set_defaults(fn=cmd_run)
    p = sub.add_parser("sandbox", help="run the stand-in gateway on 127.0.0.1",
                       description="Run a faithful stand-in of the SMS gateway for trials and tests.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=port_number, default=8088, help="port, 0 to 65535 (default 8088; 0 picks a free one)")
    p.add_argument("--report-delay", type=seconds, default=2.0,
                   help="seconds before a delivery report appears for a sent SMS (default 2)")
    p.set_defaults(fn=cmd_sandbox)
    p = sub.add_parser("send", help="send one SMS", description="Send one SMS through the configured gateway.")
    p.add_argument("numbers", metavar="NUMBERS", nargs=1, help="comma-separated numbers, e.g. 13800138000,13900139000")
    p.add_argument("text", metavar="TEXT", help="the text (at most 335 characters, GBK)")
    p.add_argument("--at", metavar="YYYY-MM-DD HH:MM", help="schedule it (China Standard Time)")
    p.add_argument("--ids", action="store_true", help="print the gateway's ids, one a line, after the summary")
    p.set_defaults(fn=cmd_send)
    p = sub.add_parser("balance", help="show the gateway balance", description="Print the messages left.")
    p.set_defaults(fn=cmd_balance)
    p = sub.add_parser("check", help="check the settings, the store, the gateway and Telegram",
                       description="Check the whole deployment without changing it; each line ok, FAIL with "
                                   "what to do, or skipped (because ...). Exit code 0 when all are ok, 2 "
                                   "when a setting is wrong, 1 otherwise.")
    p.set_defaults(fn=cmd_check)
    add_contacts_parser(sub).set_defaults(fn=cmd_contacts)
    p = sub.add_parser("healthcheck", help="ask the running bot's /healthz (Docker's HEALTHCHECK)",
                       description="GET /healthz at the address SMSBOT_HTTP_LISTEN gives (0.0.0.0 is asked "
                                   "on 127.0.0.1). Exit code 0 when healthy, 1 otherwise.")
    p.set_defaults(fn=cmd_healthcheck)
    p = sub.add_parser("demo", help="try everything locally: sandbox gateway, local Telegram, terminal chat",
                       description="Start the sandbox gateway, a local Bot API stand-in and the real bot, "
                                   "and chat with it in the terminal. No account, no token.")
    p.set_defaults(fn=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.fn(args)
    except SettingsError as exc:
        print(f"smsbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
