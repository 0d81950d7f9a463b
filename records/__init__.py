"""Case records: the data the gateway protects. Models and service, no HTTP."""

from records.models import CaseRecord
from records.service import RecordNotFound, create_record, get_record, list_for_resident

__all__ = ["CaseRecord", "RecordNotFound", "create_record", "get_record", "list_for_resident"]
