"""The route table: which Zaken API requests the gateway knows, and what each one reads.

    GET  /zaken/{uuid}        zaak.read    one case: fetched with its rollen, then decided
    GET  /zaken               zaak.list    a page of cases: each decided, the page filtered
    GET  /rollen?zaak=<url>   rol.list     the roles of one case: decided as that case
    POST /zaken               zaak.create  a new case: decided with the facts of the body

The same table serves the upstream mode (gateway/routes/zaken.py) and the decisions for
existing gateways (gateway/routes/forward_auth.py): a path is matched relative to the Zaken
API's root (e.g. Open Zaak's `/zaken/api/v1`). Anything else is not routed: refused.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, urlsplit

from zaken.errors import UnknownRoute


class Kind(StrEnum):
    ZAAK_READ = "zaak.read"
    ZAAK_LIST = "zaak.list"
    ROL_LIST = "rol.list"
    ZAAK_CREATE = "zaak.create"


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    kind: Kind


ROUTES = (
    Route("GET", re.compile(r"/zaken/(?P<uuid>[0-9a-fA-F-]{36})/?"), Kind.ZAAK_READ),
    Route("GET", re.compile(r"/zaken/?"), Kind.ZAAK_LIST),
    Route("GET", re.compile(r"/rollen/?"), Kind.ROL_LIST),
    Route("POST", re.compile(r"/zaken/?"), Kind.ZAAK_CREATE),
)

#: Query parameters the gateway passes on for a list of cases; anything else is refused, so
#: a filter the gateway does not know cannot change which cases a page holds unseen.
LIST_PARAMS = frozenset(
    {
        "rol__betrokkeneIdentificatie__natuurlijkPersoon__inpBsn",
        "zaaktype",
        "bronorganisatie",
        "identificatie",
        "startdatum__gte",
        "startdatum__lte",
        "page",
    }
)

BSN_FILTER = "rol__betrokkeneIdentificatie__natuurlijkPersoon__inpBsn"


@dataclass(frozen=True)
class Match:
    kind: Kind
    uuid: str | None
    query: tuple[tuple[str, str], ...]

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)


def match(method: str, target: str, root: str = "") -> Match:
    """The route for `method` and `target` (a path with its query), relative to `root`."""
    parts = urlsplit(target)
    path = parts.path
    root = root.rstrip("/")
    if root:
        if not (path == root or path.startswith(root + "/")):
            raise UnknownRoute(method, path)
        path = path[len(root) :]
    query = tuple(parse_qsl(parts.query, keep_blank_values=True))
    for route in ROUTES:
        found = route.pattern.fullmatch(path)
        if route.method == method.upper() and found:
            uuid = found.groupdict().get("uuid")
            if uuid is not None:
                try:
                    uuid = str(uuidlib.UUID(uuid))
                except ValueError:
                    raise UnknownRoute(method, path) from None
            return Match(route.kind, uuid, query)
    raise UnknownRoute(method, path)
