"""Group commit (bot.pipeline.group_commit): messages that arrive together share one transaction and one sync to
disk, yet a failure stays with its own message, a failed commit acknowledges none, and the commit
is durable (SQLite synchronous=FULL, PostgreSQL synchronous_commit=on)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlmodel import Session

from handlers.binding import MAX_FAILED_ATTEMPTS_PER_HOUR
from handlers.dispatcher import Dispatcher
from handlers.inbound import Inbound
from handlers.router import Reply
from storage.models import Activity, AuditLog, InboundMessage
from tests.harness import Harness, make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

LIAISON, UNIT = "wang", "市商务局"
GATE, BROKEN, COMMIT_FAILS = "门闩", "故障", "提交失败"


def report(n: int) -> str:
    return f"今天在新华路商圈开展集中宣传，发放资料{100 + n}份"


class GatedDispatcher:
    """The real dispatcher, with three markers in a text: GATE holds the writer until ``release``
    (so what arrives meanwhile queues into one batch), BROKEN fails its handling after its writes,
    COMMIT_FAILS makes the commit of its batch fail (a sync to disk that fails)."""

    def __init__(self, real: Dispatcher, engine: Any) -> None:
        self.real, self.deps = real, real.deps
        self.release = threading.Event()
        self.sessions: dict[str, Session] = {}
        self.handled: list[str] = []  # texts in the order they were handled
        self.fail_commit = False
        self.breaks = True  # False: the fault behind BROKEN is gone
        event.listen(engine, "commit", self._commit)

    def _commit(self, conn: Any) -> None:
        if self.fail_commit:  # as a COMMIT the disk refuses: the transaction is gone, an error raised
            self.fail_commit = False
            conn.connection.driver_connection.rollback()
            raise OSError(5, "Input/output error")

    def handle(self, session: Session, msg: Inbound, *rest: Any) -> Reply:  # the rest as Dispatcher.handle takes it
        self.sessions[msg.text] = session
        self.handled.append(msg.text)
        if GATE in msg.text:
            assert self.release.wait(30)
        reply = self.real.handle(session, msg, *rest)
        session.flush()
        if BROKEN in msg.text and self.breaks:
            raise OSError(28, "No space left on device")
        if COMMIT_FAILS in msg.text:
            self.fail_commit = True
        return reply


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Harness]:
    async with Harness(make_settings(tmp_path)) as harness:
        await harness.bound(LIAISON, UNIT)
        yield harness


def gated(bot: Harness, monkeypatch: pytest.MonkeyPatch) -> GatedDispatcher:
    pipeline = bot.runtime.pipeline
    gate = GatedDispatcher(pipeline.dispatcher, bot.runtime.db.engine)
    monkeypatch.setattr(pipeline, "dispatcher", gate)
    return gate


async def post_batch(bot: Harness, gate: GatedDispatcher, texts: list[str], first_id: int) -> list[int]:
    """Post a GATE message, then ``texts`` while it holds the writer: they form one batch."""
    user = bot.wecom(LIAISON)
    xmls = [
        user.xml(bot.clock.now(), "text", {"Content": body}, msg_id=first_id + 1 + n) for n, body in enumerate(texts)
    ]
    return [status for status, _ in await deliver_in_one_batch(bot, gate, xmls, first_id)]


async def deliver_in_one_batch(
    bot: Harness, gate: GatedDispatcher, xmls: list[str], gate_id: int
) -> list[tuple[int, str | None]]:
    """Post a GATE message (id ``gate_id``), then ``xmls`` while it holds the writer: one batch."""
    user = bot.wecom(LIAISON)
    gate_xml = user.xml(bot.clock.now(), "text", {"Content": f"{GATE}{report(999)}"}, msg_id=gate_id)
    gate_post = asyncio.ensure_future(user.post(gate_xml, bot.clock.now()))
    while GATE not in "".join(gate.sessions):
        await asyncio.sleep(0.01)
    posts = [asyncio.ensure_future(user.post(xml, bot.clock.now())) for xml in xmls]
    while len(bot.runtime.pipeline._waiting) < len(xmls):
        await asyncio.sleep(0.01)
    gate.release.set()
    assert (await gate_post)[0] == 200
    return list(await asyncio.gather(*posts))


REFUSING_TRIGGER = {  # refuses to store a message whose content says 无法写入
    "sqlite": [
        "CREATE TRIGGER refuse BEFORE INSERT ON inboundmessage WHEN instr(NEW.content, '无法写入') > 0"
        " BEGIN SELECT RAISE(ABORT, 'Input/output error'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN IF position('无法写入' in NEW.content) > 0 THEN"
        " RAISE EXCEPTION 'Input/output error'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse BEFORE INSERT ON inboundmessage FOR EACH ROW EXECUTE FUNCTION refuse()",
    ],
}


def stored_texts(bot: Harness) -> dict[str, InboundMessage]:
    return {row.content: row for row in bot.rows(InboundMessage) if row.msg_type == "text"}


async def test_a_failing_message_fails_alone_and_the_rest_of_its_batch_is_answered_and_stored(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = gated(bot, monkeypatch)
    texts = [report(1), report(2), f"{BROKEN}{report(3)}", report(4)]
    statuses = await post_batch(bot, gate, texts, 7001)
    assert statuses == [200, 200, 503, 200]
    assert len({id(gate.sessions[body]) for body in texts}) == 1  # one batch, one transaction
    stored = stored_texts(bot)
    assert all(stored[body].handled_at is not None for body in (texts[0], texts[1], texts[3]))
    assert stored[texts[2]].handled_at is None  # stored, unhandled: WeChat's retry handles it
    assert sorted(a.materials for a in bot.rows(Activity)) == [101, 102, 104, 1099]
    # The batch's audit rows are written together: the failed message's went with its rollback.
    created = sorted(row.target for row in bot.rows(AuditLog) if row.action == "activity.create")
    assert created == sorted(f"activity:{a.id}" for a in bot.rows(Activity))


async def test_failed_codes_earlier_in_the_same_batch_count_towards_the_limit(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = gated(bot, monkeypatch)
    guesser, attempts = bot.wecom("guesser"), 2 * MAX_FAILED_ATTEMPTS_PER_HOUR
    xmls = [
        guesser.xml(bot.clock.now(), "text", {"Content": f"绑定 AAAAAAA{chr(ord('A') + n)}"}, msg_id=7301 + n)
        for n in range(attempts)
    ]
    answers = await deliver_in_one_batch(bot, gate, xmls, 7300)
    batch = {id(session) for text, session in gate.sessions.items() if text.startswith("绑定")}
    assert len(batch) == 1  # one batch, one transaction
    replies = [reply or "" for _, reply in answers]
    # Whatever order they were handled in, the limit held within the batch.
    assert sum("不正确" in reply for reply in replies) == MAX_FAILED_ATTEMPTS_PER_HOUR, replies
    assert sum("尝试次数过多" in reply for reply in replies) == attempts - MAX_FAILED_ATTEMPTS_PER_HOUR
    assert [row.action for row in bot.rows(AuditLog)].count("bind.failed") == MAX_FAILED_ATTEMPTS_PER_HOUR


async def test_a_failed_commit_acknowledges_none_of_its_batch_and_the_retries_store_each_once(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = gated(bot, monkeypatch)
    texts = [report(1), f"{COMMIT_FAILS}{report(2)}", report(3)]
    assert await post_batch(bot, gate, texts, 7101) == [503, 503, 503]
    assert not set(texts) & set(stored_texts(bot))  # nothing of the batch is on disk
    user = bot.wecom(LIAISON)
    for n, body in enumerate(texts):  # WeChat's retries: same MsgId
        body = body.replace(COMMIT_FAILS, "")
        status, _ = await user.post(
            user.xml(bot.clock.now(), "text", {"Content": body}, msg_id=7102 + n), bot.clock.now()
        )
        assert status == 200
    assert sorted(a.materials for a in bot.rows(Activity)) == [101, 102, 103, 1099]


async def test_commits_are_durable_before_the_answer(bot: Harness) -> None:
    def setting(session: Session) -> object:
        if bot.runtime.db.is_sqlite:
            return session.exec(text("PRAGMA synchronous")).one()[0]  # type: ignore[call-overload]
        return session.exec(text("SHOW synchronous_commit")).one()[0]  # type: ignore[call-overload]

    assert bot.runtime.db.call(setting) == (2 if bot.runtime.db.is_sqlite else "on")  # 2: FULL


async def test_two_hundred_reports_and_fifty_duplicates_at_once_are_each_stored_once(bot: Harness) -> None:
    users = [f"liaison{n}" for n in range(4)]
    for user, unit in zip(users, ["市市场监督管理局", "市委宣传部", "市教育局", "市科技局"], strict=True):
        await bot.bound(user, unit)
    posts = []
    for n in range(200):
        user = bot.wecom(users[n % len(users)])
        xml = user.xml(bot.clock.now(), "text", {"Content": report(n)}, msg_id=8000 + n)
        posts.append((user, xml))
    posts += posts[::4]  # fifty of them delivered twice (WeChat's retries)
    answers = await asyncio.gather(*(user.post(xml, bot.clock.now()) for user, xml in posts))
    assert {status for status, _ in answers} == {200}
    assert [reply for _, reply in answers[200:]] == [reply for _, reply in answers[:200:4]]
    reports = [row for row in bot.rows(InboundMessage) if row.user_id in users and "宣传" in row.content]
    assert len(reports) == 200 and all(row.handled_at is not None for row in reports)
    assert sorted(a.materials for a in bot.rows(Activity)) == list(range(100, 300))


async def test_a_message_whose_insert_fails_fails_alone_when_the_batch_is_stored_by_one_statement(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = gated(bot, monkeypatch)
    unstorable = "无法写入"

    # A row the database refuses (a trigger): whichever INSERT carries it fails, alone or with others.
    refusing = REFUSING_TRIGGER[bot.runtime.db.engine.dialect.name]
    bot.runtime.db.call(lambda session: [session.connection().exec_driver_sql(sql) for sql in refusing])
    statuses = await post_batch(bot, gate, [report(1), f"{unstorable}{report(2)}", report(3)], 7201)
    assert statuses == [200, 503, 200]  # not stored: not acknowledged, WeChat resends it
    stored = stored_texts(bot)
    assert report(1) in stored and report(3) in stored and not any(unstorable in body for body in stored)
    assert sorted(a.materials for a in bot.rows(Activity)) == [101, 103, 1099]


async def test_two_retries_in_one_batch_of_a_message_stored_unhandled_before_are_handled_once(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = gated(bot, monkeypatch)
    user = bot.wecom(LIAISON)
    broken = user.xml(bot.clock.now(), "text", {"Content": f"{BROKEN}{report(5)}"}, msg_id=7301)
    assert (await user.post(broken, bot.clock.now()))[0] == 503  # stored; its handling rolled back
    gate.breaks = False  # the fault is gone when WeChat's retries come, both in one batch
    answers = await deliver_in_one_batch(bot, gate, [broken, broken], 7302)
    assert [status for status, _ in answers] == [200, 200]
    assert answers[0][1] == answers[1][1] and (answers[0][1] or "").startswith("已记录")
    assert sorted(a.materials for a in bot.rows(Activity)) == [105, 1099]
    assert stored_texts(bot)[f"{BROKEN}{report(5)}"].handled_at is not None


async def test_a_report_after_an_unbinding_in_its_own_batch_is_read_with_the_binding_as_it_now_is(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sender's binding is read per message in the batch's transaction: the 解绑 handled just
    # before (same session, same transaction) is what the report after it finds.
    gate = gated(bot, monkeypatch)
    assert await post_batch(bot, gate, ["解绑", report(6)], 7400) == [200, 200]
    filed = sorted(a.materials for a in bot.rows(Activity))
    assert filed == [1099]  # the GATE report only: after 解绑 the sender is a stranger
    assert (stored_texts(bot)["解绑"].reply or "").startswith("已解除")
    assert "绑定" in (stored_texts(bot)[report(6)].reply or "")


async def test_a_batch_is_handled_sender_by_sender_each_senders_messages_in_order(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes' batches on PostgreSQL then lock each sender's rows in one order (a deadlock
    on the dialog state between two workers answered a report 503 under the bench's load)."""
    await bot.bound("zzz", "市商务局")
    gate = gated(bot, monkeypatch)
    later, first = bot.wecom("zzz"), bot.wecom(LIAISON)
    sent = [(later, report(1)), (first, report(2)), (later, report(3)), (first, report(4))]
    xmls = [
        user.xml(bot.clock.now(), "text", {"Content": body}, msg_id=7501 + n) for n, (user, body) in enumerate(sent)
    ]
    answers = await deliver_in_one_batch(bot, gate, xmls, 7500)
    assert [status for status, _ in answers] == [200, 200, 200, 200]
    assert gate.handled[-4:] == [report(2), report(4), report(1), report(3)]
    # Each answer is its own message's reply, whatever the order they were handled in.
    assert all(str(101 + n) in (reply or "") for n, (_, reply) in enumerate(answers))


