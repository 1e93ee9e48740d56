"""Background worker for the job table: download and process photos off the webhook's hot path.

For each queued "photo" job: fetch the bytes (WeCom media/get, or the Official Account's media/get
or PicUrl) through the async API client, process them with Pillow in a thread (verify, orient,
web copy, thumbnail, EXIF time, perceptual hash), store the files, and settle the Photo row:
ready, duplicate of an earlier photo of the same unit (attached once), or rejected. Outcomes the
sender should know about (not an image, a duplicate, taken outside the campaign) become outbox
messages. Jobs survive restarts (see storage.jobs).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.wechat_api import Media, WeChatAPIError
from scheduler.clock import Clock
from scheduler.heartbeat import Heartbeat
from scheduler.plan import AdHocPush
from storage import jobs
from storage.db import Database
from storage.imaging import SAME_PHOTO_DISTANCE, NotAnImage, ProcessedPhoto, hamming, process_photo
from storage.models import ChannelKind
from storage.outbox import put
from storage.photo_store import PhotoStore, StoredPaths
from storage.photos import Photo, PhotoStatus
from storage.retry_schedule import RetrySchedule
from storage.wording import say_date

log = logging.getLogger(__name__)

# (channel, media_id, pic_url) -> the media's bytes
Fetch = Callable[[str, str | None, str | None], Awaitable[Media]]
# A download that failed (after the API client's own quick retries): 30 s, 1, 2, 4 minutes later.
DOWNLOAD_RETRY = RetrySchedule(timedelta(seconds=30), timedelta(minutes=10), max_attempts=5)


class MediaWorker:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        fetch: Fetch,
        store: PhotoStore,
        campaign_days: tuple[date, date],
        poll_seconds: float = 0.5,
    ) -> None:
        self.db = db
        self.clock = clock
        self.fetch = fetch
        self.store = store
        self.campaign_days = campaign_days
        self.poll_seconds = poll_seconds
        self.heartbeat = Heartbeat()

    async def run_forever(self) -> None:
        while True:
            self.heartbeat.beat()
            try:
                worked = await self.run_once()
            except Exception:
                log.exception("media worker step failed")
                worked = False
            if not worked:
                await asyncio.sleep(self.poll_seconds)

    async def run_until_idle(self) -> int:
        """Process jobs until none is runnable now; returns how many ran (tests, demo)."""
        count = 0
        while await self.run_once():
            count += 1
        return count

    async def run_once(self) -> bool:
        job = await self.db.run(lambda s: jobs.claim_next(s, self.clock.now()))
        if job is None:
            return False
        assert job.id is not None
        job_id, payload = job.id, dict(job.payload)
        try:
            media = await self.fetch(payload["channel"], payload.get("media_id"), payload.get("pic_url"))
        except WeChatAPIError as exc:
            error = str(exc)
            retry = DOWNLOAD_RETRY.delay_after(job.attempts)
            await self.db.run(lambda s: jobs.fail(s, job_id, error, self.clock.now(), retry_in=retry))
            if retry is None:
                await self.db.run(lambda s: self._settle_unfetchable(s, payload))
            return True
        outcome = await asyncio.get_running_loop().run_in_executor(None, self._process, media.data)
        await self.db.run(lambda s: self._settle(s, job_id, payload, outcome))
        return True

    def _process(self, data: bytes) -> tuple[ProcessedPhoto, StoredPaths] | NotAnImage:
        try:
            processed = process_photo(data)
        except NotAnImage as refusal:
            return refusal
        return processed, self.store.save(processed)

    def _settle(
        self, session: Session, job_id: int, payload: dict[str, Any], outcome: tuple[ProcessedPhoto, StoredPaths] | Any
    ) -> None:
        now = self.clock.now()
        photo = session.get(Photo, payload["photo_id"])
        jobs.finish(session, job_id, now)
        if photo is None:
            return
        if isinstance(outcome, NotAnImage):
            photo.status, photo.note, photo.activity_id = PhotoStatus.REJECTED, outcome.message, None
            self._tell(session, payload, photo, "rejected", f"刚才的文件无法作为图片使用：{outcome.message}")
            session.add(photo)
            return
        processed, paths = outcome
        photo.sha256, photo.phash = processed.sha256, processed.phash
        photo.width, photo.height, photo.taken_at = processed.width, processed.height, processed.taken_at
        photo.original_path, photo.web_path, photo.thumb_path = paths.original, paths.web, paths.thumb
        twin = self._twin(session, photo)
        if twin is not None:
            photo.status, photo.activity_id = PhotoStatus.DUPLICATE, None
            photo.note = f"与第{twin.id}号图片相同"
            self._tell(session, payload, photo, "duplicate", "这张图片之前已经收到过，不再重复关联。")
            session.add(photo)
            return
        photo.status = PhotoStatus.READY
        first, last = self.campaign_days
        if processed.taken_at is not None and not first <= processed.taken_at.date() <= last:
            photo.outside_campaign = True
            photo.note = "拍摄日期不在活动期间"
            taken = say_date(processed.taken_at.date())
            self._tell(session, payload, photo, "outside", f"这张图片拍摄于{taken}，不在活动期间，已标记供联系人核对。")
        session.add(photo)

    @staticmethod
    def _twin(session: Session, photo: Photo) -> Photo | None:
        """An earlier ready photo of the same unit that is the same picture."""
        others = session.exec(
            select(Photo).where(
                Photo.unit_id == photo.unit_id, Photo.status == PhotoStatus.READY, col(Photo.id) != photo.id
            )
        ).all()
        for other in others:
            if other.sha256 == photo.sha256 or hamming(other.phash, photo.phash) <= SAME_PHOTO_DISTANCE:
                return other
        return None

    def _settle_unfetchable(self, session: Session, payload: dict[str, Any]) -> None:
        photo = session.get(Photo, payload["photo_id"])
        if photo is not None:
            photo.status, photo.note, photo.activity_id = PhotoStatus.REJECTED, "下载失败", None
            session.add(photo)
            self._tell(session, payload, photo, "unfetchable", "刚才的图片没能下载成功，请重新发送一次。")

    def _tell(self, session: Session, payload: dict[str, Any], photo: Photo, outcome: str, text: str) -> None:
        put(
            session,
            key=f"photo:{photo.id}:{outcome}",
            kind=AdHocPush.PHOTO_NOTICE,
            channel=payload["channel"],
            recipient=payload["user_id"],
            text=text,
            now=self.clock.now(),
        )


def make_fetch(wecom: Any | None, mp: Any | None) -> Fetch:
    """A Fetch over the outbound clients (WeComClient / OfficialAccountClient)."""

    async def fetch(channel: str, media_id: str | None, pic_url: str | None) -> Media:
        if channel == ChannelKind.WECOM and wecom is not None and media_id:
            return await wecom.get_media(media_id)
        if channel == ChannelKind.MP and mp is not None:
            if media_id:
                return await mp.get_media(media_id)
            if pic_url:
                return await mp.download(pic_url)
        raise WeChatAPIError(None, f"no way to fetch media on {channel}", "media/get")

    return fetch
