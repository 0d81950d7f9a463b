"""Demo data for `make run`: a few residents and records in the Zaanstad profile.

The resident ids are from the test range the Dutch BSN register reserves for testing
(they pass the 11-check but belong to nobody). Record contents are invented.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from gateway.clock import Clock
from gateway.db import session_scope
from gateway.records import CaseRecord

DEMO_RESIDENTS = {"sanne": "999990019", "joost": "999990020"}

#: (record id, resident key, category, team, content)
DEMO_RECORDS = [
    ("r-demo-intake", "sanne", "intake_notes", "wt-oost",
     "Keukentafelgesprek: zorgen over schulden en slaap; wil graag hulp bij de administratie."),
    ("r-demo-health", "sanne", "health", "wt-oost",
     "Fysieke klachten; kan voorlopig maximaal 20 uur per week werken."),
    ("r-demo-debts", "sanne", "debts", "wt-oost", "Betalingsachterstand energie, 3 maanden."),
    ("r-demo-income", "sanne", "income", "wi-zaanstad",
     "Bijstand sinds 2025, geen bijverdiensten."),
    ("r-demo-plan", "sanne", "reintegration_plan", "wi-zaanstad",
     "Werkervaringsplek in de zorg vanaf het voorjaar."),
    ("r-demo-signal", "joost", "signal", "wt-west", "Buurvrouw meldt dat de post zich opstapelt."),
]  # fmt: skip


def seed_demo(db: Engine, pseudonymize: Callable[[str], str], clock: Clock) -> int:
    """Insert the demo records that are not there yet; returns how many were added."""
    added = 0
    with session_scope(db) as session:
        for record_id, who, category, team, content in DEMO_RECORDS:
            if session.get(CaseRecord, record_id) is not None:
                continue
            resident = DEMO_RESIDENTS[who]
            session.add(
                CaseRecord(
                    id=record_id,
                    resident=resident,
                    resident_pseudonym=pseudonymize(resident),
                    category=category,
                    team=team,
                    municipality="zaanstad",
                    content=content,
                    created_at_ns=clock(),
                    created_by="demo-seed",
                )
            )
            added += 1
    return added
