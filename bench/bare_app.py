"""The baseline: the same record read from a bare FastAPI + SQLModel endpoint.

No token, no policy, no consent lookup, no audit. Same database file, same server settings.
Run: uvicorn bench.bare_app:create_app --factory
"""

from __future__ import annotations

import os

from fastapi import FastAPI, HTTPException
from sqlmodel import Session

from gateway.db import make_engine
from records import CaseRecord


def create_app() -> FastAPI:
    engine = make_engine(os.environ["BARE_DATABASE_URL"])
    app = FastAPI()

    @app.get("/bare/records/{record_id}")
    def read(record_id: str) -> dict[str, str]:
        with Session(engine) as session:
            record = session.get(CaseRecord, record_id)
            if record is None:
                raise HTTPException(404)
            return {
                "id": record.id,
                "resident": record.resident,
                "category": record.category,
                "team": record.team,
                "content": record.content,
            }

    return app
