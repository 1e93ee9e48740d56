"""The HTTP side shared by the WeCom and Official Account clients: tokens, retries, media.

Every call is bounded: at most ``max_attempts`` tries, each under ``timeout`` seconds (the loop is
tenacity's). Token errors drop the token and fetch a new one; "system busy", HTTP 5xx, timeouts
and connection errors back off exponentially with jitter; any other errcode is raised at once. URLs carry the
access token and secret in their query, so they are never logged nor put into error messages.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from tenacity import AsyncRetrying, RetryCallState, RetryError, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_base, wait_exponential, wait_random_exponential

from bot.wechat_api.errors import RetriesExhausted, WeChatAPIError
from bot.wechat_api.tokens import TokenCache
from scheduler.delivery import SYSTEM_BUSY, TOKEN_ERRCODES

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

    @property
    def backoff(self) -> wait_base:
        """Delay before the next try: exponential, capped, times a random 0.5-1 so processes spread
        out (half of it fixed, half drawn from up to the same again)."""
        half, half_cap = self.base_delay / 2, self.max_delay / 2
        return wait_exponential(multiplier=half, max=half_cap) + wait_random_exponential(multiplier=half, max=half_cap)


DEFAULT_POLICY = RetryPolicy()


@dataclass(frozen=True)
class Media:
    data: bytes
    content_type: str
    filename: str | None


class _TransientFailure(Exception):
    """HTTP 5xx or an unreadable body: worth another try."""


class _FailedAttempt(Exception):
    """One try that is worth another: WeChat's errcode (None for HTTP and network failures), what
    failed (never the URL), and whether a new token is all the next try needs (then no waiting)."""

    def __init__(self, errcode: int | None, failure: str, *, new_token: bool = False) -> None:
        super().__init__(failure)
        self.errcode, self.failure, self.new_token = errcode, failure, new_token


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

        def wait(state: RetryCallState) -> float:
            failed = state.outcome.exception() if state.outcome else None
            return 0.0 if isinstance(failed, _FailedAttempt) and failed.new_token else policy.backoff(state)

        async def pause(seconds: float) -> None:
            if seconds > 0:  # tenacity also "sleeps" 0 s after a token refresh
                await policy.sleep(seconds)

        def log_failure(state: RetryCallState) -> None:
            failed = state.outcome.exception() if state.outcome else None
            log.warning("%s attempt %d/%d failed: %s", endpoint, state.attempt_number, policy.max_attempts, failed)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.max_attempts),
            wait=wait,
            retry=retry_if_exception_type(_FailedAttempt),
            after=log_failure,
            sleep=pause,
        )
        try:
            return await retrying(self._try_once, attempt, tokened)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            assert isinstance(last, _FailedAttempt)
            raise RetriesExhausted(last.errcode, last.failure, endpoint, policy.max_attempts) from None

    async def _try_once(self, attempt: Attempt[T], tokened: bool) -> T:
        """One try under the timeout; what is worth another try is raised as _FailedAttempt,
        anything else (another errcode) as it is."""
        token = None
        if tokened:
            assert self._tokens is not None, "a tokened call on a transport without a token cache"
            token = await self._tokens.get(self._app_key, self._fetch_token)
        try:
            async with asyncio.timeout(self._policy.timeout):
                return await attempt(token)
        except WeChatAPIError as exc:
            failure = f"errcode {exc.errcode} {exc.errmsg}"
            if tokened and token and self._tokens and exc.errcode in TOKEN_ERRCODES:
                await self._tokens.invalidate(self._app_key, token)
                raise _FailedAttempt(exc.errcode, failure, new_token=True) from None
            if exc.errcode == SYSTEM_BUSY:
                raise _FailedAttempt(exc.errcode, failure) from None
            raise
        except (TimeoutError, aiohttp.ClientError, _TransientFailure) as exc:
            # Describe by class and our own message only: aiohttp's texts may quote the URL.
            detail = str(exc) if isinstance(exc, _TransientFailure) else type(exc).__name__
            raise _FailedAttempt(None, detail) from None


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
