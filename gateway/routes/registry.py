"""The processing register, published: reference data only, no personal data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from gateway.deps import ServicesDep
from policy import load_modules, reason_catalogue

router = APIRouter(prefix="/v1", tags=["registry"])


@router.get("/registry")
def registry(services: ServicesDep) -> dict[str, Any]:
    """Processing activities with their purpose and legal basis, categories, roles, mandates,
    domains, teams and municipalities of the active profile; and `reason_codes`: every reason
    code the active policy can give, with its English (`message`) and Dutch (`message_nl`)
    text, read from the policy modules themselves."""
    rego_dir = services.settings.policy.rego_dir
    modules = load_modules(rego_dir) if rego_dir else load_modules()
    return {
        **services.register.model_dump(mode="json"),
        "reason_codes": reason_catalogue(modules),
    }
