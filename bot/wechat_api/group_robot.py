"""A WeCom group chat's robot (群机器人): markdown and image messages to its webhook.

``POST {api_base}/cgi-bin/webhook/send?key=KEY``; no access token, the key is the credential (and
a secret: it never appears in logs, errors or the database — rows name the robot by
scheduler.delivery.robot_id). An image goes as base64 with the md5 of its bytes, at most 2 MB;
markdown content at most 4096 bytes. WeCom allows 20 messages a minute per robot (errcode 45009
beyond): the outbox sender keeps to that.
"""

from __future__ import annotations

import base64
import hashlib

import aiohttp

from bot.wechat_api.errors import WeChatAPIError
from bot.wechat_api.transport import DEFAULT_POLICY, RetryPolicy, WeChatTransport
from scheduler.delivery import robot_id

WEBHOOK_PATH = "/cgi-bin/webhook/send"
MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_MARKDOWN_BYTES = 4096
CLIPPED = "\n…（内容过长，完整内容见后台）"


class GroupRobotClient:
    def __init__(
        self, http: aiohttp.ClientSession, api_base: str, key: str, policy: RetryPolicy = DEFAULT_POLICY
    ) -> None:
        self._key = key.strip()
        self.robot_id = robot_id(self._key)
        # Untokened: the transport's token machinery is never used for the robot.
        self._api = WeChatTransport(http, api_base, policy, None, app_key=self.robot_id, token_path="", token_params={})

    async def send_markdown(self, content: str) -> None:
        await self._send({"msgtype": "markdown", "markdown": {"content": clip_bytes(content, MAX_MARKDOWN_BYTES)}})

    async def send_image(self, data: bytes) -> None:
        if len(data) > MAX_IMAGE_BYTES:
            raise WeChatAPIError(None, f"image of {len(data)} bytes is over the robot's 2 MB", "webhook/send")
        image = {"base64": base64.b64encode(data).decode("ascii"), "md5": hashlib.md5(data).hexdigest()}
        await self._send({"msgtype": "image", "image": image})

    async def _send(self, body: dict[str, object]) -> None:
        await self._api.call_json_keyed(WEBHOOK_PATH, {"key": self._key}, body)


def clip_bytes(text: str, limit: int) -> str:
    """``text`` within ``limit`` UTF-8 bytes, cut at a character with a note when it is longer."""
    if len(text.encode()) <= limit:
        return text
    room = limit - len(CLIPPED.encode())
    return text.encode()[:room].decode("utf-8", errors="ignore") + CLIPPED
