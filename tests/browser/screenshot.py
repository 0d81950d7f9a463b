"""Take docs/img/resident-timeline.png: the demo gateway, a few accesses, Sanne's timeline with
one proof checked, in Debian's headless Chromium.

    PYTHONPATH=. python -m tests.browser.screenshot [docs/img/resident-timeline.png]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from .conftest import login
from .server import BSN_SANNE, CHROMIUM, CHROMIUM_ARGS, running_gateway


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp, running_gateway(Path(tmp)) as gw:
        gw.demo_activity()
        resident = gw.headers(BSN_SANNE, "resident", "own-access")
        del resident["X-Processing-Activity"]
        scope = {"categories": ["health"], "processing_activities": ["pw-reintegration"],
                 "recipients": ["wi-zaanstad"]}  # fmt: skip
        httpx.post(f"{gw.url}/v1/consents", json=scope, headers=resident).raise_for_status()
        assert gw.kees_reads_health() == 200
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(
                base_url=gw.url, viewport={"width": 1100, "height": 900}, locale="nl-NL"
            )
            login(page)
            first = page.locator(".proof[data-seq]").first
            gw.wait_for_checkpoint(int(first.get_attribute("data-seq") or "0"))
            first.locator(".proof-button").click()
            first.locator(".proof-ok").wait_for()
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=True)
            browser.close()
    print(out)  # noqa: T201


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img/resident-timeline.png"))
