"""The pre-reading's guess of the sender's unit (handlers.sender_units): a known sender's text is
read without a database read, and a binding changed where this process cannot see it (the desk,
another worker) is followed at the next message: filed and read under the new unit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

import bot.pipeline.prereading as pipeline_prereading
from handlers import prereading
from handlers.sender_units import SenderUnits
from storage.models import Activity, Liaison, Unit
from tests.harness import Harness, make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

OLD, NEW = "双塔区知识产权局", "龙城区知识产权局"
REPORT = "今天上午在新华路商圈开展集中宣传，发放资料{n}份"


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Harness]:
    async with Harness(make_settings(tmp_path)) as harness:
        await harness.bound("liu", OLD)
        yield harness


def rebind_behind_the_bots_back(bot: Harness, user_id: str, unit_name: str) -> None:
    def rebind(session: Session) -> None:
        liaison = session.exec(select(Liaison).where(Liaison.user_id == user_id)).one()
        liaison.unit_id = session.exec(select(Unit).where(Unit.name == unit_name)).one().id or 0
        session.add(liaison)

    bot.runtime.db.call(rebind)


def filed_under(bot: Harness) -> dict[int | None, str]:
    units = {u.id: u.name for u in bot.rows(Unit)}
    return {a.materials: units[a.unit_id] for a in bot.rows(Activity)}


async def test_a_known_senders_text_is_read_without_a_database_read(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    real = pipeline_prereading.sender_unit

    def counted(session: Session, deps: object, msg: object) -> str | None:
        reads.append("read")
        return real(session, deps, msg)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline_prereading, "sender_unit", counted)
    for n in range(3):
        assert (await bot.say("liu", REPORT.format(n=100 + n)) or "").startswith(f"已记录（{OLD}）")
    assert reads == []  # bound in this process: its unit known since
    assert (await bot.say("zhao", REPORT.format(n=200))) is not None  # a stranger: read once
    assert (await bot.say("zhao", REPORT.format(n=201))) is not None
    assert reads == ["read"]


async def test_a_binding_changed_elsewhere_is_followed_at_the_next_message(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await bot.say("liu", REPORT.format(n=101)) or "").startswith(f"已记录（{OLD}）")
    rebind_behind_the_bots_back(bot, "liu", NEW)
    read_as: list[str | None] = []
    parse = prereading.parse_report

    def spy(text: str, now: object, bound_unit: str | None, *args: object, **kwargs: object) -> object:
        read_as.append(bound_unit)
        return parse(text, now, bound_unit, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(prereading, "parse_report", spy)
    assert (await bot.say("liu", REPORT.format(n=102)) or "").startswith(f"已记录（{NEW}）")
    assert read_as == [OLD, NEW]  # read with the guess, then again in the writer with the truth
    assert (await bot.say("liu", REPORT.format(n=103)) or "").startswith(f"已记录（{NEW}）")
    assert read_as == [OLD, NEW, NEW]  # the guess followed
    assert filed_under(bot) == {101: OLD, 102: NEW, 103: NEW}


def test_the_guess_is_forgotten_past_its_capacity() -> None:
    units = SenderUnits(capacity=2)
    units.note("wecom", "a", OLD)
    units.note("wecom", "b", None)
    assert units.recall("wecom", "a") == (True, OLD) and units.recall("wecom", "b") == (True, None)
    assert units.recall("wecom", "c") == (False, None)
    units.note("wecom", "c", NEW)  # full: everything forgotten, then c noted
    assert units.recall("wecom", "a") == (False, None) and units.recall("wecom", "c") == (True, NEW)
