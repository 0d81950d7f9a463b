"""Audit records in the Dutch standard shapes: pure functions over stored rows.

- Logboek Dataverwerkingen (LDV): one processing record per data subject per *allowed*
  processing, linked by W3C trace context; no employee identity.
  https://logius-standaarden.github.io/logboek-dataverwerkingen/
- Authorization Decision Log (ADL): one record per decision, denials included, with the
  AuthZEN-shaped request, the response and the policy version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ADL_EVENT = "adl.access_evaluation"
SUBJECT_ID_TYPE = "pseudonym"  # keyed HMAC of the BSN; the key stays with the gateway


def is_decision(row: Mapping[str, Any]) -> bool:
    """A policy decision (not a consent event, not the access log's own bookkeeping)."""
    return row.get("policy_input_sha256") is not None


def _trace(row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"trace_id": row["trace_id"], "span_id": row["span_id"]}
    parent = (row.get("details") or {}).get("parent_span_id")
    if parent:
        out["parent_span_id"] = parent
    return out


def to_ldv(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The LDV processing record of `row`, or None if it is not an allowed processing of a
    (still identifiable) data subject."""
    if not is_decision(row) or not row["allowed"] or not row.get("resident"):
        return None
    return {
        **_trace(row),
        "name": row["event_type"],
        "status": "OK",
        "start_time": row["occurred_at"],
        "end_time": row["occurred_at"],
        "attributes": {
            "dpl.core.processing_activity_id": row["processing_activity"],
            "dpl.core.data_subject_id": row["resident"],
            "dpl.core.data_subject_id_type": SUBJECT_ID_TYPE,
        },
    }


def to_adl(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ADL record of a decision (allowed or denied), or None for other events."""
    if not is_decision(row):
        return None
    return {
        "event_name": ADL_EVENT,
        "timestamp": row["occurred_at"],
        **_trace(row),
        "seq": row["seq"],
        "adl.core.request": {
            "subject": {
                "type": "user",
                "id": row["subject_id"],
                "properties": {
                    "roles": row["subject_roles"],
                    "organisation": row["organisation"],
                    "teams": row["subject_teams"],
                },
            },
            "action": {
                "name": row["action"],
                "properties": {"processing_activity_id": row["processing_activity"]},
            },
            "resource": {
                "type": "record",
                "id": row.get("record_id"),
                "properties": {
                    "category": row.get("category"),
                    "team": row.get("resource_team"),
                    "data_subject_id": row.get("resident"),
                },
            },
            "context": {"request_id": row["request_id"]},
        },
        "adl.core.response": {
            "decision": bool(row["allowed"]),
            "context": {
                "reason_codes": row["reason_codes"],
                "basis": {"type": row.get("basis_type"), "ref": row.get("basis_ref")},
                "redacted": row["redacted"],
            },
        },
        "adl.core.policies": [{"id": "doelbinding", "version": row["policy_revision"]}],
    }
