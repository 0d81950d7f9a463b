"""The embedded engine does not leak native memory in the gateway's own process.

rego-cpp loaded after another C++ extension module (aiohttp's frozenlist, which
opa-python-client imports) leaks about 24 KB per query; `gateway/__init__.py` loads it first.
This runs the gateway's real import path in a fresh process and counts resident memory over
3,000 decisions: with the wrong load order it grows by ~70 MB, with the right one by ~1 MB.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import gateway.app  # the import path uvicorn's factory takes
    from policy import case_to_input, load_cases, load_modules
    from policy import EmbeddedEngine
    from registry import load_register

    def rss_kb():
        status = open("/proc/self/status").read()
        return int(status.split("VmRSS:")[1].split()[0])

    data = load_register("zaanstad").policy_data()
    engine = EmbeddedEngine(load_modules(), data)
    inputs = [case_to_input(c, data) for c in load_cases() if c.profile == "zaanstad"]
    for inp in inputs:
        engine.decide(inp)
    before = rss_kb()
    for i in range(3000):
        engine.decide(inputs[i % len(inputs)])
    print(rss_kb() - before)
    """
)


def test_decisions_do_not_grow_native_memory() -> None:
    out = subprocess.run(  # noqa: S603  (our own fixed script, run with this interpreter)
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    grown_kb = int(out.stdout.strip().splitlines()[-1])
    assert grown_kb < 15_000, f"native memory grew by {grown_kb} KB over 3,000 decisions"
