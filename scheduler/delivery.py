"""What the outbox sender needs from a messaging platform, stated here so the scheduler does not
depend on the client that provides it (bot.wechat_api implements these)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from storage.models import ChannelKind

# The WeChat / WeCom errcodes weekbot reacts to, all in this one place: the scheduler (sender,
# digest) reads them here, and the API client above (bot.wechat_api) and its preflight checks too.
SYSTEM_BUSY = -1  # transient on WeChat's side
FREQUENCY_LIMITED = 45009  # the app's call quota: try again later
OUTSIDE_SERVICE_WINDOW = 45015  # Official Account: the user has not written to us in the last 48 h
ALL_RECIPIENTS_INVALID = 81013  # none of the recipients is a member of the app
INVALID_OPENID = 40003  # Official Account: no such follower
# The access token was rejected: drop it, fetch a new one, try again.
INVALID_CREDENTIAL = 40001
INVALID_ACCESS_TOKEN = 40014
ACCESS_TOKEN_EXPIRED = 42001
TOKEN_ERRCODES = frozenset({INVALID_CREDENTIAL, INVALID_ACCESS_TOKEN, ACCESS_TOKEN_EXPIRED})
# user/get for a member outside the app's visible range / for a userid the company does not have.
OUTSIDE_VISIBLE_RANGE = 60011
NO_SUCH_USER = 60111
# "This person cannot be reached" rather than "the send broke" (the digest tells them apart).
UNREACHABLE_ERRCODES = frozenset({OUTSIDE_SERVICE_WINDOW, ALL_RECIPIENTS_INVALID, INVALID_OPENID})


# The outbox channel of a WeCom group chat's robot (群机器人); a row's recipient is robot_id(key).
GROUP_ROBOT = ChannelKind.GROUP_ROBOT


def robot_id(key: str) -> str:
    """Names a robot in outbox rows and keys without storing its key (a secret): a new key is a
    new robot, whose pushes are new rows."""
    return "robot-" + hashlib.sha256(key.strip().encode()).hexdigest()[:16]


class DeliveryError(Exception):
    """A send failed. errcode is WeChat's, or None when the failure was HTTP or the network;
    retried is True when the client already retried and gave up."""

    errcode: int | None = None
    retried: bool = False


@dataclass(frozen=True)
class SendResult:
    """What WeCom reported over all batches: userids it could not deliver to, and message ids."""

    invalid_users: tuple[str, ...] = ()
    msgids: tuple[str, ...] = ()


@dataclass(frozen=True)
class CardSent:
    """message/send of a template card: the ResponseCode that may update it once, within 72 h."""

    response_code: str
    invalid_users: tuple[str, ...] = ()


class WeComSending(Protocol):
    async def send_text(
        self, touser: Sequence[str], content: str, *, duplicate_check_seconds: int | None = None
    ) -> SendResult: ...
    async def send_image(
        self, touser: Sequence[str], media_id: str, *, duplicate_check_seconds: int | None = None
    ) -> SendResult: ...
    async def upload_image(self, data: bytes, filename: str) -> str: ...
    async def send_template_card(self, touser: str, card: dict[str, Any]) -> CardSent: ...
    async def update_template_card(self, userids: Sequence[str], response_code: str, replace_name: str) -> None: ...


class OfficialAccountSending(Protocol):
    async def send_custom_text(self, openid: str, content: str) -> None: ...
    async def send_template(
        self, openid: str, template_id: str, data: dict[str, Any], url: str | None = None
    ) -> int: ...


class GroupRobotSending(Protocol):
    @property
    def robot_id(self) -> str: ...
    async def send_markdown(self, content: str) -> None: ...
    async def send_image(self, data: bytes) -> None: ...
