"""The console's session: its own sealed cookie (`doelbinding_console`, Path=/console), so a
resident's login and an officer's login never mix. Same machinery as the resident session
(gateway/web/session.py): Fernet-sealed JSON with a timestamp, `HttpOnly`, `Secure`,
`SameSite=Lax`, a CSRF token per session renewed at login; the key is derived from the same
secret under another label."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response

from gateway.auth import Principal
from gateway.settings import Settings
from gateway.web.console.i18n import DEFAULT, LANGUAGES
from gateway.web.session import SealedCookie

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
    """Seals and opens the officer's session cookie (Path=/console); build it once per app."""

    def __init__(self, settings: Settings) -> None:
        self._cookie = SealedCookie(
            settings, label=b"doelbinding console session", name=COOKIE_NAME, path="/console"
        )
        self.max_age = self._cookie.max_age
        self.secure = self._cookie.secure

    def load(self, request: Request) -> ConsoleSession:
        data = self._cookie.open(request)
        if data is not None:
            try:
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
            except (KeyError, TypeError):
                pass
        return ConsoleSession(changed=True)

    def save(self, response: Response, session: ConsoleSession) -> None:
        self._cookie.seal(response, session._dump())
