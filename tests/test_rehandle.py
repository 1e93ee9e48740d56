"""No acknowledged-but-unhandled message: a message whose handling fails is answered 503 (WeChat
retries it, and the retry handles the stored row), and what is still unhandled after WeChat's
retries is re-handled in the background, its reply pushed through the outbox; a message that keeps
failing ends visible to the contact person, not retried forever."""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from bot.workers.push import make_sender
from bot.workers.rehandler import RehandlePolicy, Rehandler
from handlers.dispatcher import Dispatcher
from handlers.inbound import Inbound
from handlers.router import Reply
from scheduler.sender import OutboxSender
from storage.models import Activity, InboundMessage
from storage.outbox import OutboxMessage
from storage.rehandling import InboundRetry
from tests.desk_fixtures import CONTACT, DeskClient
from tests.harness import Harness, make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

LIAISON, UNIT = "wang", "市商务局"
REPORT = "今天上午在新华路商圈开展集中宣传，发放资料200份，咨询40人次"
POLICY = RehandlePolicy()


class FaultyDispatcher:
    """The real dispatcher, failing after it has done its writes while ``failures`` lasts (a disk
    that fills up at the end, a handler bug): the failure must undo them."""

    def __init__(self, real: Dispatcher, failures: int) -> None:
        self.real, self.failures, self.calls = real, failures, 0
        self.deps = real.deps  # the pipeline reads the sender's unit before the writer (pre-reading)

    def handle(self, session: Session, msg: Inbound, *rest: Any) -> Reply:  # the rest as Dispatcher.handle takes it
        self.calls += 1
        reply = self.real.handle(session, msg, *rest)
        if self.failures > 0:
            self.failures -= 1
            self.fail(session)
        return reply

    def fail(self, session: Session) -> None:
        session.flush()  # the activity row really was written
        raise OSError(28, "No space left on device")


class UnflushableDispatcher(FaultyDispatcher):
    """The real dispatcher leaving, while ``failures`` lasts, a row the database refuses only when
    the session flushes it: at the commit of the handling's savepoint, after the handler returned."""

    def fail(self, session: Session) -> None:
        session.add(Activity())  # NOT NULL columns left empty: refused at the flush


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Harness]:
    async with Harness(make_settings(tmp_path)) as harness:
        await harness.bound(LIAISON, UNIT)
        yield harness


# The writer tries a message twice before it gives up on it: in the batch's one savepoint, then, the
# batch rolled back, in a savepoint of its own (bot.pipeline.group_commit).
TRIES_PER_DELIVERY = 2


def faulty(bot: Harness, monkeypatch: pytest.MonkeyPatch, failures: int) -> FaultyDispatcher:
    pipeline = bot.runtime.pipeline
    fault = FaultyDispatcher(pipeline.dispatcher, failures)
    monkeypatch.setattr(pipeline, "dispatcher", fault)
    return fault


def rehandler_and_sender(bot: Harness) -> tuple[Rehandler, OutboxSender]:
    sender = make_sender(bot.runtime, bot.background)
    return Rehandler(bot.runtime.db, bot.clock, bot.runtime.pipeline, sender.wake, POLICY), sender


def report_rows(bot: Harness) -> tuple[list[InboundMessage], list[Activity]]:
    inbound = [m for m in bot.rows(InboundMessage) if m.user_id == LIAISON and m.msg_type == "text"]
    return inbound[1:], bot.rows(Activity)  # [0] is the binding message


async def post_report(bot: Harness, msg_id: int) -> tuple[int, str | None]:
    """One delivery of the same report (WeChat's retries carry the same MsgId)."""
    user = bot.wecom(LIAISON)
    return await user.post(user.xml(bot.clock.now(), "text", {"Content": REPORT}, msg_id=msg_id), bot.clock.now())


async def test_a_failed_handling_is_answered_503_and_the_retry_handles_it_once(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault = faulty(bot, monkeypatch, failures=TRIES_PER_DELIVERY)
    status, _ = await post_report(bot, msg_id=7001)
    assert status == 503  # not 200: WeChat retries
    [stored], activities = report_rows(bot)
    assert stored.handled_at is None and activities == []  # stored; the failed handling left nothing
    status, reply = await post_report(bot, msg_id=7001)  # WeChat's retry
    assert status == 200 and reply and "新华路商圈" in reply
    status, again = await post_report(bot, msg_id=7001)  # a late replay changes nothing
    assert status == 200 and again == reply
    [handled], [activity] = report_rows(bot)
    assert handled.id == stored.id and handled.handled_at is not None and activity.materials == 200
    assert fault.calls == TRIES_PER_DELIVERY + 1


async def test_a_failure_that_passes_is_handled_in_the_same_delivery_once(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault = faulty(bot, monkeypatch, failures=1)  # the batch's pass fails; the message's own pass does not
    status, reply = await post_report(bot, msg_id=7003)
    assert status == 200 and reply and "新华路商圈" in reply
    [handled], [activity] = report_rows(bot)  # the failed pass's writes were rolled back: one activity
    assert handled.handled_at is not None and activity.materials == 200
    assert fault.calls == 2


async def test_a_handling_refused_at_its_savepoints_flush_is_answered_503_and_left_unhandled(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = bot.runtime.pipeline
    fault = UnflushableDispatcher(pipeline.dispatcher, failures=TRIES_PER_DELIVERY)
    monkeypatch.setattr(pipeline, "dispatcher", fault)
    status, _ = await post_report(bot, msg_id=7004)
    assert status == 503
    [stored], activities = report_rows(bot)
    assert stored.handled_at is None and stored.reply is None and activities == []  # not marked handled
    status, reply = await post_report(bot, msg_id=7004)  # WeChat's retry
    assert status == 200 and reply and "新华路商圈" in reply and len(report_rows(bot)[1]) == 1


async def test_the_background_rehandler_handles_what_wechat_gave_up_on_and_pushes_the_reply(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    rehandler, sender = rehandler_and_sender(bot)
    fault = faulty(bot, monkeypatch, failures=4 * TRIES_PER_DELIVERY)  # the first delivery and three retries
    for _ in range(4):
        assert (await post_report(bot, msg_id=7002))[0] == 503
    assert await rehandler.run_once() == 0  # within the grace period: WeChat may still retry
    fault.failures = 0  # the disk has room again
    bot.clock.advance(POLICY.grace)
    assert await rehandler.run_once() == 1
    [message], [activity] = report_rows(bot)
    assert message.handled_at == message.received_at and activity.materials == 200
    assert await sender.drain() == 1
    [pushed] = bot.platform.messages
    assert pushed.touser == (LIAISON,) and "新华路商圈" in pushed.content and "没能及时处理" in pushed.content
    [outbox] = [row for row in bot.rows(OutboxMessage) if row.key == f"rehandle:{message.id}"]
    assert outbox.status == "sent"
    bot.clock.advance(timedelta(hours=1))
    assert await rehandler.run_once() == 0  # handled: never again
    assert (await post_report(bot, msg_id=7002))[0] == 200  # a straggling retry: no new effect
    await sender.drain()
    assert len(bot.platform.messages) == 1 and len(report_rows(bot)[1]) == 1


async def test_a_message_that_keeps_failing_ends_visible_not_retried_forever(
    bot: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    rehandler, sender = rehandler_and_sender(bot)
    fault = faulty(bot, monkeypatch, failures=10**6)
    assert (await post_report(bot, msg_id=7003))[0] == 503
    bot.clock.advance(POLICY.grace)
    caplog.set_level(logging.ERROR, logger="bot.workers.rehandler")
    tries_at = []
    for _ in range(40):  # ten hours in quarter-hour steps
        calls = fault.calls
        await rehandler.run_once()
        if fault.calls > calls:
            tries_at.append(bot.clock.now())
        bot.clock.advance(timedelta(minutes=15))
    assert len(tries_at) == POLICY.retry.max_attempts  # then it stops
    gaps = [later - earlier for earlier, later in itertools.pairwise(tries_at)]
    assert gaps == sorted(gaps) and gaps[-1] > gaps[0]  # backing off
    [message], activities = report_rows(bot)
    assert message.handled_at is None and activities == []
    [retry] = bot.rows(InboundRetry)
    assert retry.message_id == message.id and retry.attempts == POLICY.retry.max_attempts
    assert retry.failed_at is not None and "No space left" in (retry.error or "")
    gave_up = [r for r in caplog.records if r.name == "bot.workers.rehandler" and r.levelno >= logging.ERROR]
    assert len(gave_up) == 1 and str(message.id) in gave_up[0].getMessage()
    await sender.drain()  # the sender is told too, so they can send it again
    [notice] = bot.platform.messages
    assert notice.touser == (LIAISON,) and "未能处理" in notice.content
    async with DeskClient(bot) as desk:  # and the contact person sees it on the desk
        fault.failures = 0  # (the 后台 command must work)
        await desk.log_in(CONTACT)
        status, page = await desk.get("/dash/pushes")
        assert status == 200 and "未能处理的消息" in page and "新华路商圈开展集中宣传" in page
        assert "No space left on device" in page
