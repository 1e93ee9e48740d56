"""The desk (后台) over HTTP against the real app: who gets in and what they may touch — login links,
sessions and cookies, malformed ids, pages without a session, a liaison's read-only view, CSRF and
photo paths."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import zlib
from datetime import timedelta

import pytest
from sqlmodel import Session

from storage.models import Activity
from storage.photos import Photo
from storage.web_sessions import LoginLink
from tests.desk_fixtures import (
    CONTACT,
    OTHER,
    OTHER_LIAISON,
    UNIT,
    UNIT_LIAISON,
    DeskClient,
    edit_form,
    login_path,
    photo_of,
    records,
    unit_id,
)
from tests.harness import Harness

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL


# ---- login links ----


async def test_desk_command_sends_a_hashed_single_use_link(bot: Harness) -> None:
    path = await login_path(bot, CONTACT)
    token = path.rsplit("/", 1)[1]
    [link] = bot.rows(LoginLink)
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(link)
    assert link.role == "admin" and link.expires_at == bot.clock.now() + timedelta(minutes=10)
    liaison_reply = await bot.say(UNIT_LIAISON, "后台")
    assert liaison_reply and "只读" in liaison_reply and UNIT in liaison_reply
    stranger_reply = await bot.say("nobody", "后台")
    assert stranger_reply and "/dash/login/" not in stranger_reply and "绑定" in stranger_reply


async def test_a_used_link_is_refused(bot: Harness, desk: DeskClient) -> None:
    path = await login_path(bot, CONTACT)
    assert (await desk.post(path, {}))[0] == 303
    async with DeskClient(bot) as second:
        status, page = await second.get(path)
        assert status == 403 and "链接已失效" in page
        status, page = await second.post(path, {})
        assert status == 403 and "链接已失效" in page
        assert (await second.get("/dash/"))[0] == 403


async def test_an_expired_link_is_refused(bot: Harness, desk: DeskClient) -> None:
    path = await login_path(bot, CONTACT)
    bot.clock.advance(timedelta(minutes=10, seconds=1))
    assert (await desk.get(path))[0] == 403
    status, page = await desk.post(path, {})
    assert status == 403 and "重新发送“后台”" in page
    assert (await desk.get("/dash/"))[0] == 403


async def test_opening_a_link_does_not_use_it_up(bot: Harness, desk: DeskClient) -> None:
    # Chat apps fetch links for previews: only the button (a POST) spends the link.
    path = await login_path(bot, CONTACT)
    for _ in range(2):
        assert (await desk.get(path))[0] == 200
    assert await desk.log_in(CONTACT) == "/dash/"


async def test_session_ends_when_it_expires_or_the_binding_changes(bot: Harness, desk: DeskClient) -> None:
    await desk.log_in(CONTACT)
    assert (await desk.get("/dash/"))[0] == 200
    async with desk.http.get(bot.url("/dash")) as typed:  # the address typed without its slash
        assert typed.status == 200 and str(typed.url).endswith("/dash/")
    bot.clock.advance(timedelta(hours=12, seconds=1))
    assert (await desk.get("/dash/"))[0] == 403
    async with DeskClient(bot) as liaison:
        await liaison.log_in(UNIT_LIAISON)
        assert (await liaison.get("/dash/activities"))[0] == 200
        await bot.bound(UNIT_LIAISON, OTHER)  # re-bound elsewhere: the old unit's session is void
        assert (await liaison.get("/dash/activities"))[0] == 403


async def test_a_tampered_cookie_is_refused(bot: Harness, desk: DeskClient) -> None:
    await desk.log_in(UNIT_LIAISON)
    [cookie] = [c for c in desk.http.cookie_jar if c.key == "weekbot_desk"]
    # itsdangerous zlib-compresses a payload when that is shorter, and then marks it with a leading
    # "." (the random session token decides, so either form comes up).
    compressed = cookie.value.startswith(".")
    body, mac = cookie.value.removeprefix(".").split(".")
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    genuine = json.loads(zlib.decompress(raw) if compressed else raw)
    body = "." * compressed + body
    assert genuine["r"] == "liaison"
    promoted = base64.urlsafe_b64encode(json.dumps({**genuine, "r": "admin"}).encode()).rstrip(b"=").decode()

    async def status_with(value: str) -> int:
        assert bot.http is not None
        async with bot.http.get(bot.url("/dash/activities"), headers={"Cookie": f"weekbot_desk={value}"}) as resp:
            return resp.status

    for value in (f"{promoted}.{mac}", f"{body}.{mac[:-2]}xx", body, "garbage"):
        assert await status_with(value) == 403, value
    assert await status_with(cookie.value) == 200


async def desk_cookie(desk: DeskClient) -> str:
    [cookie] = [c for c in desk.http.cookie_jar if c.key == "weekbot_desk"]
    return cookie.value


async def status_with_cookie(bot: Harness, path: str, cookie: bytes) -> int:
    """GET with a raw Cookie header, its bytes as they are (a client may send anything; aiohttp's
    client would re-encode them), over a plain socket."""
    assert bot.server is not None
    reader, writer = await asyncio.open_connection(bot.server.host, bot.server.port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".encode() + b"Cookie: " + cookie + b"\r\n\r\n"
    )
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


async def test_a_cookie_that_is_not_ascii_is_refused(bot: Harness, desk: DeskClient) -> None:
    await desk.log_in(CONTACT)
    body, _, _mac = (await desk_cookie(desk)).rpartition(".")
    for mac in ("é".encode(), "中文".encode(), b"\xff\xfe", "\u00b2".encode()):
        for value in (body.encode() + b"." + mac, mac, b"." + mac):
            assert await status_with_cookie(bot, "/dash/", b"weekbot_desk=" + value) == 403, value


async def test_logging_out_ends_the_session_on_the_server(bot: Harness, desk: DeskClient) -> None:
    await desk.log_in(CONTACT)
    async with DeskClient(bot) as phone:  # the same person on a second device
        await phone.log_in(CONTACT)
        old = await desk_cookie(desk)
        status, page = await desk.post("/dash/logout", {"csrf": await desk.csrf()})
        assert status == 200 and "已退出" in page
        # A copy of the cookie (a shared computer, a stolen cookie) is dead too, not just dropped.
        assert await status_with_cookie(bot, "/dash/", f"weekbot_desk={old}".encode()) == 403
        assert (await desk.get("/dash/"))[0] == 403
        assert (await phone.get("/dash/"))[0] == 200  # only the session that logged out ends
    assert await desk.log_in(CONTACT) == "/dash/"  # and a new link starts a new one


# ---- malformed ids and form values ----

HUGE_IDS = (str(2**31), str(2**63), str(2**64 + 7), "9" * 40)
# Digits str.isdigit() or the route's \d accept that are not ASCII decimals: superscript two,
# Arabic-Indic three, fullwidth one.
ODD_DIGITS = ("\u00b2", "\u0663", "\uff11")


async def test_ids_beyond_the_database_or_not_ascii_are_not_found(bot: Harness, desk: DeskClient) -> None:
    await desk.log_in(CONTACT)
    for raw in HUGE_IDS + ODD_DIGITS:
        for path in (
            f"/dash/activities/{raw}",
            f"/dash/units/{raw}",
            f"/dash/photos/{raw}",
            f"/dash/photo-files/{raw}/thumb",
        ):
            assert (await desk.get(path))[0] == 404, path
    csrf = await desk.csrf()
    before = bot.rows(Activity)
    for raw in HUGE_IDS:
        for action in ("withdraw", "merge", "edit"):
            status, _ = await desk.post(f"/dash/activities/{raw}/{action}", {"csrf": csrf, "other": "1"})
            assert status == 404, (raw, action)
    assert bot.rows(Activity) == before


async def test_malformed_query_numbers_are_a_bad_request(bot: Harness, desk: DeskClient) -> None:
    await desk.log_in(CONTACT)
    for raw in HUGE_IDS + ODD_DIGITS + ("-1", "1.5", "abc"):
        for page in ("/dash/activities", "/dash/photos"):
            for name in ("unit", "page"):
                status, body = await desk.get(f"{page}?{name}={raw}")
                assert status == 400 and "请求参数不对" in body, (page, name, raw)
    assert (await desk.get("/dash/activities?page=1&unit="))[0] == 200  # empty means "not given"


async def test_merge_with_a_malformed_other_record_changes_nothing(bot: Harness, desk: DeskClient) -> None:
    await desk.log_in(CONTACT)
    first, second = records(bot, UNIT)
    csrf = await desk.csrf()
    for other in (*HUGE_IDS, *ODD_DIGITS, "", "-1", f"{second.id}x"):
        status, page = await desk.post(f"/dash/activities/{first.id}/merge", {"csrf": csrf, "other": other})
        assert status == 400 and "请选择要并入的记录" in page, other
    assert records(bot, UNIT) == [first, second]


# ---- nothing without a session ----


async def test_no_page_or_photo_answers_without_a_session(bot: Harness, desk: DeskClient) -> None:
    record, photo = records(bot, UNIT)[0], photo_of(bot, UNIT)
    pages = [
        "/dash/",
        "/dash/activities",
        f"/dash/activities/{record.id}",
        f"/dash/units/{record.unit_id}",
        "/dash/photos",
        f"/dash/photos/{photo.id}",
        f"/dash/photo-files/{photo.id}/thumb",
        f"/dash/photo-files/{photo.id}/original",
        "/dash/pushes",
        "/dash/export/xlsx",
        "/dash/no-such-page",
    ]
    for path in pages:
        status, body = await desk.get(path)
        assert status == 403 and "请先登录" in body, path
        assert UNIT not in body and "新华路商圈" not in body, path
    for path in (f"/dash/activities/{record.id}/withdraw", "/dash/mail", "/dash/logout"):
        assert (await desk.post(path, {}))[0] == 403, path
    assert records(bot, UNIT)[0].status == "active"
    assert (await desk.get("/dash/static/desk.css"))[0] == 200


# ---- a liaison sees their own unit, read-only ----


async def test_liaison_sees_only_their_unit_read_only(bot: Harness, desk: DeskClient) -> None:
    own, other = unit_id(bot, UNIT), unit_id(bot, OTHER)
    assert await desk.log_in(UNIT_LIAISON) == f"/dash/units/{own}"
    assert (await desk.get("/dash/"))[0] == 303
    status, page = await desk.get(f"/dash/units/{own}")
    assert status == 200 and "新华路商圈" in page and "海关大厅" not in page
    status, listing = await desk.get("/dash/activities")
    assert status == 200 and "新华路商圈" in listing and "海关大厅" not in listing
    own_record, other_record = records(bot, UNIT)[0], records(bot, OTHER)[0]
    status, detail = await desk.get(f"/dash/activities/{own_record.id}")
    assert status == 200 and "保存修改" not in detail and "撤回这条记录" not in detail
    own_photo, other_photo = photo_of(bot, UNIT), photo_of(bot, OTHER)
    assert (await desk.get(f"/dash/photo-files/{own_photo.id}/thumb"))[0] == 200
    refused = [
        f"/dash/units/{other}",
        f"/dash/activities?unit={other}",
        f"/dash/activities/{other_record.id}",
        f"/dash/photos?unit={other}",
        f"/dash/photos/{other_photo.id}",
        f"/dash/photo-files/{other_photo.id}/thumb",
        f"/dash/photo-files/{other_photo.id}/web",
        "/dash/pushes",
        "/dash/export/xlsx",
    ]
    for path in refused:
        status, body = await desk.get(path)
        assert status == 403 and "海关大厅" not in body, path
    csrf = await desk.csrf()
    status, _ = await desk.post(f"/dash/activities/{own_record.id}/withdraw", {"csrf": csrf})
    assert status == 403
    status, _ = await desk.post(f"/dash/activities/{own_record.id}/edit", edit_form(own_record, csrf, participants=9))
    assert status == 403
    assert (await desk.post("/dash/mail", {"csrf": csrf}))[0] == 403
    assert records(bot, UNIT)[0] == own_record


# ---- CSRF ----


async def test_every_post_needs_the_sessions_csrf_token(bot: Harness, desk: DeskClient) -> None:
    async with DeskClient(bot) as liaison:
        await liaison.log_in(OTHER_LIAISON)
        foreign = await liaison.csrf()
    await desk.log_in(CONTACT)
    first, second = records(bot, UNIT)
    posts = {
        f"/dash/activities/{first.id}/edit": edit_form(first, "", participants=5),
        f"/dash/activities/{first.id}/merge": {"other": str(second.id)},
        f"/dash/activities/{first.id}/withdraw": {},
        "/dash/mail": {},
        "/dash/logout": {},
    }
    for path, form in posts.items():
        for token in (None, "", "forged", foreign):
            data = {**form, **({} if token is None else {"csrf": token})}
            status, body = await desk.post(path, data)
            assert status == 403 and "页面已过期" in body, (path, token)
    assert records(bot, UNIT) == [first, second]
    assert (await desk.get("/dash/"))[0] == 200  # still logged in


# ---- photo files ----


async def test_photo_paths_cannot_leave_the_store(bot: Harness, desk: DeskClient) -> None:
    await desk.log_in(CONTACT)
    photo = photo_of(bot, UNIT)
    status, _ = await desk.get(f"/dash/photo-files/{photo.id}/web")
    assert status == 200
    secret = bot.settings.data_dir / "secret.txt"
    secret.write_text("not a photo")
    store = bot.settings.data_dir / "photos"
    (store / "ab").mkdir(exist_ok=True)
    (store / "ab" / "link.jpg").symlink_to(secret)

    def point_at(path: str) -> None:
        def change(session: Session) -> None:
            row = session.get(Photo, photo.id)
            assert row is not None
            row.web_path = path
            session.add(row)

        bot.runtime.db.call(change)

    for path in ("../secret.txt", "../../data/secret.txt", str(secret), "ab/link.jpg", "ab/../../secret.txt"):
        point_at(path)
        status, body = await desk.get(f"/dash/photo-files/{photo.id}/web")
        assert status == 404 and "not a photo" not in body, path
    for path in ("/dash/photo-files/..%2Fsecret.txt/web", f"/dash/photo-files/{photo.id}/..%2F..%2Fsecret.txt"):
        status, body = await desk.get(path)
        assert status == 404 and "not a photo" not in body, path
