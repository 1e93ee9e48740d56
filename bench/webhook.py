"""Webhook throughput and latency: a bare aiohttp echo, WeRoBot and weekbot, in one run.

    .venv/bin/python bench/webhook.py [--requests 2000] [--clients 32] [--database-url URL] [--workers N]

- echo: an aiohttp server that reads the body and answers a fixed text (the floor of the stack).
- WeRoBot 1.13.1 in safe mode (AES, with its optional `cryptography`) on waitress, parsing and
  replying, storing nothing: installed by this script into bench/.venv-werobot (ignored by git,
  never a project dependency) and run there as its own process.
  It serves the Official Account protocol, so it gets MP safe-mode posts sealed by the
  same code as weekbot's (bot.sandbox.callbacks.MpSealer), with the same texts.
- weekbot: the real app on the WeCom path: signature, AES decrypt, store, parse, records, encrypted
  reply. On SQLite (WAL, synchronous=FULL: every commit fsync'd before the answer) with group commit
  as configured, then with every message committed alone (max_batch 1), then the same with the old
  synchronous=NORMAL (not durable: for comparison only); on PostgreSQL too when --database-url names
  an empty database (emptied again before each PostgreSQL variant, as each SQLite variant gets a new
  data directory: what one variant left queued, e.g. photo downloads whose sandbox is gone, would
  otherwise run during the next one's load). With --workers N, also `weekbot serve --workers N` as its own processes (N
  serving processes on one port, bot.supervisor), on SQLite and, with --database-url, PostgreSQL.

Every request is a distinct message with its own MsgId, sealed before the clock starts; the load
(N keep-alive clients on loopback) runs from a separate process, on asyncio's loop; the servers in
this process (echo, weekbot in process) run on uvloop, and weekbot in process with the switch
interval and the frozen start-up heap, as `weekbot serve` does. Lines: req/s,
p50/p99 at N clients, the server's CPU per request (its own processes, read from /proc: a figure
other work on the machine barely moves; PostgreSQL's own work is not in it), how many of the
machine's cores were busy (fewer than it has: the run waited on something other than CPU, e.g. the
writer's turn on SQLite), the load generator's own CPU per request, and the ratios to echo and
WeRoBot; the same with one client (latency when nothing queues); and image callbacks (a photo
message: stored, a download job queued, answered). Every answer of WeRoBot and weekbot must be an
encrypted reply, and a sample of each run is decrypted and read (WeRoBot echoes the text, weekbot
records the report with its place): a server that answers 200
with nothing in it fails the bench. Last, how many of each weekbot's reports are stored.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import uvloop
from aiohttp import web
from sqlalchemy import event, func, inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from webhook_load import (
    PLACES,
    ROOT,
    AnswerCheck,
    CpuClock,
    mp_requests,
    process_tree_cpu,
    report,
    run_load,
    wecom_requests,
)

from bot.cli.service import SERVING_SWITCH_INTERVAL_SECONDS
from bot.config import Settings, load_config
from bot.runtime import Runtime, make_deps
from bot.sandbox.callbacks import MpSealer, WeComSealer, WeComUser
from bot.server.serve import freeze_startup_heap, web_app
from bot.web.connections import start_site
from handlers.binding import code_table
from scheduler.clock import SystemClock
from storage.db import Database
from storage.engine import make_engine
from storage.models import Activity, InboundMessage

WEROBOT_VENV = ROOT / "bench" / ".venv-werobot"

WEROBOT_SERVER = """
import logging
import sys
import waitress
from werobot import WeRoBot
from werobot.config import Config

token, aes_key, app_id, port = sys.argv[1:5]
# Sessions off ("stores nothing"): as shipped, its SQLite session store (one connection shared by
# waitress's threads) left most answers empty under this load (docs/scaling.md, "Which WeRoBot").
robot = WeRoBot(config=Config(TOKEN=token, ENCODING_AES_KEY=aes_key, APP_ID=app_id, SESSION_STORAGE=False))

@robot.text
def text(message):
    return "收到：" + message.content[:40]

@robot.image
def image(message):
    return "图片收到"

