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


if __name__ == "__main__":
    result = bench_decisions(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
    print("embedded decision: " + ", ".join(f"{k}={v}" for k, v in result.items()))
