"""The `weekbot` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from bot.closed_pipe import quiet_when_pipe_closes
from bot.config import ConfigError, Settings, load_config
from bot.datalock import DataDirBusy
from storage.migrations import SchemaMismatch
from storage.models import Role

if TYPE_CHECKING:
    from bot.preflight.problem import Problem
    from bot.runtime import Runtime
    from storage.export_queries import ExportFilter


MenuResult = tuple[list[str], list["Problem"]]


def _parse(args: argparse.Namespace) -> int:
    from handlers.parsing.batch import parse_batch, parse_one
    from handlers.parsing.directory import UnitDirectory
    from scheduler.clock import SystemClock

    settings = load_config(args.config)
    if args.batch and args.explain:
        print("weekbot parse: --explain reads one TEXT, not --batch", file=sys.stderr)
        return 2
    units, now, ceremony_day = UnitDirectory(settings.units), SystemClock().now, settings.ceremony.at.date()
    week = (settings.campaign.week_start, settings.campaign.week_end)
    if args.batch:
        parse_batch(sys.stdin, sys.stdout, units, now, ceremony_day, week)
        return 0
    if not args.text:
        print("weekbot parse: give TEXT or --batch", file=sys.stderr)
        return 2
    text = " ".join(args.text)
    print(parse_one(text, args.now, args.unit, units, now, ceremony_day, explain=args.explain, campaign_week=week))
    return 0


def _plan(args: argparse.Namespace) -> int:
    from scheduler.calendar import CalendarError
    from scheduler.plan import PlanError, build_plan

    settings = load_config(args.config)
    try:
        plan = build_plan(settings)
    except (CalendarError, PlanError) as exc:
        print(f"weekbot plan: {exc}", file=sys.stderr)
        return 2
    robot = settings.group_robot
    for push in plan:
        line: dict[str, object] = dict(push.as_json())
        if robot.enabled and push.kind in robot.kinds:
            line["group_robot"] = True  # also posted into the group chat ([group_robot])
        print(json.dumps(line, ensure_ascii=False))
    return 0


def _menu(args: argparse.Namespace) -> int:
    from bot.menu import menu_json

    settings = load_config(args.config)
    if not settings.menu.buttons:
        raise CommandError("配置里没有菜单（[[menu.buttons]]），见 config.example.toml")
    if args.menu_command == "show":
        print(json.dumps(menu_json(settings), ensure_ascii=False, indent=2))
        return 0
    import asyncio

    from bot.menu import install_menu

    done, problems = asyncio.run(_install_menu(settings, install_menu))
    for line in done:
        print(line)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


async def _install_menu(settings: Settings, install: Callable[[Settings], Awaitable[MenuResult]]) -> MenuResult:
    """With the sandbox on, post to a sandbox platform started here, as `weekbot check --online` does."""
    if not settings.sandbox.enabled:
        return await install(settings)
    from contextlib import AsyncExitStack

    from bot.sandbox.platform import make_platform_app
    from bot.sandbox.state import PlatformState
    from bot.serve import sandboxed, start_site

    async with AsyncExitStack() as stack:
        state = PlatformState(settings.channels.wecom, settings.channels.mp)
        url = await start_site(make_platform_app(state), settings.sandbox.host, 0, stack)
        print(f"沙箱开着：菜单发往本机的模拟平台 {url}")
        return await install(sandboxed(settings, url))


def _serve(args: argparse.Namespace) -> int:
    import asyncio
    import os

    from bot.logs import install_logging
    from bot.preflight import refusal, startup_problems
    from bot.serve import serve, serve_worker
    from bot.supervisor import become_worker, default_workers, supervise
    from scheduler.clock import clock_from_spec

    settings = load_config(args.config)
    # WEEKBOT_CLOCK=virtual:<ISO start>:<speed> runs the service on fast virtual time (a rehearsal).
    clock = clock_from_spec(os.environ.get("WEEKBOT_CLOCK", ""))
    if args.worker_of is not None:  # started by a `serve --workers N` that checked the config
        sock = become_worker(args.worker_of, args.listen_fd)
        install_logging(clock)
        asyncio.run(serve_worker(settings, clock, sock, args.platform_url))
        return 0
    problems = startup_problems(settings)
    if problems:
        raise CommandError(refusal(problems))
    host = args.host or settings.server.host
    port = settings.server.port if args.port is None else args.port
    # With the sandbox on (a demo, a rehearsal) one process serves by default: the sandbox chat
    # page lives with the platform and the bot in one process, and so does one virtual clock.
    one_by_default = 1 if settings.sandbox.enabled else default_workers()
    workers = one_by_default if args.workers is None else args.workers
    if workers < 1:
        raise CommandError("--workers must be at least 1")
    install_logging(clock)
    if workers == 1:
        asyncio.run(serve(settings, clock, host, port))
    else:
        asyncio.run(supervise(settings, clock, host, port, workers, args.config))
    return 0


def _check(args: argparse.Namespace) -> int:
    from bot.preflight import run_check

    return run_check(load_config(args.config), online=args.online, out=sys.stdout)


def _say(args: argparse.Namespace) -> int:
    import asyncio

    import aiohttp

    from bot.sandbox.callbacks import WeComUser
    from scheduler.clock import SystemClock

    settings = load_config(args.config)
    url = args.url or f"http://{settings.server.host}:{settings.server.port}/wechat/work"

    async def say() -> str | None:
        async with aiohttp.ClientSession() as http:
            user = WeComUser(http, url, settings.channels.wecom, args.as_user)
            return await user.say(" ".join(args.text), SystemClock().now())

    print(asyncio.run(say()) or "（无回复）")
    return 0


def _demo(args: argparse.Namespace) -> int:
    import asyncio

    from bot.demo import run_demo

    return asyncio.run(run_demo(load_config(args.config), quick=args.quick))


def _unit_codes(args: argparse.Namespace) -> int:
    from bot.runtime import make_deps
    from handlers.binding import code_table

    settings = load_config(args.config)
    for code, grant in code_table(make_deps(settings)).items():
        who = "联系人（管理员）" if grant.role == Role.ADMIN else "联络员"
        print(f"{code}\t{grant.unit_name}\t{who}")
    return 0


def _db(args: argparse.Namespace) -> int:
    from storage.db import Database
    from storage.migrations import runner

    if args.db_command == "revision":
        path, differences = runner.new_revision(args.message)
        print(f"wrote {path}" if differences else f"wrote {path}: the models match the revisions, write it by hand")
        return 0
    db = Database(load_config(args.config).database_url)
    try:
        if args.db_command == "upgrade":
            applied = db.create_all()
            print("\n".join(f"已升级：{revision}" for revision in applied) or "已是最新，无需升级")
        print(f"当前版本：{runner.current_description(db.engine)}")
    finally:
        db.close()
    return 0


def _export_filter(args: argparse.Namespace, settings: Settings) -> ExportFilter:
    from handlers.parsing.directory import UnitDirectory
    from handlers.wording import type_from_words
    from storage.export_queries import ExportFilter
    from storage.wording import TYPE_LABELS

    directory = UnitDirectory(settings.units)
    units, types = set(), set()
    for given in args.unit:
        name = directory.canonical(given)
        if name is None:
            raise ValueError(f"--unit {given!r}: no such unit or alias in the config")
        units.add(name)
    for given in args.type:
        kind = given if given in TYPE_LABELS else type_from_words(given)
        if kind is None:
            raise ValueError(f"--type {given!r}: expected one of {', '.join(TYPE_LABELS)} or its Chinese label")
        types.add(kind)
    return ExportFilter(frozenset(units), args.first, args.last, frozenset(types))


class CommandError(Exception):
    """A command cannot go on; main prints ``weekbot <command>: <message>`` and exits 2."""


def _existing_runtime(settings: Settings) -> Runtime:
    """A runtime on the configured database, refusing to make a new, empty one (wrong WEEKBOT_DATA_DIR)."""
    from pathlib import Path

    from bot.runtime import Runtime
    from scheduler.clock import SystemClock

    url = settings.database_url
    if url.startswith("sqlite") and "///" in url:
        path = Path(url.split("///", 1)[1])
        if not path.exists():
            raise CommandError(
                f"no database at {path}; set WEEKBOT_DATA_DIR (or WEEKBOT_DATABASE_URL) as for `weekbot serve`"
            )
    return Runtime.create(settings, SystemClock())


def _export(args: argparse.Namespace) -> int:
    import asyncio
    from pathlib import Path

    from bot.exports import build_export, size_label
    from bot.exports.chart import MissingFontError

    settings = load_config(args.config)
    try:
        filters = _export_filter(args, settings)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    runtime = _existing_runtime(settings)
    try:
        out = asyncio.run(build_export(runtime.export_source(), args.format, Path(args.out), filters=filters))
    except MissingFontError as exc:
        raise CommandError(str(exc)) from None
    finally:
        runtime.close()
    print(f"已导出：{out}（{size_label(out.stat().st_size)}）")
    return 0


def _send_summary(args: argparse.Namespace) -> int:
    import asyncio
    import tempfile
    from pathlib import Path

    from bot.exports.chart import MissingFontError
    from bot.mailer import MailError, send_summary

    runtime = _existing_runtime(load_config(args.config))
    try:
        with tempfile.TemporaryDirectory(prefix="weekbot-summary-") as workdir:
            print(asyncio.run(send_summary(runtime.export_source(), Path(workdir))))
    except (MailError, MissingFontError) as exc:
        raise CommandError(str(exc)) from None
    finally:
        runtime.close()
    return 0


def _backup(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from bot.backup import BackupError, make_backup
    from bot.exports import size_label
    from scheduler.clock import clock_from_spec

    clock = clock_from_spec(os.environ.get("WEEKBOT_CLOCK", ""))
    try:
        out = make_backup(load_config(args.config), Path(args.out), clock=clock)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    print(f"已备份：{out}（{size_label(out.stat().st_size)}）")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.backup import BackupError, restore_backup
    from bot.datalock import hold_data_dir

    settings = load_config(args.config)
    try:
        # Restoring writes the data directory: never under a running serve or demo.
        with hold_data_dir(settings.data_dir, "restore"):
            manifest = restore_backup(settings, Path(args.file), force=args.force)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    made = f"{manifest.created_at} 的备份，{sum(manifest.row_counts.values())} 行，{manifest.photo_count} 张照片"
    print(f"已恢复：{args.file}（{made}）→ {settings.data_dir}")
    return 0


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
    p.set_defaults(func=_parse)

    p = sub.add_parser("serve", parents=[common], help="run the webhook (and the sandbox platform)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, help="serving processes on the port (default: one per core)")
    # Set by `serve --workers N` for the processes it starts (bot.supervisor).
    p.add_argument("--worker-of", type=int, metavar="PID", help=argparse.SUPPRESS)
    p.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)
    p.add_argument("--platform-url", help=argparse.SUPPRESS)
    p.set_defaults(func=_serve)

    p = sub.add_parser("check", parents=[common], help="is the config ready to go live? (exit 0 when it is)")
    p.add_argument("--online", action="store_true", help="also call the WeCom / Official Account APIs")
    p.set_defaults(func=_check)

    p = sub.add_parser("say", parents=[common], help="send one WeCom text through the running server")
    p.add_argument("--as", dest="as_user", required=True, metavar="USERID")
    p.add_argument("--url", help="webhook URL (default: from [server] in config)")
    p.add_argument("text", nargs="+")
    p.set_defaults(func=_say)

    p = sub.add_parser("demo", parents=[common], help="the whole campaign on a virtual clock, through the sandbox")
    p.add_argument("--quick", action="store_true", help="only one scripted morning of reports and photos")
    p.set_defaults(func=_demo)

    p = sub.add_parser("units", parents=[common], help="reporting units")
    units_sub = p.add_subparsers(dest="units_command", required=True)
    p = units_sub.add_parser("codes", parents=[common], help="print every unit's invite code")
    p.set_defaults(func=_unit_codes)

    p = sub.add_parser("plan", parents=[common], help="print the scheduled pushes as JSON Lines, by time")
    p.set_defaults(func=_plan)

    p = sub.add_parser("menu", parents=[common], help="the app menu ([[menu.buttons]])")
    menu_sub = p.add_subparsers(dest="menu_command", required=True)
    menu_sub.add_parser("show", parents=[common], help="print the JSON menu/create takes").set_defaults(func=_menu)
    menu_sub.add_parser(
        "install", parents=[common], help="post the menu to WeCom (and the Official Account when on)"
    ).set_defaults(func=_menu)

    p = sub.add_parser("export", parents=[common], help="write the activity ledger, summary draft or photo ZIP")
    p.add_argument("--format", required=True, choices=["xlsx", "docx", "zip"])
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--unit", action="append", default=[], help="only this unit (name or alias; repeatable)")
    p.add_argument("--type", action="append", default=[], help="only this activity type (repeatable)")
    p.add_argument("--from", dest="first", type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="last", type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.set_defaults(func=_export)

    p = sub.add_parser("db", parents=[common], help="the database's schema revisions (Alembic)")
    db_sub = p.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", parents=[common], help="apply the revisions the database lacks").set_defaults(func=_db)
    db_sub.add_parser("current", parents=[common], help="print the revision the database is at").set_defaults(func=_db)
    p = db_sub.add_parser("revision", parents=[common], help="(development) write a revision for the models' changes")
    p.add_argument("-m", "--message", required=True)
    p.set_defaults(func=_db)

    p = sub.add_parser("send-summary", parents=[common], help="build the three exports and mail them ([mail])")
    p.set_defaults(func=_send_summary)

    p = sub.add_parser("backup", parents=[common], help="write the database and the photos to one file")
    p.add_argument("--out", required=True, metavar="FILE")
    p.set_defaults(func=_backup)

    p = sub.add_parser("restore", parents=[common], help="restore a backup into an empty data directory/database")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--force", action="store_true", help="replace a data directory/database that holds data")
    p.set_defaults(func=_restore)
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


if __name__ == "__main__":
    sys.exit(main())
