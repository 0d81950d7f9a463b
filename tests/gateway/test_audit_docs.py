"""The standalone verifier in docs/audit.md, run as written against a live gateway over HTTP."""

from __future__ import annotations

import ast
import base64
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import uvicorn

BSN = "999990019"
DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def _snippet() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### A verifier of your own") :]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "docs/audit.md has no verifier snippet"
    return match.group(1)


def test_the_snippet_is_about_thirty_lines_of_hashlib_and_cryptography():
    code = _snippet()
    assert len(code.strip().splitlines()) <= 40
    imports: set[str] = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            imports |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imports.add((node.module or "").split(".")[0])
    assert imports <= {"base64", "hashlib", "json", "urllib", "cryptography"}


@pytest.fixture
def live(client):
    """The test's app, served by uvicorn on a free port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(client.app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_the_docs_verifier_proves_an_entry_against_the_signed_checkpoint(client, token, live):
    for content in ("a", "b", "c"):
        client.post(
            "/v1/records",
            json={
                "resident": "999990019",
                "category": "signal",
                "team": "wt-oost",
                "content": content,
            },
            headers=token("u-anna", "team_generalist", teams=("wt-oost",), activity="signalling"),
        )
    services = client.app.state.services
    services.checkpointer.run_once()
    trusted = base64.b64encode(services.checkpointer.signer.public_key).decode()
    officer = token("u-fg", "privacy_officer")["Authorization"].removeprefix("Bearer ")
    namespace: dict[str, Any] = {}
    exec(compile(_snippet(), str(DOC), "exec"), namespace)  # noqa: S102  (our own docs)

    for seq in (1, 2, 3):
        entry = namespace["verify"](live, seq, officer, trusted)
        assert entry["seq"] == seq
    with pytest.raises(AssertionError, match="not the key you trust"):
        namespace["verify"](live, 1, officer, base64.b64encode(bytes(32)).decode())
