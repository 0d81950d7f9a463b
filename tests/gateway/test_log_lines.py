"""Log lines from several processes never interleave (gateway/logging.py: one write per line).

Several processes log through `configure_logging` into one pipe and into one O_APPEND file,
as uvicorn workers and replicas on one host share a stdout; every line must be one JSON
object. Run unbuffered too (PYTHONUNBUFFERED=1, as container images set it): that is where
`print` writes a message and its newline separately and two lines end up on one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from gateway.logging import PIPE_BUF, bounded_line

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 4
LINES = 1500

WRITER = f"""
import structlog
from gateway.logging import configure_logging
configure_logging("json")
log = structlog.get_logger("doelbinding.test")
import os
pid = os.getpid()
for i in range({LINES}):
    log.info("request", pid=pid, i=i, route="/v1/records/{{record}}", pad="x" * (i % 700))
"""


def _writers(stdout: int, unbuffered: bool) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    return [
        subprocess.Popen([sys.executable, "-c", WRITER], stdout=stdout, env=env, cwd=ROOT)  # noqa: S603
        for _ in range(PROCESSES)
    ]


def _check(lines: list[bytes]) -> None:
    seen: dict[int, int] = {}
    for line in lines:
        event = json.loads(line)  # two objects on one line, or half of one, fail here
        assert event["event"] == "request"
        seen[event["pid"]] = seen.get(event["pid"], 0) + 1
    assert len(seen) == PROCESSES
    assert set(seen.values()) == {LINES}


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
def test_processes_sharing_a_pipe_write_whole_lines(unbuffered: bool) -> None:
    read_fd, write_fd = os.pipe()
    chunks: list[bytes] = []

    def drain() -> None:
        with os.fdopen(read_fd, "rb") as r:
            while chunk := r.read(65536):
                chunks.append(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    procs = _writers(write_fd, unbuffered)
    os.close(write_fd)  # the children hold the write end now
    for p in procs:
        assert p.wait(120) == 0
    reader.join(30)
    _check(b"".join(chunks).splitlines())


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
def test_processes_appending_to_one_file_write_whole_lines(
    tmp_path: Path, unbuffered: bool
) -> None:
    path = tmp_path / "gateway.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        procs = _writers(fd, unbuffered)
    finally:
        os.close(fd)
    for p in procs:
        assert p.wait(120) == 0
    _check(path.read_bytes().splitlines())


def test_a_line_longer_than_pipe_buf_is_replaced_by_a_short_one() -> None:
    long = json.dumps({"event": "request", "pad": "y" * (2 * PIPE_BUF)})
    data = bounded_line(long)
    assert len(data) <= PIPE_BUF
    assert data.endswith(b"\n")
    assert data.count(b"\n") == 1
    event = json.loads(data)
    assert event["event"] == "log_line_too_long"
    assert event["bytes"] == len(long) + 1
    short = json.dumps({"event": "request"})
    assert bounded_line(short) == (short + "\n").encode()
