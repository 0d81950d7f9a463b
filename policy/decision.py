"""Parse what an engine answered into a `Decision`, or refuse it.

Shared by every engine adapter, so "what counts as a decision" is decided once.
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from policy.contract import Decision
from policy.errors import InvalidDecision


def parse_decision(raw: object) -> Decision:
    """A `Decision` from the engine's raw result; `InvalidDecision` for anything else.

    Beyond the shape, two rules of the contract are checked here because a policy bug
    could break them: every decision carries a reason, and every allow names its basis.
    """
    if not isinstance(raw, dict):
        raise InvalidDecision(f"expected an object, got {type(raw).__name__}")
    try:
        # Strict: `1` is not `true`, `"false"` is not `false`. JSON mode lets arrays be tuples.
        decision = Decision.model_validate_json(json.dumps(raw), strict=True)
    except (TypeError, ValueError) as exc:
        if not isinstance(exc, ValidationError):
            raise InvalidDecision("not JSON") from None
        # Locations and error types only: the values could be anything the engine made up.
        where = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['type']}"
            for err in exc.errors()
        )
        raise InvalidDecision(where) from None
    if not decision.reasons:
        raise InvalidDecision("a decision must carry at least one reason")
    if decision.allow and decision.basis is None:
        raise InvalidDecision("an allow must name its basis")
    return decision
