"""Alembic migrations. The gateway is the composition root: it sees every model."""
