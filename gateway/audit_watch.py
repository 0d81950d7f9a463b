"""`doelbinding audit watch`: a monitor anyone can run, with only the public endpoints.

Each round it fetches the latest signed checkpoint, checks its signature against the log's
keys (pinned with --vkey, or else the ones the server publishes at /v1/audit/keys), and
compares it with the last checkpoint it verified, kept in a state file: a smaller tree is a
rollback, a tree that the RFC 9162 consistency proof (/v1/audit/proofs/consistency) does not
link to the old root is a fork. Either is reported and the state file is left as it was, so
the evidence stays; a tree that only grew becomes the new state.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from audit import BadNote, Checkpoint, VerifierKey, open_note_any, parse_vkey
from audit.witness import Growth, compare


class WatchError(Exception):
    """The server could not be asked, or answered something that is not a valid checkpoint."""


@dataclass(frozen=True)
class WatchResult:
    growth: Growth
    old: Checkpoint | None
    new: Checkpoint

    def describe(self) -> str:
        if self.old is None:
            return f"first checkpoint: tree size {self.new.tree_size}, trusted from now on"
        sizes = f"{self.old.tree_size} -> {self.new.tree_size}"
        return {
            Growth.SAME: f"unchanged: tree size {self.new.tree_size}",
            Growth.GREW: f"the log only grew ({sizes}), consistency proof checked",
            Growth.ROLLED_BACK: f"ROLLBACK: the log is smaller than before ({sizes})",
            Growth.FORKED: f"FORK: the log does not extend the checkpoint seen before ({sizes})",
        }[self.growth]


def _get(client: httpx.Client, path: str, **params: int) -> dict[str, Any]:
    try:
        resp = client.get(path, params=params)
    except httpx.HTTPError as exc:
        raise WatchError(f"{path}: {type(exc).__name__}") from None
    if resp.status_code != 200:
        raise WatchError(f"{path}: HTTP {resp.status_code}")
    body: dict[str, Any] = resp.json()
    return body


def _published_keys(client: httpx.Client) -> tuple[str, list[VerifierKey]]:
    body = _get(client, "/v1/audit/keys")
    return str(body["origin"]), [parse_vkey(k["vkey"]) for k in body["keys"]]


def load_state(path: Path) -> tuple[str, Checkpoint] | None:
    """The last verified checkpoint's note and checkpoint (not re-verified: it is ours)."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    cp = Checkpoint(
        origin=state["origin"],
        tree_size=int(state["tree_size"]),
        root_hash=base64.b64decode(state["root_hash"]),
    )
    return str(state["note"]), cp


def save_state(path: Path, note: str, cp: Checkpoint) -> None:
    data = {
        "origin": cp.origin,
        "tree_size": cp.tree_size,
        "root_hash": base64.b64encode(cp.root_hash).decode(),
        "note": note,
        "verified_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def watch_once(
    client: httpx.Client, state_file: Path, pinned: list[VerifierKey] | None = None
) -> WatchResult:
    """One round: fetch, verify, compare, and keep the new checkpoint if the log only grew."""
    origin, published = _published_keys(client)
    keys = pinned or published
    note = str(_get(client, "/v1/audit/checkpoint")["note"])
    try:
        new = open_note_any(note, keys)
    except BadNote as exc:
        raise WatchError(f"the checkpoint does not verify: {exc}") from None
    if new.origin != origin:
        raise WatchError(f"the checkpoint is for origin {new.origin!r}, not {origin!r}")
    saved = load_state(state_file)
    if saved is None:
        save_state(state_file, note, new)
        return WatchResult(Growth.GREW, None, new)
    old = saved[1]
    if old.origin != new.origin:
        raise WatchError(f"the state file is for origin {old.origin!r}, not {new.origin!r}")
    proof: list[bytes] = []
    if 0 < old.tree_size < new.tree_size:
        body = _get(
            client, "/v1/audit/proofs/consistency", first=old.tree_size, second=new.tree_size
        )
        proof = [base64.b64decode(h) for h in body["path"]]
    growth = compare(old, new, proof)
    if growth is Growth.GREW:
        save_state(state_file, note, new)
    return WatchResult(growth, old, new)
