"""Find the policy's Rego modules and give a policy version a content-hash revision.

The revision is what the audit trail records as "policy version": it changes when any
module or the register data changes, and never otherwise.
"""

from __future__ import annotations

import hashlib
import json
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
