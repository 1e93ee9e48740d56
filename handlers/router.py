"""A small aiogram-style router: handlers registered with filters, nested routers, middlewares.

Handlers are synchronous functions of a Context (they run on the database thread with an open
session) and return the reply text, or None for "no passive reply".

    router = Router("commands")

    @router.message(Command("帮助"))
    def help_(ctx: Context) -> str: ...

A filter returns False (no match), True, or a dict merged into ``ctx.data`` (e.g. a regex's
groups). Middlewares wrap dispatch: ``mw(ctx, call_next) -> reply``. A router's own filters
(``router.filter(Bound)``, as aiogram's) guard every route in it and in the routers it includes,
so a route is never reached by a sender it was not meant for, whatever the order of routes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from handlers.deps import Deps
from handlers.inbound import Inbound
from storage.models import Liaison, Role, Unit

Reply = str | None
Handler = Callable[["Context"], Reply]
FilterResult = bool | dict[str, Any]
Filter = Callable[["Context"], FilterResult]
Middleware = Callable[["Context", Callable[["Context"], Reply]], Reply]


@dataclass
class Context:
    msg: Inbound
    session: Session
    now: datetime
    deps: Deps
    liaison: Liaison | None = None
    unit: Unit | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def actor(self) -> str:
        return f"{self.msg.channel}:{self.msg.user_id}"

    @property
    def is_admin(self) -> bool:
        return self.liaison is not None and self.liaison.role == Role.ADMIN


class NotHandled(Exception):
    """Raised by dispatch when no route matched."""


@dataclass
class _Route:
    filters: tuple[Filter, ...]
    handler: Handler


class Router:
    def __init__(self, name: str) -> None:
        self.name = name
        self._routes: list[_Route | Router] = []
        self._middlewares: list[Middleware] = []
        self._filters: tuple[Filter, ...] = ()

    def message(self, *filters: Filter) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._routes.append(_Route(filters, handler))
            return handler

        return register

    def filter(self, *filters: Filter) -> None:
        """Guard the whole router: no route in it is tried unless every filter passes."""
        self._filters += filters

    def include(self, child: Router) -> Router:
        self._routes.append(child)
        return child

    def middleware(self, mw: Middleware) -> Middleware:
        self._middlewares.append(mw)
        return mw

    def dispatch(self, ctx: Context) -> Reply:
        call: Callable[[Context], Reply] = self._dispatch_routes
        for mw in reversed(self._middlewares):
            call = _bind(mw, call)
        return call(ctx)

    def _dispatch_routes(self, ctx: Context) -> Reply:
        guarded = _match(self._filters, ctx)
        if guarded is None:
            raise NotHandled(self.name)
        ctx.data.update(guarded)
        for route in self._routes:
            if isinstance(route, Router):
                try:
                    return route.dispatch(ctx)
                except NotHandled:
                    continue
            matched = _match(route.filters, ctx)
            if matched is not None:
                ctx.data.update(matched)
                return route.handler(ctx)
        raise NotHandled(self.name)


def _bind(mw: Middleware, call_next: Callable[[Context], Reply]) -> Callable[[Context], Reply]:
    return lambda ctx: mw(ctx, call_next)


def _match(filters: tuple[Filter, ...], ctx: Context) -> dict[str, Any] | None:
    found: dict[str, Any] = {}
    for flt in filters:
        result = flt(ctx)
        if result is False:
            return None
        if isinstance(result, dict):
            found.update(result)
    return found


# ---- filters ----


def MsgType(*types: str) -> Filter:
    return lambda ctx: ctx.msg.msg_type in types


def Command(*words: str) -> Filter:
    """The message is one of the words, optionally followed by arguments: {"args": "..."}."""
    pattern = re.compile(r"^\s*(?:/)?(" + "|".join(map(re.escape, words)) + r")(?:[\s:：]+(.*))?\s*$", re.S)

    def check(ctx: Context) -> FilterResult:
        if ctx.msg.msg_type not in ("text", "voice"):
            return False
        m = pattern.match(ctx.msg.text)
        return {"command": m.group(1), "args": (m.group(2) or "").strip()} if m else False

    return check


def Regex(pattern: str) -> Filter:
    compiled = re.compile(pattern)

    def check(ctx: Context) -> FilterResult:
        m = compiled.search(ctx.msg.text)
        return {"match": m} if m else False

    return check


def Bound(ctx: Context) -> FilterResult:
    return ctx.liaison is not None


def Admin(ctx: Context) -> FilterResult:
    return ctx.is_admin
