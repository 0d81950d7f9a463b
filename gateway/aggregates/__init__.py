"""Anonymous counts (what a no-dossier unit keeps instead of files). Models and service, no HTTP."""

from gateway.aggregates.models import AggregateCount
from gateway.aggregates.service import PERIOD, latest_counts, record_count

__all__ = ["PERIOD", "AggregateCount", "latest_counts", "record_count"]
