"""Back up and restore a test database the way an operator would: `pg_dump -Fc` and
`pg_restore` into a recreated database on PostgreSQL, SQLite's online backup on SQLite."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.conftest import _pg_admin


def _pg_args(url: str) -> list[str]:
    u = make_url(url)
    return ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]


def backup(url: str, to: Path) -> None:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        with sqlite3.connect(str(u.database)) as src, sqlite3.connect(to) as dst:
            src.backup(dst)
        return
    subprocess.run(  # noqa: S603
        ["pg_dump", "-Fc", *_pg_args(url), "-d", str(u.database), "-f", str(to)],  # noqa: S607
        check=True,
        capture_output=True,
    )


def restore(url: str, frm: Path) -> None:
    """Replace the database at `url` with the backup (every connection to it must be gone)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        with sqlite3.connect(frm) as src, sqlite3.connect(str(u.database)) as dst:
            src.backup(dst)
        return
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE "{u.database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{u.database}"')
    subprocess.run(  # noqa: S603
        ["pg_restore", *_pg_args(url), "-d", str(u.database), str(frm)],  # noqa: S607
        check=True,
        capture_output=True,
    )
