"""Fixtures of the policy tests: the shipped register, modules and engines, built once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import pytest

from policy import EmbeddedEngine, load_modules
from registry import load_register


@cache
def register_data(profile: str) -> Mapping[str, Any]:
    return load_register(profile).policy_data()


@cache
def engine_for(profile: str) -> EmbeddedEngine:
    return EmbeddedEngine(load_modules(), register_data(profile))


@pytest.fixture(scope="session")
def zaanstad() -> EmbeddedEngine:
    return engine_for("zaanstad")


@pytest.fixture(scope="session")
def engine_for_profile() -> Callable[[str], EmbeddedEngine]:
    return engine_for


@pytest.fixture(scope="session")
def data_for_profile() -> Callable[[str], Mapping[str, Any]]:
    return register_data
