"""Demo data for `make run`: a few residents and records per municipality profile.

The resident ids are from the test range the Dutch BSN register reserves for testing
(they pass the 11-check but belong to nobody). Record contents are invented. One profile
per family of the report: team inside (zaanstad), W&I first (haarlem), no teams
(hilversum) and regional (kromme-rijn-heuvelland); the README's tour uses them. Every step
of the tour does only what the law allows (docs/law.md): Haarlem's DWI referred Sanne to the
team and is refused the team's signal without her consent; the regional service reads a
Bunnik resident's income, not the Bunnik team's notes.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from gateway.clock import Clock
from gateway.db import session_scope
from records import CaseRecord

DEMO_RESIDENTS = {"sanne": "999990019", "joost": "999990020"}

#: profile → (record id, resident key, category, team, municipality, content)
DEMO_RECORDS: dict[str, list[tuple[str, str, str, str, str, str]]] = {
    "zaanstad": [
        ("r-demo-intake", "sanne", "intake_notes", "wt-oost", "zaanstad",
         "Keukentafelgesprek: zorgen over schulden en slaap; wil graag hulp bij de administratie."),
        ("r-demo-health", "sanne", "health", "wt-oost", "zaanstad",
         "Fysieke klachten; kan voorlopig maximaal 20 uur per week werken."),
        ("r-demo-debts", "sanne", "debts", "wt-oost", "zaanstad",
         "Betalingsachterstand energie, 3 maanden."),
        ("r-demo-income", "sanne", "income", "wi-zaanstad", "zaanstad",
         "Bijstand sinds 2025, geen bijverdiensten."),
        ("r-demo-plan", "sanne", "reintegration_plan", "wi-zaanstad", "zaanstad",
         "Werkervaringsplek in de zorg vanaf het voorjaar."),
        ("r-demo-signal", "joost", "signal", "wt-west", "zaanstad",
         "Buurvrouw meldt dat de post zich opstapelt."),
    ],
    "haarlem": [
        ("r-demo-hl-signal", "sanne", "signal", "swt-schalkwijk", "haarlem",
         "Doorverwezen door DWI: schulden en eenzaamheid; eerste huisbezoek gepland."),
        ("r-demo-hl-income", "sanne", "income", "dwi-haarlem", "haarlem",
         "Bijstand aangevraagd bij het eerste contact."),
    ],
    "hilversum": [
        ("r-demo-hv-intake", "sanne", "intake_notes", "sociaal-plein", "hilversum",
         "Gesprek op het Sociaal Plein: hulp bij dagbesteding gevraagd."),
    ],
    "kromme-rijn-heuvelland": [
        ("r-demo-krh-notes", "sanne", "intake_notes", "st-bunnik", "bunnik",
         "Keukentafelgesprek in Bunnik: mantelzorg valt zwaar."),
        ("r-demo-krh-income", "sanne", "income", "rsd-krh-wi", "bunnik",
         "Bijstand via de Regionale Sociale Dienst sinds 2024."),
    ],
}  # fmt: skip


def seed_demo(
    db: Engine, pseudonymize: Callable[[str], str], clock: Clock, profile: str = "zaanstad"
) -> int:
    """Insert the profile's demo records that are not there yet; returns how many were added."""
    added = 0
    with session_scope(db) as session:
        for record_id, who, category, team, municipality, content in DEMO_RECORDS.get(profile, []):
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
                    municipality=municipality,
                    content=content,
                    created_at_ns=clock(),
                    created_by="demo-seed",
                )
            )
            added += 1
    return added
