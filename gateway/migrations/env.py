"""Alembic environment. Run through `doelbinding migrate`, which passes the URL in."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import aggregates.models
import audit.models
import consent.models
import exceptions.models
import investigations.models
import lifecycle.models
import questions.models
from gateway.db import make_engine

_ = (
    audit.models,
    consent.models,
    aggregates.models,
    exceptions.models,
    investigations.models,
    lifecycle.models,
    questions.models,
)
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL given to the migrations")
    connectable = context.config.attributes.get("connection")
    if connectable is not None:
        context.configure(connection=connectable, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
