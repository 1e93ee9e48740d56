"""What every desk view shares: the running pieces it reads, who is looking, and how pages and
refusals are rendered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp_jinja2
from aiohttp import web
from sqlmodel import Session

from bot.dashboard.session import SessionSigner, Viewer
from storage.db import parse_integer
from storage.photo_store import PhotoStore

if TYPE_CHECKING:
    from bot.runtime import Runtime

T = TypeVar("T")
# On every page and file: no MIME sniffing, no framing (clickjacking), no Referer (login URLs
# carry a token).
SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


@dataclass(frozen=True)
class Desk:
    runtime: Runtime
    photos: PhotoStore
    signer: SessionSigner
    secure_cookies: bool  # the public URL is https: cookies go over TLS only

    async def run(self, fn: Callable[[Session], T]) -> T:
        """fn(session) on the database's writer thread, committed: changes and login links."""
        return await self.runtime.db.run(fn)

    async def read(self, fn: Callable[[Session], T]) -> T:
        """fn(session) on a reader thread: pages never wait behind, or hold up, the webhook."""
        return await self.runtime.db.read(fn)


DESK = web.AppKey("desk", Desk)
VIEWER = web.RequestKey("viewer", Viewer)


class Refused(Exception):
    """A request the desk answers with an explanation page instead of content."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail


def desk_of(request: web.Request) -> Desk:
    return request.config_dict[DESK]


def viewer_of(request: web.Request) -> Viewer:
    return request[VIEWER]


def admin_of(request: web.Request) -> Viewer:
    """The viewer, who must be the contact person (liaisons' links are read-only)."""
    viewer = viewer_of(request)
    if not viewer.is_admin:
        raise Refused(403, "没有权限", "这个页面只对联系人开放；联络员链接只能查看本单位的记录。")
    return viewer


def check_unit(viewer: Viewer, unit_id: int) -> None:
    if not viewer.may_see(unit_id):
        raise Refused(403, "没有权限", "您的链接只能查看本单位的记录。")


def not_found(what: str) -> Refused:
    return Refused(404, "没有找到", f"{what}不存在或已删除。")


def path_id(request: web.Request, name: str, what: str) -> int:
    """The id in the URL; 404 unless the database could hold it (the route's \\d+ also matches
    other scripts' digits, and any length)."""
    value = parse_integer(request.match_info[name])
    if value is None:
        raise not_found(what)
    return value


def query_number(request: web.Request, name: str) -> int | None:
    """A number in the query string; None when absent or empty, 400 when it is not one."""
    raw = request.query.get(name, "")
    value = parse_integer(raw)
    if raw and value is None:
        raise Refused(400, "请求参数不对", f"地址里的“{name}”应当是一个数字，请从页面上的链接进入。")
    return value


def render(request: web.Request, template: str, *, status: int = 200, **context: Any) -> web.Response:
    desk = desk_of(request)
    viewer = request.get(VIEWER)
    context.update(
        viewer=viewer,
        csrf=desk.signer.csrf_token(viewer.cookie) if viewer else "",
        campaign=desk.runtime.settings.campaign,
        sandbox=desk.runtime.settings.sandbox.enabled,  # link the sandbox chat page
    )
    response = aiohttp_jinja2.render_template(template, request, context, status=status)
    # Pages show who reported what; keep them out of shared caches and the back-forward cache.
    response.headers.update(SAFE_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    return response


def notice(request: web.Request, status: int, title: str, detail: str, back: bool = False) -> web.Response:
    """A one-message page: refusals, errors, results; ``back`` adds a link to the overview."""
    return render(request, "notice.html", status=status, title=title, detail=detail, back=back)


def see_other(location: str) -> web.Response:
    """303 to a page (after a POST, and for views that only forward)."""
    return web.Response(status=303, headers={"Location": location})
