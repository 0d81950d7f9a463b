"""The register of investigations: an enforcement unit opens an investigation into a resident
(by pseudonym) and closes it again. Models and service, no HTTP; the policy decides who may
open and close (resource type `investigation`).

While an investigation of a resident is running, the enforcement accesses made during it are
held back from that resident's access log (UAVG art. 41: a specific, necessary restriction);
once it is closed they appear (docs/law.md, section 8).
"""

from investigations.errors import (
    InvestigationError,
    InvestigationNotFound,
    InvestigationStateConflict,
)
from investigations.models import InvestigationEvent
from investigations.service import (
    Investigation,
    close_investigation,
    get_investigation,
    investigations_of,
    open_investigation,
)

__all__ = [
    "Investigation",
    "InvestigationError",
    "InvestigationEvent",
    "InvestigationNotFound",
    "InvestigationStateConflict",
    "close_investigation",
    "get_investigation",
    "investigations_of",
    "open_investigation",
]
