"""The HTTP fixtures of tests/gateway, for the security regression tests."""

from tests.gateway.conftest import (  # noqa: F401  # fixtures, found by name
    client,
    clock,
    make_client,
    settings,
    token,
)
