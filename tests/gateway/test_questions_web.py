"""The question pages through the app (SQLite and PostgreSQL): a resident asks from a
timeline entry, an officer answers in the console, the resident reads the answer on the entry
and on "Mijn vragen"; who answers and within what term is on the page."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.gateway.conftest import csrf

Token = Callable[..., dict[str, str]]


def _login_resident(web: TestClient) -> None:
    resp = web.post(
        "/mijn/inloggen", data={"csrf_token": csrf(web, "/mijn/inloggen"), "inwoner": "sanne"}
    )
    assert resp.status_code == 303


def _login_officer(web: TestClient, officer: str = "u-fg-1") -> None:
    resp = web.post(
        "/console/login", data={"csrf_token": csrf(web, "/console/login"), "officer": officer}
    )
    assert resp.status_code == 303


def test_ask_answer_read_through_the_pages(web: TestClient, token: Token) -> None:
    anna = token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    assert web.get("/v1/records/r-demo-intake", headers=anna).status_code == 200
    _login_resident(web)
    timeline = web.get("/mijn/inzage").text
    seq = int(re.search(r'href="/mijn/vragen/nieuw\?regel=(\d+)"', timeline).group(1))  # type: ignore[union-attr]

    form = web.get(f"/mijn/vragen/nieuw?regel={seq}")
    assert form.status_code == 200
    words = " ".join(form.text.split())
    assert "binnen 30 dagen antwoord" in words
    assert "privacy@zaanstad.example" in words
    assert "geen burgerservicenummer" in words
    token_ = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    too_short = web.post(
        "/mijn/vragen", data={"csrf_token": token_, "regel": seq, "soort": "question", "tekst": "?"}
    )
    assert too_short.status_code == 422
    assert "tot 2000 tekens" in " ".join(too_short.text.split())
    asked = web.post(
        "/mijn/vragen",
        data={"csrf_token": token_, "regel": seq, "soort": "objection", "tekst": "Mocht dit?"},
    )
    assert asked.status_code == 303
    assert asked.headers["location"].startswith("/mijn/vragen#vraag-q-")
    mine = web.get("/mijn/vragen").text
    assert "Mocht dit?" in mine
    assert "Wacht op antwoord" in mine

    _login_officer(web)
    queue = web.get("/console/vragen")
    assert queue.status_code == 200
    assert "Mocht dit?" not in queue.text  # the queue holds no text: open one to read it
    qid = re.search(r'href="/console/vragen/(q-[0-9a-f]+)"', queue.text).group(1)  # type: ignore[union-attr]
    page = web.get(f"/console/vragen/{qid}")
    assert "Mocht dit?" in page.text
    assert f"#{seq}" in page.text
    answer_token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    no_csrf = web.post(f"/console/vragen/{qid}/antwoord", data={"antwoord": "Ja, dat mocht."})
    assert no_csrf.status_code == 403
    answered = web.post(
        f"/console/vragen/{qid}/antwoord",
        data={"csrf_token": answer_token, "antwoord": "Ja, dat mocht: het wijkteam helpt u."},
    )
    assert answered.status_code == 303

    mine = web.get("/mijn/vragen").text
    assert "Ja, dat mocht: het wijkteam helpt u." in mine
    assert "u-fg-1" not in mine
    timeline = web.get(f"/mijn/inzage?regel={seq}").text
    assert "Ja, dat mocht: het wijkteam helpt u." in timeline
    assert f'id="regel-{seq}"' in timeline  # the page that holds the entry, wherever it is
    newest = web.get("/mijn/inzage").text
    assert "De privacy officer heeft uw vraag beantwoord." in newest
    assert "Vraag beantwoord door de privacy officer" in newest


def test_unknown_entry_and_other_residents_entry(web: TestClient, token: Token) -> None:
    anna = token("u-anna", "team_generalist", teams=("wt-west",), activity="wmo-support")
    assert web.get("/v1/records/r-demo-signal", headers=anna).status_code == 200  # Joost's
    _login_resident(web)  # Sanne
    for seq in (1, 10**6):
        assert web.get(f"/mijn/vragen/nieuw?regel={seq}").status_code == 404


def test_used_link_finds_its_entry_on_any_page(web: TestClient, token: Token) -> None:
    """'Gebruikt: regel N' on the consents page opens the timeline page that holds entry N,
    also when newer entries have pushed it off the first page."""
    _login_resident(web)
    form = {"csrf_token": csrf(web, "/mijn/toestemmingen/nieuw"), "waarvoor": "pw-reintegration",
            "gegevens": "health", "wie": "wi-zaanstad"}  # fmt: skip
    review = web.post("/mijn/toestemmingen/nieuw", data=form)
    sha = re.search(r'name="text_sha256" value="([0-9a-f]{64})"', review.text).group(1)  # type: ignore[union-attr]
    assert web.post("/mijn/toestemmingen", data={**form, "text_sha256": sha}).status_code == 303
    kees = token("u-kees", "wi_client_manager", teams=("wi-zaanstad",), activity="pw-reintegration")
    assert web.get("/v1/records/r-demo-health", headers=kees).status_code == 200
    anna = token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    for _ in range(30):  # more than a page (25) of newer entries
        assert web.get("/v1/records/r-demo-intake", headers=anna).status_code == 200
    consents = web.get("/mijn/toestemmingen").text
    link = re.search(r'href="(/mijn/inzage\?regel=(\d+)#regel-\d+)"', consents)
    assert link, "no link to the entry the consent allowed"
    seq = link.group(2)
    assert f'id="regel-{seq}"' not in web.get("/mijn/inzage").text  # not on the first page
    assert f'id="regel-{seq}"' in web.get(link.group(1).split("#")[0]).text
