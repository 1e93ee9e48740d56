"""Firing a planned push: evaluate its audience now and queue one outbox row per recipient.

A push fires at most once (``FiredPush``), all in one transaction with its rows, so a crash
either leaves it unfired (it fires on restart, if still useful) or fully queued (the sender
finishes it). Row keys are ``{push.key}:{channel}:{user_id}``: a second firing by another
process, or an overlap with an admin's manual request, cannot queue the same message twice.

Pushes of the kinds a group robot is configured for also go to the campaign's group chat: one
more "recipient", ``group_robot:<robot id>``, in the same transaction and under the same keys.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlmodel import Session

from scheduler.audiences import Recipient, resolve
from scheduler.campaign import ContactConfig
from scheduler.cards import Card, task_id_for
from scheduler.digest import Digest, DigestSettings, DigestWriter
from scheduler.plan import PlannedPush, PushKind
from storage.campaign_status import FiredPush, claim_push
from storage.cards import add_task
from storage.db import Database
from storage.models import ChannelKind
from storage.outbox import put
from storage.push_skips import is_skipped

log = logging.getLogger(__name__)

IMAGE_TEXT = "（图片）"


@dataclass(frozen=True)
class CardPush:
    """A push sent as a template card on WeCom: the card, until when a click on it counts, and
    what the click needs to know (e.g. the activity a type question is about)."""

    card: Card
    until: datetime
    data: dict[str, object] = field(default_factory=dict)


# Channels whose readers also get the digest's collage as an image message (the Official Account
# client has no media upload: its readers get the text only).
IMAGE_CHANNELS = frozenset({ChannelKind.WECOM, ChannelKind.GROUP_ROBOT})


FIRST_LINE_CHARS = 60


def first_line(text: str) -> str:
    """A message's first non-empty line, cut to FIRST_LINE_CHARS (for a log line)."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= FIRST_LINE_CHARS else line[: FIRST_LINE_CHARS - 1] + "…"


class FiringSettings(DigestSettings, Protocol):
    @property
    def contact(self) -> ContactConfig: ...


@dataclass(frozen=True)
class GroupRobotRoute:
    """Which pushes also go to the group chat's robot ([group_robot] kinds), and which robot."""

    robot_id: str  # scheduler.delivery.robot_id(key)
    kinds: frozenset[PushKind]


def queue(
    session: Session,
    *,
    key: str,
    kind: str,
    recipients: Sequence[Recipient],
    text: str,
    now: datetime,
    not_after: datetime | None,
    image: Path | None = None,
    card: CardPush | None = None,
) -> int:
    """One outbox row per recipient (plus an image row for WeCom recipients); returns rows written.

    With a ``card``, WeCom recipients get it as a template card (its task recorded with the row);
    the Official Account gets the text.
    """
    written = 0
    for who in recipients:
        extra: dict[str, object] = {"unit": who.unit} if who.unit else {}
        row_key = f"{key}:{who.channel}:{who.user_id}"
        if card is not None and who.channel == ChannelKind.WECOM:
            task_id = task_id_for(row_key)
            extra["card"] = card.card.as_json(task_id)
            add_task(
                session,
                task_id=task_id,
                channel=who.channel,
                user_id=who.user_id,
                kind=card.card.kind,
                now=now,
                expires_at=card.until,
                data=card.data,
            )
        rows = [(row_key, text, extra)]
        if image is not None and who.channel in IMAGE_CHANNELS:
            rows.append((f"{key}:image:{who.channel}:{who.user_id}", IMAGE_TEXT, {**extra, "image": str(image)}))
        for row_key, row_text, row_extra in rows:
            written += put(
                session,
                key=row_key,
                kind=kind,
                channel=who.channel,
                recipient=who.user_id,
                text=row_text,
                now=now,
                not_after=not_after,
                extra=row_extra,
            )
    return written


class PushFiring:
    def __init__(
        self,
        db: Database,
        settings: FiringSettings,
        digests: DigestWriter,
        collage_dir: Path,
        deadline: datetime,
        group_robot: GroupRobotRoute | None = None,
    ) -> None:
        self.group_robot = group_robot
        self.db = db
        self.settings = settings
        self.digests = digests
        self.collage_dir = collage_dir
        self.deadline = deadline

    async def fire(self, push: PlannedPush, now: datetime) -> int | None:
        """Queue the push's messages; None if it had already fired or is no longer useful."""
        return await self.db.run(lambda session: self.fire_in(session, push, now))

    def fire_in(self, session: Session, push: PlannedPush, now: datetime) -> int | None:
        if now >= push.expires_at:
            log.info("push %s not sent: its time passed while the service was down", push.key)
            return None
        if is_skipped(session, push.key):
            # Not claimed: the desk tells a skipped push from a fired one by its FiredPush row.
            log.info("push %s not sent: the contact person skipped it", push.key)
            return None
        if not claim_push(session, push.key, push.kind, now):
            return None
        resolved = resolve(session, push.audience, push.at.date(), self.settings.units, self.settings.contact)
        digest = self.compose(session, push, now)
        image = self.save_collage(push.key, digest.image) if digest.image else None
        written = queue(
            session,
            key=push.key,
            kind=push.kind,
            recipients=resolved.recipients,
            text=digest.text,
            now=now,
            not_after=push.expires_at,
            image=image,
            card=CardPush(push.card, push.card_until or push.expires_at) if push.card else None,
        )
        if self.group_robot is not None and push.kind in self.group_robot.kinds:
            written += queue(
                session,
                key=push.key,
                kind=push.kind,
                recipients=[Recipient(ChannelKind.GROUP_ROBOT, self.group_robot.robot_id)],
                text=digest.for_group,
                now=now,
                not_after=push.expires_at,
                image=image,
            )
        fired = session.get(FiredPush, push.key)
        if fired is not None:
            fired.recipients = len(resolved.recipients)
            session.add(fired)
        # One line a rehearsal's watcher can follow: what went out, to whom, and how it starts.
        log.info(
            "push %s fired: %s to %s, %d recipients, %d units without a liaison: %s",
            push.key,
            push.kind,
            push.audience,
            len(resolved.recipients),
            len(resolved.unreached),
            first_line(digest.text),
        )
        return written

    def compose(self, session: Session, push: PlannedPush, now: datetime) -> Digest:
        """The message text (and collage) as of now: digests and the rollup read today's data."""
        campaign = self.settings.campaign
        if push.kind == PushKind.DIGEST:
            day = push.at.date()
            if campaign.week_start <= day <= campaign.week_end:
                return self.digests.day_digest(session, day, now)
            return self.digests.week_digest(session, now)
        if push.kind == PushKind.FINAL_ROLLUP:
            return self.digests.final_rollup(session, self.deadline, now)
        return Digest(push.text)

    def save_collage(self, key: str, image: bytes) -> Path:
        self.collage_dir.mkdir(parents=True, exist_ok=True)
        path = self.collage_dir / (key.replace(":", "_") + ".jpg")
        path.write_bytes(image)
        return path
