"""The normalised inbound message every channel adapter produces and every handler consumes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cached_property


class MessageKind(StrEnum):
    """``Inbound.msg_type`` values the handlers act on (WeChat may send others; they are kept as sent)."""

    TEXT = "text"
    VOICE = "voice"  # with WeChat's Recognition as its text when speech recognition is on
    IMAGE = "image"
    LOCATION = "location"
    LINK = "link"
    EVENT = "event"


# Messages that carry words the parser can read.
TEXTUAL: tuple[MessageKind, ...] = (MessageKind.TEXT, MessageKind.VOICE)


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    label: str


@dataclass(frozen=True)
class Link:
    title: str
    description: str
    url: str


@dataclass(frozen=True)
class CardClick:
    """A WeCom template_card_event: which card (its task), and the code to update it with."""

    task_id: str
    card_type: str
    response_code: str


@dataclass(frozen=True)
class Inbound:
    channel: str  # a ChannelKind: wecom | mp
    user_id: str  # WeCom userid or Official Account openid
    msg_type: str  # a MessageKind, or anything else WeChat sends
    dedupe_key: str  # MsgId, or FromUserName + CreateTime + Event for events
    created_at: datetime  # WeChat's CreateTime, Asia/Shanghai
    raw_xml: str
    content: str = ""  # text, or a voice message's Recognition
    media_id: str | None = None
    pic_url: str | None = None
    location: Location | None = None
    link: Link | None = None
    event: str | None = None
    event_key: str | None = None
    card: CardClick | None = None  # event template_card_event

    @cached_property  # read by a score of the router's filters for every text
    def text(self) -> str:
        return self.content.strip()
