"""What handlers need from configuration, gathered once at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from handlers.menu_clicks import MenuClick
from handlers.parsing.directory import UnitDirectory
from handlers.sender_units import SenderUnits
from scheduler.campaign import CampaignConfig, CeremonyConfig, ContactConfig, UnitConfig


@dataclass(frozen=True)
class Deps:
    campaign: CampaignConfig
    ceremony: CeremonyConfig
    contact: ContactConfig
    units: tuple[UnitConfig, ...]
    directory: UnitDirectory
    invite_secret: str
    # Where the web desk answers (server.public_url and the prefix the bot mounts it at): 后台
    # login links are <desk_url>/login/<token>; and how long they work.
    desk_url: str
    login_link_minutes: int
    photo_window_minutes: int = 30
    question_timeout_minutes: int = 60
    # A longer text is stored but not read (see handlers.prereading).
    max_text_chars: int = 3000
    # App menu click keys ([[menu.buttons]]) and the commands they stand for.
    menu_clicks: Mapping[str, MenuClick] = field(default_factory=dict)
    # Not configuration but this process's memory of who is bound where (the one mutable part):
    # the pre-reading's guess (see handlers.prereading).
    sender_units: SenderUnits = field(default_factory=SenderUnits, compare=False, repr=False)
