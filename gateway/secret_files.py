"""The secrets a deployment needs, created once (`doelbinding init-secrets DIR`).

    audit-signing-key.pem   Ed25519 key that signs the audit checkpoints (PKCS#8 PEM)
    pseudonym.key           key of the HMAC that turns a BSN into a pseudonym
    web-session.key         key of the sealed session cookies

Each file is written with mode 0600 in a directory of mode 0700, and never over an existing
file: losing the pseudonym key splits every resident's log in two, losing the signing key
orphans the signed checkpoints. What the settings should say, and the signing key's verifier
key for publication, come back in `CreatedSecrets`.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import VerifierKey
from audit.checkpoint import raw_public_key

SIGNING_KEY = "audit-signing-key.pem"
PSEUDONYM_KEY = "pseudonym.key"
SESSION_KEY = "web-session.key"


@dataclass(frozen=True)
class CreatedSecrets:
    directory: Path
    settings: dict[str, str]
    verifier: VerifierKey


def write_new(path: Path, data: bytes) -> None:
    """Write `data` to a new file of mode 0600; FileExistsError if there is one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def new_signing_key(path: Path, key_name: str) -> VerifierKey:
    """A new Ed25519 checkpoint key at `path` (refuses to overwrite); its verifier key."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_new(path, pem)
    return VerifierKey(key_name, raw_public_key(key.public_key()))


def init_secrets(directory: Path, key_name: str) -> CreatedSecrets:
    """Create the three secrets in `directory`; FileExistsError (naming them) if any exists,
    and then nothing is written."""
    directory = directory.absolute()
    targets = [directory / n for n in (SIGNING_KEY, PSEUDONYM_KEY, SESSION_KEY)]
    existing = [str(p) for p in targets if p.exists()]
    if existing:
        raise FileExistsError(", ".join(existing))
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    verifier = new_signing_key(directory / SIGNING_KEY, key_name)
    for name in (PSEUDONYM_KEY, SESSION_KEY):
        write_new(directory / name, (secrets.token_hex(32) + "\n").encode("ascii"))
    return CreatedSecrets(
        directory=directory,
        settings={
            "DOELBINDING_ENVIRONMENT": "production",
            "DOELBINDING_AUDIT__SIGNING_KEY_FILE": str(directory / SIGNING_KEY),
            "DOELBINDING_PSEUDONYM_KEY_FILE": str(directory / PSEUDONYM_KEY),
            "DOELBINDING_WEB__SESSION_SECRET_FILE": str(directory / SESSION_KEY),
            "DOELBINDING_WEB__DEMO_LOGIN": "false",
        },
        verifier=verifier,
    )