# Under 32 clients waitress warns "Task queue depth is N" for every queued request: not news.
logging.getLogger("waitress.queue").setLevel(logging.ERROR)
waitress.serve(robot.wsgi, host="127.0.0.1", port=int(port), _quiet=True)
"""


async def echo(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(text="success")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def werobot_python() -> Path:
    python = WEROBOT_VENV / "bin" / "python"
    if not python.exists():
        print(f"installing WeRoBot and waitress into {WEROBOT_VENV} (once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(WEROBOT_VENV)], check=True)
        packages = ["werobot==1.13.1", "waitress", "cryptography"]
        subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], check=True)
    return python


async def start_werobot(settings: Settings, stack: AsyncExitStack) -> tuple[str, CpuClock]:
    cfg = settings.channels.mp
    script = Path(tempfile.mkdtemp(prefix="werobot-")) / "server.py"
    script.write_text(WEROBOT_SERVER, encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen([str(werobot_python()), str(script), cfg.token, cfg.aes_key, cfg.app_id, str(port)])
    stack.callback(proc.wait)
    stack.callback(proc.terminate)
    url = f"http://127.0.0.1:{port}/"
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            try:
                async with http.get(url):
                    return url, lambda: process_tree_cpu(proc.pid)
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    raise RuntimeError("WeRoBot did not start")


def werobot_check(settings: Settings, first: int, photo: bool = False) -> AnswerCheck:
    """WeRoBot's answer to message ``first + position``, as its handlers in WEROBOT_SERVER say."""

    def expected(position: int, said: str) -> str | None:
        want = "图片收到" if photo else "收到：" + report(first + position)[:40]
        return None if said == want else f"expected {want!r}"

    return AnswerCheck(MpSealer(settings.channels.mp).open_reply, expected)


def weekbot_check(settings: Settings, first: int, photo: bool = False) -> AnswerCheck:
    """weekbot's answer to message ``first + position``: the report recorded with its place, or
    the photo taken."""

    def expected(position: int, said: str) -> str | None:
        if photo:
            return None if said.startswith("图片已收到") else "expected 图片已收到…"
        place = PLACES[(first + position) % len(PLACES)]
        return None if said.startswith("已记录") and place in said else f"expected 已记录… {place}"

    return AnswerCheck(WeComSealer(settings.channels.wecom).open_reply, expected)


@dataclass(frozen=True)
class Variant:
    name: str
    database_url: str
    max_batch: int
    synchronous: str = "FULL"
    workers: int = 0  # 0: the app in this process; N: `weekbot serve --workers N` beside it


@dataclass
class Served:
    """A weekbot under test: its webhook URL, its settings, and its database (to count what it stored)."""

    url: str
    settings: Settings
    db: Database
    cpu: CpuClock


def bench_env(variant: Variant) -> dict[str, str]:
    env = {"WEEKBOT_DATA_DIR": tempfile.mkdtemp(prefix="weekbot-bench-")}
    if variant.database_url:
        env["WEEKBOT_DATABASE_URL"] = variant.database_url
    return env


async def start_weekbot(variant: Variant, users: list[str], stack: AsyncExitStack) -> Served:
    served = await (serve_processes(variant, stack) if variant.workers else serve_in_process(variant, stack))
    codes = {g.unit_name: c for c, g in code_table(make_deps(served.settings)).items() if g.role == "liaison"}
    async with aiohttp.ClientSession() as http:  # bind the reporting users through the real path (untimed)
        for user, unit in zip(users, codes, strict=False):
            reply = await WeComUser(http, served.url, served.settings.channels.wecom, user).say(
                f"绑定 {codes[unit]}", SystemClock().now()
            )
            assert reply, f"{user}: no answer to 绑定"
    return served


