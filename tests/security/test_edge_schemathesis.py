"""The whole OpenAPI document, fuzzed by schemathesis with a professional's, a resident's and a
privacy officer's token: no answer is a 5xx, and every answer matches its documented schema.

Each generated case is sent six times: with each token, once with the activity header as
generated (mostly one the register does not know) and once with a real one, so the policy and
the audit trail are reached too. `DOELBINDING_FUZZ_EXAMPLES` sets the examples per operation
(default 5 here; `make fuzz` runs 100).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.core.result import Ok

from gateway.app import create_app
from gateway.demo import seed_demo
from tests.gateway.conftest import BSN_SANNE

EXAMPLES = int(os.environ.get("DOELBINDING_FUZZ_EXAMPLES", "5"))
ACTIVITIES = ("wmo-support", "pw-enforcement", "statistics")


@pytest.fixture
def fuzz_app(settings, clock) -> Iterator[FastAPI]:
    s = settings.model_copy(
        update={
            "edge": settings.edge.model_copy(
                update={"rate_limit": "100000/minute", "rate_limit_case_system": "100000/minute"}
            )
        }
    )
    app = create_app(s, clock=clock)
    services = app.state.services
    seed_demo(services.db, services.pseudonymize, clock, "zaanstad")
    yield app
    services.db.dispose()


@pytest.fixture
def api_schema(fuzz_app):
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


@pytest.fixture
def callers(token) -> list[dict[str, str]]:
    return [
        token("u-anna", "team_generalist", teams=("wt-oost",)),
        token(BSN_SANNE, "resident"),
        token("u-fg", "privacy_officer"),
    ]


def test_no_5xx_and_every_answer_as_documented(fuzz_app, callers) -> None:
    """Every operation of the document, `EXAMPLES` generated cases each (schemathesis's
    pytest plugin cannot take the app from a per-test fixture under pytest 9, so the
    operations are walked here, each as its own hypothesis run)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    checks = [not_a_server_error, response_schema_conformance]
    failures: list[str] = []
    counted = {"operations": 0, "cases": 0, "calls": 0}

    for result in schema.get_all_operations():
        if not isinstance(result, Ok):  # an operation the document cannot describe
            failures.append(f"invalid operation: {result.err()}")
            continue
        operation = result.ok()
        counted["operations"] += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        def run(case) -> None:
            counted["cases"] += 1
            for n, auth in enumerate(callers):
                headers = {**(case.headers or {}), **auth}
                case.call_and_validate(headers=headers, checks=checks)
                counted["calls"] += 1
                if any(k.lower() == "x-processing-activity" for k in headers):
                    headers = {
                        k: v for k, v in headers.items() if k.lower() != "x-processing-activity"
                    }
                    headers["X-Processing-Activity"] = ACTIVITIES[n]
                    case.call_and_validate(headers=headers, checks=checks)
                    counted["calls"] += 1

        try:
            run()
        except Exception as exc:  # noqa: BLE001  (collected, then failed below with all of them)
            failures.append(f"{operation.label}: {str(exc)[:2000]}")

    print(f"schemathesis: {counted}, failures: {len(failures)}")  # noqa: T201  (the figure)
    assert counted["operations"] >= 40
    assert not failures, "\n\n".join(failures)
