"""What the sandbox WeChat platform knows: issued tokens, stored media, every message it accepted,
and the faults it was told to inject. The HTTP side is bot.sandbox.platform."""

from __future__ import annotations

import asyncio
import itertools
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.config import OfficialAccountConfig, WeComConfig
from scheduler.clock import Clock, SystemClock

API_PREFIX = "/cgi-bin/"
TOKEN_LIFETIME = timedelta(hours=2)
# WeCom's root department: an app visible to it is visible to the whole company.
ROOT_DEPARTMENT = 1
# What getcallbackip answers: the sandbox's callbacks come from loopback.
CALLBACK_IPS = ("127.0.0.1",)

Channel = Literal["wecom", "mp"]


@dataclass(frozen=True)
class SentMessage:
    endpoint: str  # message/send, message/custom/send, message/template/send
    touser: tuple[str, ...]  # recipients that were valid
    msgtype: str  # text, image, template
    content: str  # the text, the image's media_id, or the template fields as "key: value" lines
    agentid: int | None
    payload: dict[str, Any]  # the request body as received
    at: datetime | None = None  # when the platform accepted it (its clock)


@dataclass
class SentCard:
    """A template card the platform accepted, and what it reads as after update_template_card."""

    task_id: str
    touser: str
    card: dict[str, Any]
    replaced_name: str | None = None  # the buttons' text once updated to unclickable


@dataclass
class IssuedResponseCode:
    task_id: str
    user: str
    issued_at: datetime
    used_at: datetime | None = None


@dataclass(frozen=True)
class RobotMessage:
    """A message a group robot posted into its group chat."""

    key: str  # the robot's webhook key
    msgtype: str  # markdown, text, image
    content: str  # the text, or the image's md5
    image: bytes | None
    at: datetime


@dataclass(frozen=True)
class StoredMedia:
    data: bytes
    content_type: str
    filename: str | None


@dataclass
class _Fault:
    endpoint: str
    errcode: int | None
    status: int | None
    stall: float | None
    times: int


@dataclass
class _IssuedToken:
    channel: Channel
    expires_at: datetime


