"""Errors of the upstream case system (a ZGW Zaken API).

ZakenError
├── UpstreamFailed          the upstream answered with an error or something not JSON   (502)
│   └── UpstreamTimeout     the upstream did not answer in time                          (504)
├── ZaakNotFound            the upstream has no such resource                            (404)
├── UpstreamRejected        the upstream refused the request body (its validation)       (422)
└── UnknownRoute            a method and path the route table does not know               (404)

Messages name the route or the status, never the upstream's body (it can carry personal data).
"""

from __future__ import annotations


class ZakenError(Exception):
    """Base class of the upstream errors."""


class UpstreamFailed(ZakenError):
    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"the case system failed: {detail}")


class UpstreamTimeout(UpstreamFailed):
    def __init__(self) -> None:
        super().__init__("no answer in time")


class ZaakNotFound(ZakenError):
    def __init__(self, resource: str) -> None:
        self.resource = resource
        super().__init__(f"the case system has no such {resource}")


class UpstreamRejected(ZakenError):
    def __init__(self, fields: list[str]) -> None:
        self.fields = fields
        super().__init__("the case system refused the request: " + (", ".join(fields) or "?"))


class UnknownRoute(ZakenError):
    def __init__(self, method: str, path: str) -> None:
        self.method = method
        super().__init__(f"no route for {method} {path[:200]}")
