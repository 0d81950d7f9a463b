"""Real nginx (Debian's package) as a child process, with a generated config in a temp dir.

    with Nginx(config_body) as nginx:     # `config_body`: the `http { … }` block's servers
        httpx.get(nginx.url + "/…")

nginx runs in the foreground (`daemon off`), listens on 127.0.0.1 and a free port, writes
everything under its own directory and is stopped (SIGTERM, then SIGKILL) on exit.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Nginx:
    def __init__(self, servers: str, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._dir = Path(tempfile.mkdtemp(prefix="doelbinding-nginx-"))
        self._servers = servers
        self._proc: subprocess.Popen[bytes] | None = None

    def config(self) -> str:
        d = self._dir
        temps = "\n".join(
            f"    {kind}_temp_path {d / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        return f"""
daemon off;
worker_processes 1;
pid {d / "nginx.pid"};
error_log {d / "error.log"} warn;
events {{ worker_connections 128; }}
http {{
    access_log off;
{temps}
{self._servers}
}}
"""

    def start(self) -> Nginx:
        if not Path(NGINX).exists():
            raise FileNotFoundError(
                "nginx is not installed: apt-get install -y nginx (make test does)"
            )
        conf = self._dir / "nginx.conf"
        conf.write_text(self.config(), encoding="utf-8")
        self._proc = subprocess.Popen(  # noqa: S603 - our own config, no shell
            [NGINX, "-p", str(self._dir), "-c", str(conf), "-e", str(self._dir / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode() if self._proc.stderr else ""
                raise RuntimeError(f"nginx exited: {err[:500]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nginx did not start listening")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
            if self._proc.stderr:
                self._proc.stderr.close()
            self._proc = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
