"""A small ZGW Zaken API on 127.0.0.1, checked against the official OpenAPI document.

The parts of the Zaken API 1.5.1 the gateway uses, answered as the standard prescribes
(`../shared/zgw/zaken-api-1.5.1.openapi.yaml`, beside the clone; DOELBINDING_ZGW_SPEC names
another path), under Open Zaak's root `/zaken/api/v1`:

    GET  /zaken/{uuid}          200 Zaak | 404 Fout
    GET  /zaken                 200 PaginatedZaakList (filters: inpBsn, zaaktype, bronorganisatie)
    GET  /rollen?zaak=<url>     200 PaginatedRolList
    POST /zaken                 201 Zaak | 400 ValidatieFout
    anything without a valid ZGW JWT (HS256, the client's secret) → 403 Fout;
    a zaken route without `Accept-Crs: EPSG:4326` → 412 Fout

Every request and every answer goes through openapi-core's validation against that document
(`validate=True`); what fails is kept in `errors` and the tests assert that it stays empty.
Faults for the fail-closed tests are switches: `fail_status` (an error answer), `delay_seconds`
(a timeout), `stop()` (nothing listening).

    python -m tests.fakes.zaken_api --port 8001 --profile zaanstad   # the demo's case system
"""

from __future__ import annotations

import argparse
import io
import json
import os
import threading
import time
import uuid as uuidlib
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import jwt
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

ROOT = Path(__file__).resolve().parents[2]
SPEC_NAME = "zaken-api-1.5.1.openapi.yaml"
API_ROOT = "/zaken/api/v1"
SPEC_HOST, SPEC_ROOT = "zaken-api.vng.cloud", "/api/v1"  # the document's `servers`

_spec_lock = threading.Lock()
_openapi: Any = None


def spec_path() -> Path:
    """The official document: DOELBINDING_ZGW_SPEC, or shared/zgw/ beside the clone."""
    env = os.environ.get("DOELBINDING_ZGW_SPEC")
    path = Path(env) if env else ROOT.parent / "shared" / "zgw" / SPEC_NAME
    if not path.is_file():
        raise FileNotFoundError(
            f"the ZGW Zaken API document is missing at {path}: lay shared/ beside the clone "
            "(shared/zgw/zaken-api-1.5.1.openapi.yaml) or set DOELBINDING_ZGW_SPEC"
        )
    return path


