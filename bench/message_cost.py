"""Where one text report's CPU goes on weekbot's webhook path, stage by stage, in one process.

    .venv/bin/python bench/message_cost.py [--messages 400] [--profile out.pstats]

The bench's sealed WeCom reports (bench/webhook.py) go one after another through the stages the
webhook runs for each: signature + AES decrypt + XML (the channel's decode), the sender's unit
read, the parse, the writer's transaction for a batch of one (store, dedupe, handle, reply update)
and its commit (SQLite WAL, synchronous=FULL: the fsync is in it), and the encrypted reply. No
HTTP and no event loop: what is left of the served figure (bench/webhook.py, one client) is
aiohttp's. Prints the mean µs of each stage per message (wall and CPU); --batch N puts N messages in one
transaction (as group commit does under load); --profile writes cProfile stats of the
transaction and commit stages.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

# Run as a script, so bench/ is on the path: the bench's own sealed requests.
from webhook_load import CREATED, ROOT, wecom_requests

from bot.config import load_config
from bot.pipeline.group_commit import _Pending
from bot.runtime import Runtime
from bot.sandbox.callbacks import WeComSealer, message_xml
from bot.server.serve import freeze_startup_heap
from handlers.binding import code_table
from handlers.inbound import Inbound
from handlers.prereading import PreReading, read_text, sender_unit
from scheduler.clock import SystemClock
from storage.models import ChannelKind

T = TypeVar("T")


def bind_users(runtime: Runtime, users: list[str]) -> None:
    """Bind each user to a unit through the real pipeline, as bench/webhook.py does over HTTP."""
    cfg = runtime.settings.channels.wecom
    channel = runtime.channels[ChannelKind.WECOM]
    codes = [c for c, g in code_table(runtime.deps).items() if g.role == "liaison"]

    async def bind() -> None:
        for number, (user, code) in enumerate(zip(users, codes, strict=False)):
            fields = {"Content": f"绑定 {code}", "MsgId": 900 + number, "AgentID": cfg.agent_id}
            sealed = WeComSealer(cfg).seal(message_xml(cfg.corp_id, user, CREATED, "text", fields), 1776852000)
            decoded = channel.decode(sealed.query, sealed.body.encode())
            await runtime.pipeline.process(decoded.inbound)

    asyncio.run(bind())


def main(count: int, batch_size: int, profile_out: str) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="weekbot-cost-"))
    settings = load_config(ROOT / "config.example.toml", env={"WEEKBOT_DATA_DIR": str(data_dir)})
    clock = SystemClock()
    runtime = Runtime.create(settings, clock)
    users = [f"bench{i}" for i in range(26)]
    bind_users(runtime, users)
    # The collector as a serving process runs it (start-up's heap frozen, young collections rarer):
    # otherwise a full collection of that heap, which serve never makes, lands in whichever stage runs then.
    freeze_startup_heap()
    channel = runtime.channels[ChannelKind.WECOM]
    pipeline, deps, db = runtime.pipeline, runtime.deps, runtime.db
    requests = wecom_requests(settings, 20_000_000, count, users)
    # Wall time, and this thread's CPU time: on a shared machine the second leaves out the waits
    # for a core (and the fsync's wait for the disk).
    costs: dict[str, float] = defaultdict(float)
    cpu: dict[str, float] = defaultdict(float)
    profiler = cProfile.Profile() if profile_out else None

    def timed(stage: str, fn: Callable[..., T], *args: Any) -> T:
        start, start_cpu = time.perf_counter(), time.thread_time()
        result = fn(*args)
        costs[stage] += time.perf_counter() - start
        cpu[stage] += time.thread_time() - start_cpu
        return result

    def unit_of(msg: Inbound) -> str | None:
        # As bot.prereading.pre_read: this process's guess, or a read for a sender not seen yet.
        known, unit = deps.sender_units.recall(msg.channel, msg.user_id)
        return unit if known else db._read(lambda session: sender_unit(session, deps, msg))

    warm_up = count // 10
    for first in range(0, count, batch_size):
        if first == warm_up:
            costs.clear()
            cpu.clear()
        measured = first >= warm_up
        batch, replies = [], []
        for query, body in requests[first : first + batch_size]:
            decoded = timed("decode (signature, AES, XML)", channel.decode, query, body)
            msg, now = decoded.inbound, clock.now()
            unit = timed("sender's unit", unit_of, msg)
            reading = timed("parse", read_text, deps, msg.text, now, unit)
            # No future: the bench calls the writer's transaction itself.
            batch.append(_Pending(msg, now, PreReading(msg.text, now, unit, reading), None, None))  # type: ignore[arg-type]
            replies.append((decoded.fields, query))
        with db.session() as session:
            if measured and profiler:
                profiler.enable()
            outcomes = timed("transaction (store, handle)", pipeline._transaction, session, batch)
            timed("commit (fsync)", session.commit)
            if measured and profiler:
                profiler.disable()
        for outcome, (fields, query) in zip(outcomes, replies, strict=True):
            assert isinstance(outcome, str) and outcome.startswith("已记录"), outcome
            timed("encrypted reply", channel.encode_reply, fields, outcome, query, clock.now())
    runtime.close()
    n = count - warm_up
    print(f"µs per text report, mean of {n} in batches of {batch_size} (one process, no HTTP):  wall   CPU")
    for stage, seconds in costs.items():
        print(f"  {stage:<32} {seconds / n * 1e6:8.0f} {cpu[stage] / n * 1e6:6.0f}")
    print(f"  {'total':<32} {sum(costs.values()) / n * 1e6:8.0f} {sum(cpu.values()) / n * 1e6:6.0f}")
    if profiler:
        profiler.dump_stats(profile_out)
        print(f"cProfile of the transaction and commit stages: {profile_out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--batch", type=int, default=1, help="messages per transaction (group commit)")
    parser.add_argument("--profile", default="", help="write cProfile stats of the writer's stages here")
    args = parser.parse_args()
    main(args.messages, args.batch, args.profile)
