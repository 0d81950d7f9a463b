"""Resident pseudonyms: a keyed HMAC of the case system's resident id (e.g. a BSN).

The key is kept outside the log store (settings or a key file), so the audit trail alone cannot
be turned back into BSNs by trying all nine-digit numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path


class Pseudonymizer:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the pseudonymisation key must be at least 16 bytes")
        self._key = key

    def __call__(self, resident_id: str) -> str:
        digest = hmac.new(self._key, resident_id.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"p-{digest[:32]}"


def load_or_create_key(path: Path) -> bytes:
    """The development key: read from `path`, or generated there on first use (mode 0600)."""
    if path.exists():
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex())
    try:
        # Another process may have won the race; its key is then the one everyone uses.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return bytes.fromhex(path.read_text(encoding="ascii").strip())
