"""The processing register: activities, categories, domains, roles, teams, mandates, flows.

Reference data with stable ids, loaded from data files per municipality profile.
It holds no personal data. The policy reads it as `data` (see `Register.policy_data`).
"""

from registry.errors import InvalidRegister, RegistryError, UnknownProfile
from registry.loader import available_profiles, load_register
from registry.models import (
    Activity,
    Category,
    Contact,
    Flow,
    LegalBasis,
    Municipality,
    Register,
    Team,
)

__all__ = [
    "Activity",
    "Category",
    "Contact",
    "Flow",
    "InvalidRegister",
    "LegalBasis",
    "Municipality",
    "Register",
    "RegistryError",
    "Team",
    "UnknownProfile",
    "available_profiles",
    "load_register",
]
