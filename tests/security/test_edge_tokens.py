"""Issue 12, finding 9 (tokens and transport): NumericDates are numbers, a token names its key,
HSTS over TLS, and the OpenAPI document says which headers are required."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from gateway.auth import AuthError, AuthFailure, TokenVerifier, key_id, load_or_create_dev_key

ISSUER = "doelbinding-dev"
AUDIENCE = "doelbinding"


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "u-anna",
        "roles": ["team_generalist"],
        "teams": ["wt-oost"],
        "municipality": "zaanstad",
        "exp": now + 300,
        **overrides,
    }


@pytest.fixture
def dev(tmp_path):
    key = load_or_create_dev_key(tmp_path / "dev.pem")
    return key, TokenVerifier.from_public_key(key.public_key(), ISSUER, AUDIENCE)


@pytest.mark.parametrize(
    ("claim", "value"),
    [("exp", "in 300 s"), ("nbf", "0"), ("iat", "0"), ("iat", True)],
    ids=["exp-string", "nbf-string", "iat-string", "iat-bool"],
)
def test_numeric_dates_must_be_numbers(dev, claim, value) -> None:
    key, verifier = dev
    if value == "in 300 s":  # a string of a time still to come, taken when the test runs
        value = str(int(time.time()) + 300)
    token = jwt.encode(
        _claims(**{claim: value}), key, algorithm="ES256", headers={"kid": key_id(key.public_key())}
    )
    with pytest.raises(AuthError) as refused:
        verifier.verify(token)
    assert (refused.value.reason, refused.value.claim) == (AuthFailure.INVALID_CLAIM, claim)


def test_a_dev_token_without_kid_is_refused(dev) -> None:
    key, verifier = dev
    with pytest.raises(AuthError) as refused:
        verifier.verify(jwt.encode(_claims(), key, algorithm="ES256"))
    assert refused.value.reason is AuthFailure.UNKNOWN_KEY


def test_a_dev_token_naming_another_key_is_refused(dev) -> None:
    key, verifier = dev
    token = jwt.encode(_claims(), key, algorithm="ES256", headers={"kid": "another-key"})
    with pytest.raises(AuthError) as refused:
        verifier.verify(token)
    assert refused.value.reason is AuthFailure.UNKNOWN_KEY


def test_a_dev_token_naming_its_key_is_accepted(dev) -> None:
    key, verifier = dev
    token = jwt.encode(_claims(), key, algorithm="ES256", headers={"kid": key_id(key.public_key())})
    assert verifier.verify(token).sub == "u-anna"


def test_hsts_on_every_response_over_https(client) -> None:
    tls = TestClient(client.app, base_url="https://testserver", raise_server_exceptions=False)
    for path in ("/health", "/v1/records/r-1", "/nowhere", "/mijn/inloggen"):
        resp = tls.get(path, follow_redirects=False)
        assert resp.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_no_hsts_over_plain_http(client) -> None:
    assert "strict-transport-security" not in client.get("/health").headers


def test_the_openapi_document_marks_the_activity_header_required(client) -> None:
    doc = client.get("/openapi.json").json()
    op = doc["paths"]["/v1/records/{record_id}"]["get"]
    (header,) = [p for p in op["parameters"] if p["name"].lower() == "x-processing-activity"]
    assert header["required"] is True


def test_a_missing_activity_header_is_still_the_400_that_explains_it(client, token) -> None:
    resp = client.get("/v1/records/r-1", headers=token("u-anna", "team_generalist"))
    assert resp.status_code == 400
    assert resp.json()["code"] == "processing_activity"
