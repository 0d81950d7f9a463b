"""gateway/auth.py: dev tokens, JWKS verification against a real local JWKS server, headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
import threading
import time
import urllib.request
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gateway.auth import (
    AuthError,
    AuthFailure,
    AuthUnavailable,
    Principal,
    TokenVerifier,
    bearer_token,
    issue_dev_token,
    key_id,
    load_or_create_dev_key,
)
from tests.fakes.jwks_server import JwksServer, SigningKey

ISSUER = "https://idp.example.nl/realms/zaanstad"
AUDIENCE = "doelbinding"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "u-123",
        "roles": ["team_generalist"],
        "municipality": "zaanstad",
        "org": "gemeente-zaanstad",
        "teams": ["wt-oost"],
        "exp": int(time.time()) + 300,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not ...}


def unsigned_token(header: dict[str, Any], payload: dict[str, Any]) -> str:
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}."


def hs256_token(payload: dict[str, Any], secret: bytes, **header: Any) -> str:
    """HS256 by hand: pyjwt itself refuses to HMAC with a PEM key, an attacker would not."""
    head = {"alg": "HS256", "typ": "JWT", **header}
    signing_input = f"{b64url(json.dumps(head).encode())}.{b64url(json.dumps(payload).encode())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def _kid(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    """The header that names the dev key, which the dev verifier requires."""
    return {"kid": key_id(key.public_key())}


def failure(verifier: TokenVerifier, token: str) -> AuthError:
    with pytest.raises(AuthError) as info:
        verifier.verify(token)
    return info.value


# --- the dev key ---------------------------------------------------------------------------


@pytest.fixture
def dev_key(tmp_path: Path) -> ec.EllipticCurvePrivateKey:
    return load_or_create_dev_key(tmp_path / "keys" / "dev-signing-key.pem")


@pytest.fixture
def dev_verifier(dev_key: ec.EllipticCurvePrivateKey) -> TokenVerifier:
    return TokenVerifier.from_public_key(dev_key.public_key(), ISSUER, AUDIENCE)


def dev_token(key: ec.EllipticCurvePrivateKey, **overrides: Any) -> str:
    args: dict[str, Any] = {
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "sub": "u-123",
        "roles": ["wi_client_manager"],
        "municipality": "zaanstad",
        "organisation": "gemeente-zaanstad",
        "teams": ["wt-oost", "wt-west"],
        **overrides,
    }
    return issue_dev_token(key, **args)


def test_dev_token_round_trip(dev_key, dev_verifier):
    principal = dev_verifier.verify(dev_token(dev_key))
    assert principal == Principal(
        sub="u-123",
        roles=("wi_client_manager",),
        organisation="gemeente-zaanstad",
        teams=("wt-oost", "wt-west"),
        municipality="zaanstad",
    )
    assert not principal.is_resident


def test_resident_token(dev_key, dev_verifier):
    token = dev_token(dev_key, sub="p-77", roles=["resident"], organisation="", teams=())
    principal = dev_verifier.verify(token)
    assert principal.is_resident
    assert principal.teams == ()
    assert principal.organisation == ""


def test_dev_token_header_names_the_key(dev_key):
    header = jwt.get_unverified_header(dev_token(dev_key))
    assert header["alg"] == "ES256"
    assert header["kid"] == key_id(dev_key.public_key())


def test_expired_token_is_refused(dev_key, dev_verifier):
    nine_hours_ago = datetime.now(UTC) - timedelta(hours=9)
    token = dev_token(dev_key, now=nine_hours_ago)  # default ttl: 8 hours
    assert failure(dev_verifier, token).reason is AuthFailure.EXPIRED


def test_clock_skew_within_leeway_is_tolerated(dev_key, dev_verifier):
    provider_clock_ahead = datetime.now(UTC) + timedelta(seconds=20)  # iat in "our" future
    assert dev_verifier.verify(dev_token(dev_key, now=provider_clock_ahead)).sub == "u-123"
    just_expired = datetime.now(UTC) - timedelta(seconds=3600 + 20)
    assert dev_verifier.verify(dev_token(dev_key, now=just_expired, ttl_seconds=3600))


def test_clock_skew_beyond_leeway_is_refused(dev_key, dev_verifier):
    future = datetime.now(UTC) + timedelta(minutes=5)
    assert failure(dev_verifier, dev_token(dev_key, now=future)).reason is (
        AuthFailure.NOT_YET_VALID
    )
    expired = datetime.now(UTC) - timedelta(seconds=3600 + 60)
    assert failure(dev_verifier, dev_token(dev_key, now=expired, ttl_seconds=3600)).reason is (
        AuthFailure.EXPIRED
    )


def test_wrong_issuer(dev_key, dev_verifier):
    token = dev_token(dev_key, issuer="https://evil.example/realms/zaanstad")
    err = failure(dev_verifier, token)
    assert err.reason is AuthFailure.WRONG_ISSUER
    assert "evil" not in str(err)


def test_wrong_audience(dev_key, dev_verifier):
    token = dev_token(dev_key, audience="another-service")
    assert failure(dev_verifier, token).reason is AuthFailure.WRONG_AUDIENCE


def test_signature_by_another_key_is_refused(dev_key, dev_verifier):
    other = ec.generate_private_key(ec.SECP256R1())
    # Naming its own key: unknown. Naming the dev key (its kid is public): a bad signature.
    assert failure(dev_verifier, dev_token(other)).reason is AuthFailure.UNKNOWN_KEY
    forged = jwt.encode(claims(), other, algorithm="ES256", headers=_kid(dev_key))
    assert failure(dev_verifier, forged).reason is AuthFailure.BAD_SIGNATURE


def test_tampered_payload_is_refused(dev_key, dev_verifier):
    head, _, sig = dev_token(dev_key).split(".")
    forged = b64url(json.dumps(claims(roles=["privacy_officer"])).encode())
    assert failure(dev_verifier, f"{head}.{forged}.{sig}").reason is AuthFailure.BAD_SIGNATURE


def test_alg_none_is_refused(dev_key, dev_verifier):
    token = unsigned_token({"alg": "none", "typ": "JWT", **_kid(dev_key)}, claims())
    assert failure(dev_verifier, token).reason is AuthFailure.ALGORITHM_NOT_ALLOWED


def test_hs256_with_the_public_key_as_secret_is_refused(dev_key, dev_verifier):
    pem = dev_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    token = hs256_token(claims(), pem, **_kid(dev_key))
    assert failure(dev_verifier, token).reason is AuthFailure.ALGORITHM_NOT_ALLOWED


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "....", "WzFd.e30.", "é.e30."])
def test_garbage_is_a_malformed_token(dev_verifier, token):
    assert failure(dev_verifier, token).reason is AuthFailure.MALFORMED_TOKEN


@pytest.mark.parametrize("claim", ["sub", "roles", "municipality", "exp", "iss", "aud"])
def test_missing_claim(dev_key, dev_verifier, claim):
    token = jwt.encode(claims(**{claim: ...}), dev_key, algorithm="ES256", headers=_kid(dev_key))
    err = failure(dev_verifier, token)
    assert (err.reason, err.claim) == (AuthFailure.MISSING_CLAIM, claim)


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("roles", []),
        ("roles", "team_generalist"),
        ("roles", ["team_generalist", 7]),
        ("roles", [""]),
        ("municipality", ""),
        ("municipality", ["zaanstad"]),
        ("org", 42),
        ("teams", "wt-oost"),
        ("teams", [None]),
        ("sub", ""),
        ("sub", 123),
    ],
)
def test_invalid_claim(dev_key, dev_verifier, claim, value):
    token = jwt.encode(claims(**{claim: value}), dev_key, algorithm="ES256", headers=_kid(dev_key))
    err = failure(dev_verifier, token)
    assert (err.reason, err.claim) == (AuthFailure.INVALID_CLAIM, claim)


def test_org_and_teams_are_optional(dev_key, dev_verifier):
    token = jwt.encode(
        claims(org=..., teams=...), dev_key, algorithm="ES256", headers=_kid(dev_key)
    )
    principal = dev_verifier.verify(token)
    assert (principal.organisation, principal.teams) == ("", ())


def test_error_text_never_echoes_claim_values(dev_key, dev_verifier):
    token = jwt.encode(
        claims(roles="999999990", sub="999999990"),
        dev_key,
        algorithm="ES256",
        headers=_kid(dev_key),
    )
    err = failure(dev_verifier, token)
    assert "999999990" not in str(err)
    assert token not in str(err)


def test_issue_dev_token_refuses_no_roles(dev_key):
    with pytest.raises(ValueError, match="role"):
        dev_token(dev_key, roles=[])


# --- the token cache -----------------------------------------------------------------------


def test_cache_skips_repeated_verification(dev_key: ec.EllipticCurvePrivateKey):
    calls = 0

    def resolve(_token: str) -> ec.EllipticCurvePublicKey:
        nonlocal calls
        calls += 1
        return dev_key.public_key()

    verifier = TokenVerifier(resolve, issuer=ISSUER, audience=AUDIENCE, algorithms=["ES256"])
    token = dev_token(dev_key)
    assert verifier.verify(token) == verifier.verify(token)
    assert calls == 1


def test_cache_entry_expires_with_the_token(dev_key):
    verifier = TokenVerifier.from_public_key(
        dev_key.public_key(), ISSUER, AUDIENCE, leeway_seconds=0
    )
    token = dev_token(dev_key, ttl_seconds=1)
    verifier.verify(token)  # cached now
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    time.sleep(max(0.0, exp - time.time()) + 0.05)
    assert failure(verifier, token).reason is AuthFailure.EXPIRED


def test_cache_entry_lives_at_most_cache_seconds(dev_key: ec.EllipticCurvePrivateKey):
    calls = 0
    now = time.time()

    def resolve(_token: str) -> ec.EllipticCurvePublicKey:
        nonlocal calls
        calls += 1
        return dev_key.public_key()

    verifier = TokenVerifier(
        resolve,
        issuer=ISSUER,
        audience=AUDIENCE,
        algorithms=["ES256"],
        cache_seconds=10,
        clock=lambda: now,
    )
    token = dev_token(dev_key)  # valid for 8 hours
    verifier.verify(token)
    now += 9
    verifier.verify(token)
    assert calls == 1
    now += 2
    verifier.verify(token)
    assert calls == 2


def test_cached_answers_only_what_verify_would_answer_from_its_cache(
    dev_key: ec.EllipticCurvePrivateKey,
):
    """`cached` (the event loop's fast path in gateway/deps.py) never verifies: it knows a
    token only after `verify` accepted it, and forgets it when `verify`'s cache would."""
    now = time.time()
    verifier = TokenVerifier.from_public_key(
        dev_key.public_key(), ISSUER, AUDIENCE, cache_seconds=10, clock=lambda: now
    )
    token = dev_token(dev_key)
    assert verifier.cached(token) is None  # never verified: the pool must verify it
    assert verifier.cached(dev_token(dev_key, sub="u-forged")) is None
    principal = verifier.verify(token)
    assert verifier.cached(token) == principal
    assert verifier.cached(token + "x") is None  # the exact token, not a prefix
    now += 11
    assert verifier.cached(token) is None  # past cache_seconds: verified again
    off = TokenVerifier.from_public_key(dev_key.public_key(), ISSUER, AUDIENCE, cache_size=0)
    off.verify(token)
    assert off.cached(token) is None


def test_cache_is_bounded(dev_key):
    verifier = TokenVerifier.from_public_key(dev_key.public_key(), ISSUER, AUDIENCE, cache_size=2)
    for n in range(5):
        verifier.verify(dev_token(dev_key, sub=f"u-{n}"))
    assert len(verifier._cache) == 2


# --- the dev key file ----------------------------------------------------------------------


def test_dev_key_is_created_private_and_reused(tmp_path):
    path = tmp_path / "a" / "b" / "dev.pem"
    key = load_or_create_dev_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    again = load_or_create_dev_key(path)
    assert again.private_numbers() == key.private_numbers()
    assert sorted(p.name for p in path.parent.iterdir()) == ["dev.pem"]


def test_concurrent_first_use_agrees_on_one_key(tmp_path):
    path = tmp_path / "dev.pem"
    start = threading.Barrier(8)
    keys: list[ec.EllipticCurvePrivateKey] = []

    def create() -> None:
        start.wait()
        keys.append(load_or_create_dev_key(path))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    on_disk = load_or_create_dev_key(path).private_numbers()
    assert len(keys) == 8
    assert all(k.private_numbers() == on_disk for k in keys)
    assert [p.name for p in tmp_path.iterdir()] == ["dev.pem"]


def test_dev_key_file_of_another_kind_is_refused(tmp_path):
    path = tmp_path / "dev.pem"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValueError, match="P-256"):
        load_or_create_dev_key(path)


