"""Read a text before it reaches the database writer (see handlers.prereading for why).

The sender's unit is the guess handlers.sender_units keeps (for a sender not seen yet, a read on
the database's reader threads). A short text (most reports) is read on the event loop: handing it
to a thread and back costs more than reading it. A longer one is read on the loop's default
executor, so however slow it is it delays its own answer only: the writer thread, the event loop
and other senders' messages go on meanwhile.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from handlers.deps import Deps
from handlers.inbound import Inbound
from handlers.prereading import PreReading, needs_reading, read_text, sender_unit
from storage.db import Database

# Texts up to this long are read on the event loop: in the parser's corpus every one of them reads
# in under 1.4 ms (bench/parse.py's machine), so the loop is never held longer than that.
READ_ON_LOOP_MAX_CHARS = 300


async def pre_read(db: Database, deps: Deps, msg: Inbound, now: datetime) -> PreReading | None:
    """The message's reading, or None for what is not read (not text, empty, or too long)."""
    if not needs_reading(deps, msg):
        return None
    known, bound_unit = deps.sender_units.recall(msg.channel, msg.user_id)
    if not known:
        bound_unit = await db.read(lambda session: sender_unit(session, deps, msg))
        deps.sender_units.note(msg.channel, msg.user_id, bound_unit)
    text = msg.text
    if len(text) <= READ_ON_LOOP_MAX_CHARS:
        reading = read_text(deps, text, now, bound_unit)
    else:
        reading = await asyncio.get_running_loop().run_in_executor(None, read_text, deps, text, now, bound_unit)
    return PreReading(text, now, bound_unit, reading)
