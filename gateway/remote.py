"""The CLI's side of the policy lifecycle API: one request to a running gateway, and what a
person reads of the answer.

Expected problems end in one line on stderr and an exit code, never a traceback:

    2  the command was called wrongly: no token, an argument that does not fit
    3  the gateway cannot be reached at --server (DOELBINDING_SERVER)
    1  the gateway said no (401, 403, 404, 409, 422, 5xx), or a test or check did not pass

`--json` prints the gateway's JSON answer unchanged, for scripts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NoReturn

import httpx
import typer

from gateway.localtime import local_time

USAGE, UNREACHABLE, REFUSED = 2, 3, 1
DEFAULT_SERVER = "http://127.0.0.1:8000"
HOW_TO_GET_ONE = (
    "a privacy officer's bearer token: `doelbinding token --sub u-po-1 --role privacy_officer "
    "--municipality zaanstad | tail -1`"
)
_WHAT = {
    401: "the gateway refused the token",
    403: "not allowed",
    404: "not found",
    409: "refused",
    422: "the gateway refused the request",
}


def fail(message: str, code: int) -> NoReturn:
    typer.echo(f"doelbinding: {message}", err=True)
    raise typer.Exit(code)


def call(server: str, token: str, method: str, path: str, **kwargs: Any) -> Any:
    """The JSON answer of one request; an expected problem ends the command (see above)."""
    if not token.strip():
        fail(f"no token: pass --token or set DOELBINDING_TOKEN to {HOW_TO_GET_ONE}", USAGE)
    url = server.rstrip("/") + path
    if not url.startswith(("http://", "https://")):
        fail(f"--server must be an http(s) URL, not {server[:80]!r}", USAGE)
    try:
        resp = httpx.request(
            method, url, headers={"Authorization": f"Bearer {token.strip()}"}, timeout=300, **kwargs
        )
    except httpx.TimeoutException:
        fail(f"the gateway at {server} did not answer in time", UNREACHABLE)
    except httpx.HTTPError as exc:
        fail(
            f"cannot reach the gateway at {server} ({type(exc).__name__}): is it running? "
            "Set --server or DOELBINDING_SERVER",
            UNREACHABLE,
        )
    try:
        body = resp.json() if resp.content else {}
    except ValueError:
        body = {"detail": resp.text[:200]}
    if resp.status_code >= 400:
        fail(_refusal(resp.status_code, body), REFUSED)
    return body


def _refusal(status: int, body: Any) -> str:
    detail = body.get("detail", "") if isinstance(body, dict) else ""
    if isinstance(detail, list):  # FastAPI's validation errors
        detail = "; ".join(
            f"{'.'.join(str(p) for p in d.get('loc', [])[1:])}: {d.get('msg')}"
            for d in detail
            if isinstance(d, dict)
        )
    code = body.get("code") if isinstance(body, dict) else None
    what = _WHAT.get(status) or (
        "the gateway failed" if status >= 500 else "the gateway refused the request"
    )
    head = f"{what} (HTTP {status}{f', {code}' if code else ''})"
    line = f"{head}: {detail}" if detail else head
    if status == 401:
        line += f". Pass a valid token with --token or DOELBINDING_TOKEN: {HOW_TO_GET_ONE}"
    return line


def echo_json(body: Any) -> None:
    typer.echo(json.dumps(body, indent=2, ensure_ascii=False))


def short(revision: str | None) -> str:
    """`sha256:951e4482e77a`: enough to tell versions apart, and to pass back (the full one
    is in --json)."""
    return (revision or "—")[:19]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to their widest cell; the last column is not padded."""
    cells = [[str(c) for c in headers], *[[_cell(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value).replace("\n", " ")
    return text if len(text) <= 60 else text[:59] + "…"


# -- what each command prints --------------------------------------------------------------


def versions_table(versions: list[dict[str, Any]]) -> str:
    rows = [
        (
            short(v["revision"]),
            v["state"],
            v.get("test_status", "passed" if v.get("tests_passed") else "not_run").replace(
                "_", " "
            ),
            v["simulated"],
            v.get("approved_by"),
            local_time(v["created_at"]),
            v["author"],
            v["message"],
        )
        for v in versions
    ]
    head = ("REVISION", "STATE", "TESTS", "SIMULATED", "APPROVED BY", "CREATED", "AUTHOR", "WHY")
    return table(head, rows) + "\n(times in Dutch time; --json for the full revisions)"


def version_line(v: dict[str, Any]) -> str:
    return f"{v['revision']}  {v['state']}  ({v['message']})"


def test_report(report: dict[str, Any]) -> str:
    lines = [f"version {report.get('revision', '?')}"]
    engines = report.get("engines") or {}
    rows = [
        (name, e.get("status", "?").replace("_", " "), f"{e.get('passed', 0)}/{e.get('total', 0)}")
        for name, e in engines.items()
    ]
    if rows:
        lines.append(table(("ENGINE", "RESULT", "CASES PASSED"), rows))
    for e in report.get("compile_errors") or []:
        where = f"{e['file']}:{e['line']}: " if e.get("file") and e.get("line") else ""
        profile = f" (profile {e['profile']})" if e.get("profile") else ""
        lines.append(f"{e.get('engine', 'engine')} refuses it: {where}{e.get('message')}{profile}")
    failing = [c for c in report.get("cases") or [] if not c.get("passed")]
    for c in failing[:20]:
        why = "; ".join(c.get("diff") or []) or c.get("error") or ""
        if c.get("engines_agree") is False:
            why = (why + "; " if why else "") + "regopy and OPA decide differently"
        lines.append(f"FAIL {c.get('file')}: {c.get('name')} ({c.get('profile')}) {why}".rstrip())
    if len(failing) > 20:
        lines.append(f"… and {len(failing) - 20} more failing cases (--json for all)")
    s = report.get("summary") or {}
    verdict = "PASSED" if report.get("passed") else "FAILED"
    passed, total = s.get("passed", 0), s.get("total", 0)
    lines.append(f"{verdict}: {passed} of {total} cases pass on both engines")
    return "\n".join(lines)


def simulation_report(r: dict[str, Any]) -> str:
    lines = [
        f"version {r['revision']} against the active {r.get('active', '?')}, "
        f"profile {r['profile']}",
        f"{r['replayed']} of the last {r['considered']} decisions replayed; "
        f"{r['flips']} flips ({r['allow_to_deny']} allowed → denied, "
        f"{r['deny_to_allow']} denied → allowed)",
    ]
    if r.get("error"):
        lines.append(f"replay stopped: {r['error']}")
    if r.get("groups"):
        lines.append(_groups(r["groups"]))
    drift = r.get("drift") or {}
    if drift:
        lines.append(f"drift: {drift.get('count', 0)} recorded decisions the active version "
                     "decides differently (not flips; --json for the groups)")  # fmt: skip
    skipped = [f"{r.get('skipped_without_input', 0)} without a stored input"]
    skipped += [f"{n} of profile {p}" for p, n in (r.get("skipped_other_profiles") or {}).items()]
    if r.get("skipped_unknown_revision"):
        skipped.append(f"{r['skipped_unknown_revision']} of an unknown revision")
    lines.append("not replayed: " + ", ".join(skipped))
    return "\n".join(lines)


def _groups(groups: list[dict[str, Any]]) -> str:
    rows = [
        (g["direction"].replace("_", " "), g["reason"], g["activity"], g["category"], g["count"])
        for g in groups
    ]
    return table(("FLIP", "REASON", "ACTIVITY", "CATEGORY", "COUNT"), rows)


def log_table(events: list[dict[str, Any]]) -> str:
    rows = [(local_time(e["at"]), e["event"], short(e["revision"]), e["actor"]) for e in events]
    return table(("AT", "EVENT", "REVISION", "BY"), rows)


FULL_REVISION = len("sha256:") + 64


def resolve(server: str, token: str, revision: str) -> str:
    """A full revision from the short one a table shows (`sha256:951e4482e77a`, or just hex)."""
    wanted = revision.strip()
    if len(wanted) >= FULL_REVISION:
        return wanted
    if not wanted.startswith("sha256:"):
        wanted = "sha256:" + wanted
    found = [str(v["revision"]) for v in call(server, token, "GET", "/v1/policies")]
    matches = [r for r in found if r.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        fail(f"no policy version starts with {revision[:80]!r} (see: doelbinding policy versions)",
             USAGE)  # fmt: skip
    fail(f"{revision!r} fits {len(matches)} versions: give more of the revision", USAGE)
