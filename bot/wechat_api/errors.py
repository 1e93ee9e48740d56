"""Errors from the WeChat / WeCom HTTP APIs, and the errcodes the bot reacts to."""

from __future__ import annotations

# The access token was rejected: drop it, fetch a new one, try again.
INVALID_CREDENTIAL = 40001
INVALID_ACCESS_TOKEN = 40014
ACCESS_TOKEN_EXPIRED = 42001
TOKEN_ERRCODES = frozenset({INVALID_CREDENTIAL, INVALID_ACCESS_TOKEN, ACCESS_TOKEN_EXPIRED})

# Transient on WeChat's side: back off and try again.
SYSTEM_BUSY = -1

# Raised at once; callers may want to tell these apart.
INVALID_CORP_OR_APP_ID = 40013
INVALID_OPENID = 40003
INVALID_MEDIA_ID = 40007
FREQUENCY_LIMITED = 45009
OUTSIDE_SERVICE_WINDOW = 45015  # MP: the user has not written to us in the last 48 h
ALL_RECIPIENTS_INVALID = 81013


class WeChatAPIError(Exception):
    """An API call failed. errcode is WeChat's, or None when the failure was HTTP or the network."""

    def __init__(self, errcode: int | None, errmsg: str, endpoint: str) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        self.endpoint = endpoint
        code = f"errcode {errcode}" if errcode is not None else "failed"
        super().__init__(f"{endpoint}: {code}: {errmsg}")


class RetriesExhausted(WeChatAPIError):
    """Every attempt failed with a retryable error; errcode/errmsg describe the last one."""

    def __init__(self, errcode: int | None, last_failure: str, endpoint: str, attempts: int) -> None:
        self.attempts = attempts
        super().__init__(errcode, f"gave up after {attempts} attempts, last: {last_failure}", endpoint)