# --- the Authorization header --------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer abc.def.ghi", "abc.def.ghi"),
        ("Bearer  a-b_c.d+e/f~g=", "a-b_c.d+e/f~g="),
    ],
)
def test_bearer_token(header, token):
    assert bearer_token(header) == token


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, AuthFailure.MISSING_TOKEN),
        ("", AuthFailure.MISSING_TOKEN),
        ("   ", AuthFailure.MISSING_TOKEN),
        ("Bearer", AuthFailure.MALFORMED_HEADER),
        ("Bearer ", AuthFailure.MALFORMED_HEADER),
        ("Basic dXNlcjpwYXNz", AuthFailure.MALFORMED_HEADER),
        ("Bearer a.b.c extra", AuthFailure.MALFORMED_HEADER),
        ("Bearer a.b.c,d", AuthFailure.MALFORMED_HEADER),
        ("Bearer\ta.b.c", AuthFailure.MALFORMED_HEADER),
        ("abc.def.ghi", AuthFailure.MALFORMED_HEADER),
    ],
)
def test_bearer_token_refuses(header, reason):
    with pytest.raises(AuthError) as info:
        bearer_token(header)
    assert info.value.reason is reason


# --- JWKS, against a real local JWKS server ------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> SigningKey:
    return SigningKey.rsa("rsa-2025")


