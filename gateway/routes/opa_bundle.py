"""The policy and register as an OPA bundle, so OPA sidecars can pull them.

    services:
      doelbinding: {url: "http://gateway:8000"}
    bundles:
      doelbinding: {service: doelbinding, resource: /v1/opa/bundle.tar.gz}

OPA polls with `If-None-Match: "<etag>"`; the ETag is the policy revision (the content hash
the audit log records), so an unchanged version costs a 304. After a new policy version is
activated (docs/policy-lifecycle.md) the bundle is that version's, with a new ETag. The bundle
holds Rego and the register: reference data, no personal data, published like
`GET /v1/registry`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from gateway.deps import ServicesDep
from policy import load_modules
from policy.bundle import build_bundle

router = APIRouter(prefix="/v1/opa", tags=["opa"])


@router.get(
    "/bundle.tar.gz",
    response_class=Response,
    responses={
        200: {"content": {"application/gzip": {}}, "description": "An OPA bundle."},
        304: {"description": "The bundle named by If-None-Match is still current."},
    },
)
def opa_bundle(
    services: ServicesDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The active policy modules and register as an OPA bundle; ETag = policy revision."""
    loaded = services.policy_watcher.loaded if services.policy_watcher else None
    rego_dir = services.settings.policy.rego_dir
    if loaded is not None:  # the active policy version (docs/policy-lifecycle.md)
        modules = dict(loaded.modules)
    else:
        modules = load_modules(rego_dir) if rego_dir else load_modules()
    revision, archive = build_bundle(modules, services.register.policy_data())
    etag = f'"{revision}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if if_none_match is not None and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(archive, media_type="application/gzip", headers=headers)


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 13.1.2: weak comparison over a list of tags, or `*`."""
    tags = [t.strip() for t in if_none_match.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)
