"""Freshness and replay check for callbacks whose signature does not cover the body.

The Official Account's plaintext mode signs token, timestamp and nonce only. A post is accepted
when its timestamp is within the window of the injected Clock, and its (timestamp, nonce) pair
has not already carried another message. Decoding is synchronous and database-free; this check
needs the database, so the receive route runs it after decode and before the pipeline stores
anything (bot.web.app).

Why the pair is remembered *with the message* rather than simply once: WeChat re-sends the very
same request (same query, same body) when it gets no answer within 5 s, up to three times. A
"once only" rule would answer those retries 403 although the first delivery may never have been
answered, and the report would be lost. So the same pair is accepted again for the same message
(the same dedupe key: MsgId, or sender + CreateTime + Event) and the pipeline's de-duplication
answers it with the stored reply, while the pair with any other message (a forged body under a
captured query) is refused. What a replay of the same message can do is only what a retry does:
nothing new.
"""

from __future__ import annotations

from bot.channels.wire import MAX_ID_LENGTH, SignedNonce, bad_request, forbidden
from scheduler.clock import Clock
from storage.callback_nonces import claim_nonce
from storage.db import Database


class ReplayGuard:
    def __init__(self, db: Database, clock: Clock, window_seconds: int) -> None:
        self.db = db
        self.clock = clock
        self.window_seconds = window_seconds

    async def admit(self, channel: str, signed: SignedNonce, dedupe_key: str) -> None:
        """Return if the post is fresh and its pair is new or this message's own; else raise 403."""
        try:
            timestamp = int(signed.timestamp)
        except ValueError:
            raise bad_request("timestamp is not a number") from None
        if len(signed.nonce) > MAX_ID_LENGTH:
            raise bad_request("nonce is too long")
        now = self.clock.now()
        if abs(now.timestamp() - timestamp) > self.window_seconds:
            raise forbidden(f"timestamp outside the {self.window_seconds} s window")
        admitted = await self.db.run(
            lambda session: claim_nonce(
                session,
                channel=channel,
                timestamp=timestamp,
                nonce=signed.nonce,
                dedupe_key=dedupe_key,
                now=now,
                forget_before=int(now.timestamp()) - self.window_seconds,
            )
        )
        if not admitted:
            raise forbidden("timestamp and nonce already used for another message")