@pytest.fixture(scope="module")
def ec_key() -> SigningKey:
    return SigningKey.ec("ec-2025")


@pytest.fixture
def jwks(rsa_key, ec_key):
    with JwksServer(rsa_key, ec_key) as server:
        yield server


def jwks_verifier(server: JwksServer, **options: Any) -> TokenVerifier:
    return TokenVerifier.from_jwks(server.url, ISSUER, AUDIENCE, **options)


def test_jwks_document_is_what_a_provider_publishes(jwks):
    with urllib.request.urlopen(jwks.url) as response:  # noqa: S310  # our http:// fake
        doc = json.load(response)
    assert {k["kid"]: (k["kty"], k["alg"], k["use"]) for k in doc["keys"]} == {
        "rsa-2025": ("RSA", "RS256", "sig"),
        "ec-2025": ("EC", "ES256", "sig"),
    }
    assert all("d" not in k for k in doc["keys"])  # public halves only


def test_nothing_is_fetched_before_the_first_verify(jwks):
    jwks_verifier(jwks)
    assert jwks.requests == 0


@pytest.mark.parametrize("key_name", ["rsa_key", "ec_key"])
def test_rs256_and_es256_tokens_verify(request, jwks, key_name):
    key: SigningKey = request.getfixturevalue(key_name)
    verifier = jwks_verifier(jwks)
    principal = verifier.verify(key.sign(claims(roles=["enforcement_officer"], teams=...)))
    assert principal.roles == ("enforcement_officer",)
    assert principal.teams == ()
    assert jwks.requests == 1


def test_jwks_keys_are_cached_across_tokens(jwks, rsa_key, ec_key):
    verifier = jwks_verifier(jwks, cache_size=0)
    for n in range(5):
        verifier.verify(rsa_key.sign(claims(sub=f"u-{n}")))
        verifier.verify(ec_key.sign(claims(sub=f"u-{n}")))
    assert jwks.requests == 1


def test_wrong_issuer_and_audience_via_jwks(jwks, rsa_key):
    verifier = jwks_verifier(jwks)
    assert failure(verifier, rsa_key.sign(claims(iss="x"))).reason is AuthFailure.WRONG_ISSUER
    assert failure(verifier, rsa_key.sign(claims(aud="x"))).reason is AuthFailure.WRONG_AUDIENCE


def test_unknown_kid_is_refused_and_does_not_hammer_the_provider(jwks):
    stranger = SigningKey.ec("not-published")
    verifier = jwks_verifier(jwks)  # default 30 s refresh cooldown
    for _ in range(5):
        token = stranger.sign(claims())
        assert failure(verifier, token).reason is AuthFailure.UNKNOWN_KEY
    assert jwks.requests <= 2


@pytest.mark.parametrize(
    "token", ["", "abc", "a.b.c", "....", "bm90IGpzb24.e30.", "WzFd.e30.", "é.e30."]
)
def test_garbage_is_a_malformed_token_via_jwks(jwks, token):
    assert failure(jwks_verifier(jwks), token).reason is AuthFailure.MALFORMED_TOKEN
    assert jwks.requests == 0


def test_token_without_kid_is_refused(jwks, ec_key):
    token = jwt.encode(claims(), ec_key.private_key, algorithm="ES256")
    assert failure(jwks_verifier(jwks), token).reason is AuthFailure.UNKNOWN_KEY


def test_signed_by_another_key_under_a_published_kid(jwks):
    impostor = SigningKey.ec("ec-2025")  # same kid, different private key
    assert failure(jwks_verifier(jwks), impostor.sign(claims())).reason is (
        AuthFailure.BAD_SIGNATURE
    )


def test_short_rsa_key_is_refused():
    weak = SigningKey("rsa-1024", "RS256", rsa.generate_private_key(65537, key_size=1024))  # noqa: S505  # the point
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        token = weak.sign(claims())
    with JwksServer(weak) as server:
        assert failure(jwks_verifier(server), token).reason is AuthFailure.UNUSABLE_KEY


def test_token_alg_must_match_the_published_key(jwks, ec_key):
    # An ES256 signature presented under the RSA key's kid.
    token = jwt.encode(claims(), ec_key.private_key, algorithm="ES256", headers={"kid": "rsa-2025"})
    assert failure(jwks_verifier(jwks), token).reason is AuthFailure.ALGORITHM_NOT_ALLOWED


def test_alg_none_is_refused_via_jwks(jwks):
    token = unsigned_token({"alg": "none", "kid": "rsa-2025"}, claims())
    assert failure(jwks_verifier(jwks), token).reason is AuthFailure.ALGORITHM_NOT_ALLOWED


@pytest.mark.parametrize("secret_form", ["pem", "jwk"])
def test_hs256_with_the_published_key_as_secret_is_refused(jwks, rsa_key, secret_form):
    public = rsa_key.private_key.public_key()
    secret = (
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if secret_form == "pem"
        else json.dumps(rsa_key.jwk).encode()
    )
    token = hs256_token(claims(), secret, kid="rsa-2025")
    assert failure(jwks_verifier(jwks), token).reason is AuthFailure.ALGORITHM_NOT_ALLOWED


def test_key_rotation_after_refresh(rsa_key):
    new_key = SigningKey.ec("ec-2026")
    with JwksServer(rsa_key) as server:
        verifier = jwks_verifier(server, refresh_cooldown_seconds=0, cache_size=0)
        verifier.verify(rsa_key.sign(claims()))
        server.serve(new_key)  # the provider rotates: old key withdrawn, new key published
        assert verifier.verify(new_key.sign(claims())).sub == "u-123"
        # The withdrawn key is gone from the refreshed set.
        assert failure(verifier, rsa_key.sign(claims())).reason is AuthFailure.UNKNOWN_KEY
    assert server.requests == 3


def test_rotated_key_waits_for_the_refresh_cooldown(rsa_key):
    new_key = SigningKey.ec("ec-2026")
    with JwksServer(rsa_key) as server:
        verifier = jwks_verifier(server, refresh_cooldown_seconds=0.3)
        verifier.verify(rsa_key.sign(claims()))
        server.serve(rsa_key, new_key)
        token = new_key.sign(claims())
        assert failure(verifier, token).reason is AuthFailure.UNKNOWN_KEY
        time.sleep(0.35)
        assert verifier.verify(token).sub == "u-123"


def test_unreachable_jwks_is_an_auth_error(rsa_key):
    with JwksServer(rsa_key) as server:
        url = server.url
    verifier = TokenVerifier.from_jwks(url, ISSUER, AUDIENCE, timeout_seconds=2)
    with pytest.raises(AuthUnavailable) as info:
        verifier.verify(rsa_key.sign(claims()))
    assert info.value.reason is AuthFailure.JWKS_UNAVAILABLE


@pytest.mark.parametrize("status", [500, 404])
def test_failing_jwks_is_an_auth_error(jwks, rsa_key, status):
    jwks.fail_with(status)
    with pytest.raises(AuthUnavailable):
        jwks_verifier(jwks).verify(rsa_key.sign(claims()))


@pytest.mark.parametrize(
    "body", [b"<html>login</html>", b"[]", b"{}", b'{"keys": []}', b'{"keys": [{"kty": "??"}]}']
)
def test_broken_jwks_document_is_an_auth_error(jwks, rsa_key, body):
    jwks.fail_with(200, body)
    with pytest.raises(AuthUnavailable):
        jwks_verifier(jwks).verify(rsa_key.sign(claims()))


# --- a real OIDC provider, when the environment names one ----------------------------------

REAL_PROVIDER_ENV = (
    "DOELBINDING_TEST_JWKS_URL",
    "DOELBINDING_TEST_ISSUER",
    "DOELBINDING_TEST_AUDIENCE",
    "DOELBINDING_TEST_TOKEN",
)


@pytest.fixture
def provider(jwks, rsa_key) -> dict[str, str]:
    """The provider under test: a real one when the environment names it, else the fake.

    The fake speaks the same wire format (a JWKS document at a URL), so the same test runs
    against both; see docs/auth.md for pointing it at Keycloak or another OIDC provider.
    """
    if all(os.environ.get(name) for name in REAL_PROVIDER_ENV):
        return {name: os.environ[name] for name in REAL_PROVIDER_ENV}
    return {
        "DOELBINDING_TEST_JWKS_URL": jwks.url,
        "DOELBINDING_TEST_ISSUER": ISSUER,
        "DOELBINDING_TEST_AUDIENCE": AUDIENCE,
        "DOELBINDING_TEST_TOKEN": rsa_key.sign(claims()),
    }


def test_provider_token(provider):
    verifier = TokenVerifier.from_jwks(
        provider["DOELBINDING_TEST_JWKS_URL"],
        provider["DOELBINDING_TEST_ISSUER"],
        provider["DOELBINDING_TEST_AUDIENCE"],
    )
    principal = verifier.verify(provider["DOELBINDING_TEST_TOKEN"])
    assert principal.sub
    assert principal.roles
    assert principal.municipality
