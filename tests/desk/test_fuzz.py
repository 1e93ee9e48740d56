"""Fuzzing the desk through the real app: random ids, page numbers, filters and forms (with and
without a valid CSRF token), under random, forged and genuine cookies. Whatever arrives: never a
5xx, a refused POST changes nothing, and afterwards the server still answers /healthz at once.

Hypothesis runs in a worker thread and sends raw HTTP (bytes exactly as generated: aiohttp's client
would re-encode odd cookies and paths) to the app serving on the test's event loop. Bounded:
derandomized, a fixed number of examples per backend.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.models import Activity, AuditLog
from storage.web_sessions import DeskSession
from tests.desk_fixtures import CONTACT, UNIT_LIAISON, DeskClient
from tests.harness import Harness

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

EXAMPLES = 150
HEALTHZ_WITHIN = 0.1  # seconds, as the issue asks; the best of a few tries (a loaded CI machine)

ODD_NUMBERS = ["", "0", "-1", "+1", " 1", "1 ", "1.5", "1e3", "0x10", "²", "٣", "１", "9" * 50, str(2**63), str(2**31)]
ids = st.one_of(
    st.integers(min_value=0, max_value=12).map(str),  # the seeded records, units and photos
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(ODD_NUMBERS),
    st.text(max_size=12),
)
texts = st.one_of(st.text(max_size=30), st.sampled_from(["2026-04-20", "publicity", "training", "\x00", "%ZZ"]))


@dataclass(frozen=True)
class Sessions:
    admin: str
    liaison: str
    admin_csrf: str


@dataclass(frozen=True)
class Attempt:
    method: str
    target: str  # path and query, already percent-encoded
    cookie: bytes | None
    body: bytes


def segment(value: str) -> str:
    return quote(value, safe="")


@st.composite
def attempts(draw: st.DrawFn, sessions: Sessions) -> Attempt:
    # Mostly genuine sessions (the contact person's above all: most of the desk is theirs), so the
    # fuzz gets past the guard; the rest none, random bytes, or a genuine body with a forged MAC.
    cookies: dict[str, st.SearchStrategy[bytes | None]] = {
        "admin": st.just(sessions.admin.encode()),
        "liaison": st.just(sessions.liaison.encode()),
        "none": st.none(),
        "bytes": st.binary(max_size=80).map(lambda raw: raw.replace(b"\r", b"").replace(b"\n", b"")),
        "forged": st.text(max_size=40).map(lambda mac: f"{sessions.admin.split('.')[0]}.{mac}".encode()),
    }
    cookie = draw(cookies[draw(st.sampled_from(["admin", "admin", "admin", "liaison", "none", "bytes", "forged"]))])
    the_id = segment(draw(ids))
    kind = draw(st.sampled_from(["page", "list", "post", "login"]))
    if kind == "page":
        path = draw(
            st.sampled_from(
                [
                    f"/dash/activities/{the_id}",
                    f"/dash/units/{the_id}",
                    f"/dash/photos/{the_id}",
                    f"/dash/photo-files/{the_id}/thumb",
                    f"/dash/photo-files/{the_id}/{segment(draw(texts))}",
                    f"/dash/export/{segment(draw(texts))}",
                ]
            )
        )
        return Attempt("GET", path, cookie, b"")
    if kind == "list":
        base = draw(st.sampled_from(["/dash/activities", "/dash/photos", "/dash/", "/dash/pushes", "/dash/units"]))
        names = draw(st.lists(st.sampled_from(["unit", "page", "date", "type", "done"]), max_size=4))
        query = "&".join(f"{name}={segment(draw(st.one_of(ids, texts)))}" for name in names)
        return Attempt("GET", f"{base}?{query}" if query else base, cookie, b"")
    if kind == "login":
        return Attempt(draw(st.sampled_from(["GET", "POST"])), f"/dash/login/{segment(draw(texts))}", cookie, b"")
    target = draw(
        st.sampled_from(
            [
                f"/dash/activities/{the_id}/merge",
                f"/dash/activities/{the_id}/withdraw",
                f"/dash/activities/{the_id}/edit",
                f"/dash/liaisons/{the_id}/unbind",
                "/dash/units/bind",
                "/dash/pushes/skip",
                "/dash/pushes/enable",
                "/dash/pushes/notice",
                "/dash/pushes/notice/send",
            ]
        )
    )
    csrf = draw(st.one_of(st.just(sessions.admin_csrf), st.none(), texts))
    form = {"other": draw(ids), "date": draw(texts), "type": draw(texts), "location": draw(texts)}
    form |= {field: draw(st.one_of(ids, texts)) for field in ("materials", "participants", "unit")}
    form |= {field: draw(texts) for field in ("key", "user_id", "name", "phone", "audience", "text", "nonce")}
    if csrf is not None:
        form["csrf"] = csrf
    body = draw(st.one_of(st.just(urlencode(form).encode()), st.binary(max_size=60)))
    return Attempt("POST", target, cookie, body)


async def send(bot: Harness, attempt: Attempt) -> int:
    assert bot.server is not None
    reader, writer = await asyncio.open_connection(bot.server.host, bot.server.port)
    head = f"{attempt.method} {attempt.target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".encode()
    if attempt.cookie is not None:
        head += b"Cookie: weekbot_desk=" + attempt.cookie + b"\r\n"
    if attempt.method == "POST":
        head += b"Content-Type: application/x-www-form-urlencoded\r\n"
        head += f"Content-Length: {len(attempt.body)}\r\n".encode()
    writer.write(head + b"\r\n" + attempt.body)
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


def changes(bot: Harness) -> tuple[object, ...]:
    """What a refused request must leave as it was."""
    return (bot.rows(Activity), len(bot.rows(AuditLog)), [s.ended_at for s in bot.rows(DeskSession)])


async def cookie_of(bot: Harness, user_id: str) -> tuple[str, str]:
    async with DeskClient(bot) as client:
        await client.log_in(user_id)
        [cookie] = [c for c in client.http.cookie_jar if c.key == "weekbot_desk"]
        csrf = await client.csrf() if user_id == CONTACT else ""
        return cookie.value, csrf


async def test_the_desk_never_answers_5xx_and_stays_responsive(bot: Harness) -> None:
    (admin, admin_csrf), (liaison, _) = await cookie_of(bot, CONTACT), await cookie_of(bot, UNIT_LIAISON)
    sessions = Sessions(admin, liaison, admin_csrf)
    loop = asyncio.get_running_loop()
    seen: dict[int, int] = {}

    def call(coroutine: object) -> object:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=60)  # type: ignore[arg-type]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(attempt=attempts(sessions))
    def probe(attempt: Attempt) -> None:
        before = changes(bot) if attempt.method == "POST" else None
        status = call(send(bot, attempt))
        assert isinstance(status, int) and status < 500, attempt
        seen[status] = seen.get(status, 0) + 1
        if before is not None and status >= 400:
            assert changes(bot) == before, attempt

    await asyncio.to_thread(probe)
    print(f"desk fuzz: {EXAMPLES} requests, answers by status {sorted(seen.items())}")
    assert {200, 403, 404} <= set(seen), seen  # the fuzz reached content, refusals and misses

    async def healthz() -> float:
        assert bot.http is not None
        started = time.perf_counter()
        async with bot.http.get(bot.url("/healthz")) as response:
            assert response.status == 200 and (await response.json())["status"] == "ok"
        return time.perf_counter() - started

    assert min([await healthz() for _ in range(5)]) < HEALTHZ_WITHIN
