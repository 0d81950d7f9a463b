"""Decisions for existing gateways: real nginx with `auth_request` in front of a Zaken API,
doelbinding deciding and auditing each request; and Envoy's `ext_authz` HTTP form.

Through nginx the same allowed/denied pairs hold as in upstream mode, and each decision has
its audit record. nginx is Debian's package, a child process with a generated config."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from gateway.app import create_app
from gateway.settings import Settings
from policy import PolicyEngine
from tests.fakes.nginx import Nginx, free_port
from tests.fakes.zaken_api import ENFORCEMENT, INCOME, WMO, ZAANSTAD, FakeZakenApi
from zaken import zgw_token

from .conftest import BSN_SANNE, FakeClock
from .zgw import audit_records, engine_with_flow_redact, upstream_settings, zaken_api

ANNA = ("u-anna", "team_generalist")
OOST = ("wt-oost",)
HENK = ("u-henk", "enforcement_officer")
CRS = {"Accept-Crs": "EPSG:4326", "Content-Crs": "EPSG:4326"}  # what a ZGW client sends


@pytest.fixture
def zgw() -> Iterator[FakeZakenApi]:
    yield from zaken_api()


@pytest.fixture
def settings(settings: Settings, zgw: FakeZakenApi) -> Settings:
    return upstream_settings(settings, zgw)


class _Gateway:
    """The gateway under uvicorn in a thread, on 127.0.0.1 and a free port."""

    def __init__(
        self, settings: Settings, clock: FakeClock, engine: PolicyEngine | None = None
    ) -> None:
        self.app = create_app(settings, clock=clock, engine=engine)
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> _Gateway:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the gateway did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.app.state.services.db.dispose()


def _servers(port: int, gateway: int, zgw: FakeZakenApi) -> str:
    """An existing gateway: nginx asks doelbinding first, then proxies to the Zaken API with
    its own ZGW credentials, passing on the fields to redact."""
    jwt = zgw_token(zgw.client_id, zgw.secret, "nginx")
    up = f"127.0.0.1:{zgw.port}"
    return f"""
    server {{
        listen 127.0.0.1:{port};
        location /zaken/api/v1/ {{
            auth_request /_doelbinding;
            auth_request_set $redact $upstream_http_x_doelbinding_redact;
            proxy_set_header Authorization "Bearer {jwt}";
            proxy_set_header X-Doelbinding-Redact $redact;
            add_header X-Doelbinding-Redact $redact always;
            proxy_pass http://{up};
        }}
        location = /_doelbinding {{
            internal;
            proxy_pass http://127.0.0.1:{gateway}/authz/zgw;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-Method $request_method;
            proxy_set_header X-Original-URI $request_uri;
        }}
    }}
