"""GET /v1/opa/bundle.tar.gz: a bundle real OPA loads and decides with; ETag = revision."""

from __future__ import annotations

import io
import json
import tarfile

from opa_bindings import OpaEngine  # type: ignore[import-not-found,import-untyped,unused-ignore]

from policy import case_to_input, load_cases, load_modules, parse_decision, revision
from policy.tables import check

URL = "/v1/opa/bundle.tar.gz"


def _files(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        return {
            m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        }


def test_the_bundle_holds_manifest_register_and_modules(client):
    resp = client.get(URL)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/gzip"
    files = _files(resp.content)
    data = client.app.state.services.register.policy_data()
    rev = revision(load_modules(), data)
    assert resp.headers["etag"] == f'"{rev}"'
    manifest = json.loads(files["/.manifest"])
    assert manifest == {"revision": rev, "roots": ["doelbinding"], "rego_version": 1}
    assert json.loads(files["/doelbinding/register/data.json"]) == data
    for name, source in load_modules().items():
        assert files[f"/doelbinding/{name}"].decode() == source
    # The revision is the one the engine (and so the audit log) records.
    assert rev == client.app.state.services.engines.current.revision


def test_the_same_version_is_the_same_bytes(client):
    assert client.get(URL).content == client.get(URL).content


def test_if_none_match_gives_304(client):
    etag = client.get(URL).headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        resp = client.get(URL, headers={"If-None-Match": header})
        assert resp.status_code == 304
        assert resp.content == b""
        assert resp.headers["etag"] == etag
    assert client.get(URL, headers={"If-None-Match": '"sha256:old"'}).status_code == 200


def test_real_opa_loads_the_bundle_and_decides_every_zaanstad_case(client):
    """Load the bundle's files the way OPA does (data under its directory path, modules as
    they are) into OPA's own engine, and decide the profile's decision-table cases."""
    files = _files(client.get(URL).content)
    data = client.app.state.services.register.policy_data()
    engine = OpaEngine()
    try:
        for name, raw in files.items():
            if name.endswith(".rego"):
                engine.add_policy(name, raw.decode())
            elif name.endswith("/data.json"):
                path = name.removeprefix("/").removesuffix("/data.json").replace("/", ".")
                engine.add_data(json.loads(raw), path=path)
        cases = [c for c in load_cases() if c.profile == "zaanstad"]
        assert cases
        for case in cases:
            raw_decision = engine.eval_document(
                "doelbinding.authz.decision", case_to_input(case, data).to_policy_input()
            )
            assert check(case, parse_decision(raw_decision)) == (), case.name
    finally:
        engine.close()
