"""The upstream case system: a zaakregistratiecomponent speaking the VNG ZGW Zaken API.

The domain of the upstream mode and of the decisions for existing gateways: the route table
(`routes`), the mapping of a case onto the register's facts (`facts`), field-level redaction
(`redaction`) and the gateway's own ZGW client (`client`). No HTTP server here; the gateway's
routes (gateway/routes/zaken.py, gateway/routes/forward_auth.py) compose it.
"""

from zaken.client import ZakenClient, zgw_token
from zaken.errors import (
    UnknownRoute,
    UpstreamFailed,
    UpstreamRejected,
    UpstreamTimeout,
    ZaakNotFound,
    ZakenError,
)
from zaken.facts import REFUSALS, CaseFacts, case_facts, residents_of
from zaken.redaction import fields_to_remove, redact
from zaken.routes import BSN_FILTER, LIST_PARAMS, Kind, Match, match

__all__ = [
    "BSN_FILTER",
    "LIST_PARAMS",
    "REFUSALS",
    "CaseFacts",
    "Kind",
    "Match",
    "UnknownRoute",
    "UpstreamFailed",
    "UpstreamRejected",
    "UpstreamTimeout",
    "ZaakNotFound",
    "ZakenClient",
    "ZakenError",
    "case_facts",
    "fields_to_remove",
    "match",
    "redact",
    "residents_of",
    "zgw_token",
]
