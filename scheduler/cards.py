"""Template cards (WeCom 按钮交互型) as data: which pushes and questions carry buttons, and the
JSON WeCom's message/send takes for them.

A card's buttons say the same as the typed answers its text explains, so the Official Account
(which has no cards) and a member who prefers typing lose nothing. Button keys are
``<kind>:<answer>``; a click comes back as a ``template_card_event`` with that key as EventKey.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any

from storage.vocabulary import ActivityType


class CardKind(StrEnum):
    RSVP = "rsvp"  # the ceremony RSVP request and its chases
    ACTIVITY_TYPE = "type"  # the question after a report with no type
    SUMMARY = "summary"  # the summary reminders


class ButtonStyle(IntEnum):
    """WeCom's button styles: 1 blue (primary), 2 grey, 3 red, 4 plain."""

    PRIMARY = 1
    SECONDARY = 2
    WARNING = 3
    PLAIN = 4


class RsvpAnswer(StrEnum):
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


SUMMARY_SENT = "sent"


@dataclass(frozen=True)
class CardButton:
    key: str
    text: str
    style: ButtonStyle = ButtonStyle.PRIMARY

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "text": self.text, "style": int(self.style)}


@dataclass(frozen=True)
class Card:
    kind: CardKind
    title: str
    description: str  # the body under the title: the push's text
    buttons: tuple[CardButton, ...]

    def as_json(self, task_id: str) -> dict[str, Any]:
        """WeCom's ``template_card`` object for this card."""
        return {
            "card_type": "button_interaction",
            "main_title": {"title": self.title},
            "sub_title_text": self.description,
            "task_id": task_id,
            "button_list": [button.as_json() for button in self.buttons],
        }


def button_key(kind: CardKind, answer: str) -> str:
    return f"{kind}:{answer}"


def parse_key(key: str | None) -> tuple[CardKind, str] | None:
    """(kind, answer) of a click's EventKey; None for a key no card of ours has."""
    kind, _, answer = (key or "").partition(":")
    try:
        return CardKind(kind), answer
    except ValueError:
        return None


# WeCom: "main_title.title 建议不超过26个字", "sub_title_text 建议不超过112个字".
TITLE_CHARS, DESCRIPTION_CHARS = 26, 112


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def rsvp_card(title: str, text: str) -> Card:
    return Card(
        CardKind.RSVP,
        _short(title, TITLE_CHARS),
        _short(text, DESCRIPTION_CHARS),
        (
            CardButton(button_key(CardKind.RSVP, RsvpAnswer.YES), "参加", ButtonStyle.PRIMARY),
            CardButton(button_key(CardKind.RSVP, RsvpAnswer.NO), "不参加", ButtonStyle.WARNING),
            CardButton(button_key(CardKind.RSVP, RsvpAnswer.MAYBE), "待定", ButtonStyle.SECONDARY),
        ),
    )


def summary_card(title: str, text: str) -> Card:
    return Card(
        CardKind.SUMMARY,
        _short(title, TITLE_CHARS),
        _short(text, DESCRIPTION_CHARS),
        (CardButton(button_key(CardKind.SUMMARY, SUMMARY_SENT), "已发送总结"),),
    )


def activity_type_card(description: str) -> Card:
    """The types the question offers as buttons (WeCom allows at most 6: the six fit exactly;
    the ceremony is never asked about)."""
    return Card(
        CardKind.ACTIVITY_TYPE,
        "请选择活动类型",
        _short(description, DESCRIPTION_CHARS),
        tuple(
            CardButton(button_key(CardKind.ACTIVITY_TYPE, kind), kind.label, ButtonStyle.SECONDARY)
            for kind in ActivityType
            if kind.terms.asked
        ),
    )


def task_id_for(outbox_key: str) -> str:
    """A WeCom task_id for the card an outbox row carries: unique per app, at most 128 bytes of
    [A-Za-z0-9_-@] (a userid may hold other characters), the same for the same row, so a resend
    after a crash names the same task."""
    return "wb-" + hashlib.sha256(outbox_key.encode()).hexdigest()[:40]
