"""The HTTP side shared by the WeCom and Official Account clients: tokens, retries, media.

Every call is bounded: at most ``max_attempts`` tries, each under ``timeout`` seconds. Token
errors drop the token and fetch a new one; "system busy", HTTP 5xx, timeouts and connection
errors back off exponentially with jitter; any other errcode is raised at once. URLs carry the
access token and secret in their query, so they are never logged nor put into error messages.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp

from bot.wechat_api.errors import TOKEN_ERRCODES, RetriesExhausted, WeChatAPIError
from bot.wechat_api.tokens import TokenCache
from scheduler.delivery import SYSTEM_BUSY

log = logging.getLogger(__name__)

T = TypeVar("T")
Attempt = Callable[[str | None], Awaitable[T]]  # receives the access token (None if untokened)

# WeChat often labels JSON as text/plain; media/get answers errors as JSON instead of bytes.
_JSON_TYPES = ("application/json", "text/plain")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    timeout: float = 10.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def backoff(self, failed_attempts: int) -> float:
        """Delay before the next try: exponential, capped, with jitter so processes spread out."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (failed_attempts - 1))
        return ceiling * random.uniform(0.5, 1.0)


DEFAULT_POLICY = RetryPolicy()


@dataclass(frozen=True)
class Media:
    data: bytes
    content_type: str
    filename: str | None


class _TransientFailure(Exception):
    """HTTP 5xx or an unreadable body: worth another try."""


class WeChatTransport:
    """Calls one app's API under ``api_base``; ``token_path``/``token_params`` fetch its token."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        api_base: str,
        policy: RetryPolicy,
        tokens: TokenCache | None,
        app_key: str,
        token_path: str,
        token_params: Mapping[str, str],
    ) -> None:
        self._http = http
        self._api_base = api_base.rstrip("/")
        self._policy = policy
        self._tokens = tokens
        self._app_key = app_key
        self._token_path = token_path
        self._token_params = dict(token_params)

    async def call_json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        form: Callable[[], aiohttp.FormData] | None = None,
    ) -> dict[str, Any]:
        """Call ``path`` with the access token; ``form`` builds a fresh multipart body per try."""
        endpoint = _endpoint(path)

        async def attempt(token: str | None) -> dict[str, Any]:
            query = {**(params or {}), "access_token": token or ""}
            data = form() if form else None
            async with self._http.request(method, self._api_base + path, params=query, json=body, data=data) as resp:
                return _json_result(endpoint, resp.status, await resp.read())

        return await self._with_retries(endpoint, attempt, tokened=True)

    async def call_json_keyed(self, path: str, params: Mapping[str, str], body: Mapping[str, Any]) -> dict[str, Any]:
        """POST to an endpoint whose query carries its own credential (a group robot's key), not a token."""
        endpoint = _endpoint(path)

        async def attempt(_token: str | None) -> dict[str, Any]:
            async with self._http.post(self._api_base + path, params=params, json=body) as resp:
                return _json_result(endpoint, resp.status, await resp.read())

        return await self._with_retries(endpoint, attempt, tokened=False)

    async def callback_ips(self) -> list[str]:
        """getcallbackip: the same path and answer on WeCom and the Official Account."""
        reply = await self.call_json("GET", "/cgi-bin/getcallbackip")
        return [str(ip) for ip in reply.get("ip_list") or []]

    async def get_media(self, path: str, media_id: str) -> Media:
        endpoint = _endpoint(path)

        async def attempt(token: str | None) -> Media:
            query = {"access_token": token or "", "media_id": media_id}
            async with self._http.get(self._api_base + path, params=query) as resp:
                return _media_result(endpoint, resp, await resp.read())

        return await self._with_retries(endpoint, attempt, tokened=True)

    async def download(self, url: str) -> Media:
        """Fetch a plain URL (an image's PicUrl); no token, same retry rules."""

        async def attempt(_token: str | None) -> Media:
            async with self._http.get(url) as resp:
                return _media_result("download", resp, await resp.read())

        return await self._with_retries("download", attempt, tokened=False)

    async def _fetch_token(self) -> tuple[str, int]:
        endpoint = _endpoint(self._token_path)

        async def attempt(_token: str | None) -> tuple[str, int]:
            url = self._api_base + self._token_path
            async with self._http.get(url, params=self._token_params) as resp:
                reply = _json_result(endpoint, resp.status, await resp.read())
            try:
                return str(reply["access_token"]), int(reply["expires_in"])
            except (KeyError, TypeError, ValueError):
                raise _TransientFailure("token reply without access_token/expires_in") from None

        return await self._with_retries(endpoint, attempt, tokened=False)

    async def _with_retries(self, endpoint: str, attempt: Attempt[T], *, tokened: bool) -> T:
        policy = self._policy
        last_errcode: int | None = None
        last_failure = ""
        for number in range(1, policy.max_attempts + 1):
            token = None
            if tokened:
                assert self._tokens is not None, "a tokened call on a transport without a token cache"
                token = await self._tokens.get(self._app_key, self._fetch_token)
            backoff = True
            try:
                async with asyncio.timeout(policy.timeout):
                    return await attempt(token)
            except WeChatAPIError as exc:
                if tokened and token and self._tokens and exc.errcode in TOKEN_ERRCODES:
                    # A new token is all it takes; no reason to wait.
                    await self._tokens.invalidate(self._app_key, token)
                    backoff = False
                elif exc.errcode != SYSTEM_BUSY:
                    raise
                last_errcode, last_failure = exc.errcode, f"errcode {exc.errcode} {exc.errmsg}"
            except (TimeoutError, aiohttp.ClientError, _TransientFailure) as exc:
                # Describe by class and our own message only: aiohttp's texts may quote the URL.
                detail = str(exc) if isinstance(exc, _TransientFailure) else type(exc).__name__
                last_errcode, last_failure = None, detail
            log.warning("%s attempt %d/%d failed: %s", endpoint, number, policy.max_attempts, last_failure)
            if backoff and number < policy.max_attempts:
                await policy.sleep(policy.backoff(number))
        raise RetriesExhausted(last_errcode, last_failure, endpoint, policy.max_attempts)


def _endpoint(path: str) -> str:
    return path.removeprefix("/cgi-bin/")


def _json_result(endpoint: str, status: int, raw: bytes) -> dict[str, Any]:
    if status >= 500:
        raise _TransientFailure(f"HTTP {status}")
    if status >= 400:
        raise WeChatAPIError(None, f"HTTP {status}", endpoint)
    try:
        reply = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _TransientFailure(f"HTTP {status} with a body that is not JSON") from None
    if not isinstance(reply, dict):
        raise _TransientFailure("JSON reply is not an object")
    _raise_for_errcode(endpoint, reply)
    return reply


def _raise_for_errcode(endpoint: str, reply: Mapping[str, Any]) -> None:
    errcode = int(reply.get("errcode") or 0)
    if errcode:
        raise WeChatAPIError(errcode, str(reply.get("errmsg", "")), endpoint)


def _media_result(endpoint: str, resp: aiohttp.ClientResponse, raw: bytes) -> Media:
    if resp.status >= 500:
        raise _TransientFailure(f"HTTP {resp.status}")
    if resp.status >= 400:
        raise WeChatAPIError(None, f"HTTP {resp.status}", endpoint)
    if resp.content_type in _JSON_TYPES:
        try:
            reply = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            reply = None
        if isinstance(reply, dict):
            _raise_for_errcode(endpoint, reply)
    disposition = resp.content_disposition
    return Media(raw, resp.content_type, disposition.filename if disposition else None)
