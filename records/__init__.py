"""Case records: the data the gateway protects. Models and service, no HTTP."""

from records.models import CaseRecord
from records.service import (
    RecordNotFound,
    RecordRow,
    create_record,
    fetch_record,
    get_record,
    list_for_resident,
)

__all__ = [
    "CaseRecord",
    "RecordNotFound",
    "RecordRow",
    "create_record",
    "fetch_record",
    "get_record",
    "list_for_resident",
]
