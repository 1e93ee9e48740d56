"""Keep the unit table in step with the configured units."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from storage.models import Unit


def sync_units(session: Session, units: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Insert missing (name, kind) units, update kinds; return name -> id. Never deletes."""
    existing = {u.name: u for u in session.exec(select(Unit)).all()}
    for name, kind in units:
        unit = existing.get(name)
        if unit is None:
            unit = Unit(name=name, kind=kind)
            session.add(unit)
            existing[name] = unit
        elif unit.kind != kind:
            unit.kind = kind
    session.flush()
    return {name: unit.id for name, unit in existing.items() if unit.id is not None}
