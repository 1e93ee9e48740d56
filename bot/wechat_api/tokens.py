"""Access tokens shared through the database, refreshed by one caller at a time.

WeChat allows a few thousand token fetches a day per app and every fetch may invalidate the
previous token, so all processes share one row per app in ``AccessToken``. Inside a process an
asyncio.Lock per app serialises callers; across processes a short lease (``refreshing_until``)
decides who fetches while the others poll the row for the new token.
"""

from __future__ import annotations

import asyncio
import logging
import math
import tempfile
from collections import defaultdict
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from scheduler.clock import Clock, SystemClock
from storage.db import Database
from storage.models import AccessToken

log = logging.getLogger(__name__)

TokenFetcher = Callable[[], Awaitable[tuple[str, int]]]


class TokenCache:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        refresh_margin: timedelta = timedelta(minutes=5),
        lease: timedelta = timedelta(seconds=15),
        poll_interval: float = 0.2,
    ) -> None:
        self._db = db
        self._clock = clock
        self._refresh_margin = refresh_margin
        self._lease = lease
        self._poll_interval = poll_interval
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def get(self, app_key: str, fetch: TokenFetcher) -> str:
        """A token valid for more than refresh_margin, from the database or from ``fetch()``."""
        token = await self._db.run(partial(self._read_fresh, app_key=app_key, now=self._clock.now()))
        if token:
            return token
        async with self._locks[app_key]:
            # Poll for about one lease; if the clock does not move (virtual time) or the holder
            # hangs, take over rather than wait forever.
            polls_left = math.ceil(self._lease.total_seconds() / self._poll_interval)
            while True:
                now = self._clock.now()
                token, leased = await self._db.run(partial(self._fresh_or_lease, app_key=app_key, now=now))
                if token:
                    return token
                if leased or polls_left <= 0:
                    return await self._refresh(app_key, fetch)
                polls_left -= 1
                await asyncio.sleep(self._poll_interval)

    async def invalidate(self, app_key: str, token: str) -> None:
        """Forget ``token`` (rejected by the API) unless another caller has already replaced it."""

        def forget(session: Session) -> None:
            session.exec(
                update(AccessToken)
                .where(col(AccessToken.app_key) == app_key, col(AccessToken.token) == token)
                .values(token="", expires_at=None)
            )

        await self._db.run(forget)

    def _read_fresh(self, session: Session, app_key: str, now: datetime) -> str | None:
        row = session.get(AccessToken, app_key)
        if row and row.token and row.expires_at and row.expires_at > now + self._refresh_margin:
            return row.token
        return None

    def _fresh_or_lease(self, session: Session, app_key: str, now: datetime) -> tuple[str | None, bool]:
        """In one transaction: the fresh token if there is one, else whether we won the lease."""
        dialect = sqlite if self._db.is_sqlite else postgresql
        session.exec(dialect.insert(AccessToken).values(app_key=app_key).on_conflict_do_nothing())
        token = self._read_fresh(session, app_key, now)
        if token:
            return token, False
        # The lease is won only while the token is still stale: on PostgreSQL the holder may
        # commit its fresh token (and clear its lease) between our read and this update, which
        # then sees the new row; without the staleness test we would fetch a second token.
        won = session.exec(
            update(AccessToken)
            .where(
                col(AccessToken.app_key) == app_key,
                or_(col(AccessToken.refreshing_until).is_(None), col(AccessToken.refreshing_until) < now),
                or_(
                    col(AccessToken.token) == "",
                    col(AccessToken.expires_at).is_(None),
                    col(AccessToken.expires_at) <= now + self._refresh_margin,
                ),
            )
            .values(refreshing_until=now + self._lease)
        )
        return None, won.rowcount == 1

    async def _refresh(self, app_key: str, fetch: TokenFetcher) -> str:
        try:
            token, expires_in = await fetch()
        except BaseException:
            await self._db.run(lambda s: self._release_lease(s, app_key))
            raise
        expires_at = self._clock.now() + timedelta(seconds=expires_in)

        def store(session: Session) -> None:
            session.exec(
                update(AccessToken)
                .where(col(AccessToken.app_key) == app_key)
                .values(token=token, expires_at=expires_at, refreshing_until=None)
            )

        await self._db.run(store)
        log.info("access token for %s refreshed, valid %d s", app_key, expires_in)
        return token

    @staticmethod
    def _release_lease(session: Session, app_key: str) -> None:
        session.exec(update(AccessToken).where(col(AccessToken.app_key) == app_key).values(refreshing_until=None))


def throwaway_token_cache(stack: AsyncExitStack, purpose: str) -> TokenCache:
    """A token cache in a temporary SQLite file, gone when ``stack`` closes: for one-off commands
    (`check --online`, `menu install`) that may run beside the service and must not disturb the
    token row it uses, and that should prove the credentials by fetching a token of their own."""
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"weekbot-{purpose}-")))
    db = Database(f"sqlite:///{workdir / 'tokens.db'}")
    stack.callback(db.close)
    db.create_all()
    return TokenCache(db, SystemClock())