async def serve_in_process(variant: Variant, stack: AsyncExitStack) -> Served:
    settings = load_config(ROOT / "config.example.toml", env=bench_env(variant))
    if variant.max_batch != settings.storage.max_batch:
        settings = settings.model_copy(
            update={"storage": settings.storage.model_copy(update={"max_batch": variant.max_batch})}
        )
    runtime = Runtime.create(settings, SystemClock())
    stack.callback(runtime.close)
    if variant.synchronous != "FULL":
        set_synchronous(runtime, variant.synchronous)
    url = await start_site(web_app(runtime), "127.0.0.1", 0, stack) + "/wechat/work"
    # This process as `weekbot serve` sets its own: the switch interval, and the heap start-up built
    # frozen (else a full collection of this process's heap, ~100 ms, lands in some variant's p99).
    sys.setswitchinterval(SERVING_SWITCH_INTERVAL_SECONDS)
    freeze_startup_heap()
    return Served(url, settings, runtime.db, time.process_time)  # the load runs in its own process


async def serve_processes(variant: Variant, stack: AsyncExitStack) -> Served:
    """`weekbot serve --workers N` as an operator runs it (the example config, the sandbox on a
    free port), its log in its data directory."""
    env = bench_env(variant)
    data_dir = Path(env["WEEKBOT_DATA_DIR"])
    config = data_dir / "config.toml"
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    assert example.count("port = 8089") == 1  # the sandbox platform's port: others may hold it
    config.write_text(example.replace("port = 8089", f"port = {free_port()}"), encoding="utf-8")
    settings = load_config(config, env=env)
    assert variant.max_batch == settings.storage.max_batch and variant.synchronous == "FULL"
    argv = [sys.executable, "-m", "bot.cli", "serve", "--config", str(config), "--host", "127.0.0.1"]
    argv += ["--port", "0", "--workers", str(variant.workers)]
    log = (data_dir / "serve.log").open("wb")
    proc = subprocess.Popen(argv, env=os.environ | env, stdout=subprocess.PIPE, stderr=log, cwd=ROOT)
    stack.callback(log.close)
    stack.callback(proc.wait, 60)
    stack.callback(proc.send_signal, signal.SIGTERM)
    assert proc.stdout is not None
    printed = await asyncio.get_running_loop().run_in_executor(None, proc.stdout.readline)
    found = re.search(rb"serving on (http://\S+)", printed)
    if not found:
        raise RuntimeError(f"weekbot serve did not start (log: {log.name}): {printed!r}")
    base = found.group(1).decode()
    async with aiohttp.ClientSession() as http:  # every worker up: the health check answers
        for _ in range(300):
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(base + "/healthz") as resp:
                    if resp.status == 200:
                        break
            await asyncio.sleep(0.1)
    db = Database(settings.database_url)
    stack.callback(db.close)
    return Served(base + "/wechat/work", settings, db, lambda: process_tree_cpu(proc.pid))


def set_synchronous(runtime: Runtime, level: str) -> None:
    def pragma(dbapi_conn: object, _record: object) -> None:
        dbapi_conn.execute(f"PRAGMA synchronous={level}")  # type: ignore[attr-defined]

    event.listen(runtime.db.engine, "connect", pragma)
    runtime.db.engine.dispose()  # connections opened so far reconnect with it


def stored_of(db: Database, first: int, count: int) -> tuple[int, int]:
    """Messages stored of ids first..first+count-1, and the activities recorded from them."""
    keys = [f"wecom:{n}" for n in range(first, first + count)]

    def count_rows(session: Session) -> tuple[int, int]:
        ids = session.exec(select(InboundMessage.id).where(col(InboundMessage.dedupe_key).in_(keys))).all()
        activities = session.exec(select(func.count()).select_from(Activity).where(col(Activity.message_id).in_(ids)))
        return len(ids), activities.one()

    return db.call(count_rows)


