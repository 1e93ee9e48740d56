"""Webhook throughput and latency: a bare aiohttp echo, WeRoBot and weekbot, in one run.

    .venv/bin/python bench/webhook.py [--requests 2000] [--clients 32] [--database-url URL]

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
  an empty database.

Every request is a distinct message with its own MsgId, sealed before the clock starts; the load
(N keep-alive clients on loopback) runs from a separate process. Lines: req/s, p50/p99 at N clients
with the ratios to echo and WeRoBot; the same with one client (latency when nothing queues); and
image callbacks (a photo message: stored, a download job queued, answered).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import event
from sqlmodel import select

from bot.config import Settings, load_config
from bot.runtime import Runtime
from bot.sandbox.callbacks import MpSealer, WeComSealer, WeComUser, message_xml
from bot.server.serve import web_app
from bot.web.connections import start_site
from handlers.binding import code_table
from scheduler.clock import TZ, SystemClock
from storage.models import Activity, InboundMessage

ROOT = Path(__file__).resolve().parent.parent
WEROBOT_VENV = ROOT / "bench" / ".venv-werobot"
PLACES = ["新华路商圈", "朝阳大街", "市图书馆", "龙城区长宝社区", "市政务服务中心", "建平县城广场"]
KINDS = ["开展集中宣传，发放资料{n}份，咨询{m}人次", "举办商标知识讲座，参加{m}人", "走访{k}家企业开展上门指导"]
CREATED = datetime(2026, 4, 22, 18, 0, tzinfo=TZ)
Request = tuple[dict[str, str], bytes]

WEROBOT_SERVER = """
import sys
import waitress
from werobot import WeRoBot
from werobot.config import Config

token, aes_key, app_id, port = sys.argv[1:5]
robot = WeRoBot(config=Config(TOKEN=token, ENCODING_AES_KEY=aes_key, APP_ID=app_id, SESSION_STORAGE=False))

@robot.text
def text(message):
    return "收到：" + message.content[:40]

@robot.image
def image(message):
    return "图片收到"

