"""What a policy version holds, as plain data: Rego modules, and registry/ as `data`.

    data = {"register": <register.yaml>, "profiles": {"zaanstad": <profiles/zaanstad.yaml>, …}}

A version's `revision` is the content hash over both (`policy.revision`). What one deployment
evaluates of it is the modules plus its own profile's register: that has its own content hash,
the *decision revision* (`policy_data_revision`), which every audit record, the OPA bundle's
ETag and the engine carry.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from lifecycle.errors import InvalidVersion
from policy import load_modules, revision
from registry import Register, RegistryError, load_register
from registry.loader import DATA_DIR, PROFILES_DIR

REGISTER_FILE = "register.yaml"
PROFILES = "profiles"


def _read_yaml(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise InvalidVersion("data", f"{path.name}: expected a mapping at the top level")
    return loaded


def data_from_dir(
    register_file: Path = DATA_DIR / REGISTER_FILE, profiles_dir: Path = PROFILES_DIR
) -> dict[str, Any]:
    """registry/ as a version's data."""
    return {
        "register": _read_yaml(register_file),
        "profiles": {p.stem: _read_yaml(p) for p in sorted(profiles_dir.glob("*.yaml"))},
    }


def shipped_content(rego_dir: Path | None = None) -> tuple[dict[str, str], dict[str, Any]]:
    """The modules of `policy/rego` (or `rego_dir`) and the data of `registry/`."""
    return (load_modules(rego_dir) if rego_dir else load_modules()), data_from_dir()


def content_from_dir(directory: Path) -> tuple[dict[str, str], dict[str, Any] | None]:
    """A draft from a directory: its `*.rego` (or `rego/*.rego`), and, if present,
    `register.yaml` with `profiles/*.yaml` (else None: keep the parent's data)."""
    rego = directory / "rego" if (directory / "rego").is_dir() else directory
    modules = load_modules(rego)
    data = None
    if (directory / REGISTER_FILE).is_file():
        data = data_from_dir(directory / REGISTER_FILE, directory / PROFILES)
    return modules, data


def register_for(data: Mapping[str, Any], profile: str) -> Register:
    """The register of `profile` in `data`, checked the way `registry.load_register` checks the
    shipped files (it does the loading, from a temporary copy)."""
    key = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return _register_for(key, profile)


@lru_cache(maxsize=32)
def _register_for(key: str, profile: str) -> Register:
    data = json.loads(key)
    with tempfile.TemporaryDirectory(prefix="doelbinding-version-") as tmp:
        root = Path(tmp)
        (root / PROFILES).mkdir()
        # JSON is YAML: the loader reads it as it reads the shipped files.
        (root / REGISTER_FILE).write_text(json.dumps(data["register"]), encoding="utf-8")
        for name, prof in data["profiles"].items():
            (root / PROFILES / f"{name}.yaml").write_text(json.dumps(prof), encoding="utf-8")
        try:
            return load_register(profile, root / REGISTER_FILE, root / PROFILES)
        except RegistryError as exc:
            raise InvalidVersion("data", str(exc)) from None


def validate(modules: Mapping[str, Any], data: Mapping[str, Any]) -> None:
    """Refuse what cannot be a version: no modules, odd names, a register that does not load."""
    if not modules:
        raise InvalidVersion("modules", "at least one .rego module is required")
    for name, source in modules.items():
        if not name.endswith(".rego") or "/" in name or "\\" in name or name.startswith("."):
            raise InvalidVersion("modules", f"{name[:80]!r}: a plain file name ending in .rego")
        if name.endswith("_test.rego"):
            raise InvalidVersion("modules", f"{name}: tests are decision tables, not modules")
        if not isinstance(source, str):
            raise InvalidVersion("modules", f"{name}: the source must be text")
    if not isinstance(data.get("register"), dict) or not isinstance(data.get("profiles"), dict):
        raise InvalidVersion("data", "expected {register: {...}, profiles: {name: {...}}}")
    if not data["profiles"]:
        raise InvalidVersion("data", "at least one profile is required")
    for profile in data["profiles"]:
        register_for(data, str(profile))


def version_revision(modules: Mapping[str, str], data: Mapping[str, Any]) -> str:
    return revision(modules, data)


def decision_revision(modules: Mapping[str, str], data: Mapping[str, Any], profile: str) -> str:
    """What an engine of this deployment's `profile` records as policy revision."""
    if profile not in data.get("profiles", {}):
        return ""
    return revision(modules, register_for(data, profile).policy_data())
