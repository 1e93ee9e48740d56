"""A small aiogram-style router: handlers registered with filters, nested routers, middlewares.

Handlers are synchronous functions of a Context (they run on the database thread with an open
session) and return the reply text, or None for "no passive reply".

    router = Router("commands")

    @router.message(Command("帮助"))
    def help_(ctx: Context) -> str: ...

A filter returns False (no match), True, or a ``Found`` whose items are set on the Context's
attributes of the same names (a command's arguments, a regex's groups, the parser's reading): a
handler reads ``ctx.args``, typed. Middlewares wrap dispatch: ``mw(ctx, call_next) -> reply``.
A router's own filters
(``router.filter(Bound)``, as aiogram's) guard every route in it and in the routers it includes,
so a route is never reached by a sender it was not meant for, whatever the order of routes.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict, TypeVar

from sqlmodel import Session

from handlers.deps import Deps
from handlers.inbound import TEXTUAL, Inbound, MessageKind
from storage.dialogs import DialogState
from storage.models import Liaison, Role, Unit

if TYPE_CHECKING:  # the parser and the correction reader import this module's Context
    from handlers.parsing import Reading
    from handlers.prereading import PreReading
    from handlers.said_corrections import SaidCorrection

Reply = str | None
AuditRow = dict[str, object]  # an audit_log row's values
Handler = Callable[["Context"], Reply]
Middleware = Callable[["Context", Callable[["Context"], Reply]], Reply]
T = TypeVar("T")


class Found(TypedDict, total=False):
    """What a filter found, by the name of the Context attribute it is set on."""

    command: str
    args: str
    groups: tuple[str, ...]
    reading: Reading
    said: SaidCorrection
    field: str
    distance_m: float


FilterResult = bool | Found
Filter = Callable[["Context"], FilterResult]


class RoutingError(RuntimeError):
    """A handler asked for what its route's filters guarantee and it was missing: a bug in the
    routing table, never something a message can cause."""


def required(value: T | None, what: str) -> T:
    """``value``, which the route's filters guarantee (e.g. the ``said`` of SaidCorrectionOf)."""
    if value is None:
        raise RoutingError(f"{what} is missing: the route lacks the filter that provides it")
    return value


@dataclass(frozen=True)
class UnitRef:
    """A unit's id and name: all the routes need of the sender's unit, without loading its row."""

    id: int
    name: str


@dataclass(frozen=True)
class Sender:
    """The sender's binding as plain values, read in the message's own transaction (identify):
    most messages need no more, so the ORM's Liaison is loaded only for a route that uses it."""

    liaison_id: int
    role: str
    last_seen_at: datetime | None
    unit: UnitRef

    @classmethod
    def of(cls, liaison: Liaison, unit: Unit) -> Sender:
        return cls(liaison.id or 0, liaison.role, liaison.last_seen_at, UnitRef(unit.id or 0, unit.name))


@dataclass
class Context:
    msg: Inbound
    session: Session
    now: datetime
    deps: Deps
    sender: Sender | None = None  # None: not bound
    message_id: int | None = None  # the stored inbound row (None in tools that parse without storing)
    pre_reading: PreReading | None = None  # the parse done before the writer's transaction
    # Set by filters (see Found):
    command: str = ""
    args: str = ""  # what follows a command word
    groups: tuple[str, ...] = ()  # a Regex filter's groups
    reading: Reading | None = None  # the parser's reading, once read (handlers.reports.read_message)
    said: SaidCorrection | None = None
    field: str | None = None  # a record field a correction names
    distance_m: float | None = None  # from the ceremony venue, of a location message
    # The sender's dialog row once looked up (handlers.dialog.current); None: there is none.
    dialog: DialogState | None = None
    dialog_loaded: bool = False
    photos_waiting: bool = True  # False: the sender has no photo waiting to attach (handlers.arrival)
    # Audit rows not yet written: whoever handles the message writes them (handlers.binding.audit).
    audits: list[AuditRow] = dataclasses.field(default_factory=list)  # (its `field` names a record field)
    _liaison: Liaison | None = None  # the sender's row, once loaded (the liaison property)

    def take(self, found: Found) -> None:
        for name, value in found.items():
            setattr(self, name, value)

    @property
    def actor(self) -> str:
        return f"{self.msg.channel}:{self.msg.user_id}"

    @property
    def is_admin(self) -> bool:
        return self.sender is not None and self.sender.role == Role.ADMIN

    @property
    def unit(self) -> UnitRef | None:
        return self.sender.unit if self.sender is not None else None

    @property
    def liaison(self) -> Liaison | None:
        """The sender's Liaison row, loaded on first use, in this session (its identity map)."""
        if self._liaison is None and self.sender is not None:
            self._liaison = self.session.get(Liaison, self.sender.liaison_id)
        return self._liaison

    def set_binding(self, liaison: Liaison | None, unit: Unit | None) -> None:
        """The sender is now bound as ``liaison`` to ``unit`` (None, None: no longer bound)."""
        self._liaison = liaison
        self.sender = Sender.of(liaison, unit) if liaison is not None and unit is not None else None

    @property
    def bound_unit(self) -> UnitRef:
        """The sender's unit, on routes behind the ``Bound`` filter."""
        return required(self.unit, "the sender's unit (route not behind Bound)")

    @property
    def bound_liaison(self) -> Liaison:
        """The sender, on routes behind the ``Bound`` filter."""
        return required(self.liaison, "the bound sender (route not behind Bound)")


