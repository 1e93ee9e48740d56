"""Router-level filters guard every route of a router (and of the routers it includes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

import pytest

from handlers.dispatcher import build_router
from handlers.inbound import Inbound, MessageKind
from handlers.router import Admin, Bound, Command, Context, MsgType, NotHandled, Router, Sender, UnitRef
from storage.models import ChannelKind, Liaison, Role

NOW = datetime(2026, 4, 20, 9, 0)


def _ctx(liaison: Liaison | None, text: str = "进度") -> Context:
    msg = Inbound(ChannelKind.WECOM, "u1", "text", "k1", NOW, "<xml/>", content=text)
    sender = Sender(liaison.id or 1, liaison.role, None, UnitRef(liaison.unit_id, "u")) if liaison else None
    return Context(msg=msg, session=cast(Any, None), now=NOW, deps=cast(Any, None), sender=sender)


def _guarded() -> Router:
    root = Router("root")
    bound = root.include(Router("bound"))
    bound.filter(Bound)
    admin = bound.include(Router("admin"))
    admin.filter(Admin)
    admin.message()(lambda ctx: "admin")
    bound.message()(lambda ctx: "bound")
    root.message()(lambda ctx: "stranger")
    return root


def test_a_guarded_router_is_skipped_whatever_comes_first() -> None:
    root = _guarded()
    # The guarded routers come first and hold catch-all routes: a stranger still falls through.
    assert root.dispatch(_ctx(None)) == "stranger"
    assert root.dispatch(_ctx(Liaison(channel="wecom", user_id="u1", unit_id=1))) == "bound"
    assert root.dispatch(_ctx(Liaison(channel="wecom", user_id="u1", unit_id=1, role=Role.ADMIN))) == "admin"


def test_a_guarded_router_alone_does_not_handle_a_stranger() -> None:
    router = Router("bound")
    router.filter(Bound)
    router.message()(lambda ctx: "bound")
    with pytest.raises(NotHandled):
        router.dispatch(_ctx(None))


def test_the_handler_tree_guards_all_but_the_open_routers() -> None:
    root = build_router()
    guarded = {child.name: child for child in root._routes if isinstance(child, Router)}
    assert list(guarded) == ["cards", "commands", "bound"]
    assert guarded["bound"]._filters == (Bound,)


def test_a_declining_handler_passes_the_message_to_the_next_sibling_of_its_router() -> None:
    tried: list[str] = []

    def decline(ctx: Context) -> str:
        tried.append("decline")
        raise NotHandled("not mine")

    root = Router("root")
    inner = root.include(Router("inner"))
    inner.message()(decline)
    inner.message()(lambda ctx: "inner, after the declining route")  # never reached: as a nested dispatch
    root.message()(lambda ctx: "next sibling")
    assert root.dispatch(_ctx(None)) == "next sibling"
    assert tried == ["decline"]


def _recording(calls: list[str]) -> Callable[[str], Callable[[Context], bool]]:
    """``seen(name)``: a filter that passes and records ``name`` in ``calls`` when it runs."""

    def seen(name: str) -> Callable[[Context], bool]:
        def check(ctx: Context) -> bool:
            calls.append(name)
            return True

        return check

    return seen


def test_a_kinds_plan_leaves_out_routes_it_cannot_reach_and_keeps_the_order() -> None:
    calls: list[str] = []
    seen = _recording(calls)

    root = Router("root")
    root.message(MsgType(MessageKind.IMAGE), seen("image"))(lambda ctx: "image")
    root.message(Command("帮助"), seen("help"))(lambda ctx: "help")
    root.message(seen("any"))(lambda ctx: "any")
    assert root.dispatch(_ctx(None, "帮助")) == "help"
    assert root.dispatch(_ctx(None, "今天的报送")) == "any"
    assert calls == ["help", "any"]  # the image route's filters never ran for a text
    with pytest.raises(RuntimeError):  # planned: a late route would be missed, so it is refused
        root.message()(lambda ctx: "late")


def test_a_text_without_a_command_word_skips_every_route_and_guard_with_a_command() -> None:
    calls: list[str] = []
    seen = _recording(calls)

    root = Router("root")
    root.message(seen("before help"), Command("帮助"))(lambda ctx: "help")
    progress = root.include(Router("progress"))
    progress.filter(seen("before progress"), Command("进度"))
    progress.message()(lambda ctx: "progress")
    root.message(seen("any"))(lambda ctx: "any")
    assert root.dispatch(_ctx(None, "今天的报送")) == "any"
    assert calls == ["any"]  # neither Command route's other filters ran: no command word
    assert root.dispatch(_ctx(None, "进度")) == "progress"
    assert root.dispatch(_ctx(None, "/帮助")) == "help"
    assert calls == ["any", "before help", "before progress", "before help"]


def test_an_included_router_with_middlewares_sees_the_message_they_make() -> None:
    def as_text(ctx: Context, call_next: Any) -> Any:  # as route_menu_clicks turns a click into its command
        ctx.msg = replace(ctx.msg, msg_type=MessageKind.TEXT, content="帮助")
        return call_next(ctx)

    root = Router("root")
    menu = root.include(Router("menu"))
    menu.middleware(as_text)
    menu.filter(MsgType(MessageKind.TEXT))
    menu.message(Command("帮助"))(lambda ctx: "help")
    click = _ctx(None)
    click.msg = replace(click.msg, msg_type=MessageKind.EVENT, content="")
    assert root.dispatch(click) == "help"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("帮助", ("帮助", "")),
        ("  /帮助 报送 ", ("帮助", "报送")),
        ("？", ("？", "")),
        ("绑定：ABC123", ("绑定", "ABC123")),
        ("今天在新华路商圈集中宣传，发放资料200份", None),
        ("请帮助我", None),  # a command word inside the text is no command
        ("帮助我", None),  # nor a word that merely begins with one
    ],
)
def test_a_command_is_its_word_at_the_start_however_it_is_turned_away(text: str, found: object) -> None:
    # Command turns most texts away by a prefix test before its regex: the answers must be the regex's.
    command = Command("帮助", "help", "？", "绑定")
    result = command(_ctx(None, text))
    assert (None if result is False else (result["command"], result["args"])) == found  # type: ignore[index]
