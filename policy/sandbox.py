"""Compile and test a new or edited policy in a child process, so an engine crash stays there.

regopy (rego-cpp) can take its whole process down with SIGSEGV on some Rego (a query through
`with input as …` over built-ins, `with f as g`, `add_module` after a query; see
../shared/rego-conformance/README.md). The gateway therefore never compiles or tests an
untried policy in its own process:

    gateway ──spawn──▶ child: compile modules, run every `test_*` rule of the `_test.rego`
       ▲                      modules, one fresh interpreter per test; send each verdict
       └──── verdicts, one message per test, as they happen ────┘
    child died?  → the test it was running is a CRASH; the caller gets a clean report

Only the active, tested policy is evaluated in-process (`EmbeddedEngine`).

    report = check_policy(modules, data)      # raises PolicyCompileError, never crashes
    report.passed, report.verdicts            # {"data.pkg.test_x": "PASS" | "FAIL" | …}
"""

from __future__ import annotations

import multiprocessing
import re
import signal
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from policy.errors import PolicyCompileError

PASS, FAIL, ERROR, CRASH = "PASS", "FAIL", "ERROR", "CRASH"
DEFAULT_TIMEOUT_SECONDS = 60.0

_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.MULTILINE)
_TEST_RULE = re.compile(r"^(test_\w+)\b", re.MULTILINE)


@dataclass(frozen=True)
class Crash:
    """The child process died: by a signal (`signal`) or with an exit code."""

    exitcode: int | None

    @property
    def signal_name(self) -> str:
        if self.exitcode is not None and self.exitcode < 0:
            return signal.Signals(-self.exitcode).name
        return f"exit code {self.exitcode}" if self.exitcode is not None else "timeout"


@dataclass(frozen=True)
class PolicyCheck:
    """The outcome of `check_policy`: every test's verdict, and whether all passed."""

    verdicts: dict[str, str]
    details: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(v == PASS for v in self.verdicts.values())


def stream_in_child(
    target: Callable[..., None],
    args: tuple[Any, ...],
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> tuple[list[Any], Crash | None]:
    """Run `target(send, *args)` in a fresh spawned process; collect what it `send`s.

    Returns the messages and, if the child did not exit cleanly, how it died. The parent
    never imports anything the child loaded, so a segfault costs only the child.
    """
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child_main, args=(send, target, args), daemon=True)
    child.start()
    send.close()
    messages: list[Any] = []
    crash: Crash | None = None
    while True:
        if not receive.poll(timeout):
            child.kill()
            child.join()
            crash = Crash(None)
            break
        try:
            msg = receive.recv()
        except EOFError:
            break
        if msg == _DONE:
            break
        messages.append(msg)
    child.join(timeout)
    if crash is None and child.exitcode != 0:
        crash = Crash(child.exitcode)
    receive.close()
    return messages, crash


_DONE = "__done__"


def _child_main(conn: Connection, target: Callable[..., None], args: tuple[Any, ...]) -> None:
    target(conn.send, *args)
    conn.send(_DONE)
    conn.close()


# -- compile and test a policy ---------------------------------------------------------------


def rego_test_names(modules: Mapping[str, str]) -> list[str]:
    """`data.<package>.test_<name>` for every test rule of the `_test.rego` modules."""
    names = []
    for file, source in sorted(modules.items()):
        found = _PACKAGE.search(source)
        if file.endswith("_test.rego") and found:
            names += [
                f"data.{found.group(1)}.{t}" for t in dict.fromkeys(_TEST_RULE.findall(source))
            ]
    return names


def run_rego_tests(
    send: Callable[[Any], None],
    modules: Mapping[str, str],
    data: Mapping[str, Any],
    tests: Iterable[str],
) -> None:
    """In the child: `("start", test)` then `(test, verdict, detail)` for each test.

    One fresh interpreter per test: rego-cpp crashes on `add_module` after a query.
    """
    import regopy  # imported only in the child process

    for test in tests:
        send(("start", test))
        interp = regopy.Interpreter()
        try:
            if data:
                interp.add_data(dict(data))
            for name, source in sorted(modules.items()):
                interp.add_module(name, source)
            out = interp.query(f"x = {test}")
        except regopy.RegoError as exc:
            send((test, ERROR, _short(str(exc))))
            continue
        if not out.ok():
            send((test, ERROR, _short(str(out))))
            continue
        bindings = out[0].bindings if len(out) else {}
        send((test, PASS if bindings.get("x") is True else FAIL, ""))


def run_tests_isolated(
    modules: Mapping[str, str],
    data: Mapping[str, Any],
    tests: list[str],
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> PolicyCheck:
    """Each test's verdict; a test that crashed its child is CRASH and the rest go on in a
    fresh child, so one crash costs one process, not the run."""
    verdicts: dict[str, str] = {}
    details: dict[str, str] = {}
    todo = list(tests)
    while todo:
        messages, crash = stream_in_child(run_rego_tests, (modules, data, todo), timeout)
        running = None
        for msg in messages:
            if msg[0] == "start":
                running = msg[1]
            else:
                verdicts[msg[0]], details[msg[0]] = msg[1], msg[2]
                running = None
        if crash is not None and running is not None:
            verdicts[running], details[running] = CRASH, crash.signal_name
        elif crash is not None:
            raise PolicyCompileError(f"the engine's process died ({crash.signal_name})")
        todo = [t for t in tests if t not in verdicts]
    return PolicyCheck({t: verdicts[t] for t in tests}, details)


def _compile_in_child(
    send: Callable[[Any], None], modules: Mapping[str, str], data: Mapping[str, Any]
) -> None:
    from policy.embedded import EmbeddedEngine  # imported only in the child process

    try:
        EmbeddedEngine(modules, data)
    except PolicyCompileError as exc:
        send(("compile_error", exc.detail, exc.file, exc.line))
        return
    send(("compiled",))


def check_policy(
    modules: Mapping[str, str],
    data: Mapping[str, Any],
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> PolicyCheck:
    """Compile `modules` (their `_test.rego` files aside) over `data`, then run those tests;
    all in child processes. Raises `PolicyCompileError` for a module that does not compile
    and for an engine crash while compiling; a crash in a test is that test's CRASH verdict.
    """
    policy = {k: v for k, v in modules.items() if not k.endswith("_test.rego")}
    messages, crash = stream_in_child(_compile_in_child, (policy, data), timeout)
    if crash is not None:
        raise PolicyCompileError(f"the engine crashed while compiling ({crash.signal_name})")
    if messages and messages[0][0] == "compile_error":
        _, detail, file, line = messages[0]
        raise PolicyCompileError(detail, file=file, line=line)
    wrapped = {"doelbinding": {"register": dict(data)}}
    return run_tests_isolated(modules, wrapped, rego_test_names(modules), timeout)


def _short(text: str) -> str:
    found = re.search(r"\(errormsg \d+:(?P<msg>[^)\n]*)", text)
    return (found["msg"].strip() if found else text.strip().splitlines()[0])[:200]