"""


@pytest.fixture
def through_nginx(settings: Settings, clock: FakeClock, zgw: FakeZakenApi) -> Iterator[Any]:
    with _Gateway(settings, clock) as gw:
        port = free_port()
        with Nginx(_servers(port, gw.port, zgw), port) as nginx:
            gw.url = nginx.url  # type: ignore[attr-defined]
            yield gw


def _cases(zgw: FakeZakenApi) -> tuple[dict[str, Any], dict[str, Any]]:
    wmo = zgw.add_zaak(WMO, ZAANSTAD, residents=(BSN_SANNE,), unit="WT-OOST", toelichting="x")
    inv = zgw.add_zaak(ENFORCEMENT, ZAANSTAD, residents=(BSN_SANNE,), unit="HH")
    return wmo, inv


def test_nginx_auth_request_allowed_and_denied_pairs_each_audited(through_nginx, token, zgw):
    wmo, inv = _cases(zgw)
    anna = token(*ANNA, teams=OOST, activity="wmo-support")
    henk = token(*HENK, activity="pw-enforcement")
    base = f"{through_nginx.url}/zaken/api/v1"
    pairs = [
        (f"{base}/zaken/{wmo['uuid']}", anna, 200, f"zaak/{wmo['uuid']}"),
        (f"{base}/zaken/{wmo['uuid']}", henk, 403, f"zaak/{wmo['uuid']}"),
        (f"{base}/zaken/{inv['uuid']}", henk, 200, f"zaak/{inv['uuid']}"),
        (f"{base}/zaken/{inv['uuid']}", anna, 403, f"zaak/{inv['uuid']}"),
        (f"{base}/rollen?zaak={wmo['url']}", anna, 200, f"zaak/{wmo['uuid']}/rollen"),
        (f"{base}/rollen?zaak={wmo['url']}", henk, 403, f"zaak/{wmo['uuid']}/rollen"),
    ]
    for url, headers, status, record_id in pairs:
        before = len(zgw.callers)
        resp = httpx.get(url, headers={**headers, **CRS}, timeout=10)
        assert resp.status_code == status, (url, resp.text)
        callers = zgw.callers[before:]
        if status == 200:
            assert resp.json()["results" if "/rollen?" in url else "url"]
            assert callers[-1] == "nginx"  # proxied after doelbinding's decision
        else:  # nginx's own refusal page: nothing of the case, and nothing proxied
            assert "zaaktype" not in resp.text
            assert BSN_SANNE not in resp.text
            assert "nginx" not in callers
        # doelbinding asked the upstream for the facts first, as the caller's subject
        assert callers[0] == headers_sub(headers)
        rec = audit_records(through_nginx)[-1]
        assert (rec.record_id, rec.allowed) == (record_id, status == 200)
        assert rec.subject_id == headers_sub(headers)
    assert len(audit_records(through_nginx)) == len(pairs)


def headers_sub(headers: dict[str, str]) -> str:
    import jwt

    claims = jwt.decode(headers["Authorization"][7:], options={"verify_signature": False})
    return str(claims["sub"])


def test_nginx_a_list_with_cases_the_caller_may_not_see_is_refused(through_nginx, token, zgw):
    _cases(zgw)
    url = (
        f"{through_nginx.url}/zaken/api/v1/zaken"
        f"?rol__betrokkeneIdentificatie__natuurlijkPersoon__inpBsn={BSN_SANNE}"
    )
    anna = token(*ANNA, teams=OOST, activity="wmo-support")
    assert httpx.get(url, headers={**anna, **CRS}, timeout=10).status_code == 403
    assert [r.allowed for r in audit_records(through_nginx)] == [True, False]
    zgw.zaken.pop(next(u for u, z in zgw.zaken.items() if z["zaaktype"] == ENFORCEMENT))
    resp = httpx.get(url, headers={**anna, **CRS}, timeout=10)
    assert resp.status_code == 200
    assert resp.json()["count"] == 1
    other = url.replace(BSN_SANNE, "999990032")  # a resident without cases: an empty page
    assert httpx.get(other, headers={**anna, **CRS}, timeout=10).status_code == 200


def test_nginx_a_new_case_without_its_body_is_refused(through_nginx, token, zgw):
    anna = token(*ANNA, teams=OOST, activity="wmo-support")
    resp = httpx.post(
        f"{through_nginx.url}/zaken/api/v1/zaken",
        json={"zaaktype": WMO},
        headers={**anna, **CRS},
        timeout=10,
    )
    assert resp.status_code == 403
    assert zgw.zaken == {}


def test_nginx_upstream_down_is_a_refusal(through_nginx, token, zgw):
    wmo, _ = _cases(zgw)
    zgw.fail_status = 500
    anna = token(*ANNA, teams=OOST, activity="wmo-support")
    resp = httpx.get(
        f"{through_nginx.url}/zaken/api/v1/zaken/{wmo['uuid']}", headers={**anna, **CRS}, timeout=10
    )
    assert resp.status_code == 500  # nginx: the auth subrequest failed (502) → 500, no data
    assert "zaaktype" not in resp.text
    [rec] = audit_records(through_nginx)
    assert (rec.allowed, rec.reason_codes) == (False, ["upstream_unavailable"])


# -- Envoy ext_authz (HTTP service): the original request under a path prefix -------------


def test_envoy_ext_authz_answers_with_headers_the_proxy_passes_on(client, token, zgw):
    wmo, _ = _cases(zgw)
    path = f"/authz/ext/zaken/api/v1/zaken/{wmo['uuid']}"
    ok = client.get(path, headers=token(*ANNA, teams=OOST, activity="wmo-support"))
    assert ok.status_code == 200
    assert ok.headers["X-Doelbinding-Decision"] == "allow"
    assert ok.headers["X-Doelbinding-Basis"].startswith("role:")
    no = client.get(path, headers=token(*HENK, activity="pw-enforcement"))
    assert no.status_code == 403
    assert no.headers["X-Doelbinding-Reasons"] == "support_data_stays_in_team"
    assert [r.allowed for r in audit_records(client)] == [True, False]


def test_envoy_ext_authz_decides_a_new_case_with_its_body(client, token, zgw):
    body = {
        "zaaktype": WMO,
        "bronorganisatie": ZAANSTAD,
        "verantwoordelijkeOrganisatie": ZAANSTAD,
        "startdatum": "2026-11-29",
    }
    path = "/authz/ext/zaken/api/v1/zaken"
    ok = client.post(path, json=body, headers=token(*ANNA, teams=OOST, activity="wmo-support"))
    assert ok.status_code == 200, ok.text
    no = client.post(path, json=body, headers=token(*HENK, activity="pw-enforcement"))
    assert no.status_code == 403
    assert [(r.action, r.allowed) for r in audit_records(client)] == [
        ("create", True),
        ("create", False),
    ]
    assert zgw.zaken == {}  # deciding is not doing: the proxy forwards the request itself


def test_a_request_outside_the_route_table_is_refused(client, token, zgw):
    anna = token(*ANNA, teams=OOST, activity="wmo-support")
    for method, path in (
        ("GET", "/authz/ext/zaken/api/v1/statussen"),
        ("GET", "/authz/ext/elsewhere/zaken/x"),
        ("DELETE", "/authz/ext/zaken/api/v1/zaken/0b9e2f4a-1c3d-4e5f-8a9b-0c1d2e3f4a5b"),
    ):
        resp = client.request(method, path, headers=anna)
        assert resp.status_code == 403
        assert resp.headers["X-Doelbinding-Reasons"] == "not_routed"


def test_nginx_passes_on_the_fields_to_redact(settings, clock, token, zgw, tmp_path):
    """A flow that withholds a field (a test register: the Participation-Act flow to
    enforcement without the case's `toelichting`): doelbinding allows with
    `X-Doelbinding-Redact`, which nginx passes to the upstream and to the client."""
    engine = engine_with_flow_redact(
        "zaanstad", "pw-data-to-enforcement", ["toelichting"], tmp_path
    )
    zaak = zgw.add_zaak(INCOME, ZAANSTAD, residents=(BSN_SANNE,), unit="WI", toelichting="x")
    henk = token(*HENK, activity="pw-enforcement")
    with _Gateway(settings, clock, engine) as gw:
        port = free_port()
        with Nginx(_servers(port, gw.port, zgw), port) as nginx:
            resp = httpx.get(
                f"{nginx.url}/zaken/api/v1/zaken/{zaak['uuid']}",
                headers={**henk, **CRS},
                timeout=10,
            )
        assert resp.status_code == 200
        assert resp.headers["X-Doelbinding-Redact"] == "toelichting"
        [rec] = audit_records(gw)
        assert (rec.allowed, rec.redacted) == (True, ["toelichting"])
