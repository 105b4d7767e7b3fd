"""`smsbot contacts import FILE` and `smsbot contacts export FILE`: the address book from or to a
CSV file (bot/services/contacts_transfer.py), on the store a bot would use.

The store is opened as `smsbot run` opens it, holding its lock: while a bot runs on it the
command is refused (the bot's own /contacts import|export is the way then), and a bot started
meanwhile refuses to start. Messages are English, as the rest of the command line's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

from config import Settings

__all__ = ["add_parser", "run_contacts"]

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
"""As bot/cli.py's: 2 for a file to fix (unreadable, or a row refused), 1 for anything else."""


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """`smsbot contacts import|export FILE` in the command line's subparsers."""
    p: argparse.ArgumentParser = sub.add_parser(
        "contacts", help="import or export the address book as a CSV file",
        description="Import or export the address book (contacts and groups) as a CSV file of name, number, "
                    "groups, on the store of SMSBOT_DATABASE_PATH; refused while a bot runs on it (use "
                    "/contacts import|export in Telegram then).")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    a = actions.add_parser(
        "import", help="add and update contacts and groups from a CSV file",
        description="Add and update contacts and groups from a CSV file: columns name, number, groups "
                    "(separated by ; or spaces), a header row optional, UTF-8 or GBK. Rows refused are "
                    "listed with their line and why, the others imported (exit code 2 when any row was "
                    "refused); nothing is taken out of a group.")
    a.add_argument("file", metavar="FILE", help="the CSV file (- reads standard input)")
    a = actions.add_parser(
        "export", help="write the address book to a CSV file",
        description="Write the address book as a CSV file (UTF-8 with a BOM, so Excel opens it) that "
                    "`smsbot contacts import` reads back to the same book.")
    a.add_argument("file", metavar="FILE", help="where to write it (- writes standard output)")
    return p


def run_contacts(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store import StoreError, StoreLocked

    prog, path = f"smsbot contacts {args.action}", settings.database_path
    data = b""
    if args.action == "import":
        try:
            data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
        except OSError as exc:
            print(f"{prog}: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
    elif not path.exists():
        print(f"{prog}: there is no store at {path}: nothing to export (SMSBOT_DATABASE_PATH names it)",
              file=sys.stderr)
        return EXIT_FAIL
    try:
        return asyncio.run(_run(args, prog, path, data))
    except StoreLocked:
        print(f"{prog}: a running smsbot holds the store {path}: stop it first, or use "
              f"/contacts {args.action} in Telegram", file=sys.stderr)
    except StoreError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"{prog}: cannot write {args.file}: {exc.strerror or exc}", file=sys.stderr)
    return EXIT_FAIL


async def _run(args: argparse.Namespace, prog: str, path: Path, data: bytes) -> int:
    from bot.errors import BotError
    from bot.i18n import Translator
    from bot.services.contacts_transfer import (
        export_contacts,
        import_answer,
        import_contacts,
        plain_text,
    )
    from bot.store import Store

    tr = Translator("en")
    name = "stdin" if args.file == "-" else Path(args.file).name
    async with Store(path, exclusive=True) as store:
        if args.action == "import":
            try:
                plan = await import_contacts(store, data, source=f"smsbot contacts import {name}")
            except BotError as exc:  # the file as a whole: its encoding, a workbook, no rows
                print(f"{prog}: {plain_text(tr(exc.key, **exc.params))}", file=sys.stderr)
                return EXIT_USAGE
            print(plain_text(import_answer(plan, tr, name, budget=None)))
            return EXIT_USAGE if plan.refused else EXIT_OK
        export = await export_contacts(store, time.time(), source=f"smsbot contacts export {name}")
    summary = f"{export.contacts} contacts, {export.groups} groups"
    if args.file == "-":
        sys.stdout.buffer.write(export.data)
        sys.stdout.flush()
        print(summary, file=sys.stderr)
        return EXIT_OK
    target = Path(args.file)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_bytes(export.data)
    os.replace(partial, target)  # never half a file where an older export was
    print(f"{summary} written to {target}")
    return EXIT_OK
