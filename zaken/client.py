"""The gateway as a ZGW client of the upstream Zaken API: its own credentials, bounded answers.

The ZGW standard authenticates an application with a JWT it signs itself (HS256, the secret
shared with the Autorisaties API or Open Zaak's admin): claims `iss` and `client_id` (the
client id), `iat`, and `user_id`/`user_representation` for the person the application acts
for (here the subject's id, never a name). Callers of the gateway never hold these
credentials. Every answer is read up to `max_bytes`; errors, timeouts and anything that is
not JSON become `zaken.errors`, which the gateway turns into a refusal (fail closed).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt

from zaken.errors import UpstreamFailed, UpstreamRejected, UpstreamTimeout, ZaakNotFound

CRS = "EPSG:4326"  # the only coordinate system the Zaken API speaks; its zaken routes want it
MAX_ROL_PAGES = 20


def zgw_token(client_id: str, secret: str, user_id: str = "", now: float | None = None) -> str:
    """The ZGW client JWT (HS256) for `client_id`, acting for `user_id`."""
    claims = {
        "iss": client_id,
        "iat": int(now if now is not None else time.time()),
        "client_id": client_id,
        "user_id": user_id,
        "user_representation": user_id,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


class ZakenClient:
    """A Zaken API at `base_url` (e.g. https://open-zaak.example/zaken/api/v1)."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        secret: str,
        *,
        timeout: float = 5.0,
        max_bytes: int = 4_000_000,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.root_path = urlsplit(self.base_url).path.rstrip("/")
        self._client_id = client_id
        self._secret = secret
        self._max_bytes = max_bytes
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout),
            transport=transport,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="zaken-client")

    def close(self) -> None:
        self._pool.shutdown(wait=False)
        self._http.close()

    def _request(
        self,
        method: str,
        url: str,
        user_id: str,
        *,
        params: Sequence[tuple[str, str]] = (),
        body: Mapping[str, Any] | None = None,
        resource: str = "resource",
    ) -> Any:
        if not url.startswith(self.base_url + "/"):
            # A link of the upstream's own (next page) that leads elsewhere is not followed.
            raise UpstreamFailed("a link outside the configured API")
        headers = {
            "Authorization": f"Bearer {zgw_token(self._client_id, self._secret, user_id)}",
            "Accept": "application/json",
            # The document asks both of every zaken route, reads included.
            "Accept-Crs": CRS,
            "Content-Crs": CRS,
        }
        try:
            with self._http.stream(
                method, url, params=list(params), json=body, headers=headers
            ) as resp:
                content = bytearray()
                for chunk in resp.iter_bytes():
                    content += chunk
                    if len(content) > self._max_bytes:
                        raise UpstreamFailed("answer too large")
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout() from exc
        except httpx.HTTPError as exc:
            raise UpstreamFailed(type(exc).__name__) from exc
        if resp.status_code == 404:
            raise ZaakNotFound(resource)
        if resp.status_code == 400 and body is not None:
            raise UpstreamRejected(_invalid_params(bytes(content)))
        if not 200 <= resp.status_code < 300:
            raise UpstreamFailed(f"status {resp.status_code}")
        try:
            return httpx.Response(200, content=bytes(content)).json()
        except ValueError as exc:
            raise UpstreamFailed("an answer that is not JSON") from exc

    def get_zaak(self, uuid: str, user_id: str) -> dict[str, Any]:
        """GET /zaken/{uuid}."""
        zaak = self._request("GET", f"{self.base_url}/zaken/{uuid}", user_id, resource="zaak")
        return _object(zaak)

    def case(self, uuid: str, user_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A case and its roles, the two requests side by side: the roles are asked for by the
        case's URL as this API names it, and asked again if the case names itself otherwise."""
        url = f"{self.base_url}/zaken/{uuid}"
        rollen = self._pool.submit(self.rollen, url, user_id)
        zaak = self.get_zaak(uuid, user_id)
        if zaak.get("url") != url:
            return zaak, self.rollen(str(zaak.get("url", "")), user_id)
        return zaak, rollen.result()  # the roles' own error, if they failed

    def list_zaken(self, params: Sequence[tuple[str, str]], user_id: str) -> dict[str, Any]:
        """GET /zaken: one page, `{count, next, previous, results}`."""
        page = _object(self._request("GET", f"{self.base_url}/zaken", user_id, params=params))
        if not isinstance(page.get("results"), list):
            raise UpstreamFailed("a page without results")
        return page

    def rollen(self, zaak_url: str, user_id: str) -> list[dict[str, Any]]:
        """Every role of the case at `zaak_url` (GET /rollen?zaak=…, all pages)."""
        found: list[dict[str, Any]] = []
        url: str | None = f"{self.base_url}/rollen"
        params: list[tuple[str, str]] = [("zaak", zaak_url)]
        for _ in range(MAX_ROL_PAGES):
            if url is None:
                return found
            page = _object(self._request("GET", url, user_id, params=params))
            results = page.get("results")
            if not isinstance(results, list):
                raise UpstreamFailed("a page without results")
            found += [_object(r) for r in results]
            url, params = page.get("next") or None, []
        raise UpstreamFailed("too many pages of roles")

    def rollen_of(self, zaak_urls: Sequence[str], user_id: str) -> list[list[dict[str, Any]]]:
        """The roles of several cases, fetched side by side (a page of a list)."""
        return list(self._pool.map(lambda u: self.rollen(u, user_id), zaak_urls))

    def create_zaak(self, body: Mapping[str, Any], user_id: str) -> dict[str, Any]:
        """POST /zaken."""
        return _object(self._request("POST", f"{self.base_url}/zaken", user_id, body=body))


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UpstreamFailed("an answer that is not an object")
    return value


def _invalid_params(content: bytes) -> list[str]:
    """The field names of a ZGW ValidatieFout (`invalidParams[].name`), nothing else of it."""
    try:
        body = httpx.Response(400, content=content).json()
        names = [str(p.get("name", ""))[:80] for p in body.get("invalidParams", [])]
    except (ValueError, AttributeError, TypeError):
        return []
    return [n for n in names if n]
