"""Signed checkpoints: a C2SP checkpoint, signed as a C2SP signed note with Ed25519.

    <origin>\\n<tree size>\\n<base64 root hash>\\n          the checkpoint (the note's text)
    \\n
    — <key name> <base64(key id || signature)>\\n         one signature line

The key id is the first four bytes of SHA-256(key name || 0x0A || 0x01 || public key), 0x01
being the Ed25519 signature type; the signature covers the text, final newline included.
See https://c2sp.org/tlog-checkpoint and https://c2sp.org/signed-note.

Key rotation: a new key signs the new checkpoints; the old keys stay published (as verifier
keys, `vkey`), and `open_note_any` accepts a note signed by any of the keys it is given, each
found by its key id.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01
_DASH = "\u2014 "


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


def vkey(name: str, public_key: bytes) -> str:
    """The verifier key string: `<name>+<hex key id>+<base64(0x01 || key)>`."""
    blob = base64.b64encode(bytes([ED25519]) + public_key).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{blob}"


@dataclass(frozen=True)
class VerifierKey:
    """A public key that may sign the log's checkpoints: its name and raw Ed25519 key."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        return vkey(self.name, self.public_key)


def parse_vkey(text: str) -> VerifierKey:
    """A verifier key string (`<name>+<hex key id>+<base64(0x01 || key)>`), checked: the key
    id must be the one its name and key make. Raises ValueError."""
    name, _, rest = text.strip().partition("+")
    hex_id, _, blob_b64 = rest.partition("+")
    try:
        blob = base64.b64decode(blob_b64, validate=True)
        want = bytes.fromhex(hex_id)
    except ValueError as exc:
        raise ValueError("not a verifier key") from exc
    if not name or len(blob) != 33 or blob[0] != ED25519:
        raise ValueError("not an Ed25519 verifier key")
    key = VerifierKey(name, blob[1:])
    if key.key_id != want:
        raise ValueError("the verifier key's id does not match its name and key")
    return key


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.tree_size}\n{base64.b64encode(self.root_hash).decode()}\n"


@dataclass(frozen=True)
class NoteSigner:
    name: str
    key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        if not self.name or any(c.isspace() or c == "+" for c in self.name):
            raise ValueError("a key name has no spaces or '+'")

    @property
    def public_key(self) -> bytes:
        return raw_public_key(self.key.public_key())

    def sign(self, checkpoint: Checkpoint) -> str:
        """The signed note for `checkpoint`."""
        text = checkpoint.text()
        sig = key_id(self.name, self.public_key) + self.key.sign(text.encode())
        return f"{text}\n{_DASH}{self.name} {base64.b64encode(sig).decode()}\n"


class BadNote(ValueError):
    """A note that is malformed, or not signed by the expected key."""


def open_note(note: str, name: str, public_key: bytes) -> Checkpoint:
    """Verify `note` against the key and return its checkpoint; raise BadNote otherwise."""
    return open_note_any(note, [VerifierKey(name, public_key)])


def open_note_any(note: str, keys: Iterable[VerifierKey]) -> Checkpoint:
    """Verify `note` against any of `keys` (the log's current and earlier keys): at least one
    signature must be by one of them, and every signature by one of them must verify."""
    text, sep, sigs = note.partition("\n\n")
    if not sep or not text or not sigs.endswith("\n"):
        raise BadNote("not a signed note")
    text += "\n"
    known = {(k.name, k.key_id): k for k in keys}
    ok = False
    for line in sigs[:-1].split("\n"):
        if not line.startswith(_DASH):
            raise BadNote("malformed signature line")
        who, _, b64 = line[len(_DASH) :].rpartition(" ")
        try:
            blob = base64.b64decode(b64, validate=True)
        except ValueError as exc:
            raise BadNote("signature is not base64") from exc
        key = known.get((who, blob[:4]))
        if key is None:
            continue  # another key's signature (a witness, say): not ours to judge
        try:
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(blob[4:], text.encode())
        except InvalidSignature as exc:
            raise BadNote("signature does not verify") from exc
        ok = True
    if not ok:
        raise BadNote("no signature by the log's key")
    lines = text.split("\n")
    if len(lines) < 4 or not lines[1].isdigit():
        raise BadNote("not a checkpoint")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except ValueError as exc:
        raise BadNote("root hash is not base64") from exc
    return Checkpoint(origin=lines[0], tree_size=int(lines[1]), root_hash=root)
