"""Webhook throughput: the full WeCom path vs a bare aiohttp echo server, in one run.

    .venv/bin/python bench/webhook.py [--requests 4000] [--clients 32] [--database-url URL]

The full path is the real app: signature check, AES decrypt, store (SQLite, WAL; or the empty
PostgreSQL database given with --database-url), parse the report,
record activities, encrypted reply. Every request is a distinct report with its own MsgId, sealed
before the clock starts. The echo server answers the same bodies with a fixed text. The load (32
concurrent keep-alive clients on loopback) runs twice: from a separate process, which measures
each server's own capacity, and from the servers' event loop, where client cost is shared as in
a single-core deployment. Prints req/s, p50 and p99 for both servers, and the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import tempfile
import time
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlmodel import select

from bot.config import load_config
from bot.runtime import Runtime
from bot.sandbox.callbacks import WeComSealer, WeComUser, message_xml
from bot.serve import start_site
from handlers.binding import code_table
from scheduler.clock import TZ, SystemClock
from storage.models import Activity

ROOT = Path(__file__).resolve().parent.parent
PLACES = ["新华路商圈", "朝阳大街", "市图书馆", "龙城区长宝社区", "市政务服务中心", "建平县城广场"]
KINDS = ["开展集中宣传，发放资料{n}份，咨询{m}人次", "举办商标知识讲座，参加{m}人", "走访{k}家企业开展上门指导"]


def sealed_requests(settings, count: int, users: list[str]) -> list[tuple[dict[str, str], bytes]]:
    sealer = WeComSealer(settings.channels.wecom)
    created = datetime(2026, 4, 22, 18, 0, tzinfo=TZ)
    out = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)].format(n=100 + i % 900, m=10 + i % 90, k=1 + i % 9)
        text = f"今天在{PLACES[i % len(PLACES)]}{kind}"
        xml = message_xml(
            settings.channels.wecom.corp_id,
            users[i % len(users)],
            created + timedelta(seconds=i),
            "text",
            {"Content": text, "MsgId": 10_000_000 + i, "AgentID": settings.channels.wecom.agent_id},
        )
        sealed = sealer.seal(xml, int(created.timestamp()) + i, f"n{i}")
        out.append((sealed.query, sealed.body.encode()))
    return out


async def _load(url: str, requests: list[tuple[dict[str, str], bytes]], clients: int) -> tuple[float, list[float]]:
    queue = list(reversed(requests))
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            while queue:
                query, body = queue.pop()
                start = time.perf_counter()
                async with http.post(url, params=query, data=body) as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"HTTP {resp.status}")
                latencies.append(time.perf_counter() - start)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return time.perf_counter() - began, latencies


def _load_process(url: str, requests, clients: int, out: mp.Queue) -> None:
    out.put(asyncio.run(_load(url, requests, clients)))


async def run_load(url: str, requests, clients: int) -> tuple[float, list[float]]:
    ctx = mp.get_context("fork")
    out: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_load_process, args=(url, requests, clients, out))
    proc.start()
    result = await asyncio.get_running_loop().run_in_executor(None, out.get)
    proc.join()
    return result


def summarize(name: str, elapsed: float, latencies: list[float]) -> tuple[float, float, float]:
    lat = sorted(latencies)
    rps = len(lat) / elapsed
    p50 = statistics.median(lat) * 1000
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
    print(f"{name:<10} {len(lat):>6} req  {rps:>8.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms")
    return rps, p50, p99


async def echo(_request: web.Request) -> web.Response:
    await _request.read()
    return web.Response(text="success")


async def main(count: int, clients: int, database_url: str) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="weekbot-bench-"))
    env = {"WEEKBOT_DATA_DIR": str(data_dir), "WEEKBOT_DATABASE_URL": database_url}
    settings = load_config(ROOT / "config.example.toml", env=env)
    print(f"database: {settings.database_url.split('@')[-1]}")
    runtime = Runtime.create(settings, SystemClock())
    users = [f"bench{i}" for i in range(26)]
    codes = {g.unit_name: c for c, g in code_table(runtime.deps).items() if g.role == "liaison"}
    async with AsyncExitStack() as stack:
        stack.callback(runtime.close)
        bot_url = await start_site(runtime.web_app(), "127.0.0.1", 0, stack) + "/wechat/work"
        echo_app = web.Application()
        echo_app.router.add_post("/echo", echo)
        echo_url = await start_site(echo_app, "127.0.0.1", 0, stack) + "/echo"
        # Bind the reporting users through the real path (not timed).
        async with aiohttp.ClientSession() as http:
            for user, unit in zip(users, codes, strict=False):
                await WeComUser(http, bot_url, settings.channels.wecom, user).say(
                    f"绑定 {codes[unit]}", SystemClock().now()
                )
        requests = sealed_requests(settings, 2 * count, users)
        await run_load(echo_url, requests[:200], clients)  # warm-up
        modes = (
            ("load from a separate process", run_load, requests[:count]),
            ("load from the servers' own event loop", _load, requests[count:]),
        )
        for title, load, batch in modes:
            print(f"-- {title}, {clients} concurrent clients --")
            echo_stats = summarize("echo", *(await load(echo_url, batch, clients)))
            full_stats = summarize("full path", *(await load(bot_url, batch, clients)))
            print(
                f"ratio full/echo: throughput {full_stats[0] / echo_stats[0]:.2f}  "
                f"p99 {full_stats[2] / echo_stats[2]:.1f}x  (goal: throughput >= 0.50, full p99 < 50 ms)"
            )
        stored = runtime.db.call(lambda s: len(s.exec(select(Activity.id)).all()))
        print(f"activities stored: {stored} (from {2 * count} reports)")
    print(f"data: {data_dir}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--database-url", default="", help="an empty PostgreSQL database (default: SQLite)")
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.clients, args.database_url))
