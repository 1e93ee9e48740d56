"""Wiring: one place that turns Settings + a Clock into the running pieces."""

from __future__ import annotations

from dataclasses import dataclass

from bot.channels.mp import OfficialAccountChannel
from bot.channels.wecom import WeComChannel
from bot.config import DASHBOARD_PREFIX, Settings
from bot.database import open_database
from bot.exports import ExportSource
from bot.pipeline.group_commit import MessagePipeline
from bot.web.app import Channel
from bot.web.health import HealthMonitor
from handlers.deps import Deps
from handlers.dispatcher import Dispatcher
from handlers.menu_clicks import MenuClick
from handlers.parsing.directory import UnitDirectory
from scheduler.clock import Clock
from storage.db import Database
from storage.models import ChannelKind
from storage.photo_store import PhotoStore


def make_deps(settings: Settings) -> Deps:
    return Deps(
        campaign=settings.campaign,
        ceremony=settings.ceremony,
        contact=settings.contact,
        units=settings.units,
        directory=UnitDirectory(settings.units),
        invite_secret=settings.binding.invite_secret,
        desk_url=settings.server.public_url.rstrip("/") + DASHBOARD_PREFIX,
        login_link_minutes=settings.dashboard.login_link_minutes,
        photo_window_minutes=settings.dialog.photo_window_minutes,
        question_timeout_minutes=settings.dialog.question_timeout_minutes,
        max_text_chars=settings.dialog.max_text_chars,
        menu_clicks={
            key: MenuClick(button.name, button.command.strip(), button.contact_only)
            for key, button in settings.menu.clicks().items()
        },
    )


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    db: Database
    deps: Deps
    pipeline: MessagePipeline
    channels: dict[ChannelKind, Channel]
    health: HealthMonitor

    @classmethod
    def create(cls, settings: Settings, clock: Clock, db: Database | None = None) -> Runtime:
        db = db or open_database(settings, clock)
        deps = make_deps(settings)
        channels: dict[ChannelKind, Channel] = {}
        if settings.channels.wecom.enabled:
            channels[ChannelKind.WECOM] = WeComChannel(settings.channels.wecom)
        if settings.channels.mp.enabled:
            channels[ChannelKind.MP] = OfficialAccountChannel(settings.channels.mp)
        pipeline = MessagePipeline(db, Dispatcher(deps), clock, max_batch=settings.storage.max_batch)
        return cls(settings, clock, db, deps, pipeline, channels, HealthMonitor(db, clock))

    @property
    def photos(self) -> PhotoStore:
        return PhotoStore(self.settings.data_dir / "photos")

    def export_source(self) -> ExportSource:
        return ExportSource(self.db, self.settings, self.photos, self.clock)

    def close(self) -> None:
        self.health.close()
        self.db.close()
