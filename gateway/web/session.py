"""The web session: an encrypted, signed cookie set by the gateway, and its CSRF token.

The cookie holds a small JSON document sealed with Fernet (AES-128-CBC + HMAC-SHA256, with a
timestamp): nobody can read it (it carries the resident's BSN) or change it without the key,
and it expires after `session_minutes`. It is stateless, so replicas that share the key share
the sessions. Logging out clears the cookie; a copied cookie stays valid until it expires,
which is why a login lasts half an hour by default.

Every session, anonymous or not, carries a random CSRF token (synchronizer token pattern):
each form repeats it in a hidden field, and every POST is refused unless the two match.
Logging in issues a new token (no session fixation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from fastapi import Request, Response

from gateway.auth import RESIDENT_ROLE, Principal
from gateway.pseudonym import load_or_create_key
from gateway.settings import Settings

COOKIE_NAME = "doelbinding_sessie"
CSRF_FIELD = "csrf_token"


@dataclass
class WebSession:
    """What the cookie holds. `resident` is the BSN of the logged-in resident, or None."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    resident: str | None = None
    municipality: str | None = None
    via: str | None = None  # "demo" or "oidc"
    name: str | None = None  # the demo resident's first name; never a real name
    oidc: dict[str, str] | None = None  # state, nonce, code_verifier while a login is under way
    notice: str | None = None  # a one-time message for the next page
    changed: bool = False

    @property
    def logged_in(self) -> bool:
        return self.resident is not None

    def principal(self) -> Principal | None:
        if self.resident is None or self.municipality is None:
            return None
        return Principal(
            sub=self.resident,
            roles=(RESIDENT_ROLE,),
            organisation="",
            teams=(),
            municipality=self.municipality,
        )

    def login(self, resident: str, municipality: str, via: str, name: str | None = None) -> None:
        """A fresh session for this resident: new CSRF token, nothing of the old one kept."""
        self.csrf = secrets.token_urlsafe(32)
        self.resident, self.municipality, self.via, self.name = resident, municipality, via, name
        self.oidc = None
        self.changed = True

    def logout(self) -> None:
        self.csrf = secrets.token_urlsafe(32)
        self.resident = self.municipality = self.via = self.name = None
        self.oidc = None
        self.changed = True

    def flash(self, message: str) -> None:
        self.notice = message
        self.changed = True

    def pop_notice(self) -> str | None:
        message, self.notice = self.notice, None
        if message is not None:
            self.changed = True
        return message

    def csrf_ok(self, token: object) -> bool:
        return isinstance(token, str) and hmac.compare_digest(token, self.csrf)

    def _dump(self) -> dict[str, Any]:
        return {
            "csrf": self.csrf,
            "resident": self.resident,
            "municipality": self.municipality,
            "via": self.via,
            "name": self.name,
            "oidc": self.oidc,
            "notice": self.notice,
        }


class SealedCookie:
    """A Fernet-sealed JSON cookie with a timestamp; the resident and console sessions use it.

    Each cookie derives its own key from the one web secret under its own label, so a
    cookie sealed for one purpose never opens as the other.
    """

    def __init__(self, settings: Settings, *, label: bytes, name: str, path: str) -> None:
        web = settings.web
        secret = settings.session_secret() or load_or_create_key(settings.dev_web_session_key_file)
        key = hashlib.sha256(label + b"\x00" + secret).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))
        self.name = name
        self.path = path
        self.max_age = web.session_minutes * 60
        self.secure = web.cookie_secure

    def open(self, request: Request) -> dict[str, Any] | None:
        """The cookie's data; None if it is absent, expired or tampered with."""
        raw = request.cookies.get(self.name)
        if not raw:
            return None
        try:
            data = json.loads(self._fernet.decrypt(raw.encode("ascii"), ttl=self.max_age))
        except (InvalidToken, ValueError, UnicodeEncodeError):
            return None
        return data if isinstance(data, dict) else None

    def seal(self, response: Response, data: dict[str, Any]) -> None:
        """Set the cookie: sealed, `HttpOnly`, `SameSite=Lax`, `Secure` (see WebSettings).

        Lax rather than Strict: the OIDC provider sends the user back with a top-level GET,
        which must carry the cookie that holds the login's state and PKCE verifier. Every
        change of state is a POST, which Lax never sends cross-site, and each POST needs the
        CSRF token besides.
        """
        sealed = self._fernet.encrypt(json.dumps(data).encode("utf-8"))
        response.set_cookie(
            self.name,
            sealed.decode("ascii"),
            max_age=self.max_age,
            path=self.path,
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )


class SessionCodec:
    """Seals and opens the resident's session cookie; build it once per app."""

    def __init__(self, settings: Settings) -> None:
        self._cookie = SealedCookie(
            settings, label=b"doelbinding web session", name=COOKIE_NAME, path="/"
        )
        self.max_age = self._cookie.max_age
        self.secure = self._cookie.secure

    def load(self, request: Request) -> WebSession:
        """The request's session; a new anonymous one if the cookie is absent, expired or
        tampered with."""
        data = self._cookie.open(request)
        if data is not None:
            try:
                return WebSession(
                    csrf=str(data["csrf"]),
                    resident=data.get("resident"),
                    municipality=data.get("municipality"),
                    via=data.get("via"),
                    name=data.get("name"),
                    oidc=data.get("oidc"),
                    notice=data.get("notice"),
                )
            except (KeyError, TypeError):
                pass
        return WebSession(changed=True)

    def save(self, response: Response, session: WebSession) -> None:
        """Set the sealed cookie (see `SealedCookie.seal`)."""
        self._cookie.seal(response, session._dump())
