"""A team lead's oversight of her own team (issue 17, finding 7): the team's caseload (counts)
and who of the team worked on which of its records (audit metadata). Reads only, no HTTP, no
record content, no resident name or BSN; the enforcement point decides who may see it."""

from oversight.service import (
    RECORD_WORK,
    Access,
    Caseload,
    CategoryCount,
    MemberCaseload,
    caseload,
    team_accesses,
)

__all__ = [
    "RECORD_WORK",
    "Access",
    "Caseload",
    "CategoryCount",
    "MemberCaseload",
    "caseload",
    "team_accesses",
]
