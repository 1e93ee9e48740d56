"""The commands that run or set up the service: parse, plan, menu, serve, check, say, demo, units codes.

Each imports what it needs when it runs: `weekbot plan` should not pay for the web app's or the
exports' imports (tests/test_lazy_imports.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from bot.cli import CommandError
from bot.config import Settings, load_config
from storage.models import Role

T = TypeVar("T")


def parse_command(args: argparse.Namespace) -> int:
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


def plan_command(args: argparse.Namespace) -> int:
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


def menu_command(args: argparse.Namespace) -> int:
    from bot.preflight.menu import menu_json

    settings = load_config(args.config)
    if not settings.menu.buttons:
        raise CommandError("配置里没有菜单（[[menu.buttons]]），见 config.example.toml")
    if args.menu_command == "show":
        print(json.dumps(menu_json(settings), ensure_ascii=False, indent=2))
        return 0
    import asyncio

    from bot.preflight.menu import install_menu

    done, problems = asyncio.run(_against_platform(settings, install_menu, "菜单"))
    for line in done:
        print(line)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


async def _against_platform(settings: Settings, call: Callable[[Settings], Awaitable[T]], what: str) -> T:
    """``call`` the configured APIs; with the sandbox on, a sandbox platform started here for this one
    command (`check --online`, `menu install`) answers instead, as `weekbot serve`'s would."""
    if not settings.sandbox.enabled:
        return await call(settings)
    from contextlib import AsyncExitStack

    from bot.sandbox.platform import make_platform_app, sandboxed
    from bot.sandbox.state import PlatformState
    from bot.web.connections import start_site

    async with AsyncExitStack() as stack:
        state = PlatformState(settings.channels.wecom, settings.channels.mp)
        url = await start_site(make_platform_app(state), settings.sandbox.host, 0, stack)
        print(f"沙箱开着：{what}发往本机的模拟平台 {url}")
        return await call(sandboxed(settings, url))


# How long a thread holds the GIL before one waiting for it forces a switch, in a serving process
# (CPython's default: 5 ms). Under load the event loop thread runs a turn's decoding and parsing in
# one stretch of Python (~10 ms at 32 clients) while the writer thread wants the GIL back after
# each database call; at 5 ms it forced a switch mid-stretch, again and again, each costing both
# threads' caches. At 20 ms the loop mostly ends its turn and hands the GIL over when it waits for
# I/O: ~700 → ~645 µs of CPU a request at 32 clients (bench/webhook.py's load, 3 interleaved
# pairs), p50 and p99 no worse. A lone request never waits for the GIL, so its latency is unchanged.
SERVING_SWITCH_INTERVAL_SECONDS = 0.02


def run_serving(main: Coroutine[Any, Any, None]) -> None:
    """A serving process's event loop: uvloop's, whose own work per request (callbacks,
    transports, timers) is done in C; the webhook's CPU per request is measured in docs/scaling.md."""
    import uvloop

    sys.setswitchinterval(SERVING_SWITCH_INTERVAL_SECONDS)
    uvloop.run(main)


def serve_command(args: argparse.Namespace) -> int:
    import asyncio
    import os

    from bot.logs import install_logging
    from bot.preflight import refusal, startup_problems
    from bot.server.supervisor import become_worker, default_workers, supervise, wait_until_ready
    from scheduler.clock import clock_from_spec

    settings = load_config(args.config)
    # WEEKBOT_CLOCK=virtual:<ISO start>:<speed> runs the service on fast virtual time (a rehearsal).
    clock = clock_from_spec(os.environ.get("WEEKBOT_CLOCK", ""))
    if args.worker_of is not None:  # started by a `serve --workers N` that checked the config
        sock = become_worker(args.worker_of, args.listen_fd)
        from bot.server.serve import serve_worker  # the app: loaded while the parent migrates

        wait_until_ready(args.worker_of, args.ready_fd)
        install_logging(clock)
        run_serving(serve_worker(settings, clock, sock, args.platform_url))
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
        from bot.server.serve import serve  # not in the supervisor of N workers: it serves nothing

        run_serving(serve(settings, clock, host, port))
    else:
        asyncio.run(supervise(settings, clock, host, port, workers, args.config))
    return 0


def check_command(args: argparse.Namespace) -> int:
    import asyncio

    from bot.preflight import run_check
    from bot.preflight.online import online_report

    settings = load_config(args.config)
    online = asyncio.run(_against_platform(settings, online_report, "以下接口调用")) if args.online else None
    return run_check(settings, online=online, out=sys.stdout)


def say_command(args: argparse.Namespace) -> int:
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


def demo_command(args: argparse.Namespace) -> int:
    import asyncio

    from bot.demo import run_demo

    return asyncio.run(run_demo(load_config(args.config), quick=args.quick))


def unit_codes_command(args: argparse.Namespace) -> int:
    from bot.runtime import make_deps
    from handlers.binding import code_table

    settings = load_config(args.config)
    for code, grant in code_table(make_deps(settings)).items():
        who = "联系人（管理员）" if grant.role == Role.ADMIN else "联络员"
        print(f"{code}\t{grant.unit_name}\t{who}")
    return 0
