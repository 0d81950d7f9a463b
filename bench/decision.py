"""Decision latency of the embedded engine over a realistic mix of requests.

    PYTHONPATH=. python bench/decision.py [N]

The mix is the decision tables (every rule path, allow and deny), so the figure follows
the policy as it grows. Measured per call of `EmbeddedEngine.decide`, twice, interleaved:
cold (no memo: building the regopy input, evaluating the compiled plan, parsing the result)
and memoised (the key, a lookup; see policy/memo.py), with the memo's hit ratio, the cost of
its key and its memory at the bound.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from policy import EmbeddedEngine, case_to_input, load_cases, load_modules
from policy.memo import DEFAULT_SIZE
from registry import load_register


def _pct(samples: list[float], q: float) -> float:
    return round(samples[min(len(samples) - 1, int(len(samples) * q))], 1)


def bench_decisions(n: int = 5000) -> dict[str, Any]:
    """The embedded engine over every Zaanstad decision-table case, cold (`memo_size=0`: every
    decision evaluated) and memoised (steady state: the memo warmed by one pass), interleaved
    pass by pass so both see the same load. Per mode p50/p99/mean/min in µs over `n`
    decisions; for the memo its hit ratio over the measured decisions (break-glass cases are
    never memoised: they are the misses, evaluated cold) and the cost of the key
    (CPU time per key, mean over the same inputs)."""
    data = load_register("zaanstad").policy_data()
    modules = load_modules()
    cold = EmbeddedEngine(modules, data, memo_size=0)
    warm = EmbeddedEngine(modules, data)
    assert warm.memo is not None, "the policy analysis refused the memo"
    inputs = [case_to_input(c, data) for c in load_cases() if c.profile == "zaanstad"]
    for inp in inputs:  # warm up (and fill the memo)
        cold.decide(inp)
        warm.decide(inp)
    before = warm.memo.stats()
    samples: dict[str, list[float]] = {"cold": [], "memo": []}
    while len(samples["memo"]) < n:
        for name, engine in (("cold", cold), ("memo", warm)):
            out = samples[name]
            for inp in inputs:
                start = time.perf_counter_ns()
                engine.decide(inp)
                out.append((time.perf_counter_ns() - start) / 1000)
    after = warm.memo.stats()
    docs = [inp.to_policy_input() for inp in inputs]
    key = warm.memo.key
    rounds = max(1, n // len(docs))
    cpu = time.process_time_ns()
    for _ in range(rounds):
        for doc in docs:
            key(doc)
    key_us = (time.process_time_ns() - cpu) / 1000 / (rounds * len(docs))
    result: dict[str, Any] = {"decisions": n, "inputs": len(inputs)}
    for name, times in samples.items():
        times.sort()
        result[name] = {
            "p50_us": _pct(times, 0.5),
            "p99_us": _pct(times, 0.99),
            "mean_us": round(statistics.fmean(times), 1),
            "min_us": round(times[0], 1),
        }
    hits = after["hits"] - before["hits"]
    looked = hits + after["misses"] - before["misses"] + after["bypassed"] - before["bypassed"]
    result["memo"]["hit_ratio"] = round(hits / looked, 4) if looked else 0.0
    result["key_us"] = round(key_us, 1)
    return result


def memo_memory(size: int = DEFAULT_SIZE) -> dict[str, Any]:
    """Bytes a memo holds at its bound: `size` distinct real decisions (the Zaanstad cases,
    each subject id made distinct; break-glass cases left out), measured with tracemalloc."""
    import tracemalloc

    data = load_register("zaanstad").policy_data()
    engine = EmbeddedEngine(load_modules(), data, memo_size=size)
    assert engine.memo is not None
    cases = [
        inp
        for inp in (case_to_input(c, data) for c in load_cases() if c.profile == "zaanstad")
        if inp.context.break_glass is None  # never memoised
    ]
    inputs = [
        inp.model_copy(update={"subject": inp.subject.model_copy(update={"id": f"u-{i}"})})
        for i, inp in ((i, cases[i % len(cases)]) for i in range(size))
    ]
    for inp in inputs:
        inp.to_policy_input()  # built before measuring: the request owns it, not the memo
    tracemalloc.start()
    start = tracemalloc.take_snapshot()
    for inp in inputs:
        engine.decide(inp)
    grown = tracemalloc.take_snapshot().compare_to(start, "filename")
    tracemalloc.stop()
    total = sum(s.size_diff for s in grown)
    return {"entries": len(engine.memo), "bytes": total, "per_entry": round(total / size)}


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


def print_decisions(n: int = 5000) -> None:
    """The decision lines `make bench` and this script print (load average first)."""
    import os

    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    d = bench_decisions(n)
    for name, label in (("cold", "cold, no memo"), ("memo", "memoised")):
        r = d[name]
        extra = f"   hit ratio {r['hit_ratio']:.2%}" if name == "memo" else ""
        print(
            f"decision (embedded regopy, {label:<13}): p50 {r['p50_us']:7.1f} us"
            f"   p99 {r['p99_us']:7.1f} us   min {r['min_us']:6.1f} us"
            f"   (target p50 <= 150, p99 <= 500){extra}"
        )
    print(
        f"  {d['inputs']} decision-table inputs, {d['decisions']} decisions per mode, interleaved;"
        f" memo key {d['key_us']:.1f} us CPU per decision"
    )
    m = memo_memory()
    print(
        f"  memo at its bound: {m['entries']} entries, {m['bytes'] / 2**20:.1f} MiB"
        f" ({m['per_entry']} bytes per entry)"
    )
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    print_decisions(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
    for row in engines_side_by_side():
        print(", ".join(f"{k}={v}" for k, v in row.items()))
