"""Who may report for which unit.

A sender is bound to a unit either automatically (WeCom userids listed in config) or with the
unit's invite code. Codes are HMAC-SHA256 of the unit name under a configured secret: printable
by `weekbot units codes`, stable across restarts, infeasible to guess (40 bits, and failed
attempts are rate-limited). The contact person gets a separate admin code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy import select as core_select
from sqlmodel import Session, col, func, select

from handlers.deps import Deps
from handlers.router import AuditRow, Context, Sender, UnitRef
from scheduler.campaign import UnitKind
from storage.direct import DirectStatement
from storage.engine import table_of
from storage.models import AuditLog, ChannelKind, Liaison, Role, Unit

CODE_LENGTH = 8
MAX_FAILED_ATTEMPTS_PER_HOUR = 5


@dataclass(frozen=True)
class Grant:
    unit_name: str
    role: str  # liaison | admin


def invite_code(secret: str, scope: str) -> str:
    digest = hmac.new(secret.encode(), scope.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:CODE_LENGTH]


def chair_unit(deps: Deps) -> str:
    return next(u.name for u in deps.units if u.kind == UnitKind.CHAIR)


def code_table(deps: Deps) -> dict[str, Grant]:
    """code -> what it grants: one code per unit, one admin code for the contact person."""
    table = {invite_code(deps.invite_secret, f"unit:{u.name}"): Grant(u.name, Role.LIAISON) for u in deps.units}
    table[invite_code(deps.invite_secret, f"admin:{deps.contact.name}")] = Grant(chair_unit(deps), Role.ADMIN)
    return table


def grant_for_code(deps: Deps, code: str) -> Grant | None:
    wanted = code.strip().upper().encode()
    found = None
    for candidate, grant in code_table(deps).items():
        # Compare against every code so timing says nothing about near misses.
        if hmac.compare_digest(candidate.encode(), wanted):
            found = grant
    return found


def automatic_grant(deps: Deps, channel: str, user_id: str) -> Grant | None:
    if channel != ChannelKind.WECOM:
        return None
    if user_id in deps.contact.wecom_userids:
        return Grant(chair_unit(deps), Role.ADMIN)
    for unit in deps.units:
        if user_id in unit.wecom_userids:
            return Grant(unit.name, Role.LIAISON)
    return None


# Statements on the webhook's hot path are built once: SQLAlchemy then skips constructing and
# cache-keying them per message (about half the cost of a simple query).
# Audit rows name every column: straight on the driver's cursor (storage.direct).
_INSERT_AUDIT = DirectStatement(insert(table_of(AuditLog)), ["at", "actor", "action", "target", "detail"])
LIAISONS, _UNITS = table_of(Liaison), table_of(Unit)
# Core, plain values: the ORM's load of the two rows cost five times the SELECT.
SENDER_BY_USER = (
    core_select(LIAISONS.c.id, LIAISONS.c.role, LIAISONS.c.last_seen_at, _UNITS.c.id, _UNITS.c.name)
    .join_from(LIAISONS, _UNITS, LIAISONS.c.unit_id == _UNITS.c.id)
    .where(
        LIAISONS.c.channel == bindparam("channel"),
        LIAISONS.c.user_id == bindparam("user_id"),
        LIAISONS.c.role != Role.UNBOUND,
    )
)


def audit(ctx: Context, action: str, target: str = "", **detail: object) -> None:
    """An audit row of the message being handled, kept in ``ctx.audits``: the dispatcher (or the
    pipeline, for a whole batch) writes them together, one statement rather than one per row.
    Whatever reads audit rows during handling writes the waiting ones first (too_many_failures)."""
    ctx.audits.append(_audit_row(ctx.now, ctx.actor, action, target, detail))


def write_audit(session: Session, at: datetime, actor: str, action: str, target: str = "", **detail: object) -> None:
    """One audit row, now (the desk's, actor ``web:…``)."""
    write_audits(session, [_audit_row(at, actor, action, target, detail)])


def write_audits(session: Session, rows: list[AuditRow]) -> None:
    """Insert ``rows`` (and empty the list, so none is written twice)."""
    if rows:
        # Not through the ORM: audit rows are never loaded back in the same transaction, and
        # skipping its unit of work keeps the webhook's hot path short.
        _INSERT_AUDIT.executemany(session, rows)
        rows.clear()


def _audit_row(at: datetime, actor: str, action: str, target: str, detail: dict[str, object]) -> AuditRow:
    return {"at": at, "actor": actor, "action": action, "target": target, "detail": detail}


def too_many_failures(ctx: Context) -> bool:
    write_audits(ctx.session, ctx.audits)  # the failures of this batch's earlier messages count too
    since = ctx.now - timedelta(hours=1)
    count = ctx.session.exec(
        select(func.count())
        .select_from(AuditLog)
        .where(AuditLog.actor == ctx.actor, AuditLog.action == "bind.failed", col(AuditLog.at) >= since)
    ).one()
    return count >= MAX_FAILED_ATTEMPTS_PER_HOUR


def bind(ctx: Context, grant: Grant, how: str) -> Liaison:
    """Bind (or re-bind) the sender; records who, to what, and how in the audit log."""
    liaison, unit = bind_user(ctx.session, ctx.msg.channel, ctx.msg.user_id, grant, ctx.now, known=ctx.liaison)
    liaison.last_seen_at = ctx.now
    ctx.session.add(liaison)
    ctx.session.flush()
    audit(ctx, "bind", grant.unit_name, role=grant.role, how=how)
    ctx.set_binding(liaison, unit)
    return liaison


def bind_user(
    session: Session, channel: str, user_id: str, grant: Grant, now: datetime, known: Liaison | None = None
) -> tuple[Liaison, Unit]:
    """Create or update the (channel, user_id) Liaison row for ``grant``; the caller audits.

    An unbound person's old row is reused: the records they filed keep pointing at it.
    """
    unit = session.exec(select(Unit).where(Unit.name == grant.unit_name)).one()
    liaison = (
        known or session.exec(select(Liaison).where(Liaison.channel == channel, Liaison.user_id == user_id)).first()
    )
    if liaison is None:
        liaison = Liaison(channel=channel, user_id=user_id, unit_id=unit.id or 0, bound_at=now)
    else:
        liaison.unit_id = unit.id or 0
        liaison.bound_at = now
    liaison.role = grant.role
    session.add(liaison)
    session.flush()
    return liaison, unit


def unbind(ctx: Context) -> str | None:
    """End the sender's binding. The row stays (role ``Role.UNBOUND``) because the records and photos
    they filed name it as their reporter."""
    liaison, unit = ctx.liaison, ctx.unit
    if liaison is None or unit is None:
        return None
    end_binding(ctx.session, liaison)
    audit(ctx, "unbind", unit.name)
    ctx.set_binding(None, None)
    return unit.name


def end_binding(session: Session, liaison: Liaison) -> None:
    """The person no longer reports (nor reads the desk) for their unit; the caller audits."""
    liaison.role = Role.UNBOUND
    session.add(liaison)


def load_sender(session: Session, channel: str, user_id: str) -> Sender | None:
    """The sender's binding, read now in the session's transaction (never a cached answer: the
    desk or another process may have re-bound or unbound them since the last message)."""
    session.flush()  # as the ORM's autoflush would: the SELECT sees what this session changed
    row = session.connection().execute(SENDER_BY_USER, {"channel": channel, "user_id": user_id}).first()
    return sender_of(row) if row is not None else None


def sender_of(row: Sequence[Any]) -> Sender:
    """The Sender in a row that starts with SENDER_BY_USER's columns."""
    liaison_id, role, last_seen_at, unit_id, unit_name = row[:5]
    return Sender(liaison_id, role, last_seen_at, UnitRef(unit_id, unit_name))


def load_liaison(session: Session, channel: str, user_id: str) -> tuple[Liaison | None, Unit | None]:
    """The sender's Liaison and Unit rows (ORM), for the desk's sign-in."""
    sender = load_sender(session, channel, user_id)
    if sender is None:
        return None, None
    return session.get(Liaison, sender.liaison_id), session.get(Unit, sender.unit.id)
