"""The chat page's clock panel on a rehearsal (WEEKBOT_CLOCK=virtual:…): the campaign's date and
time, the clock's speed, the next push, and a button that jumps time straight to it.

Reads the clock without moving it (``VirtualClock.peek``); the jump is the plan runner's
(``VirtualRunner.jump_to_next_push``), which moves the clock only forward and never past a push
still to fire, so the runner fires the push on its next tick exactly as it would have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.dashboard.pages import PUSH_LABELS
from scheduler.clock import VirtualClock
from scheduler.plan import PlannedPush
from scheduler.push_texts import moment_label

if TYPE_CHECKING:
    from bot.sandbox.chat_page import ChatPage


def clock_state(page: ChatPage) -> dict[str, Any]:
    clock = page.clock
    if not isinstance(clock, VirtualClock):
        return {"virtual": False}
    now = clock.peek()
    runner = page.rehearsal
    upcoming = runner.next_push() if runner is not None else None
    return {
        "virtual": True,
        "now": now.isoformat(),
        "label": moment_label(now),
        "speed": clock.speed,
        "next": _push_state(upcoming) if upcoming is not None else None,
        "can_jump": upcoming is not None and upcoming.at > now,
    }


def _push_state(push: PlannedPush) -> dict[str, str]:
    return {
        "at": push.at.isoformat(),
        "label": moment_label(push.at),
        "kind": str(push.kind),
        "name": PUSH_LABELS.get(push.kind, str(push.kind)),
    }


def add_routes(router: web.UrlDispatcher, key: web.AppKey[ChatPage]) -> None:
    async def state(request: web.Request) -> web.Response:
        return web.json_response(clock_state(request.app[key]))

    async def jump(request: web.Request) -> web.Response:
        page = request.app[key]
        if page.rehearsal is None:
            raise web.HTTPNotFound(text="不是演练时钟")
        page.rehearsal.jump_to_next_push()
        return web.json_response(clock_state(page))

    router.add_get("/clock", state)
    router.add_post("/clock/jump", jump)
