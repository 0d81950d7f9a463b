"""Errors of the register.

RegistryError
├── UnknownProfile      a profile name with no data file
└── InvalidRegister     a data file that breaks the register's own rules
"""


class RegistryError(Exception):
    """Base class of every register error."""


class UnknownProfile(RegistryError):
    def __init__(self, profile: str, known: list[str]) -> None:
        self.profile = profile
        self.known = known
        super().__init__(f"unknown profile {profile!r}; known profiles: {', '.join(known)}")


class InvalidRegister(RegistryError):
    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")
