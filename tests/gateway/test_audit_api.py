"""The proof API, entries, exports and trace context, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib

from audit import open_note
from audit.merkle import verify_consistency, verify_inclusion

from .conftest import BSN_JOOST, BSN_SANNE

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


def _b(s: str) -> bytes:
    return base64.b64decode(s)


def _activity(client, token, n: int = 2, resident: str = BSN_SANNE) -> str:
    """A stored record (1 audit entry) and `n` reads of it, one of them denied."""
    created = client.post(
        "/v1/records",
        json={"resident": resident, "category": "intake_notes", "team": "wt-oost", "content": "x"},
        headers={
            **token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support"),
            "traceparent": f"00-{TRACE}-{PARENT}-01",
        },
    )
    rid = created.json()["id"]
    for _ in range(n - 1):
        client.get(
            f"/v1/records/{rid}",
            headers=token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support"),
        )
    client.get(
        f"/v1/records/{rid}",
        headers=token("u-henk", "enforcement_officer", activity="pw-enforcement"),
    )
    return rid


def test_checkpoint_key_and_proofs_verify(client, token):
    assert client.get("/v1/audit/checkpoint").status_code == 404  # nothing signed yet
    _activity(client, token)
    checkpointer = client.app.state.services.checkpointer
    first = checkpointer.run_once().tree_size
    _activity(client, token, n=3)
    checkpointer.run_once()

    key = client.get("/v1/audit/public-key").json()
    cp = client.get("/v1/audit/checkpoint").json()
    assert key["algorithm"] == "ed25519"
    assert len(_b(key["public_key"])) == 32
    signed = open_note(cp["note"], key["key_name"], _b(key["public_key"]))
    assert (signed.tree_size, signed.root_hash) == (cp["tree_size"], _b(cp["root_hash"]))
    assert cp["tree_size"] == first + 4

    for seq in range(1, cp["tree_size"] + 1):
        p = client.get("/v1/audit/proofs/inclusion", params={"seq": seq}).json()
        assert p["leaf_index"] == seq - 1
        path = [_b(h) for h in p["path"]]
        assert verify_inclusion(seq - 1, p["tree_size"], _b(p["leaf_hash"]), path, signed.root_hash)
    old = client.get("/v1/audit/proofs/inclusion", params={"seq": 1, "tree_size": first}).json()
    c = client.get(
        "/v1/audit/proofs/consistency", params={"first": first, "second": cp["tree_size"]}
    ).json()
    assert verify_consistency(
        first, cp["tree_size"], _b(old["root_hash"]), signed.root_hash, [_b(h) for h in c["path"]]
    )
    missing = client.get("/v1/audit/proofs/inclusion", params={"seq": cp["tree_size"] + 1})
    assert missing.status_code == 404


def test_entries_privacy_officer_any_resident_only_own_without_employee_id(client, token):
    _activity(client, token, resident=BSN_SANNE)
    _activity(client, token, resident=BSN_JOOST)
    client.app.state.services.checkpointer.run_once()

    po = client.get("/v1/audit/entries/1", headers=token("u-fg", "privacy_officer")).json()
    leaf = _b(po["leaf"])
    assert hashlib.sha256(b"\x00" + leaf).digest() == _b(po["leaf_hash"])
    assert po["entry"]["subject_id"] == "u-anna"

    sanne = token(BSN_SANNE, "resident")
    mine = client.get("/v1/audit/entries/1", headers=sanne)
    assert mine.status_code == 200
    assert mine.json()["leaf"] is None
    assert "u-anna" not in mine.text
    assert client.get("/v1/audit/entries/4", headers=sanne).status_code == 404  # Joost's
    assert client.get("/v1/audit/entries/99", headers=sanne).status_code == 404
    anna = token("u-anna", "team_generalist", teams=("wt-oost",))
    resp = client.get("/v1/audit/entries/1", headers=anna)
    assert resp.status_code == 403  # decided by the policy: audit metadata is supervision
    assert [r["code"] for r in resp.json()["reasons"]] == ["supervision_only"]
    assert client.get("/v1/audit/entries/1").status_code == 401


def test_exports_ldv_and_adl_carry_the_trace(client, token):
    _activity(client, token)
    po = token("u-fg", "privacy_officer")

    ldv = client.get("/v1/audit/export", params={"format": "ldv"}, headers=po).json()["records"]
    adl = client.get("/v1/audit/export", params={"format": "adl"}, headers=po).json()["records"]

    # LDV: the allowed processings only (the create and one read), no employee identity.
    assert [r["name"] for r in ldv] == ["record.create", "record.read"]
    first = ldv[0]
    assert (first["trace_id"], first["parent_span_id"]) == (TRACE, PARENT)
    assert len(first["span_id"]) == 16
    assert first["status"] == "OK"
    attrs = first["attributes"]
    assert attrs["dpl.core.processing_activity_id"] == "wmo-support"
    assert attrs["dpl.core.data_subject_id"] == client.app.state.services.pseudonymize(BSN_SANNE)
    assert attrs["dpl.core.data_subject_id_type"] == "pseudonym"
    assert "u-anna" not in str(ldv)
    assert BSN_SANNE not in str(ldv)
    # ADL: every decision, the denial too (and the officer's own two export decisions).
    assert [r["adl.core.response"]["decision"] for r in adl] == [True, True, False, True, True]
    denial = adl[2]
    assert denial["event_name"] == "adl.access_evaluation"
    assert denial["adl.core.request"]["subject"]["id"] == "u-henk"
    assert denial["adl.core.request"]["action"]["properties"] == {
        "processing_activity_id": "pw-enforcement"
    }
    assert denial["adl.core.response"]["context"]["reason_codes"] == ["support_data_stays_in_team"]
    assert denial["adl.core.policies"][0]["version"]
    assert adl[0]["trace_id"] == TRACE

    page = client.get("/v1/audit/export", params={"format": "adl", "limit": 2}, headers=po).json()
    assert page["next_after_seq"] == 2
    anna = token("u-anna", "team_generalist", teams=("wt-oost",))
    resp = client.get("/v1/audit/export?format=adl", headers=anna)
    assert resp.status_code == 403  # the policy: audit metadata is the privacy officer's
    assert [r["code"] for r in resp.json()["reasons"]] == ["supervision_only"]
