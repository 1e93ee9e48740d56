"""A fast chat test layer: simulated users talk to the real dispatcher in process.

What a message *means* (binding, commands, corrections, dialogs, the contact's tools) is tested
here; the webhook contract, signatures, AES and the sandbox platform keep the HTTP harness
(tests/harness.py). The same path a callback takes after it is decrypted stays real: the message
is built as WeChat's XML and normalised by the channels' own ``to_inbound``, then the real
``MessagePipeline`` stores it, de-duplicates it, pre-reads it and hands it to the real
``Dispatcher``, on the database the ``backend`` fixture chose. Only HTTP, the signature and the
encryption are skipped, so a test costs a few database transactions.

    with ChatTester(make_settings(tmp_path)) as chat:
        await chat.bound("wang", "市商务局")
        await chat.expect_question("wang", "今天开展了集中宣传，发放资料300份", asks="什么地点")
        await chat.assert_reply("wang", "新华路商圈", startswith="已补充", contains="新华路商圈")
        assert chat.records("市商务局")[0].location == "新华路商圈"
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select

from bot.channels.wire import normalise, to_inbound, xml_fields
from bot.config import Settings
from bot.pipeline.group_commit import MessagePipeline
from bot.runtime import make_deps, open_database
from bot.sandbox.callbacks import message_xml, new_msg_id
from handlers.dispatcher import Dispatcher
from handlers.inbound import Inbound
from scheduler.clock import ManualClock
from storage.dialogs import DialogState
from storage.models import Activity, RecordStatus, Unit
from storage.outbox import OutboxMessage
from tests.harness import START, Row, invite_code_for, table_rows

FieldValue = str | int | float


class ChatTester:
    """The bot's message pipeline without its web server; WeCom users by default.

    ``clock`` is shared with whoever passes it in: a second tester on the same settings and
    clock is the same bot after a restart (the dialogs and records live in the database).
    """

    def __init__(self, settings: Settings, clock: ManualClock | None = None, channel: str = "wecom") -> None:
        self.settings = settings
        self.clock = clock or ManualClock(START)
        self.channel = channel
        self.db = open_database(settings, self.clock)
        self.deps = make_deps(settings)
        self.pipeline = MessagePipeline(self.db, Dispatcher(self.deps), self.clock)

    def __enter__(self) -> ChatTester:
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    # -- sending ---------------------------------------------------------------------------------

    async def send(self, user: str, msg_type: str, **fields: FieldValue) -> str:
        """Any message WeChat may deliver, with its fields named as in WeChat's XML (``Content``,
        ``Location_X``, ``Recognition``, ``Event``, …); the reply, or "" when the bot stays silent."""
        if msg_type != "event":
            # Unique across testers on one database, as WeChat's are: a reused id is a retry.
            fields = {"MsgId": new_msg_id(), **fields}
        raw = message_xml(self._receiver(), user, self.clock.now(), msg_type, fields)
        return await self.deliver(to_inbound(self.channel, normalise(xml_fields(raw)), raw))

    async def deliver(self, msg: Inbound) -> str:
        """An already built message through store → de-dupe → handle; a retry returns the stored reply."""
        return await self.pipeline.process(msg) or ""

    async def say(self, user: str, text: str) -> str:
        return await self.send(user, "text", Content=text)

    async def location(self, user: str, latitude: float, longitude: float, label: str = "") -> str:
        return await self.send(user, "location", Location_X=latitude, Location_Y=longitude, Scale=15, Label=label)

    async def photo(self, user: str, media_id: str = "") -> str:
        """An image message (the download is the media worker's, tested through the HTTP harness)."""
        media = media_id or f"media-{new_msg_id()}"
        return await self.send(user, "image", MediaId=media, PicUrl="http://127.0.0.1/unused.jpg")

    async def click(self, user: str, task_id: str, key: str, card_type: str = "button_interaction") -> str:
        """A tap on button ``key`` of template card ``task_id``, with a fresh ResponseCode."""
        code = f"code-{new_msg_id()}"
        fields = {"Event": "template_card_event", "EventKey": key, "TaskId": task_id, "CardType": card_type}
        return await self.send(user, "event", **fields, ResponseCode=code)

    # -- asserting -------------------------------------------------------------------------------

    async def assert_reply(
        self,
        user: str,
        text: str,
        *,
        contains: str | Iterable[str] = (),
        excludes: str | Iterable[str] = (),
        startswith: str | None = None,
        equals: str | None = None,
    ) -> str:
        """Say ``text`` as ``user`` and check the reply; returns it for further checks."""
        reply = await self.say(user, text)
        check_reply(reply, contains=contains, excludes=excludes, startswith=startswith, equals=equals)
        return reply

    async def expect_question(self, user: str, text: str, *, asks: str) -> str:
        """Say ``text``; the bot must answer with a question containing ``asks`` and wait for
        the answer (an open dialog for ``user``). Returns the question."""
        question = await self.assert_reply(user, text, contains=asks)
        assert self.dialog(user) is not None, f"no open dialog after the question {question!r}"
        return question

    async def bound(self, user: str, unit: str, role: str = "liaison") -> str:
        """Bind ``user`` to ``unit`` with its invite code, as a liaison would; the reply."""
        return await self.assert_reply(user, f"绑定 {self.code_for(unit, role)}", startswith="绑定成功")

    def code_for(self, unit: str, role: str = "liaison") -> str:
        return invite_code_for(self.deps, unit, role)

    # -- reading the database --------------------------------------------------------------------

    def rows(self, model: type[Row]) -> list[Row]:
        return table_rows(self.db, model)

    def records(self, unit: str | None = None, *, status: str | None = RecordStatus.ACTIVE) -> list[Activity]:
        """Activity records in filing order: of ``unit`` (by name) or all units; ``status=None``
        includes withdrawn ones."""
        query = select(Activity).order_by(col(Activity.id))
        if unit is not None:
            query = query.join(Unit).where(Unit.name == unit)
        if status is not None:
            query = query.where(Activity.status == status)
        return self.db.call(lambda session: list(session.exec(query).all()))

    def outbox(self, kind: str | None = None, recipient: str | None = None) -> list[OutboxMessage]:
        """Queued pushes in order, optionally of one ``kind`` or to one ``recipient``."""
        return [
            row
            for row in self.rows(OutboxMessage)
            if (kind is None or row.kind == kind) and (recipient is None or row.recipient == recipient)
        ]

    def dialog(self, user: str) -> DialogState | None:
        """The question ``user`` has open, if any (expired ones included: they are read lazily)."""
        return self.db.call(lambda session: session.get(DialogState, (self.channel, user)))

    def _receiver(self) -> str:
        channels = self.settings.channels
        return channels.wecom.corp_id if self.channel == "wecom" else channels.mp.app_id


def check_reply(
    reply: str,
    *,
    contains: str | Iterable[str] = (),
    excludes: str | Iterable[str] = (),
    startswith: str | None = None,
    equals: str | None = None,
) -> None:
    """Assert what a reply says; the failure shows the whole reply."""
    for part in _strings(contains):
        assert part in reply, f"{part!r} not in reply {reply!r}"
    for part in _strings(excludes):
        assert part not in reply, f"{part!r} in reply {reply!r}"
    if startswith is not None:
        assert reply.startswith(startswith), f"reply does not start with {startswith!r}: {reply!r}"
    if equals is not None:
        assert reply == equals, f"reply {reply!r} != {equals!r}"


def _strings(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
