"""The whole handler tree, and the one entry point the bot's message pipeline calls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session

from handlers import (
    campaign_routes,
    card_routes,
    commands,
    contact_routes,
    corrections,
    desk_routes,
    names,
    photos,
    report_routes,
)
from handlers.arrival import read_arrival
from handlers.binding import automatic_grant, bind, write_audits
from handlers.deps import Deps
from handlers.inbound import Inbound
from handlers.menu_clicks import route_menu_clicks
from handlers.prereading import PreReading
from handlers.router import AuditRow, Bound, Context, NotHandled, Reply, Router, required
from storage.models import Via


def identify(ctx: Context, call_next: Callable[[Context], Reply]) -> Reply:
    """Attach the sender's binding; bind configured WeCom userids on first contact."""
    photo_window = timedelta(minutes=ctx.deps.photo_window_minutes)
    arrival = read_arrival(ctx.session, ctx.msg.channel, ctx.msg.user_id, ctx.now, photo_window)
    ctx.sender, ctx.photos_waiting = arrival.sender, arrival.photos_waiting
    if not arrival.asked:  # no question open: routes asking for one need not look it up
        ctx.dialog, ctx.dialog_loaded = None, True
    just_bound = False
    if ctx.sender is None:
        grant = automatic_grant(ctx.deps, ctx.msg.channel, ctx.msg.user_id)
        if grant is not None:
            bind(ctx, grant, how=Via.CONFIG)
            just_bound = True
    if ctx.sender is not None and _stale(ctx.sender.last_seen_at, ctx.now):
        liaison = required(ctx.liaison, "the bound sender's row")
        liaison.last_seen_at = ctx.now
        ctx.session.add(liaison)
    reply = call_next(ctx)
    # After the routes: a 绑定 or 解绑 they handled is what the sender's next text is read with.
    ctx.deps.sender_units.note(ctx.msg.channel, ctx.msg.user_id, ctx.unit.name if ctx.unit else None)
    return names.ask_name_once(ctx, reply) if just_bound else reply


# last_seen_at serves the Official Account's 48 h window; minutes of precision are plenty, and
# skipping the write on most messages keeps the hot path short.
LAST_SEEN_PRECISION = timedelta(minutes=10)


def _stale(seen: datetime | None, now: datetime) -> bool:
    return seen is None or now - seen >= LAST_SEEN_PRECISION


def build_router() -> Router:
    root = Router("root")
    root.middleware(identify)
    root.middleware(route_menu_clicks)
    # Before commands: its event route answers every other event with nothing.
    root.include(card_routes.router)
    # Open to everyone: events, binding codes, 绑定, 报送说明, and a stranger's anything else.
    root.include(commands.router)
    # Everything else needs a binding, whatever the order of routes; the contact person's
    # routers are guarded with Admin besides.
    bound = root.include(Router("bound"))
    bound.filter(Bound)
    bound.include(card_routes.bound_router)
    bound.include(commands.bound_router)
    bound.include(desk_routes.router)
    bound.include(contact_routes.router)
    bound.include(names.router)
    bound.include(campaign_routes.admin_router)
    bound.include(campaign_routes.router)
    bound.include(corrections.router)
    bound.include(photos.router)
    bound.include(report_routes.router)
    return root


class Dispatcher:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.router = build_router()

    def handle(
        self,
        session: Session,
        msg: Inbound,
        now: datetime,
        message_id: int | None,
        pre_reading: PreReading | None = None,
        audits: list[AuditRow] | None = None,
    ) -> Reply:
        """The reply to ``msg``. ``audits``: the caller's list, which the handling's audit rows join
        for the caller to write (a batch's in one statement); without it they are written here."""
        rows = [] if audits is None else audits
        ctx = Context(msg, session, now, self.deps, message_id=message_id, pre_reading=pre_reading, audits=rows)
        try:
            reply = self.router.dispatch(ctx)
        except NotHandled:
            reply = None
        if audits is None:
            write_audits(session, rows)
        return reply
