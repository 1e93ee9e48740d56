"""The `weekbot` command line: its parser, and the errors every command may end with."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date

from bot.cli import CommandError, data, service
from bot.cli.closed_pipe import quiet_when_pipe_closes
from bot.config import ConfigError
from bot.server.datalock import DataDirBusy
from storage.migrations import SchemaMismatch


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="weekbot", description="宣传周报送助手")
    parser.add_argument("--config", help="config file (default: $WEEKBOT_CONFIG or config.toml)")
    sub = parser.add_subparsers(dest="command", required=True)
    # --config is accepted after the subcommand too (`weekbot plan --config FILE`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    p = sub.add_parser("parse", parents=[common], help="read a report and print the reading as JSON")
    p.add_argument("text", nargs="*")
    p.add_argument("--now", help="message time, ISO 8601 (default: now, Asia/Shanghai)")
    p.add_argument("--unit", help="the sender's bound unit")
    p.add_argument("--batch", action="store_true", help="JSON Lines in, JSON Lines out")
    p.add_argument("--explain", action="store_true", help="also print which rule decided each field")
    p.set_defaults(func=service.parse_command)

    p = sub.add_parser("serve", parents=[common], help="run the webhook (and the sandbox platform)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, help="serving processes on the port (default: one per core)")
    # Set by `serve --workers N` for the processes it starts (bot.server.supervisor).
    p.add_argument("--worker-of", type=int, metavar="PID", help=argparse.SUPPRESS)
    p.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)
    p.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)
    p.add_argument("--platform-url", help=argparse.SUPPRESS)
    p.set_defaults(func=service.serve_command)

    p = sub.add_parser("check", parents=[common], help="is the config ready to go live? (exit 0 when it is)")
    p.add_argument("--online", action="store_true", help="also call the WeCom / Official Account APIs")
    p.set_defaults(func=service.check_command)

    p = sub.add_parser("say", parents=[common], help="send one WeCom text through the running server")
    p.add_argument("--as", dest="as_user", required=True, metavar="USERID")
    p.add_argument("--url", help="webhook URL (default: from [server] in config)")
    p.add_argument("text", nargs="+")
    p.set_defaults(func=service.say_command)

    p = sub.add_parser("demo", parents=[common], help="the whole campaign on a virtual clock, through the sandbox")
    p.add_argument("--quick", action="store_true", help="only one scripted morning of reports and photos")
    p.set_defaults(func=service.demo_command)

    p = sub.add_parser("units", parents=[common], help="reporting units")
    units_sub = p.add_subparsers(dest="units_command", required=True)
    p = units_sub.add_parser("codes", parents=[common], help="print every unit's invite code")
    p.set_defaults(func=service.unit_codes_command)

    p = sub.add_parser("plan", parents=[common], help="print the scheduled pushes as JSON Lines, by time")
    p.set_defaults(func=service.plan_command)

    p = sub.add_parser("menu", parents=[common], help="the app menu ([[menu.buttons]])")
    menu_sub = p.add_subparsers(dest="menu_command", required=True)
    menu_sub.add_parser("show", parents=[common], help="print the JSON menu/create takes").set_defaults(
        func=service.menu_command
    )
    menu_sub.add_parser(
        "install", parents=[common], help="post the menu to WeCom (and the Official Account when on)"
    ).set_defaults(func=service.menu_command)

    p = sub.add_parser("export", parents=[common], help="write the activity ledger, summary draft or photo ZIP")
    p.add_argument("--format", required=True, choices=["xlsx", "docx", "zip"])
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--unit", action="append", default=[], help="only this unit (name or alias; repeatable)")
    p.add_argument("--type", action="append", default=[], help="only this activity type (repeatable)")
    p.add_argument("--from", dest="first", type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="last", type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.set_defaults(func=data.export_command)

    p = sub.add_parser("db", parents=[common], help="the database's schema revisions (Alembic)")
    db_sub = p.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", parents=[common], help="apply the revisions the database lacks").set_defaults(
        func=data.db_command
    )
    db_sub.add_parser("current", parents=[common], help="print the revision the database is at").set_defaults(
        func=data.db_command
    )
    p = db_sub.add_parser("revision", parents=[common], help="(development) write a revision for the models' changes")
    p.add_argument("-m", "--message", required=True)
    p.set_defaults(func=data.db_command)

    p = sub.add_parser("send-summary", parents=[common], help="build the three exports and mail them ([mail])")
    p.set_defaults(func=data.send_summary_command)

    p = sub.add_parser("backup", parents=[common], help="write the database and the photos to one file")
    p.add_argument("--out", required=True, metavar="FILE")
    p.set_defaults(func=data.backup_command)

    p = sub.add_parser("restore", parents=[common], help="restore a backup into an empty data directory/database")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--force", action="store_true", help="replace a data directory/database that holds data")
    p.set_defaults(func=data.restore_command)
    return parser


@quiet_when_pipe_closes
def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"weekbot: config error:\n{exc}", file=sys.stderr)
        return 2
    except (CommandError, SchemaMismatch, DataDirBusy) as exc:
        print(f"weekbot {args.command}: {exc}", file=sys.stderr)
        return 2
