"""The HTTP fixtures of tests/gateway (an app per test on a fresh SQLite or PostgreSQL
database, dev tokens, a fake clock) for the security tests."""

from tests.gateway.conftest import client, clock, make_client, settings, token

__all__ = ["client", "clock", "make_client", "settings", "token"]
