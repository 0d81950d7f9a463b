"""The background checkpointer survives a failing turn: an error it did not foresee (here the
witness file's disk) is logged and the next turn signs. A dead thread would leave the log
unsigned while the gateway went on answering."""

from __future__ import annotations

import time

from .conftest import BSN_SANNE


def test_a_failing_turn_does_not_stop_the_checkpointer(client, token):
    checkpointer = client.app.state.services.checkpointer
    witness = checkpointer.witness
    assert witness is not None
    record = witness.record
    failures: list[str] = []

    def record_failing_once(note: str) -> None:
        if not failures:
            failures.append(note)
            raise OSError("disk full")
        record(note)

    witness.record = record_failing_once
    checkpointer.stop()
    checkpointer._interval = 0.05
    created = client.post(
        "/v1/records",
        json={"resident": BSN_SANNE, "category": "intake_notes", "team": "wt-oost", "content": "x"},
        headers=token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support"),
    )
    assert created.status_code == 201
    checkpointer.start()
    try:
        deadline = time.monotonic() + 30
        while client.get("/v1/audit/checkpoint").status_code != 200 or not failures:
            assert time.monotonic() < deadline, "the checkpointer signed nothing after a failure"
            time.sleep(0.05)
        size = client.get("/v1/audit/checkpoint").json()["tree_size"]
        client.get(
            f"/v1/records/{created.json()['id']}",
            headers=token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support"),
        )
        while client.get("/v1/audit/checkpoint").json()["tree_size"] <= size:
            assert time.monotonic() < deadline, "the thread died after its failing turn"
            time.sleep(0.05)
    finally:
        checkpointer.stop()
    assert len(failures) == 1