waitress.serve(robot.wsgi, host="127.0.0.1", port=int(port), _quiet=True)
"""


def report(i: int) -> str:
    kind = KINDS[i % len(KINDS)].format(n=100 + i % 900, m=10 + i % 90, k=1 + i % 9)
    return f"今天在{PLACES[i % len(PLACES)]}{kind}"


def fields_for(i: int, photo: bool) -> tuple[str, dict[str, object]]:
    if photo:
        return "image", {"PicUrl": "http://127.0.0.1/unused.jpg", "MediaId": f"bench-media-{i}", "MsgId": i}
    return "text", {"Content": report(i), "MsgId": i}


def wecom_requests(settings: Settings, first: int, count: int, users: list[str], photo: bool = False) -> list[Request]:
    cfg = settings.channels.wecom
    sealer = WeComSealer(cfg)
    out = []
    for i in range(first, first + count):
        msg_type, fields = fields_for(i, photo)
        fields["AgentID"] = cfg.agent_id
        xml = message_xml(cfg.corp_id, users[i % len(users)], CREATED + timedelta(seconds=i), msg_type, fields)
        sealed = sealer.seal(xml, 1776852000 + i, f"n{i}")
        out.append((sealed.query, sealed.body.encode()))
    return out


def mp_requests(settings: Settings, first: int, count: int, photo: bool = False) -> list[Request]:
    cfg = settings.channels.mp
    sealer = MpSealer(cfg)
    out = []
    for i in range(first, first + count):
        msg_type, fields = fields_for(i, photo)
        xml = message_xml(cfg.app_id, f"openid{i % 26}", CREATED + timedelta(seconds=i), msg_type, fields)
        sealed = sealer.seal(xml, 1776852000 + i, f"n{i}")
        out.append((sealed.query, sealed.body.encode()))
    return out


async def _load(url: str, requests: list[Request], clients: int) -> tuple[float, list[float]]:
    queue = list(reversed(requests))
    latencies: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as http:

        async def worker() -> None:
            while queue:
                query, body = queue.pop()
                start = time.perf_counter()
                async with http.post(url, params=query, data=body) as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"{url}: HTTP {resp.status}")
                latencies.append(time.perf_counter() - start)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return time.perf_counter() - began, latencies


def _load_process(url: str, requests: list[Request], clients: int, out: mp.Queue) -> None:
    out.put(asyncio.run(_load(url, requests, clients)))


async def run_load(url: str, requests: list[Request], clients: int) -> Stats:
    ctx = mp.get_context("fork")
    out: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_load_process, args=(url, requests, clients, out))
    proc.start()
    elapsed, latencies = await asyncio.get_running_loop().run_in_executor(None, out.get)
    proc.join()
    return Stats.of(elapsed, latencies)


@dataclass(frozen=True)
class Stats:
    count: int
    rps: float
    p50: float
    p99: float

    @classmethod
    def of(cls, elapsed: float, latencies: list[float]) -> Stats:
        lat = sorted(latencies)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        return cls(len(lat), len(lat) / elapsed, statistics.median(lat) * 1000, p99 * 1000)

    def line(self, name: str, peers: dict[str, Stats] | None = None) -> str:
        text = f"{name:<28} {self.count:>5} req {self.rps:>7.0f} req/s  p50 {self.p50:6.1f} ms  p99 {self.p99:6.1f} ms"
        for peer, stats in (peers or {}).items():
            text += f"  {self.rps / stats.rps:5.2f}x {peer}"
        return text


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


async def start_werobot(settings: Settings, stack: AsyncExitStack) -> str:
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
                    return url
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    raise RuntimeError("WeRoBot did not start")


@dataclass(frozen=True)
class Variant:
    name: str
    database_url: str
    max_batch: int
    synchronous: str = "FULL"


async def start_weekbot(variant: Variant, users: list[str], stack: AsyncExitStack) -> Runtime:
    data_dir = Path(tempfile.mkdtemp(prefix="weekbot-bench-"))
    env = {"WEEKBOT_DATA_DIR": str(data_dir), "WEEKBOT_DATABASE_URL": variant.database_url}
    settings = load_config(ROOT / "config.example.toml", env=env)
    if variant.max_batch != settings.storage.max_batch:
        settings = settings.model_copy(
            update={"storage": settings.storage.model_copy(update={"max_batch": variant.max_batch})}
        )
    runtime = Runtime.create(settings, SystemClock())
    stack.callback(runtime.close)
    if variant.synchronous != "FULL":
        set_synchronous(runtime, variant.synchronous)
    url = await start_site(web_app(runtime), "127.0.0.1", 0, stack) + "/wechat/work"
    codes = {g.unit_name: c for c, g in code_table(runtime.deps).items() if g.role == "liaison"}
    async with aiohttp.ClientSession() as http:  # bind the reporting users through the real path (untimed)
        for user, unit in zip(users, codes, strict=False):
            await WeComUser(http, url, settings.channels.wecom, user).say(f"绑定 {codes[unit]}", SystemClock().now())
    runtime.bench_url = url  # type: ignore[attr-defined]
    return runtime


def set_synchronous(runtime: Runtime, level: str) -> None:
    def pragma(dbapi_conn: object, _record: object) -> None:
        dbapi_conn.execute(f"PRAGMA synchronous={level}")  # type: ignore[attr-defined]

    event.listen(runtime.db.engine, "connect", pragma)
    runtime.db.engine.dispose()  # connections opened so far reconnect with it


async def main(count: int, clients: int, database_url: str) -> None:
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, {os.cpu_count()} cores")
    settings = load_config(ROOT / "config.example.toml", env={})
    users = [f"bench{i}" for i in range(26)]
    single = max(100, count // 10)
    variants = [
        Variant("weekbot sqlite FULL group", "", 64),
        Variant("weekbot sqlite FULL single", "", 1),
        Variant("weekbot sqlite NORMAL single", "", 1, "NORMAL"),
    ]
    if database_url:
        variants.append(Variant("weekbot postgresql group", database_url, 64))
    first = 10_000_000
    async with AsyncExitStack() as stack:
        echo_app = web.Application()
        echo_app.router.add_post("/echo", echo)
        echo_url = await start_site(echo_app, "127.0.0.1", 0, stack) + "/echo"
        werobot_url = await start_werobot(settings, stack)
        texts = mp_requests(settings, first, count + single)
        photos = mp_requests(settings, first + 5_000_000, single, photo=True)
        await run_load(echo_url, texts[:200], clients)  # warm-up
        await run_load(werobot_url, texts[:200], clients)
        peers = {"echo": await run_load(echo_url, texts[:count], clients)}
        peers["WeRoBot"] = await run_load(werobot_url, texts[:count], clients)
        werobot_one = await run_load(werobot_url, texts[count:], 1)
        werobot_photo = await run_load(werobot_url, photos, clients)
        results = []
        for variant in variants:
            runtime = await start_weekbot(variant, users, stack)
            url = runtime.bench_url  # type: ignore[attr-defined]
            first += 10_000_000
            load = wecom_requests(runtime.settings, first, count + single, users)
            photo_load = wecom_requests(runtime.settings, first + 5_000_000, single, users, photo=True)
            await run_load(url, load[:100], clients)  # warm-up (stored too)
            many = await run_load(url, load[100 : 100 + count], clients)
            one = await run_load(url, load[count:], 1)
            photo = await run_load(url, photo_load, clients)
            stored = runtime.db.call(
                lambda s: (len(s.exec(select(InboundMessage.id)).all()), len(s.exec(select(Activity.id)).all()))
            )
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
        for variant, *_, (messages, activities) in results:
            print(f"{variant.name}: {messages} messages stored, {activities} activities")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--database-url", default="", help="an empty PostgreSQL database (default: SQLite only)")
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.clients, args.database_url))