class NotHandled(Exception):
    """Raised by dispatch when no route matched."""


@dataclass(frozen=True)
class _Route:
    filters: tuple[Filter, ...]
    handler: Handler


@dataclass(frozen=True)
class _Step:
    """One step of a flat plan. A route (``call``: its handler) or a router's guard (``call``
    None: when its filters fail, the plan goes on at ``end``). ``end`` is where the steps of the
    step's innermost router stop: a handler that raises NotHandled goes on there, to the next
    sibling of its router, as a nested dispatch would."""

    filters: tuple[Filter, ...]
    call: Handler | None
    end: int
    command: bool = False  # a Command is among the filters


@dataclass(frozen=True)
class _Plan:
    steps: tuple[_Step, ...]
    # The words of every Command in the steps: a text that starts with none of them fails every
    # step with a Command without a call. A text report passes a dozen such steps on its way.
    command_words: tuple[str, ...]


class Router:
    """Routes tried in the order registered. Each message kind gets a flat plan: the included
    routers inlined (their guards kept), and the routes whose ``MsgType`` (or ``Command``) filters
    the kind cannot pass left out, so a text report runs one loop over a fraction of the filters.

    Plans are built on the first message of each kind: register every route before dispatching
    (a router changed after it was planned refuses, as a late route would silently be missed).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._routes: list[_Route | Router] = []
        self._middlewares: list[Middleware] = []
        self._filters: tuple[Filter, ...] = ()
        self._plans: dict[str, _Plan] = {}  # by message kind
        self._planned = False

    def message(self, *filters: Filter) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._unplanned()
            self._routes.append(_Route(filters, handler))
            return handler

        return register

    def filter(self, *filters: Filter) -> None:
        """Guard the whole router: no route in it is tried unless every filter passes."""
        self._unplanned()
        self._filters += filters

    def include(self, child: Router) -> Router:
        self._unplanned()
        self._routes.append(child)
        return child

    def middleware(self, mw: Middleware) -> Middleware:
        self._unplanned()
        self._middlewares.append(mw)
        return mw

    def _unplanned(self) -> None:
        if self._planned:
            raise RuntimeError(f"router {self.name} changed after it dispatched (or was planned into a parent)")

    def dispatch(self, ctx: Context) -> Reply:
        call: Callable[[Context], Reply] = self._dispatch_routes
        for mw in reversed(self._middlewares):
            call = _bind(mw, call)
        return call(ctx)

    def _dispatch_routes(self, ctx: Context) -> Reply:
        # The kind is read after the middlewares: a menu click arrives here as the text it stands for.
        kind = ctx.msg.msg_type
        plan = self._plans.get(kind)
        if plan is None:
            steps: list[_Step] = []
            self._flatten(kind, steps)
            commands = {flt for step in steps for flt in step.filters if isinstance(flt, Command)}
            plan = self._plans[kind] = _Plan(tuple(steps), tuple(w for c in commands for w in c.prefixes))
        return _run(plan, ctx, self.name)

    def _flatten(self, kind: str, plan: list[_Step]) -> None:
        """Append this router's steps for a message of ``kind``, in the order registered."""
        self._planned = True
        first = len(plan)
        if self._filters:
            plan.append(_Step(self._filters, None, 0, _has_command(self._filters)))
        own = []  # this router's own routes and guard: their ``end`` is known once its steps are in
        for route in self._routes:
            if isinstance(route, _Route):
                if all(_may_pass(flt, kind) for flt in route.filters):
                    own.append(len(plan))
                    kept = tuple(flt for flt in route.filters if not _settled_by_kind(flt, kind))
                    plan.append(_Step(kept, route.handler, 0, _has_command(kept)))
            elif route._middlewares:  # they may change the message (a click into text): it dispatches itself
                route._planned = True
                plan.append(_Step((), route.dispatch, len(plan) + 1))
            elif all(_may_pass(flt, kind) for flt in route._filters):
                route._flatten(kind, plan)
        if self._filters and len(plan) == first + 1:
            plan.pop()  # a guard with nothing behind it
            return
        for index in ([first] if self._filters else []) + own:
            plan[index] = replace(plan[index], end=len(plan))


