"""`/metrics`: Prometheus's scrape, behind a bearer token of its own (gateway/metrics.py).

Not a public route: without `DOELBINDING_METRICS__TOKEN` it answers 404, with it only a
request that presents that token gets the figures; the proxy does not pass `/metrics` at all
(deploy/replicas.py's nginx.conf). The figures hold no personal data; the token keeps load
and error rates from strangers. Before answering, the checkpoint lag is read from the
database (two indexed queries), so it is the log's lag, whichever replica is scraped.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Response
from sqlalchemy.exc import SQLAlchemyError

from audit import latest_checkpoint
from audit.tree import head_seq
from gateway import metrics
from gateway.clock import from_datetime
from gateway.db import read_scope
from gateway.deps import ServicesDep

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def scrape(
    services: ServicesDep,
    authorization: Annotated[str, Header(max_length=512)] = "",
) -> Response:
    token = services.settings.metrics.token
    if token is None:
        return Response(status_code=404)
    scheme, _, presented = authorization.partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not secrets.compare_digest(presented.encode(), expected):
        return Response(status_code=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    try:
        with read_scope(services.db) as session:
            last = latest_checkpoint(session)
            head = head_seq(session)
        signed = from_iso(last.created_at) if last else None
        metrics.checkpoint_lag(head, last.tree_size if last else 0, signed)
    except SQLAlchemyError:
        pass  # the scrape still answers; /ready and the refusals say the database is gone
    return Response(metrics.render(), media_type=metrics.CONTENT_TYPE_LATEST)


def from_iso(rfc: str) -> int:
    return from_datetime(datetime.fromisoformat(rfc.replace("Z", "+00:00")))