@contextlib.contextmanager
def engine_of(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def empty_postgres(database_url: str) -> None:
    """Drop what the bench's previous variant stored (the whole public schema)."""
    with engine_of(database_url) as engine, engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")


def has_tables(database_url: str) -> bool:
    with engine_of(database_url) as engine, engine.connect() as conn:
        return bool(inspect(conn).get_table_names())


async def main(count: int, clients: int, database_url: str, workers: int) -> None:
    if database_url and has_tables(database_url):
        sys.exit(f"{database_url}: not empty; the bench empties it between variants, so give it a new database")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, {os.cpu_count()} cores")
    settings = load_config(ROOT / "config.example.toml", env={})
    users = [f"bench{i}" for i in range(26)]
    single = max(100, count // 10)
    variants = [Variant("weekbot sqlite FULL group", "", 64)]
    if workers:
        variants.append(Variant(f"weekbot sqlite serve x{workers}", "", 64, workers=workers))
    variants += [
        Variant("weekbot sqlite FULL single", "", 1),
        Variant("weekbot sqlite NORMAL single", "", 1, "NORMAL"),
    ]
    if database_url:
        variants.append(Variant("weekbot postgresql group", database_url, 64))
        if workers:
            variants.append(Variant(f"weekbot postgresql serve x{workers}", database_url, 64, workers=workers))
    first = 10_000_000
    async with AsyncExitStack() as stack:
        echo_app = web.Application()
        echo_app.router.add_post("/echo", echo)
        echo_url = await start_site(echo_app, "127.0.0.1", 0, stack) + "/echo"
        werobot_url, werobot_cpu = await start_werobot(settings, stack)
        texts = mp_requests(settings, first, count + single)
        photos = mp_requests(settings, first + 5_000_000, single, photo=True)
        await run_load(echo_url, texts[:200], clients)  # warm-up
        await run_load(werobot_url, texts[:200], clients, werobot_check(settings, first))
        peers = {"echo": await run_load(echo_url, texts[:count], clients)}
        werobot_many = await run_load(werobot_url, texts[:count], clients, werobot_check(settings, first), werobot_cpu)
        peers["WeRoBot"] = werobot_many
        werobot_one = await run_load(werobot_url, texts[count:], 1, werobot_check(settings, first + count))
        werobot_photo = await run_load(
            werobot_url, photos, clients, werobot_check(settings, first + 5_000_000, photo=True)
        )
        results = []
        for variant in variants:
            if variant.database_url:
                empty_postgres(variant.database_url)
            async with AsyncExitStack() as serving:  # one weekbot at a time: each gets the cores
                served = await start_weekbot(variant, users, serving)
                url, cfg = served.url, served.settings
                first += 10_000_000
                load = wecom_requests(cfg, first, 100 + count + single, users)
                photo_load = wecom_requests(cfg, first + 5_000_000, single, users, photo=True)
                await run_load(url, load[:100], clients, weekbot_check(cfg, first))  # warm-up (stored too)
                check = weekbot_check(cfg, first + 100)
                many = await run_load(url, load[100 : 100 + count], clients, check, served.cpu)
                one = await run_load(url, load[100 + count :], 1, weekbot_check(cfg, first + 100 + count))
                photo = await run_load(url, photo_load, clients, weekbot_check(cfg, first + 5_000_000, photo=True))
                stored = stored_of(served.db, first, 100 + count + single)
            results.append((variant, many, one, photo, stored))
        print(f"-- {clients} keep-alive clients, {count} distinct messages each (load from a separate process) --")
        print(peers["echo"].line("echo (aiohttp)"))
        print(peers["WeRoBot"].line("WeRoBot safe mode (waitress)", {"echo": peers["echo"]}))
        for variant, many, *_ in results:
            print(many.line(variant.name, peers))
        print(f"-- one client, {single} messages --")
        print(werobot_one.line("WeRoBot"))
        for variant, _, one, *_ in results:
            print(one.line(variant.name, {"WeRoBot": werobot_one}))
        print(f"-- image callbacks (a photo message), {clients} clients, {single} messages --")
        print(werobot_photo.line("WeRoBot"))
        for variant, _, _, photo, _ in results:
            print(photo.line(variant.name, {"WeRoBot": werobot_photo}))
        print("-- every answer an encrypted reply, a sample of each run decrypted and read --")
        for variant, *_, (messages, activities) in results:
            print(f"{variant.name}: {messages} of {100 + count + single} text reports stored, {activities} activities")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--database-url", default="", help="an empty PostgreSQL database (default: SQLite only)")
    parser.add_argument("--workers", type=int, default=0, help="also run `weekbot serve --workers N` (0: not)")
    args = parser.parse_args()
    uvloop.run(main(args.requests, args.clients, args.database_url, args.workers))
