"""Errors of the audit trail. Any of them means: no answer leaves the gateway.

AuditError
├── AuditWriteFailed      the append did not become durable
├── ChainBroken           verification found a record that does not fit the chain or the tree
└── TreeSizeUnavailable   a proof was asked for a tree size or seq no checkpoint covers (yet)
"""


class AuditError(Exception):
    """Base class of every audit error."""


class AuditWriteFailed(AuditError):
    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"audit append failed: {detail}")


class ChainBroken(AuditError):
    def __init__(self, seq: int, problem: str) -> None:
        self.seq = seq
        self.problem = problem
        super().__init__(f"audit chain broken at seq {seq}: {problem}")


class TreeSizeUnavailable(AuditError):
    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)
