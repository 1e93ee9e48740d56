"""The webhook bench's load: distinct sealed reports, N keep-alive clients in a separate process,
the answers checked (an encrypted reply, a sample decrypted and read), and the figures of a run:
req/s, p50/p99, when the server's CPU can be read its CPU time per request (the server's own
processes: a PostgreSQL server's work is not in it), how many of the machine's cores were busy, and
the load generator's own CPU per request (on a machine it shares with the server).

Shared by bench/webhook.py, bench/message_cost.py and bench/parse.py (run as scripts from the repo
root, so bench/ is on the path).
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import queue
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bot.config import Settings
from bot.sandbox.callbacks import MpSealer, WeComSealer, message_xml, reply_content
from scheduler.clock import TZ

ROOT = Path(__file__).resolve().parent.parent
PLACES = ["新华路商圈", "朝阳大街", "市图书馆", "龙城区长宝社区", "市政务服务中心", "建平县城广场"]
KINDS = ["开展集中宣传，发放资料{n}份，咨询{m}人次", "举办商标知识讲座，参加{m}人", "走访{k}家企业开展上门指导"]
CREATED = datetime(2026, 4, 22, 18, 0, tzinfo=TZ)
Request = tuple[dict[str, str], bytes]


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


def wire_requests(url: str, requests: list[Request]) -> list[bytes]:
    """Each request as the bytes of one HTTP/1.1 POST, built before the clock starts."""
    parts = urlsplit(url)
    head = f"Host: {parts.netloc}\r\nContent-Type: text/xml\r\n"
    return [
        f"POST {parts.path}?{urlencode(query)} HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
        for query, body in requests
    ]


class _LoadRun:
    """One load: the requests not yet sent, what came back, and when every client has finished."""

    def __init__(self, wire: list[bytes], clients: int) -> None:
        self.wire = wire
        self.pending = list(reversed(range(len(wire))))
        self.latencies: list[float] = []
        self.answers = [""] * len(wire)
        self.clients_open = clients
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def fail(self, why: str) -> None:
        if not self.finished.done():
            self.finished.set_exception(RuntimeError(why))

    def client_closed(self) -> None:
        self.clients_open -= 1
        if self.clients_open == 0 and not self.finished.done():
            self.finished.set_result(None)


class _KeepAliveClient(asyncio.Protocol):
    """One keep-alive connection sending the run's requests one at a time. A plain protocol rather
    than aiohttp's client: on a machine shared with the server, the load generator's own CPU is CPU
    the server does not get (aiohttp's client spent 129-130 µs a request against `serve --workers
    2`, this 31-43), and a server using both cores loses more to it than one that cannot use the
    second core."""

    def __init__(self, run: _LoadRun) -> None:
        self.run = run
        self.received = bytearray()
        self.position = -1  # the request awaiting its answer; -1 when none
        self.body_at = self.body_end = 0
        self.sent_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._send_next()

    def _send_next(self) -> None:
        if not self.run.pending:
            self.position = -1
            self.transport.close()
            return
        self.position = self.run.pending.pop()
        self.received.clear()
        self.body_end = 0
        self.sent_at = time.perf_counter()
        self.transport.write(self.run.wire[self.position])

    def data_received(self, data: bytes) -> None:
        self.received += data
        if not self.body_end and not self._read_head():
            return
        if len(self.received) < self.body_end:
            return
        self.run.latencies.append(time.perf_counter() - self.sent_at)
        self.run.answers[self.position] = self.received[self.body_at : self.body_end].decode()
        self._send_next()

    def _read_head(self) -> bool:
        """Where the answer's body lies, once its head has arrived; False while it has not."""
        end = self.received.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = self.received[:end].decode("latin-1").lower()
        length = re.search(r"\r\ncontent-length: *(\d+)", head)
        if not head.startswith("http/1.1 200 ") or length is None:
            self.run.fail(f"answer not 200 with a length: {head[:200]!r}")
            self.transport.abort()
            return False
        self.body_at = end + 4
        self.body_end = self.body_at + int(length.group(1))
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        if self.position >= 0:
            self.run.fail(f"connection lost awaiting answer {self.position}: {exc}")
        self.run.client_closed()


async def _load(url: str, requests: list[Request], clients: int) -> tuple[float, list[float], list[str]]:
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        raise ValueError(f"{url}: the load needs a host and a port")
    run = _LoadRun(wire_requests(url, requests), clients)
    loop = asyncio.get_running_loop()
    began = time.perf_counter()
    for _ in range(clients):
        await loop.create_connection(lambda: _KeepAliveClient(run), parts.hostname, parts.port)
    await run.finished
    return time.perf_counter() - began, run.latencies, run.answers


def _load_process(url: str, requests: list[Request], clients: int, out: mp.Queue) -> None:
    began = time.process_time()
    try:
        elapsed, latencies, answers = asyncio.run(_load(url, requests, clients))
    except Exception as exc:  # told, not just raised here: the bench waits on the queue for an answer
        out.put(f"{type(exc).__name__}: {exc}")
        return
    out.put((elapsed, latencies, answers, time.process_time() - began))


def _figures_of(proc: mp.process.BaseProcess, out: mp.Queue) -> object:
    """What the load process put on the queue; an error if it ended without putting anything (a
    crash, a kill), rather than waiting for ever."""
    while True:
        try:
            return out.get(timeout=1)
        except queue.Empty:
            if not proc.is_alive():
                raise RuntimeError(f"the load process ended without its figures (exit code {proc.exitcode})") from None


# Seconds of CPU (user + system) a server has used so far: read before and after a load, the
# difference per request is a figure that another job on a shared machine barely moves.
CpuClock = Callable[[], float]


def process_tree_cpu(pid: int) -> float:
    """CPU seconds of a process and of its live descendants (a supervisor and its workers), from /proc."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):  # ended meanwhile
            continue
    return total


@dataclass(frozen=True)
class MachineTimes:
    """The machine's CPU time so far, from /proc/stat's first line (jiffies, all cores)."""

    busy: int
    total: int

    def busy_cores(self, later: MachineTimes) -> float | None:
        """How many of the machine's cores were busy on average since this reading (servers, the
        load generator and anything else): whether a run was short of CPU or of something else,
        e.g. a lock. None where /proc/stat cannot be read."""
        if later.total <= self.total:
            return None
        return (later.busy - self.busy) / (later.total - self.total) * (os.cpu_count() or 1)


def machine_times() -> MachineTimes:
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return MachineTimes(0, 0)
    idle = fields[3] + fields[4]  # idle and iowait: a core waiting for the disk is not busy
    return MachineTimes(sum(fields) - idle, sum(fields))


async def run_load(
    url: str, requests: list[Request], clients: int, check: AnswerCheck | None = None, cpu: CpuClock | None = None
) -> Stats:
    """The load from a separate process; then, if ``check`` is given, the answers checked: every
    one an encrypted reply, and a sample of them decrypted and read (not merely HTTP 200). With
    ``cpu``, the server's CPU time per request too."""
    ctx = mp.get_context("fork")
    out: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_load_process, args=(url, requests, clients, out))
    used_before = cpu() if cpu is not None else 0.0
    machine_before = machine_times()
    proc.start()
    result = await asyncio.get_running_loop().run_in_executor(None, _figures_of, proc, out)
    used = cpu() - used_before if cpu is not None else None
    busy = machine_before.busy_cores(machine_times())
    proc.join()
    if isinstance(result, str):
        raise RuntimeError(f"{url}: the load failed: {result}")
    elapsed, latencies, answers, load_cpu = result
    if check is not None:
        check.verify(url, answers)
    return Stats.of(elapsed, latencies, used, busy, load_cpu)


@dataclass(frozen=True)
class AnswerCheck:
    """What each answer must say: ``expected(position, text)`` is None when the decrypted reply
    text is right, else what is wrong."""

    open_reply: Callable[[str], str]
    expected: Callable[[int, str], str | None]
    sample: int = 50

    def verify(self, url: str, answers: list[str]) -> None:
        not_sealed = [n for n, body in enumerate(answers) if "<Encrypt>" not in body]
        if not_sealed:
            raise RuntimeError(
                f"{url}: {len(not_sealed)} answers are not encrypted replies, e.g. {answers[not_sealed[0]]!r}"
            )
        step = max(1, len(answers) // self.sample)
        for position in range(0, len(answers), step):
            said = reply_content(self.open_reply(answers[position])) or ""
            wrong = self.expected(position, said)
            if wrong:
                raise RuntimeError(f"{url}: answer {position} is {said!r}: {wrong}")


@dataclass(frozen=True)
class Stats:
    count: int
    rps: float
    p50: float
    p99: float
    cpu_us: float | None  # the server's CPU per request, in µs (None: not measured)
    busy_cores: float | None = None  # the whole machine's busy cores during the load
    load_us: float | None = None  # the load generator's own CPU per request, in µs

    @classmethod
    def of(
        cls,
        elapsed: float,
        latencies: list[float],
        cpu_seconds: float | None = None,
        busy_cores: float | None = None,
        load_seconds: float | None = None,
    ) -> Stats:
        lat = sorted(latencies)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        cpu_us = cpu_seconds / len(lat) * 1e6 if cpu_seconds is not None else None
        load_us = load_seconds / len(lat) * 1e6 if load_seconds is not None else None
        return cls(len(lat), len(lat) / elapsed, statistics.median(lat) * 1000, p99 * 1000, cpu_us, busy_cores, load_us)

    def line(self, name: str, peers: dict[str, Stats] | None = None) -> str:
        text = f"{name:<28} {self.count:>5} req {self.rps:>7.0f} req/s  p50 {self.p50:6.1f} ms  p99 {self.p99:6.1f} ms"
        text += f"  CPU {self.cpu_us:5.0f} µs/req" if self.cpu_us is not None else " " * 19
        text += f"  busy {self.busy_cores:4.2f}/{os.cpu_count()}" if self.busy_cores is not None else " " * 12
        text += f"  load {self.load_us:3.0f} µs/req" if self.load_us is not None else " " * 17
        for peer, stats in (peers or {}).items():
            text += f"  {self.rps / stats.rps:5.2f}x {peer}"
        return text
