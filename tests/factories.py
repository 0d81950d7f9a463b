"""Small `make_*(**overrides)` helpers shared by the storage-facing tests.

Defaults are plausible and short enough for every PostgreSQL column limit; a test overrides only
what it is about. `append_in_process` is the body of the multi-process audit test: it lives here
(not in a test module) so that a child started with the `spawn` method can import it cheaply.
"""

from __future__ import annotations

import itertools
from typing import Any

from audit import AuditEntry, AuditStore
from consent import ConsentRequest
from records import CaseRecord

_counter = itertools.count(1)

#: A policy input with nanosecond integers (beyond RFC 8785's 2**53) and nesting.
POLICY_INPUT: dict[str, Any] = {
    "subject": {"id": "emp-7", "roles": ["team_generalist"], "teams": ["wt-oost"]},
    "resource": {"category": "debts", "team": "wt-oost"},
    "now_ns": 1_764_400_000_123_456_789,
    "consents": [],
}


def make_entry(**overrides: Any) -> AuditEntry:
    """One plausible audit entry: an allowed read by a wijkteam generalist."""
    n = next(_counter)
    fields: dict[str, Any] = {
        "event_type": "record.read",
        "occurred_at": "2026-11-29T10:15:00.000000Z",
        "subject_id": "emp-7",
        "subject_roles": ["team_generalist"],
        "organisation": "gemeente-zaanstad",
        "subject_teams": ["wt-oost"],
        "municipality": "zaanstad",
        "resident": "ps-resident-a",
        "record_id": f"r-{n:020d}",
        "category": "debts",
        "resource_team": "wt-oost",
        "action": "read",
        "processing_activity": "wmo-support",
        "purpose": "support",
        "allowed": True,
        "reason_codes": ["support_data_stays_in_team"],
        "basis_type": "article",
        "basis_ref": "Wmo 2015 art. 5.1.1",
        "request_id": f"req-{n}",
        "trace_id": f"{n:032x}",
        "span_id": f"{n:016x}",
        "policy_revision": "rev-1",
        "policy_input": POLICY_INPUT,
    }
    fields.update(overrides)
    return AuditEntry(**fields)


def make_record(**overrides: Any) -> CaseRecord:
    """One case record of resident A in wijkteam Oost."""
    n = next(_counter)
    fields: dict[str, Any] = {
        "id": f"r-{n:020d}",
        "resident": "999990019",
        "resident_pseudonym": "ps-resident-a",
        "category": "debts",
        "team": "wt-oost",
        "municipality": "zaanstad",
        "content": "Schuldhulp: afspraak gemaakt.",
        "created_at_ns": 1_764_400_000_000_000_000 + n,
        "created_by": "emp-7",
    }
    fields.update(overrides)
    return CaseRecord(**fields)


def make_consent_request(**overrides: Any) -> ConsentRequest:
    """Consent for wijkteam Zaandam-Oost to use debt data for support."""
    fields: dict[str, Any] = {
        "categories": ["debts"],
        "processing_activities": ["wmo-support"],
        "recipients": ["wt-oost"],
        "valid_until_ns": None,
    }
    fields.update(overrides)
    return ConsentRequest(**fields)


def append_in_process(url: str, worker: int, appends: int, barrier: Any) -> None:
    """Child-process body: wait for the others, then append `appends` times, one commit each."""
    from gateway.db import make_engine, session_scope

    engine = make_engine(url)
    store = AuditStore()
    try:
        barrier.wait(timeout=60)
        for i in range(appends):
            with session_scope(engine) as session:
                store.append(session, [make_entry(request_id=f"p{worker}-{i}")])
    finally:
        engine.dispose()