async def test_a_caller_cancelled_while_its_batch_waits_leaves_its_message_stored_and_handled(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = gated(bot, monkeypatch)
    pipeline, now = bot.runtime.pipeline, bot.clock.now()
    binding = next(row for row in bot.rows(InboundMessage) if row.msg_type == "text")  # the liaison's 绑定

    def inbound(key: str, text: str) -> Inbound:
        return Inbound(binding.channel, binding.user_id, "text", key, now, "<xml/>", content=text)

    holder = asyncio.ensure_future(pipeline.process(inbound("held", f"{GATE}{report(998)}")))
    while GATE not in "".join(gate.sessions):
        await asyncio.sleep(0.01)
    gone = asyncio.ensure_future(pipeline.process(inbound("gone", report(1))))
    kept = asyncio.ensure_future(pipeline.process(inbound("kept", report(2))))
    while len(pipeline._waiting) < 2:
        await asyncio.sleep(0.01)
    gone.cancel()  # its client hung up while the batch waited for the writer
    gate.release.set()
    assert await holder and await kept
    with pytest.raises(asyncio.CancelledError):
        await gone
    while pipeline._writing is not None:  # the batch that held the cancelled one, written
        await asyncio.sleep(0.01)
    stored = stored_texts(bot)
    assert stored[report(1)].handled_at is not None and stored[report(1)].reply
    assert sorted(a.materials for a in bot.rows(Activity)) == [101, 102, 1098]
