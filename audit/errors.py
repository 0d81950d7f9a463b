"""Errors of the audit trail. Any of them means: no answer leaves the gateway.

AuditError
├── AuditWriteFailed      the append did not become durable
├── AuditEntryInvalid     a row was refused before it was written: a field is too long for its
│                         column or holds a NUL or a lone surrogate (the caller's input, not
│                         the trail, is at fault: the gateway answers 4xx)
├── ChainBroken           verification found a record that does not fit the chain or the tree
├── TreeSizeUnavailable   a proof was asked for a tree size or seq no checkpoint covers (yet)
└── LogRolledBack         the database holds less than, or other than, a checkpoint seen before
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


class AuditEntryInvalid(AuditError):
    """A row that no database would store; it never joins a batch. Names the field, never its
    value."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"audit entry refused: {field}: {problem}")


class LogRolledBack(AuditError):
    """The database holds less than, or something else than, a checkpoint seen before."""

    def __init__(self, growth: str, seen: int, now: int) -> None:
        self.growth = growth
        self.seen = seen
        self.now = now
        what = "smaller than" if growth == "rolled_back" else "inconsistent with"
        super().__init__(
            f"the audit log in the database (tree size {now}) is {what} the checkpoint this "
            f"gateway signed or saw before (tree size {seen}): a restored backup or a fork"
        )
