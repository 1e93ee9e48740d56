"""The desk's browser session: a signed cookie naming who is logged in, and CSRF tokens bound to it.

The cookie carries channel, user id, role, unit, expiry and the token of its server-side session
(storage.web_sessions.DeskSession), signed by itsdangerous (HMAC-SHA256) under the configured
secret. It is not trusted alone: every request checks that the session row is live and the binding
still matches (bot.dashboard.auth), so logging out ends the session for every copy of the cookie,
unbinding or re-binding someone in chat ends their desk session too, and changing the secret ends
every session at once. Cookies signed before itsdangerous fail the signature: their holders log in
again.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from itsdangerous import BadData, Signer, URLSafeSerializer

from storage.models import Role

# One salt per purpose: a session cookie can never pass as a CSRF token or back.
SESSION_SALT = "weekbot.desk.session"
CSRF_SALT = "weekbot.desk.csrf"
_DIGEST = hashlib.sha256


@dataclass(frozen=True)
class SessionClaims:
    channel: str
    user_id: str
    role: str
    unit_id: int
    expires_at: float  # POSIX seconds
    token: str  # names the DeskSession row


class SessionSigner:
    """Seals session claims into a cookie value and derives CSRF tokens from that value.

    The expiry travels in the claims and is checked against the injected clock's ``now``, not
    itsdangerous' timestamp, which reads the wall clock (wrong on a rehearsal's virtual time).
    """

    def __init__(self, secret: str) -> None:
        # No configured secret: a random one, valid for this process only.
        key = secret.encode() if secret else secrets.token_bytes(32)
        self._sessions = URLSafeSerializer(key, salt=SESSION_SALT, signer_kwargs={"digest_method": _DIGEST})
        self._csrf = Signer(key, salt=CSRF_SALT, digest_method=_DIGEST)

    def seal(self, claims: SessionClaims) -> str:
        payload = {"c": claims.channel, "u": claims.user_id, "r": claims.role, "n": claims.unit_id}
        payload["x"], payload["s"] = int(claims.expires_at), claims.token
        return self._sessions.dumps(payload)

    def unseal(self, cookie: str, now: datetime) -> SessionClaims | None:
        """The claims of a genuine, unexpired cookie; None for anything else."""
        if not cookie.isascii():  # what we seal is ASCII; anything else (bytes aiohttp kept as
            return None  # surrogates included) cannot be genuine, nor go through .encode()
        try:
            payload: dict[str, Any] = self._sessions.loads(cookie)
            claims = SessionClaims(
                str(payload["c"]),
                str(payload["u"]),
                str(payload["r"]),
                int(payload["n"]),
                float(payload["x"]),
                str(payload["s"]),
            )
        except (BadData, ValueError, KeyError, TypeError):
            return None
        return claims if claims.expires_at > now.timestamp() else None

    def csrf_token(self, cookie: str) -> str:
        return self._csrf.get_signature(cookie).decode()

    def csrf_ok(self, cookie: str, token: str) -> bool:
        return cookie.isascii() and token.isascii() and self._csrf.verify_signature(cookie, token)


@dataclass(frozen=True)
class Viewer:
    """Who is looking at the desk, as checked against their binding on this request."""

    channel: str
    user_id: str
    role: str
    unit_id: int
    unit_name: str
    name: str
    cookie: str  # the sealed session; CSRF tokens derive from it
    session_token: str  # the DeskSession it names; logging out ends it

    @property
    def actor(self) -> str:
        """How the audit log names changes made on the desk."""
        return f"web:{self.channel}:{self.user_id}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def may_see(self, unit_id: int) -> bool:
        return self.is_admin or unit_id == self.unit_id
