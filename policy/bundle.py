"""Find the policy's Rego modules, give a policy version a content-hash revision, bundle it.

The revision is what the audit trail records as "policy version": it changes when any
module or the register data changes, and never otherwise.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: The policies shipped with the package.
DEFAULT_REGO_DIR = Path(__file__).parent / "rego"


def load_modules(directory: Path = DEFAULT_REGO_DIR) -> dict[str, str]:
    """The `.rego` modules of `directory` (not its `_test.rego` files), by file name, sorted."""
    paths = sorted(p for p in directory.glob("*.rego") if not p.name.endswith("_test.rego"))
    return {p.name: p.read_text(encoding="utf-8") for p in paths}


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace: the same data always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def revision(modules: Mapping[str, str], data: Mapping[str, Any]) -> str:
    """`sha256:` + the first 12 hex digits of a hash over the modules and the data."""
    digest = hashlib.sha256()
    for name in sorted(modules):
        # Length-prefixed, so moving text from one module to the next changes the hash.
        for part in (name, modules[name]):
            raw = part.encode("utf-8")
            digest.update(len(raw).to_bytes(8, "big") + raw)
    digest.update(canonical_json(data).encode("utf-8"))
    return "sha256:" + digest.hexdigest()[:12]


#: The data and package root this project owns in OPA (`data.doelbinding…`).
BUNDLE_ROOT = "doelbinding"


def build_bundle(modules: Mapping[str, str], data: Mapping[str, Any]) -> tuple[str, bytes]:
    """An OPA bundle (https://www.openpolicyagent.org/docs/management-bundles) as a .tar.gz.

    `/.manifest` names the revision (the same content hash the audit log records) and the
    root `doelbinding`; `/doelbinding/register/data.json` holds the register, so it lands at
    `data.doelbinding.register` as the policy expects; `/doelbinding/<file>.rego` the modules.
    The archive is byte-for-byte reproducible (fixed order, mtime 0), so the same version is
    always the same bytes. Returns `(revision, archive)`.
    """
    rev = revision(modules, data)
    manifest = {"revision": rev, "roots": [BUNDLE_ROOT], "rego_version": 1}
    files = [
        (".manifest", canonical_json(manifest)),
        (f"{BUNDLE_ROOT}/register/data.json", canonical_json(dict(data))),
        *((f"{BUNDLE_ROOT}/{name}", modules[name]) for name in sorted(modules)),
    ]
    raw = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, text in files:
            content = text.encode("utf-8")
            info = tarfile.TarInfo(f"/{name}")
            info.size = len(content)
            info.mode = 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(content))
    return rev, raw.getvalue()
