"""The policy decision point: Rego policies over the register, behind one small interface.

    engine = build_engine(EngineKind.EMBEDDED, load_modules(), register.policy_data())
    decision = engine.decide(decision_input)   # raises a PolicyError rather than guess

The package imports no other project package; see README.md for the flow and the contract.
"""

# rego-cpp first: loaded after another C++ extension it leaks on every query (see
# gateway/__init__.py and tests/policy/test_native_memory.py).
import regopy  # noqa: F401  (imported for its load order)

from policy.bundle import DEFAULT_REGO_DIR, load_modules, revision
from policy.contract import (
    DECISION_QUERY,
    Basis,
    BasisType,
    ConsentFact,
    Context,
    Decision,
    DecisionInput,
    ExceptionFact,
    Reason,
    Resource,
    Subject,
)
from policy.decision import parse_decision
from policy.embedded import EmbeddedEngine
from policy.engine import EngineKind, PolicyEngine, build_engine
from policy.errors import InvalidDecision, PolicyCompileError, PolicyError, PolicyUnavailable
from policy.export import export_opa_tests
from policy.tables import (
    DEFAULT_CASES_DIR,
    Case,
    CaseResult,
    Coverage,
    TableError,
    case_to_input,
    coverage,
    coverage_report,
    load_cases,
    reason_catalogue,
    reason_codes_of,
    report,
    run_cases,
    summary,
)

__all__ = [
    "DECISION_QUERY",
    "DEFAULT_CASES_DIR",
    "DEFAULT_REGO_DIR",
    "Basis",
    "BasisType",
    "Case",
    "CaseResult",
    "ConsentFact",
    "Context",
    "Coverage",
    "Decision",
    "DecisionInput",
    "EmbeddedEngine",
    "EngineKind",
    "ExceptionFact",
    "InvalidDecision",
    "PolicyCompileError",
    "PolicyEngine",
    "PolicyError",
    "PolicyUnavailable",
    "Reason",
    "Resource",
    "Subject",
    "TableError",
    "build_engine",
    "case_to_input",
    "coverage",
    "coverage_report",
    "export_opa_tests",
    "load_cases",
    "load_modules",
    "parse_decision",
    "reason_catalogue",
    "reason_codes_of",
    "report",
    "revision",
    "run_cases",
    "summary",
]
