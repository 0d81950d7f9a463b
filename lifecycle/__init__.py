"""Policy versions and their lifecycle: models, service, checks (no HTTP).

Privacy officers draft a version (Rego modules and the register with its profiles), test it
against the decision tables and replay past decisions under it, both in a child process; a
second officer approves; the gateway then swaps its engine (gateway/policy_watcher.py).
See docs/policy-lifecycle.md.
"""

from lifecycle.errors import (
    InvalidVersion,
    LifecycleConflict,
    NotPrivacyOfficer,
    PolicyFourEyes,
    PolicyVersionError,
    VersionNotFound,
)
from lifecycle.models import PolicyVersion, PolicyVersionEvent, VersionEvent, VersionState

__all__ = [
    "InvalidVersion",
    "LifecycleConflict",
    "NotPrivacyOfficer",
    "PolicyFourEyes",
    "PolicyVersion",
    "PolicyVersionError",
    "PolicyVersionEvent",
    "VersionEvent",
    "VersionNotFound",
    "VersionState",
]
