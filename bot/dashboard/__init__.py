"""The contact person's desk (后台): a server-rendered web app mounted under /dash.

``dashboard_app(runtime)`` builds it; bot.web.app.build_app mounts it beside the WeChat callbacks.
Pages are Chinese, plain HTML and one stylesheet, readable on a phone and a desktop.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.dashboard import auth, edits, files, pages, plan_views, units_views
from bot.dashboard.desk import DESK, Desk
from bot.dashboard.session import SessionSigner
from scheduler.push_texts import clock_label, date_label, moment_label
from storage.wording import say_date, say_days, say_weekday

if TYPE_CHECKING:
    from bot.runtime import Runtime

HERE = Path(__file__).parent


def _short_day(day: date) -> str:
    return f"{day.month}/{day.day}"


_FILTERS: dict[str, Callable[..., str]] = {
    "day": say_date,
    "days": say_days,  # an activity's day, or its span
    "date": date_label,
    "clock": clock_label,
    "moment": moment_label,
    "short_day": _short_day,
    "weekday": say_weekday,
}


def dashboard_app(runtime: Runtime) -> web.Application:
    settings = runtime.settings
    app = web.Application(middlewares=[auth.guard])
    app[DESK] = Desk(
        runtime=runtime,
        photos=runtime.photos,
        signer=SessionSigner(settings.dashboard.session_secret),
        secure_cookies=settings.server.public_url.startswith("https://"),
    )
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        filters=_FILTERS,
    )
    router = app.router
    router.add_get("/", pages.home, name="home")
    router.add_get("/activities", pages.activities, name="activities")
    router.add_get(r"/activities/{activity_id:\d+}", pages.activity_page, name="activity")
    router.add_post(r"/activities/{activity_id:\d+}/edit", edits.edit_view, name="activity_edit")
    router.add_post(r"/activities/{activity_id:\d+}/merge", edits.merge_view, name="activity_merge")
    router.add_post(r"/activities/{activity_id:\d+}/withdraw", edits.withdraw_view, name="activity_withdraw")
    router.add_get(r"/units/{unit_id:\d+}", pages.unit_view, name="unit")
    router.add_get("/photos", pages.photo_wall, name="photos")
    router.add_get(r"/photos/{photo_id:\d+}", pages.photo_view, name="photo")
    sizes = "|".join(files.PHOTO_SIZES)
    router.add_get(rf"/photo-files/{{photo_id:\d+}}/{{size:(?:{sizes})}}", files.photo_file, name="photo_file")
    router.add_get("/pushes", plan_views.push_plan_page, name="pushes")
    router.add_post("/pushes/skip", plan_views.skip_view, name="push_skip")
    router.add_post("/pushes/enable", plan_views.enable_view, name="push_enable")
    router.add_post("/pushes/notice", plan_views.notice_preview, name="notice_preview")
    router.add_post("/pushes/notice/send", plan_views.notice_send, name="notice_send")
    router.add_get("/units", units_views.units_page, name="units")
    router.add_post("/units/bind", units_views.bind_view, name="unit_bind")
    router.add_post(r"/liaisons/{liaison_id:\d+}/unbind", units_views.unbind_view, name="liaison_unbind")
    router.add_get("/export/{fmt}", files.export_file, name="export")
    router.add_post("/mail", files.mail_summary, name="mail")
    login = router.add_resource("/login/{token}", name="login")
    login.add_route("GET", auth.login_page)
    login.add_route("POST", auth.log_in)
    router.add_post("/logout", auth.log_out, name="logout")
    router.add_static("/static", HERE / "static", name="static")
    return app
