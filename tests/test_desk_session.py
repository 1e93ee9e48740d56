"""The desk's signed cookie and CSRF tokens (bot.dashboard.session), without a server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta

from bot.dashboard.session import SessionClaims, SessionSigner
from scheduler.clock import TZ

NOW = datetime(2026, 4, 20, 9, 0, tzinfo=TZ)
SECRET = "a-desk-secret-of-32-characters!!"
CLAIMS = SessionClaims("wecom", "tianlin", "admin", 1, (NOW + timedelta(hours=12)).timestamp(), "tok-123")


def test_a_sealed_cookie_unseals_to_its_claims_until_it_expires() -> None:
    signer = SessionSigner(SECRET)
    cookie = signer.seal(CLAIMS)
    assert cookie.isascii() and ";" not in cookie and " " not in cookie
    assert signer.unseal(cookie, NOW) == CLAIMS
    assert signer.unseal(cookie, NOW + timedelta(hours=12)) is None  # the injected clock decides
    assert SessionSigner("another-secret-of-16+").unseal(cookie, NOW) is None


URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def test_a_cookie_changed_in_any_character_is_refused() -> None:
    signer = SessionSigner(SECRET)
    cookie = signer.seal(CLAIMS)
    for at in range(len(cookie)):
        # Flip the character's top bit: a base64 tail's lowest bits may be padding, not data.
        swapped = URLSAFE[(URLSAFE.index(cookie[at]) + 32) % 64] if cookie[at] in URLSAFE else "A"
        assert signer.unseal(cookie[:at] + swapped + cookie[at + 1 :], NOW) is None, at


def test_cookies_signed_the_old_hand_written_way_are_refused() -> None:
    """Before itsdangerous: base64(JSON) "." base64(HMAC-SHA256 of "session:" + body). A browser
    still holding one logs in again; nothing else breaks."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    payload = {"c": "wecom", "u": "tianlin", "r": "admin", "n": 1, "x": int(CLAIMS.expires_at), "s": "tok-123"}
    body = b64(json.dumps(payload, separators=(",", ":")).encode())
    old = f"{body}.{b64(hmac.new(SECRET.encode(), f'session:{body}'.encode(), hashlib.sha256).digest())}"
    assert SessionSigner(SECRET).unseal(old, NOW) is None


def test_csrf_tokens_are_bound_to_their_cookie_and_never_pass_as_one() -> None:
    signer = SessionSigner(SECRET)
    cookie = signer.seal(CLAIMS)
    token = signer.csrf_token(cookie)
    assert signer.csrf_ok(cookie, token)
    other = signer.seal(SessionClaims("wecom", "wanglei", "liaison", 2, CLAIMS.expires_at, "tok-456"))
    assert not signer.csrf_ok(other, token)
    assert not signer.csrf_ok(cookie, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not signer.csrf_ok(cookie, "中文") and not signer.csrf_ok(cookie, "")
    # A session's signature is no CSRF token, and a CSRF token no session signature (one salt each).
    body, _, session_mac = cookie.rpartition(".")
    assert not signer.csrf_ok(body, session_mac)
    assert signer.unseal(f"{cookie}.{token}", NOW) is None and signer.unseal(f"{body}.{token}", NOW) is None


def test_without_a_secret_each_process_signs_with_its_own_random_key() -> None:
    first, second = SessionSigner(""), SessionSigner("")
    cookie = first.seal(CLAIMS)
    assert first.unseal(cookie, NOW) == CLAIMS and second.unseal(cookie, NOW) is None
