"""Sessions in a signed cookie, CSRF tokens bound to them, and the optional login token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

COOKIE = "byline_session"


@dataclass
class Session:
    sid: str
    actor: str = ""
    auth: bool = False


class Signer:
    """HMAC-SHA256 over a JSON payload; the key lives only in the server's memory by default,
    so a restart signs everyone out."""

    def __init__(self, secret: bytes | None = None) -> None:
        self.secret = secret or secrets.token_bytes(32)

    def _mac(self, data: bytes) -> str:
        return hmac.new(self.secret, data, hashlib.sha256).hexdigest()

    def dumps(self, session: Session) -> str:
        raw = json.dumps(
            {"sid": session.sid, "actor": session.actor, "auth": session.auth},
            separators=(",", ":"),
        ).encode()
        body = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return f"{body}.{self._mac(body.encode())}"

    def loads(self, value: str | None) -> Session | None:
        if not value or "." not in value:
            return None
        body, mac = value.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._mac(body.encode())):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            return Session(str(data["sid"]), str(data.get("actor", "")), bool(data.get("auth")))
        except (ValueError, KeyError, TypeError):
            return None

    def csrf(self, session: Session) -> str:
        """The token every form of this session carries (the session id never leaves the
        signed cookie, so another site can neither read nor forge it)."""
        return self._mac(f"csrf|{session.sid}".encode())[:40]

    def check_csrf(self, session: Session | None, token: str | None) -> bool:
        return bool(session and token and hmac.compare_digest(token, self.csrf(session)))


def new_session(actor: str = "", auth: bool = False) -> Session:
    return Session(secrets.token_urlsafe(18), actor, auth)


def token_ok(expected: str | None, given: str | None) -> bool:
    return (
        bool(expected)
        and bool(given)
        and hmac.compare_digest(str(expected).encode(), str(given).encode())
    )