@dataclass
class PlatformState:
    wecom: WeComConfig
    mp: OfficialAccountConfig
    # Token expiry and upload times; a demo on virtual time may pass its ManualClock.
    clock: Clock = field(default_factory=SystemClock)
    messages: list[SentMessage] = field(default_factory=list)
    media: dict[str, StoredMedia] = field(default_factory=dict)
    # Every API call by endpoint (e.g. "gettoken", "message/send"), faulted ones included.
    calls: list[str] = field(default_factory=list)
    # Userids/openids the platform does not know: reported in invaliduser or rejected.
    invalid_users: set[str] = field(default_factory=set)
    # Honour message/send's enable_duplicate_check (measured on this state's clock). A test whose
    # bot runs on faster virtual time than the platform turns it off: its intervals mean nothing.
    duplicate_check: bool = True
    # The WeCom app as agent/get shows it: its name and visible range (可见范围). By default the
    # whole company (the root department), as when an admin makes an app visible to everyone.
    agent_name: str = "宣传周报送助手"
    visible_userids: set[str] = field(default_factory=set)
    visible_party_ids: list[int] = field(default_factory=lambda: [ROOT_DEPARTMENT])
    # Whether the caller's IP is in the WeCom app's 企业可信IP (else every tokened WeCom call answers
    # 60020; gettoken still works, as on WeCom) and in the Official Account's IP白名单 (else its
    # token request answers 40164).
    wecom_ip_trusted: bool = True
    mp_ip_whitelisted: bool = True
    # Template cards by task_id, and every ResponseCode handed out (at send and with each click).
    cards: dict[str, SentCard] = field(default_factory=dict)
    response_codes: dict[str, IssuedResponseCode] = field(default_factory=dict)
    # The menu each channel's menu/create last set (the request body as received).
    menus: dict[Channel, dict[str, Any]] = field(default_factory=dict)
    # Group robots: the webhook keys that exist (empty: any key is a robot), what they posted,
    # and WeCom's limit of 20 messages a minute per robot (errcode 45009 beyond).
    robot_keys: set[str] = field(default_factory=set)
    robot_messages: list[RobotMessage] = field(default_factory=list)
    robot_per_minute: int = 20
    _tokens: dict[str, _IssuedToken] = field(default_factory=dict, init=False, repr=False)
    # Set on every recorded message and robot message: the sandbox chat page's live streams wait on them.
    _watchers: set[asyncio.Event] = field(default_factory=set, init=False, repr=False)
    _faults: list[_Fault] = field(default_factory=list, init=False, repr=False)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1), init=False, repr=False)

    def inject(
        self,
        endpoint: str = "*",
        *,
        errcode: int | None = None,
        status: int | None = None,
        stall: float | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls to ``endpoint`` ("*": any) stall, then fail as told.

        A stall alone delays the normal answer (enough to trip a client timeout).
        """
        if errcode is None and status is None and stall is None:
            raise ValueError("a fault needs errcode, status or stall")
        if times < 1:
            raise ValueError("times must be at least 1")
        self._faults.append(_Fault(endpoint.removeprefix(API_PREFIX), errcode, status, stall, times))

    def expire_tokens(self) -> None:
        now = self.clock.now()
        for issued in self._tokens.values():
            issued.expires_at = now

    def add_media(self, data: bytes, content_type: str, filename: str | None) -> str:
        media_id = f"sandbox-media-{next(self._ids)}"
        self.media[media_id] = StoredMedia(data, content_type, filename)
        return media_id

    def issue_response_code(self, task_id: str, user: str) -> str:
        code = f"sandbox-rc-{secrets.token_hex(8)}"
        self.response_codes[code] = IssuedResponseCode(task_id, user, self.clock.now())
        return code

    def click(self, task_id: str, user: str, key: str) -> str:
        """A member taps a button of a card sent to them: the ResponseCode the click callback carries."""
        card = self.cards.get(task_id)
        if card is None or card.touser != user:
            raise ValueError(f"no card {task_id} was sent to {user}")
        if card.replaced_name is not None:
            raise ValueError(f"card {task_id} was updated: its buttons are no longer clickable")
        keys = {button.get("key") for button in card.card.get("button_list") or []}
        if key not in keys:
            raise ValueError(f"card {task_id} has no button {key!r}")
        return self.issue_response_code(task_id, user)

    def spend_response_code(self, code: str, lifetime: timedelta) -> IssuedResponseCode | tuple[int, str]:
        """Use ``code`` once within ``lifetime`` of its issue, or the error WeCom would answer."""
        issued = self.response_codes.get(code)
        if issued is None:
            return 40008, "invalid response_code"
        if issued.used_at is not None:
            return 40008, "response_code has been used"
        if self.clock.now() - issued.issued_at >= lifetime:
            return 40008, "response_code expired"
        issued.used_at = self.clock.now()
        return issued

    def record(self, message: SentMessage) -> None:
        """Keep a message the platform accepted, and wake everyone watching."""
        self.messages.append(message)
        self._wake()

    def record_robot(self, message: RobotMessage) -> None:
        """Keep a message a group robot posted, and wake everyone watching (the page's 群聊)."""
        self.robot_messages.append(message)
        self._wake()

    def _wake(self) -> None:
        for event in self._watchers:
            event.set()

    def watch(self) -> asyncio.Event:
        """An event set whenever a message or robot message is recorded (clear it after reading);
        ``unwatch`` it when done."""
        event = asyncio.Event()
        self._watchers.add(event)
        return event

    def unwatch(self, event: asyncio.Event) -> None:
        self._watchers.discard(event)

    def reset(self) -> None:
        self.cards.clear()
        self.response_codes.clear()
        self.menus.clear()
        self.robot_messages.clear()
        self.messages.clear()
        self.media.clear()
        self.calls.clear()
        self.invalid_users.clear()
        self._tokens.clear()
        self._faults.clear()

    def sent_recently(self, user: str, msgtype: str, content: str, since: datetime) -> bool:
        return any(
            user in m.touser and m.msgtype == msgtype and m.content == content and m.at is not None and m.at >= since
            for m in self.messages
        )

    def robot_rate_limited(self, key: str) -> bool:
        """Whether robot ``key`` has posted its quota within the last minute (state clock)."""
        since = self.clock.now() - timedelta(minutes=1)
        return sum(m.key == key and m.at > since for m in self.robot_messages) >= self.robot_per_minute

    def messages_to(self, user: str) -> list[SentMessage]:
        return [m for m in self.messages if user in m.touser]

    def calls_to(self, endpoint: str) -> int:
        return self.calls.count(endpoint)

    def issue_token(self, channel: Channel) -> str:
        token = secrets.token_hex(16)
        self._tokens[token] = _IssuedToken(channel, self.clock.now() + TOKEN_LIFETIME)
        return token

    def token_channel(self, token: str | None) -> Channel | None:
        issued = self._tokens.get(token or "")
        return issued.channel if issued else None

    def can_see(self, userid: str) -> bool:
        """Whether the WeCom app's visible range includes ``userid`` (every member is in the root department)."""
        return userid in self.visible_userids or ROOT_DEPARTMENT in self.visible_party_ids

    def token_error(self, token: str | None, channels: tuple[Channel, ...]) -> tuple[int, str] | None:
        if not token:
            return 41001, "access_token missing"
        issued = self._tokens.get(token)
        if issued is None or issued.channel not in channels:
            return 40001, "invalid credential, access_token is invalid or not latest"
        if issued.expires_at <= self.clock.now():
            return 42001, "access_token expired"
        return None

    def take_fault(self, endpoint: str) -> _Fault | None:
        for fault in self._faults:
            if fault.endpoint in ("*", endpoint):
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def next_msgid(self) -> int:
        return next(self._ids)
