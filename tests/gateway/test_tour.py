"""The README's tour is an executable script (docs/tour/<profile>.sh), run here against a
started server, so README and behaviour cannot drift apart:

- every shell block of the README's tour appears verbatim in a script, and every command of
  a script (lines marked `# (setup)` aside) is shown in the README;
- each script runs against uvicorn on 127.0.0.1 (free port, temp data dir, demo seeded, the
  profile it is for) and exits 0, and every `curl` whose line ends in a `# NNN` comment got
  that HTTP status (a `curl` on PATH records each status; stdout is left as it is).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.browser.server import ROOT, running_gateway

TOUR = ROOT / "docs" / "tour"
README = ROOT / "README.md"
PROFILES = ("zaanstad", "haarlem", "hilversum", "kromme-rijn-heuvelland")
SETUP = "# (setup)"

CURL_SHIM = """#!/usr/bin/env bash
# Records the HTTP status of each call in $TOUR_LOG; what curl prints is left as it is.
headers=$(mktemp)
"{real}" -D "$headers" "$@"
rc=$?
awk 'toupper($1) ~ /^HTTP\\// {{ s = $2 }} END {{ print s }}' "$headers" >> "$TOUR_LOG"
rm -f "$headers"
exit $rc
"""


def _shown(text: str) -> list[str]:
    """The lines a reader sees: no `(setup)` lines, no blank lines, no trailing spaces."""
    return [ln.rstrip() for ln in text.splitlines() if ln.strip() and SETUP not in ln]


def _readme_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    tour = text.split("## A five-minute tour", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", tour, flags=re.DOTALL)
    # Step 7 runs against `make run-zgw` (the gateway in front of the ZGW fake); it has no
    # script yet, so its block is the one the scripts do not cover.
    return [b for b in blocks if "ZGW=" not in b]


def _script(profile: str) -> str:
    return (TOUR / f"{profile}.sh").read_text(encoding="utf-8")


def expected_statuses(script: str) -> list[int | None]:
    """One entry per `curl` the script runs, in order: the `# NNN` status its command ends
    with, or None. A command is a line with its backslash continuations."""
    commands: list[str] = []
    current = ""
    for line in script.splitlines():
        if line.lstrip().startswith("#") and not current:
            continue
        current += line + "\n"
        if not line.rstrip().endswith("\\"):
            commands.append(current)
            current = ""
    out: list[int | None] = []
    for cmd in commands:
        n = len(re.findall(r"(?<![\w-])curl ", cmd))
        status = re.search(r"#\s*(\d{3})\b[^\n]*\n?$", cmd)
        out += [int(status.group(1)) if status and n == 1 else None] * n
    return out


def test_readme_and_scripts_show_the_same_commands() -> None:
    blocks = [_shown(b) for b in _readme_blocks()]
    assert blocks, "no tour blocks in the README"
    scripts = {p: _shown(_script(p)) for p in PROFILES}
    joined = {p: "\n".join(lines) for p, lines in scripts.items()}
    for block in blocks:
        text = "\n".join(block)
        assert any(text in s for s in joined.values()), f"README block not in a script:\n{text}"
    readme_lines = {ln for b in blocks for ln in b}
    for profile, lines in scripts.items():
        missing = [ln for ln in lines if ln not in readme_lines and not ln.startswith("#")]
        assert not missing, f"docs/tour/{profile}.sh has commands the README does not show"


def test_every_script_checks_statuses() -> None:
    for profile in PROFILES:
        statuses = [s for s in expected_statuses(_script(profile)) if s is not None]
        assert len(statuses) >= 2, profile


@pytest.mark.parametrize("profile", PROFILES)
def test_the_tour_runs(profile: str, tmp_path: Path) -> None:
    real = shutil.which("curl")
    if real is None:
        if os.environ.get("CI") == "true":
            pytest.fail("curl is needed for the tour")
        pytest.skip("curl is not installed")
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "curl").write_text(CURL_SHIM.format(real=real), encoding="utf-8")
    (shim / "curl").chmod(0o755)
    log = tmp_path / "statuses.txt"
    data = tmp_path / "data"
    data.mkdir()
    with running_gateway(data, profile) as gw:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DOELBINDING_")},
            "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}",
            "DOELBINDING_DATA_DIR": str(data),
            "DOELBINDING_PROFILE": profile,
            "GW": gw.url,
            "TOUR_LOG": str(log),
        }
        run = subprocess.run(  # noqa: S603
            ["bash", str(TOUR / f"{profile}.sh")],  # noqa: S607
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert run.returncode == 0, run.stderr[-2000:]
    got = [int(s) if s.strip() else None for s in log.read_text().splitlines()]
    want = expected_statuses(_script(profile))
    assert len(got) == len(want), (got, want)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert w is None or g == w, f"curl #{i + 1} of docs/tour/{profile}.sh: {g}, expected {w}"
