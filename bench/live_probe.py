"""Issue 9's acceptance against a live `weekbot serve` (sandbox off, production-like secrets).

    .venv/bin/python bench/live_probe.py

Starts a real `weekbot serve` process on loopback with the sandbox off, binds a liaison with the
unit's invite code, then: a 47,000-character text is answered (or refused) while /healthz is
polled every 50 ms; the Official Account plaintext replay of a captured query is refused while an
EncodingAESKey is configured; the malformed-but-signed payloads get 400; a junk desk cookie gets
4xx. Prints one line per check with what it measured; exits 1 if a check fails. Loopback only.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_config  # noqa: E402
from bot.runtime import make_deps  # noqa: E402
from bot.sandbox.callbacks import WeComUser, message_xml, new_msg_id  # noqa: E402
from handlers.binding import code_table  # noqa: E402
from scheduler.clock import TZ  # noqa: E402
from tests.callback_forge import Forger, Mode  # noqa: E402
from tests.golive import PRODUCTION_ENV, clean_environ  # noqa: E402

UNIT = "市商务局"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def poll_health(http: aiohttp.ClientSession, url: str, stop: asyncio.Event, worst: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        try:
            async with http.get(url, timeout=aiohttp.ClientTimeout(total=5)) as resp:
                await resp.read()
                ok = resp.status == 200
        except (aiohttp.ClientError, TimeoutError):
            ok = False
        worst.append(time.perf_counter() - started if ok else float("inf"))
        await asyncio.sleep(0.05)


async def main() -> int:
    failures = 0

    def check(ok: bool, line: str) -> None:
        nonlocal failures
        failures += not ok
        print(("ok   " if ok else "FAIL ") + line, flush=True)

    with tempfile.TemporaryDirectory() as data:
        port = free_port()
        env = clean_environ(**PRODUCTION_ENV, WEEKBOT_DATA_DIR=data)
        settings = load_config(ROOT / "config.example.toml", env=env)
        log = open(Path(data) / "serve.log", "w")  # noqa: SIM115  (closed with the process)
        command = [str(ROOT / ".venv/bin/weekbot"), "serve", "--config", str(ROOT / "config.example.toml")]
        serve = subprocess.Popen(
            [*command, "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=data
        )
        base = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession() as http:
                for _ in range(300):
                    try:
                        async with http.get(f"{base}/healthz") as resp:
                            if resp.status == 200:
                                break
                    except aiohttp.ClientError:
                        await asyncio.sleep(0.1)
                liaison = WeComUser(http, f"{base}/wechat/work", settings.channels.wecom, "probe-liaison")
                code = next(c for c, g in code_table(make_deps(settings)).items() if g.unit_name == UNIT)
                now = datetime.now(TZ)
                reply = await liaison.say(f"绑定 {code}", now)
                check(bool(reply and reply.startswith("绑定成功")), f"bind with the invite code: {reply!r:.40}")

                stop, worst = asyncio.Event(), []
                poller = asyncio.create_task(poll_health(http, f"{base}/healthz", stop, worst))
                started = time.perf_counter()
                status, reply = await liaison.post(liaison.xml(now, "text", {"Content": "a" * 47_000}), now)
                took = time.perf_counter() - started
                await asyncio.sleep(0.3)
                stop.set()
                await poller
                check(status == 200 and took < 5, f"47,000-character text answered in {took:.2f} s: {reply!r:.50}")
                check(max(worst) < 0.5, f"/healthz during it: {len(worst)} polls, slowest {max(worst) * 1000:.0f} ms")

                # The worst shape found under the length limit (bench/parse.py --growth: ①1份 repeated).
                stop, worst = asyncio.Event(), []
                poller = asyncio.create_task(poll_health(http, f"{base}/healthz", stop, worst))
                started = time.perf_counter()
                limit = settings.dialog.max_text_chars
                status, reply = await liaison.post(liaison.xml(now, "text", {"Content": ("①1份" * limit)[:limit]}), now)
                took = time.perf_counter() - started
                await asyncio.sleep(0.3)
                stop.set()
                await poller
                check(
                    status == 200 and took < 5,
                    f"{limit}-character worst-shape text parsed and answered in {took:.2f} s",
                )
                check(max(worst) < 0.5, f"/healthz during it: {len(worst)} polls, slowest {max(worst) * 1000:.0f} ms")

                forger = Forger(settings.channels.wecom, settings.channels.mp)
                replay = message_xml("gh_x", "forged-openid", now, "text", {"Content": "伪造", "MsgId": new_msg_id()})
                forged = forger.forge(Mode.MP_PLAIN, replay.encode(), 1000000000, "fixednonce")
                async with http.post(f"{base}/wechat/mp", params=forged.query, data=forged.body) as resp:
                    check(resp.status == 403, f"plaintext replay with an AES key configured: HTTP {resp.status}")

                stamp = int(time.time())
                payloads = {
                    "last padding byte 0x00": forger.forge(Mode.WECOM, b"<xml/>", stamp, "n1", pad_byte=0),
                    "ciphertext cut to two blocks": forger.forge(Mode.WECOM, b"<xml/>", stamp, "n2", blocks=2),
                    "MsgType missing": forger.forge(
                        Mode.WECOM, b"<xml><FromUserName>u</FromUserName><CreateTime>1</CreateTime></xml>", stamp, "n3"
                    ),
                    "XML nested 1,200 deep": forger.forge(
                        Mode.WECOM, b"<xml>" + b"<a>" * 1200 + b"</a>" * 1200 + b"</xml>", stamp, "n4"
                    ),
                    "JSON nested 30k deep": forger.forge(
                        Mode.MP_SAFE, ("[" * 30000 + "]" * 30000).encode(), stamp, "n5", as_json=True
                    ),
                    "lone surrogate in JSON Content": forger.forge(
                        Mode.MP_SAFE,
                        json.dumps({"ToUserName": "gh", "FromUserName": "o", "CreateTime": stamp, "MsgType": "text",
                                    "Content": "\ud800", "MsgId": 7}).encode(),
                        stamp, "n6", as_json=True,
                    ),
                }  # fmt: skip
                for name, sent in payloads.items():
                    path = (
                        "/wechat/work"
                        if "msg_signature" in sent.query and "encrypt_type" not in sent.query
                        else "/wechat/mp"
                    )
                    async with http.post(f"{base}{path}", params=sent.query, data=sent.body) as resp:
                        check(resp.status == 400, f"{name}: HTTP {resp.status}")

                junk = {"weekbot_desk": "x." + hashlib.sha256(b"junk").hexdigest()}
                async with http.get(f"{base}/dash/", cookies=junk, allow_redirects=False) as resp:
                    check(
                        400 <= resp.status < 500 or resp.status in (302, 303), f"junk desk cookie: HTTP {resp.status}"
                    )
        finally:
            serve.terminate()
            serve.wait(timeout=30)
            log.close()
        tracebacks = (Path(data) / "serve.log").read_text(encoding="utf-8").count("Traceback")
        check(tracebacks == 0, f"tracebacks in the service's log: {tracebacks}")
    return 1 if failures else 0


if __name__ == "__main__":
    os.environ.pop("WEEKBOT_CLOCK", None)
    sys.exit(asyncio.run(main()))