def openapi() -> Any:
    """The document, loaded once per process (openapi-core checks it is valid OpenAPI)."""
    global _openapi
    with _spec_lock:
        if _openapi is None:
            from openapi_core import Config, OpenAPI

            # The document's errors are application/problem+json, which is JSON.
            config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
            _openapi = OpenAPI.from_file_path(str(spec_path()), config=config)
        return _openapi


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log on stderr (the tests read `requests`)."""


def _fout(status: int, code: str, title: str, instance: str) -> dict[str, Any]:
    return {
        "type": f"https://zaken-api.vng.cloud/ref/fouten/{code}/",
        "code": code,
        "title": title,
        "status": status,
        "detail": title,
        "instance": f"urn:uuid:{instance}",
    }


class FakeZakenApi:
    """`url` is the API root (http://127.0.0.1:<port>/zaken/api/v1)."""

    def __init__(
        self,
        client_id: str = "doelbinding",
        secret: str = "zgw-test-secret-of-at-least-32-bytes",  # noqa: S107 - a test secret
        *,
        page_size: int = 100,
        port: int = 0,
        validate: bool = True,
    ) -> None:
        self.client_id = client_id
        self.secret = secret
        self.page_size = page_size
        self.validate = validate
        self.zaken: dict[str, dict[str, Any]] = {}
        self.rollen: dict[str, dict[str, Any]] = {}
        self.fail_status: int | None = None
        self.delay_seconds = 0.0
        self.errors: list[str] = []
        self.requests: list[tuple[str, str]] = []
        #: The `user_id` claim of every authorised request, in order (who asked).
        self.callers: list[str] = []
        self._lock = threading.Lock()
        self._server = make_server(
            "127.0.0.1", port, self._wsgi, threaded=True, request_handler=_Quiet
        )
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}{API_ROOT}"
        self._thread: threading.Thread | None = None
        if validate:
            openapi()

    # -- data ----------------------------------------------------------------------------

    def add_zaak(
        self,
        zaaktype: str,
        bronorganisatie: str,
        *,
        residents: tuple[str, ...] = (),
        unit: str | None = None,
        omschrijving: str = "",
        toelichting: str = "",
        startdatum: str = "2026-11-01",
        uuid: str | None = None,
    ) -> dict[str, Any]:
        """A case with a natural person per resident and a handling unit, as Open Zaak holds it."""
        zaak = self._new_zaak(
            {
                "zaaktype": zaaktype,
                "bronorganisatie": bronorganisatie,
                "verantwoordelijkeOrganisatie": bronorganisatie,
                "omschrijving": omschrijving,
                "toelichting": toelichting,
                "startdatum": startdatum,
            },
            uuid,
        )
        for bsn in residents:
            self._add_rol(zaak, "natuurlijk_persoon", "aanvrager", {"inpBsn": bsn})
        if unit is not None:
            self._add_rol(
                zaak,
                "organisatorische_eenheid",
                "behandelaar",
                {"identificatie": unit, "naam": unit},
            )
        return zaak

    def _new_zaak(self, body: dict[str, Any], uuid: str | None = None) -> dict[str, Any]:
        uuid = uuid or str(uuidlib.uuid4())
        zaak = {
            "url": f"{self.url}/zaken/{uuid}",
            "uuid": uuid,
            "identificatie": f"ZAAK-{len(self.zaken) + 1:05d}",
            "bronorganisatie": body["bronorganisatie"],
            "omschrijving": body.get("omschrijving", ""),
            "toelichting": body.get("toelichting", ""),
            "zaaktype": body["zaaktype"],
            "registratiedatum": "2026-11-01",
            "verantwoordelijkeOrganisatie": body["verantwoordelijkeOrganisatie"],
            "startdatum": body["startdatum"],
            "einddatum": None,
            "vertrouwelijkheidaanduiding": body.get("vertrouwelijkheidaanduiding", "vertrouwelijk"),
            "betalingsindicatie": "",
            "betalingsindicatieWeergave": "",
            "deelzaken": [],
            "eigenschappen": [],
            "rollen": [],
            "status": None,
            "zaakinformatieobjecten": [],
            "zaakobjecten": [],
            "kenmerken": [],
            "resultaat": None,
        }
        with self._lock:
            self.zaken[uuid] = zaak
        return zaak

    def _add_rol(
        self, zaak: dict[str, Any], kind: str, generiek: str, ident: dict[str, Any]
    ) -> None:
        uuid = str(uuidlib.uuid4())
        rol = {
            "url": f"{self.url}/rollen/{uuid}",
            "uuid": uuid,
            "zaak": zaak["url"],
            "betrokkene": "",
            "betrokkeneType": kind,
            "roltype": f"https://catalogi.demo/catalogi/api/v1/roltypen/{generiek}",
            "omschrijving": generiek,
            "omschrijvingGeneriek": generiek,
            "roltoelichting": f"{generiek} van de zaak",
            "registratiedatum": "2026-11-01T09:00:00Z",
            "indicatieMachtiging": "",
            "statussen": [],
            "betrokkeneIdentificatie": ident,
        }
        with self._lock:
            self.rollen[uuid] = rol
            zaak["rollen"].append(rol["url"])

    # -- HTTP ----------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        request = Request(environ)
        self.requests.append((request.method, request.full_path.rstrip("?")))
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        response = self._answer(request)
        if self.validate:
            self._check(environ, body, response)
        return response(environ, start_response)

    def _json(self, status: int, body: Any, crs: bool = False) -> Response:
        headers = {"API-version": "1.5.1"}
        if crs:
            headers["Content-Crs"] = "EPSG:4326"
        # Errors are RFC 7807 problems (`Fout`, `ValidatieFout`), as the document says.
        kind = "application/json" if status < 400 else "application/problem+json"
        return Response(json.dumps(body), status, headers, content_type=kind)

    def _answer(self, request: Request) -> Response:
        instance = str(uuidlib.uuid4())
        if self.fail_status is not None:
            return self._json(
                self.fail_status, _fout(self.fail_status, "error", "Storing", instance)
            )
        if not self._authorised(request):
            return self._json(403, _fout(403, "permission_denied", "Geen rechten", instance))
        path = request.path
        if not path.startswith(API_ROOT + "/"):
            return self._json(404, _fout(404, "not_found", "Niet gevonden", instance))
        path = path[len(API_ROOT) :]
        zaken_route = path.startswith("/zaken")
        if zaken_route and request.headers.get("Accept-Crs") != "EPSG:4326":
            return self._json(412, _fout(412, "precondition_failed", "Accept-Crs", instance))
        if request.method == "GET" and path.startswith("/zaken/"):
            zaak = self.zaken.get(path[len("/zaken/") :])
            if zaak is None:
                return self._json(404, _fout(404, "not_found", "Niet gevonden", instance))
            return self._json(200, zaak, crs=True)
        if request.method == "GET" and path == "/zaken":
            return self._json(200, self._page(request, self._filter_zaken(request)), crs=True)
        if request.method == "GET" and path == "/rollen":
            zaak_url = request.args.get("zaak")
            found = [r for r in self.rollen.values() if zaak_url in (None, r["zaak"])]
            return self._json(200, self._page(request, found))
        if request.method == "POST" and path == "/zaken":
            return self._create(request, instance)
        return self._json(404, _fout(404, "not_found", "Niet gevonden", instance))

    def _authorised(self, request: Request) -> bool:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return False
        try:
            claims = jwt.decode(auth[7:], self.secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            return False
        if claims.get("client_id") != self.client_id:
            return False
        self.callers.append(str(claims.get("user_id", "")))
        return True

    def _filter_zaken(self, request: Request) -> list[dict[str, Any]]:
        bsn = request.args.get("rol__betrokkeneIdentificatie__natuurlijkPersoon__inpBsn")
        found = []
        for zaak in self.zaken.values():
            if bsn is not None and not any(
                self.rollen[u.rsplit("/", 1)[1]]["betrokkeneIdentificatie"].get("inpBsn") == bsn
                for u in zaak["rollen"]
            ):
                continue
            if any(
                request.args.get(k) not in (None, zaak[k]) for k in ("zaaktype", "bronorganisatie")
            ):
                continue
            found.append(zaak)
        return found

    def _page(self, request: Request, items: list[dict[str, Any]]) -> dict[str, Any]:
        page = int(request.args.get("page", "1"))
        start = (page - 1) * self.page_size
        base = f"{self.url}{request.path[len(API_ROOT) :]}"

        def link(n: int) -> str:
            args = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
            return f"{base}?{urlencode([*args, ('page', str(n))])}"

        return {
            "count": len(items),
            "next": link(page + 1) if start + self.page_size < len(items) else None,
            "previous": link(page - 1) if page > 1 else None,
            "results": items[start : start + self.page_size],
        }

    def _create(self, request: Request, instance: str) -> Response:
        try:
            body = json.loads(request.get_data())
            missing = [
                k
                for k in (
                    "zaaktype",
                    "bronorganisatie",
                    "verantwoordelijkeOrganisatie",
                    "startdatum",
                )
                if not isinstance(body.get(k), str)
            ]
        except (ValueError, AttributeError):
            body, missing = {}, ["nonFieldErrors"]
        if missing:
            fout = {
                **_fout(400, "invalid", "Invalid input.", instance),
                "invalidParams": [
                    {"name": k, "code": "required", "reason": "Dit veld is vereist."}
                    for k in missing
                ],
            }
            return self._json(400, fout)
        return self._json(201, self._new_zaak(body), crs=True)

    def _check(self, environ: dict[str, Any], body: bytes, response: Response) -> None:
        """Validate the request and the answer against the document (at its own server)."""
        from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse

        path = environ["PATH_INFO"]
        if not path.startswith(API_ROOT):
            return
        spec_env = {
            **environ,
            "wsgi.url_scheme": "https",
            "HTTP_HOST": SPEC_HOST,
            "SERVER_NAME": SPEC_HOST,
            "SERVER_PORT": "443",
            "PATH_INFO": SPEC_ROOT + path[len(API_ROOT) :],
            "SCRIPT_NAME": "",
            "wsgi.input": io.BytesIO(body),
        }
        req = WerkzeugOpenAPIRequest(Request(spec_env))
        api = openapi()
        try:
            api.validate_response(req, WerkzeugOpenAPIResponse(response))
        except Exception as exc:  # noqa: BLE001 - every kind of validation error is recorded
            detail = f"{exc!r} {exc.__cause__!r}"
            self.errors.append(f"response {environ['REQUEST_METHOD']} {path}: {detail}"[:2000])
        if response.status_code < 300:
            try:
                api.validate_request(req)
            except Exception as exc:  # noqa: BLE001
                self.errors.append(f"request {environ['REQUEST_METHOD']} {path}: {exc!r}"[:2000])

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeZakenApi:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeZakenApi:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


ZAANSTAD = "002564440"
ZT = "https://catalogi.zaanstad.demo/catalogi/api/v1/zaaktypen/3f1e1c36-7c2b-4a55-9d9a-0b2f3c6f1a0"
WMO, SIGNAL, INCOME, ENFORCEMENT = (f"{ZT}{n}" for n in "1234")


DEMO_WMO = "5d6a1c2e-0f3b-4c7d-9e8f-1a2b3c4d5e01"
DEMO_INCOME = "5d6a1c2e-0f3b-4c7d-9e8f-1a2b3c4d5e02"


def seed_demo(api: FakeZakenApi) -> dict[str, dict[str, Any]]:
    """The demo's cases of Sanne (999990019): a Wmo case of wt-oost, an income case of W&I."""
    return {
        "wmo": api.add_zaak(
            WMO,
            ZAANSTAD,
            residents=("999990019",),
            unit="WT-OOST",
            omschrijving="Wmo-melding: hulp bij het huishouden",
            toelichting="Keukentafelgesprek: mevrouw kan na haar operatie niet traplopen.",
            uuid=DEMO_WMO,
        ),
        "income": api.add_zaak(
            INCOME,
            ZAANSTAD,
            residents=("999990019",),
            unit="WI",
            omschrijving="Aanvraag bijstand",
            uuid=DEMO_INCOME,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="A demo ZGW Zaken API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--client-id", default="doelbinding")
    parser.add_argument("--secret", default="zgw-demo-secret-of-at-least-32-bytes")
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long (0: never)")
    parser.add_argument("--no-validate", action="store_true", help="skip the document checks")
    args = parser.parse_args()
    validate = not args.no_validate
    try:
        spec_path()
    except FileNotFoundError as exc:
        print(f"not validating: {exc}")  # noqa: T201
        validate = False
    api = FakeZakenApi(args.client_id, args.secret, port=args.port, validate=validate)
    cases = seed_demo(api)
    with api:
        for name, zaak in cases.items():
            print(f"{name}: {zaak['url']}", flush=True)  # noqa: T201
        deadline = time.monotonic() + args.seconds if args.seconds else None
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.5)


if __name__ == "__main__":
    main()
