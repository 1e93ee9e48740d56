"""Errors from the WeChat / WeCom HTTP APIs, and the errcodes the bot reacts to."""

from __future__ import annotations

from scheduler.delivery import DeliveryError

# The access token was rejected: drop it, fetch a new one, try again.
INVALID_CREDENTIAL = 40001
INVALID_ACCESS_TOKEN = 40014
ACCESS_TOKEN_EXPIRED = 42001
TOKEN_ERRCODES = frozenset({INVALID_CREDENTIAL, INVALID_ACCESS_TOKEN, ACCESS_TOKEN_EXPIRED})

# Raised at once; callers may want to tell these apart. (SYSTEM_BUSY, transient, and the codes the
# outbox sender reacts to live with the sender's side of the contract, scheduler.delivery.)
INVALID_CORP_OR_APP_ID = 40013
INVALID_OPENID = 40003
INVALID_MEDIA_ID = 40007


class WeChatAPIError(DeliveryError):
    """An API call failed. errcode is WeChat's, or None when the failure was HTTP or the network."""

    def __init__(self, errcode: int | None, errmsg: str, endpoint: str) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        self.endpoint = endpoint
        code = f"errcode {errcode}" if errcode is not None else "failed"
        super().__init__(f"{endpoint}: {code}: {errmsg}")


class RetriesExhausted(WeChatAPIError):
    """Every attempt failed with a retryable error; errcode/errmsg describe the last one."""

    retried = True

    def __init__(self, errcode: int | None, last_failure: str, endpoint: str, attempts: int) -> None:
        self.attempts = attempts
        super().__init__(errcode, f"gave up after {attempts} attempts, last: {last_failure}", endpoint)