def _run(plan: _Plan, ctx: Context, name: str) -> Reply:
    """The reply of the first route that handles the message; NotHandled when none does."""
    steps = plan.steps
    commanded = bool(plan.command_words) and ctx.msg.text.startswith(plan.command_words)
    index, count = 0, len(steps)
    while index < count:
        step = steps[index]
        # A step with a Command fails, as the Command would, for a text without a command word.
        found = None if step.command and not commanded else _match(step.filters, ctx)
        if found is None:
            index = step.end if step.call is None else index + 1  # a guard fails: skip its router
            continue
        if found:
            ctx.take(found)
        if step.call is None:
            index += 1
            continue
        try:
            return step.call(ctx)
        except NotHandled:  # declined (names.on_name): on to the next sibling of its router
            index = step.end
    raise NotHandled(name)


def _bind(mw: Middleware, call_next: Callable[[Context], Reply]) -> Callable[[Context], Reply]:
    return lambda ctx: mw(ctx, call_next)


def _match(filters: tuple[Filter, ...], ctx: Context) -> Found | None:
    found = Found()
    for flt in filters:
        result = flt(ctx)
        if result is False:
            return None
        if isinstance(result, dict):
            found.update(result)
    return found


def _has_command(filters: tuple[Filter, ...]) -> bool:
    return any(isinstance(flt, Command) for flt in filters)


def _may_pass(flt: Filter, kind: str) -> bool:
    """False when ``flt`` rejects every message of ``kind`` (it says which kinds it can pass)."""
    kinds = getattr(flt, "kinds", None)
    return kinds is None or kind in kinds


def _settled_by_kind(flt: Filter, kind: str) -> bool:
    """True for a filter that checks nothing but the kind, and passes ``kind``: a plan skips it."""
    return isinstance(flt, MsgType) and kind in flt.kinds


# ---- filters ----


class MsgType:
    """The message is of one of ``kinds`` (a router leaves a route behind it out of the other
    kinds' plans)."""

    def __init__(self, *kinds: MessageKind) -> None:
        self.kinds = frozenset(kinds)

    def __call__(self, ctx: Context) -> FilterResult:
        return ctx.msg.msg_type in self.kinds


class Command:
    """The message is one of the words, optionally followed by arguments (``ctx.args``)."""

    kinds = frozenset(TEXTUAL)  # for the router's plans: no other kind carries a command

    def __init__(self, *words: str) -> None:
        self.pattern = re.compile(r"^\s*(?:/)?(" + "|".join(map(re.escape, words)) + r")(?:[\s:：]+(.*))?\s*$", re.S)
        # The text is stripped, so the pattern's leading \s* matches nothing: a text that starts with
        # none of these is turned away without the regex (and a router's plan skips the route).
        self.prefixes = words + tuple("/" + word for word in words)

    def __call__(self, ctx: Context) -> FilterResult:
        if ctx.msg.msg_type not in self.kinds:
            return False
        text = ctx.msg.text
        if not text.startswith(self.prefixes):
            return False
        m = self.pattern.match(text)
        return Found(command=m.group(1), args=(m.group(2) or "").strip()) if m else False


def Regex(pattern: str) -> Filter:
    compiled = re.compile(pattern)

    def check(ctx: Context) -> FilterResult:
        m = compiled.search(ctx.msg.text)
        return Found(groups=tuple(g or "" for g in m.groups())) if m else False

    return check


def Bound(ctx: Context) -> FilterResult:
    return ctx.sender is not None


def Admin(ctx: Context) -> FilterResult:
    return ctx.is_admin
