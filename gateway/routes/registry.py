"""The processing register, published: reference data only, no personal data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from gateway.deps import ServicesDep

router = APIRouter(prefix="/v1", tags=["registry"])


@router.get("/registry")
def registry(services: ServicesDep) -> dict[str, Any]:
    """Processing activities with their purpose and legal basis, categories, roles, mandates,
    domains, teams and municipalities of the active profile."""
    return services.register.model_dump(mode="json")
