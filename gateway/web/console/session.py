"""The console's session: its own sealed cookie (`doelbinding_console`, Path=/console), so a
resident's login and an officer's login never mix. Same machinery as the resident session
(gateway/web/session.py): Fernet-sealed JSON with a timestamp, `HttpOnly`, `Secure`,
`SameSite=Lax`, a CSRF token per session renewed at login; the key is derived from the same
secret under another label."""

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

from gateway.auth import Principal
from gateway.pseudonym import load_or_create_key
from gateway.settings import Settings
from gateway.web.console.i18n import DEFAULT, LANGUAGES

COOKIE_NAME = "doelbinding_console"
PRIVACY_OFFICER = "privacy_officer"


@dataclass
class ConsoleSession:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    officer: str | None = None  # the employee id (token `sub`)
    organisation: str = ""
    municipality: str = ""
    via: str | None = None  # "demo" or "oidc"
    lang: str = DEFAULT
    oidc: dict[str, str] | None = None
    notice: str | None = None
    changed: bool = False

    @property
    def logged_in(self) -> bool:
        return self.officer is not None

    def principal(self) -> Principal | None:
        if self.officer is None:
            return None
        return Principal(
            sub=self.officer,
            roles=(PRIVACY_OFFICER,),
            organisation=self.organisation,
            teams=(),
            municipality=self.municipality,
        )

    def login(self, officer: str, organisation: str, municipality: str, via: str) -> None:
        self.csrf = secrets.token_urlsafe(32)
        self.officer, self.organisation, self.municipality = officer, organisation, municipality
        self.via, self.oidc, self.changed = via, None, True

    def logout(self) -> None:
        self.csrf = secrets.token_urlsafe(32)
        self.officer, self.organisation, self.municipality, self.via = None, "", "", None
        self.oidc, self.changed = None, True

    def set_lang(self, lang: str | None) -> None:
        if lang in LANGUAGES and lang != self.lang:
            self.lang, self.changed = lang, True

    def flash(self, key: str) -> None:
        self.notice, self.changed = key, True

    def pop_notice(self) -> str | None:
        key, self.notice = self.notice, None
        if key is not None:
            self.changed = True
        return key

    def csrf_ok(self, token: object) -> bool:
        return isinstance(token, str) and hmac.compare_digest(token, self.csrf)

    def _dump(self) -> dict[str, Any]:
        return {
            "csrf": self.csrf,
            "officer": self.officer,
            "organisation": self.organisation,
            "municipality": self.municipality,
            "via": self.via,
            "lang": self.lang,
            "oidc": self.oidc,
            "notice": self.notice,
        }


class ConsoleCodec:
    def __init__(self, settings: Settings) -> None:
        web = settings.web
        if web.session_secret is not None:
            secret = web.session_secret.get_secret_value().encode("utf-8")
        else:
            secret = load_or_create_key(settings.web_session_key_file)
        key = hashlib.sha256(b"doelbinding console session\x00" + secret).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))
        self.max_age = web.session_minutes * 60
        self.secure = web.cookie_secure

    def load(self, request: Request) -> ConsoleSession:
        raw = request.cookies.get(COOKIE_NAME)
        if raw:
            try:
                data = json.loads(self._fernet.decrypt(raw.encode("ascii"), ttl=self.max_age))
                lang = data.get("lang")
                return ConsoleSession(
                    csrf=str(data["csrf"]),
                    officer=data.get("officer"),
                    organisation=str(data.get("organisation") or ""),
                    municipality=str(data.get("municipality") or ""),
                    via=data.get("via"),
                    lang=lang if lang in LANGUAGES else DEFAULT,
                    oidc=data.get("oidc"),
                    notice=data.get("notice"),
                )
            except (InvalidToken, ValueError, KeyError, TypeError, UnicodeEncodeError):
                pass
        return ConsoleSession(changed=True)

    def save(self, response: Response, session: ConsoleSession) -> None:
        sealed = self._fernet.encrypt(json.dumps(session._dump()).encode("utf-8"))
        response.set_cookie(
            COOKIE_NAME,
            sealed.decode("ascii"),
            max_age=self.max_age,
            path="/console",
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )
