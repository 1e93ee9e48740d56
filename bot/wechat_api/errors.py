"""Errors from the WeChat / WeCom HTTP APIs. The errcodes they carry are named in scheduler.delivery."""

from __future__ import annotations

from scheduler.delivery import DeliveryError


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
