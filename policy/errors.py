"""Errors of the policy engines. Every one of them means: refuse the request.

PolicyError
├── PolicyUnavailable     the engine could not be reached or crashed while deciding
├── PolicyCompileError    a module does not compile (carries file and line when known)
└── InvalidDecision       the engine answered, but not with a decision of the contract
"""


class PolicyError(Exception):
    """Base class of every policy-engine error."""


class PolicyUnavailable(PolicyError):
    def __init__(self, engine: str, detail: str) -> None:
        self.engine = engine
        self.detail = detail
        super().__init__(f"policy engine {engine!r} unavailable: {detail}")


class PolicyCompileError(PolicyError):
    def __init__(self, detail: str, file: str | None = None, line: int | None = None) -> None:
        self.detail = detail
        self.file = file
        self.line = line
        where = f"{file}:{line}: " if file and line else f"{file}: " if file else ""
        super().__init__(f"{where}{detail}")


class InvalidDecision(PolicyError):
    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"engine result is not a decision: {detail}")
