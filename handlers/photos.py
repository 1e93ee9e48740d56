"""Photo intake on the hot path: store a pending photo, queue its download, attach it.

The webhook must answer within 5 s and make no outbound call, so the image itself is fetched
and processed by bot.workers.media from the job queued here. A photo attaches to the sender's open
record (reported within the window), or waits for the report that follows within the window
(photos often arrive first), or is attached by hand with 图 N.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, or_, update
from sqlmodel import col, select

from handlers.inbound import MessageKind
from handlers.records import latest_numbered, open_record_snapshot, record_number
from handlers.router import Command, Context, MsgType, Router, required
from storage.direct import DirectInsert
from storage.engine import table_of
from storage.jobs import JobKind, enqueue
from storage.models import Activity
from storage.photos import Photo, PhotoStatus
from storage.wording import say_activity

router = Router("photos")

LIVE = (PhotoStatus.PENDING, PhotoStatus.READY)
_PHOTOS = table_of(Photo)


def waiting_photos(liaison: Any, since: Any) -> ColumnElement[bool]:
    """A liaison's live photos attached to no record, received since ``since``: one condition for
    the 图 N query and the hot path's UPDATE (which passes bind parameters)."""
    return and_(
        _PHOTOS.c.liaison_id == liaison,
        _PHOTOS.c.activity_id.is_(None),
        # Not IN (…): an IN list is expanded into the SQL at every execution; equalities are compiled once.
        or_(*(_PHOTOS.c.status == str(status) for status in LIVE)),
        _PHOTOS.c.created_at >= since,
    )


# Photos come in bursts (nine at a time from a phone's album): stored straight on the driver's
# cursor (storage.direct), as reports are.
_INSERT_PHOTO = DirectInsert(Photo)


@router.message(MsgType(MessageKind.IMAGE))
def on_image(ctx: Context) -> str:
    sender = required(ctx.sender, "the sender (route not behind Bound)")
    record = open_record_snapshot(ctx)
    photo = {
        "unit_id": sender.unit.id,
        "liaison_id": sender.liaison_id,
        "message_id": ctx.message_id,
        "activity_id": record.id if record else None,
        "created_at": ctx.now,
    }
    photo_id = _INSERT_PHOTO.new_id(ctx.session, photo)
    payload = {"photo_id": photo_id, "channel": ctx.msg.channel, "user_id": ctx.msg.user_id}
    payload |= {"media_id": ctx.msg.media_id, "pic_url": ctx.msg.pic_url}
    enqueue(ctx.session, JobKind.PHOTO, payload, ctx.now)
    if record is not None:
        return f"图片已收到，关联到：{say_activity(record)}"
    return which_record(ctx)


RECENT_CHOICES = 3


def which_record(ctx: Context) -> str:
    """No open record: ask which one the photo belongs to, naming the latest few by number."""
    minutes = ctx.deps.photo_window_minutes
    waiting = f"图片已收到。如果是新活动，{minutes}分钟内发文字报送，会自动关联这张图片。"
    records = latest_numbered(ctx, RECENT_CHOICES)
    if not records:
        return waiting
    choices = [f"{n}. {say_activity(a)}" for n, a in records]
    return "\n".join([waiting, "如果属于已报送的记录，请回复“图 序号”：", *choices])


def unattached_photos(ctx: Context, within: timedelta) -> list[Photo]:
    """The sender's photos not yet attached to a record, received within `within`, oldest first."""
    if ctx.liaison is None:
        return []
    waiting = select(Photo).where(waiting_photos(ctx.liaison.id, ctx.now - within)).order_by(col(Photo.id))
    return list(ctx.session.exec(waiting).all())


# Run for reports on the webhook's hot path, so built once, in Core.
_ATTACH_WAITING = (
    update(_PHOTOS)
    .where(waiting_photos(bindparam("liaison"), bindparam("since")))
    .values(activity_id=bindparam("record"))
)


def attach_waiting_photos(ctx: Context, record: Activity) -> int:
    """Attach the sender's photos still waiting within the window to ``record``."""
    if ctx.sender is None or not ctx.photos_waiting:  # almost every report: none (handlers.arrival)
        return 0
    since = ctx.now - timedelta(minutes=ctx.deps.photo_window_minutes)
    waiting = {"liaison": ctx.sender.liaison_id, "since": since, "record": record.id}
    return int(ctx.session.connection().execute(_ATTACH_WAITING, waiting).rowcount)


@router.message(Command("图", "图片"))
def on_attach_by_number(ctx: Context) -> str:
    args = ctx.args
    if not args.isdecimal():
        return "请回复“图 序号”，序号见“我的”列表。"
    record = record_number(ctx, int(args))
    if record is None:
        return f"没有第{args}条记录，发“我的”查看序号。"
    photos = unattached_photos(ctx, timedelta(hours=24))
    if not photos:
        return "没有待关联的图片。"
    for photo in photos:
        photo.activity_id = record.id
        ctx.session.add(photo)
    return f"已将{len(photos)}张图片关联到第{args}条：{say_activity(record)}"
