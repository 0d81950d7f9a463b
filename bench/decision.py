"""Decision latency of the embedded engine over a realistic mix of requests.

    PYTHONPATH=. python bench/decision.py [N]

The mix is the decision tables (every rule path, allow and deny), so the figure follows
the policy as it grows. Measured per call of `EmbeddedEngine.decide`: building the regopy
input, evaluating the compiled plan and parsing the result.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from policy import EmbeddedEngine, case_to_input, load_cases, load_modules
from registry import load_register


def bench_decisions(n: int = 5000) -> dict[str, Any]:
    """p50/p99/mean in µs over `n` decisions cycling through every decision-table case."""
    data = load_register("zaanstad").policy_data()
    engine = EmbeddedEngine(load_modules(), data)
    inputs = [case_to_input(c, data) for c in load_cases() if c.profile == "zaanstad"]
    for inp in inputs:  # warm up
        engine.decide(inp)
    samples = []
    for i in range(n):
        inp = inputs[i % len(inputs)]
        start = time.perf_counter_ns()
        engine.decide(inp)
        samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    return {
        "decisions": n,
        "p50_us": round(samples[n // 2], 1),
        "p99_us": round(samples[min(n - 1, int(n * 0.99))], 1),
        "mean_us": round(statistics.fmean(samples), 1),
        "min_us": round(samples[0], 1),
    }


def _timed(evaluate: Any, docs: list[dict[str, Any]], rounds: int) -> tuple[list[Any], list[float]]:
    """Each document's result and every call's time in µs over `rounds` passes."""
    results = [evaluate(doc) for doc in docs]  # also warms up
    samples = []
    for _ in range(rounds):
        for doc in docs:
            start = time.perf_counter_ns()
            evaluate(doc)
            samples.append((time.perf_counter_ns() - start) / 1000)
    return results, sorted(samples)


def engines_side_by_side(rounds: int = 20) -> list[dict[str, Any]]:
    """The decision tables of all six profiles, each with its profile's register, decided by
    embedded regopy, real OPA in-process (its Go engine: `opa-golib-python-bindings`) and, when
    `DOELBINDING_BENCH_OPA_URL` names one, an OPA server over HTTP. Per engine: p50/p99 in µs
    and the number of inputs on which its whole decision differs from regopy's (must be 0)."""
    import importlib.util
    import os

    from policy.opa import OpaEngine
    from registry import available_profiles

    modules = load_modules()
    cases = load_cases()
    per_profile: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for profile in available_profiles():
        data = load_register(profile).policy_data()
        docs = [case_to_input(c, data).to_policy_input() for c in cases if c.profile == profile]
        per_profile[profile] = (data, docs)

    engines: dict[str, Any] = {
        "embedded regopy": lambda data: EmbeddedEngine(modules, data).evaluate
    }
    if importlib.util.find_spec("opa_bindings") is not None:

        def opa_in_process(data: dict[str, Any]) -> Any:
            opa = importlib.import_module("opa_bindings").OpaEngine()
            for name, source in modules.items():
                opa.add_policy(name, source)
            opa.add_data({"doelbinding": {"register": data}})
            return lambda doc: opa.eval_document("doelbinding.authz.decision", doc)

        engines["real OPA, in-process"] = opa_in_process
    url = os.environ.get("DOELBINDING_BENCH_OPA_URL")
    if url:
        engines["OPA server, HTTP"] = lambda data: OpaEngine(modules, data, url=url).evaluate

    reference: dict[str, list[Any]] = {}
    rows = []
    for name, build in engines.items():
        samples: list[float] = []
        differ = n = 0
        for profile, (data, docs) in per_profile.items():
            results, times = _timed(build(data), docs, rounds)
            samples += times
            n += len(docs)
            if name == "embedded regopy":
                reference[profile] = results
            else:
                differ += sum(a != b for a, b in zip(results, reference[profile], strict=True))
        samples.sort()
        rows.append(
            {
                "engine": name,
                "inputs": n,
                "p50_us": round(samples[len(samples) // 2], 1),
                "p99_us": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 1),
                "disagree": differ,
            }
        )
    return rows


if __name__ == "__main__":
    result = bench_decisions(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
    print("embedded decision: " + ", ".join(f"{k}={v}" for k, v in result.items()))
    for row in engines_side_by_side():
        print(", ".join(f"{k}={v}" for k, v in row.items()))
