"""Prometheus metrics (prometheus-client), scraped at `/metrics` with a bearer token.

    doelbinding_decisions_total{outcome, activity, reason}   allow | deny | error; the first
                                                              reason code (an allow names the
                                                              rule that allowed it)
    doelbinding_decision_seconds                              one policy evaluation
    doelbinding_request_seconds{method, route, status}        a whole HTTP request
    doelbinding_audit_queue_depth                             records waiting for group commit
    doelbinding_audit_batch_records                           records per group commit
    doelbinding_audit_checkpoint_lag_entries                  records not yet in a signed
    doelbinding_audit_checkpoint_lag_seconds                  checkpoint, and for how long
    doelbinding_policy_swaps_total                            policy versions swapped in
    doelbinding_refusals_total{cause}                         engine | audit | database | limits

No label holds personal data: activities are the register's ids (anything else is "other"),
reasons the policy's stable codes, routes the route templates (`/v1/records/{record_id}`,
never the raw path), methods one of a fixed set. No resident, pseudonym, subject, record id
or content is ever a label (tests/gateway/test_metrics.py drives requests with BSNs and
checks every label value).

Several processes. Each process counts for itself. Replicas (one process each) are scraped
one by one on their own port, as Prometheus scrapes any set of targets. Several workers
behind one port (`uvicorn --workers N`) need prometheus-client's multiprocess mode: start
them with `PROMETHEUS_MULTIPROC_DIR` set to an empty directory, and `/metrics` sums the
workers' files (docs/deploy.md).
"""

from __future__ import annotations

import os
import time
from collections.abc import Container, Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

__all__ = ["CONTENT_TYPE_LATEST", "render"]

_FAST = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25)
_HTTP = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
_BATCH = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

DECISIONS = Counter(
    "doelbinding_decisions",
    "Policy decisions by outcome (allow, deny, error), processing activity and first reason.",
    ["outcome", "activity", "reason"],
)
DECISION_SECONDS = Histogram(
    "doelbinding_decision_seconds", "Time of one policy evaluation.", buckets=_FAST
)
REQUEST_SECONDS = Histogram(
    "doelbinding_request_seconds",
    "Time of an HTTP request, by method, route template and status.",
    ["method", "route", "status"],
    buckets=_HTTP,
)
AUDIT_QUEUE_DEPTH = Gauge(
    "doelbinding_audit_queue_depth",
    "Audit records waiting for the group-commit writer, after its last take.",
    multiprocess_mode="livesum",
)
AUDIT_BATCH_RECORDS = Histogram(
    "doelbinding_audit_batch_records",
    "Audit records committed per group-commit transaction.",
    buckets=_BATCH,
)
CHECKPOINT_LAG_ENTRIES = Gauge(
    "doelbinding_audit_checkpoint_lag_entries",
    "Audit records not yet covered by a signed checkpoint (read from the database).",
    multiprocess_mode="mostrecent",
)
CHECKPOINT_LAG_SECONDS = Gauge(
    "doelbinding_audit_checkpoint_lag_seconds",
    "Age of the last signed checkpoint while records wait for the next one (0: none wait).",
    multiprocess_mode="mostrecent",
)
POLICY_SWAPS = Counter(
    "doelbinding_policy_swaps", "Policy versions this process swapped in (hot swap)."
)
REFUSALS = Counter(
    "doelbinding_refusals",
    "Requests refused by cause: engine, audit or database failure (503, fail closed), or "
    "limits (a request outside its bounds: 413, 422).",
    ["cause"],
)


def decided(
    outcome: str, activity: str, reasons: Iterable[str], known: Container[str], seconds: float
) -> None:
    """Count a decision. `known`: the register's activities (anything else is "other")."""
    label = activity if activity in known else "other"
    reason = next(iter(reasons), "none")
    DECISIONS.labels(outcome, label, reason[:64]).inc()
    if seconds >= 0:
        DECISION_SECONDS.observe(seconds)


def requested(method: str, route: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(method if method in METHODS else "other", route, str(status)).observe(
        seconds
    )
    if status in (413, 422):
        REFUSALS.labels("limits").inc()


def audit_batch(records: int, still_queued: int) -> None:
    """The group-commit writer took a batch (`audit.GroupCommitWriter(on_batch=…)`)."""
    AUDIT_BATCH_RECORDS.observe(records)
    AUDIT_QUEUE_DEPTH.set(still_queued)


def checkpoint_lag(head: int, tree_size: int, last_signed_ns: int | None) -> None:
    CHECKPOINT_LAG_ENTRIES.set(max(head - tree_size, 0))
    waiting = head > tree_size and last_signed_ns is not None
    age = (time.time_ns() - last_signed_ns) / 1e9 if waiting and last_signed_ns else 0.0
    CHECKPOINT_LAG_SECONDS.set(max(age, 0.0))


def render() -> bytes:
    """The exposition text: this process's metrics, or every worker's in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
