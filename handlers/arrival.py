"""What the writer reads about a message's sender as the message arrives, in one SELECT.

Every message needs the sender's binding; most come from a sender no question is open for and with
no photo waiting to be attached. Asking both beside the binding saves the two look-ups that would
say so, on every message of the webhook's hot path (two round trips on PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, exists
from sqlmodel import Session

from handlers.binding import LIAISONS, SENDER_BY_USER, sender_of
from handlers.photos import waiting_photos
from handlers.router import Sender
from storage.dialogs import DialogState
from storage.direct import DirectStatement
from storage.engine import table_of

_DIALOGS = table_of(DialogState)
_ASKED = exists().where(_DIALOGS.c.channel == LIAISONS.c.channel, _DIALOGS.c.user_id == LIAISONS.c.user_id)
_PHOTOS_WAITING = exists().where(waiting_photos(LIAISONS.c.id, bindparam("photos_since")))
# Run for every message: straight on the driver's cursor (storage.direct).
_ARRIVAL = DirectStatement(SENDER_BY_USER.add_columns(_ASKED.label("asked"), _PHOTOS_WAITING.label("photos_waiting")))


@dataclass(frozen=True)
class Arrival:
    sender: Sender | None  # None: not bound
    asked: bool  # a question may be open for the sender (for a stranger: not known, so True)
    photos_waiting: bool  # photos of the sender's wait to be attached (a stranger has none)


def read_arrival(session: Session, channel: str, user_id: str, now: datetime, photo_window: timedelta) -> Arrival:
    """The sender's binding (as binding.load_sender reads it), and whether a question is open for
    them and photos of theirs wait, as the message's transaction sees them now."""
    session.flush()  # as the ORM's autoflush would: the SELECT sees what this session changed
    key = {"channel": channel, "user_id": user_id, "photos_since": now - photo_window}
    row = _ARRIVAL.first(session, key)
    if row is None:
        return Arrival(None, asked=True, photos_waiting=False)
    *_, asked, photos_waiting = row
    return Arrival(sender_of(row), asked=bool(asked), photos_waiting=bool(photos_waiting))
