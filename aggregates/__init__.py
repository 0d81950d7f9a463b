"""Anonymous counts (what a no-dossier unit keeps instead of files). Models and service, no HTTP."""

from aggregates.models import AggregateCount
from aggregates.service import PERIOD, latest_counts, record_count

__all__ = ["PERIOD", "AggregateCount", "latest_counts", "record_count"]
