"""`doelbinding`: a thin CLI over the same services the routes use. No logic of its own."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from gateway.settings import Settings, get_settings

app = typer.Typer(no_args_is_help=True, help="doelbinding: a privacy gateway.")
policy_app = typer.Typer(no_args_is_help=True, help="Test and export the Rego policies.")
audit_app = typer.Typer(no_args_is_help=True, help="The audit trail.")
app.add_typer(policy_app, name="policy")
app.add_typer(audit_app, name="audit")


def _settings() -> Settings:
    from gateway.logging import configure_logging

    settings = get_settings()
    configure_logging(settings.log_format)
    return settings


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (SQLite or PostgreSQL)."""
    from gateway.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    typer.echo("database is at the latest schema")


@app.command("seed-demo")
def seed_demo() -> None:
    """Add the demo residents and records of the profile in force (DOELBINDING_PROFILE)."""
    from gateway.clock import system_clock
    from gateway.db import make_engine
    from gateway.demo import seed_demo as seed
    from gateway.services import build_pseudonymizer

    settings = _settings()
    engine = make_engine(settings.database_url)
    added = seed(engine, build_pseudonymizer(settings), system_clock, settings.profile)
    engine.dispose()
    typer.echo(f"demo data: {added} records added")


@app.command()
def token(
    sub: Annotated[str, typer.Option(help="Subject: an employee id, or a resident's id.")],
    role: Annotated[list[str], typer.Option(help="A role; repeat for several.")],
    municipality: Annotated[str, typer.Option(help="The subject's municipality.")],
    team: Annotated[list[str] | None, typer.Option(help="A team; repeat for several.")] = None,
    org: Annotated[str, typer.Option(help="Organisation.")] = "",
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds.")] = 8 * 3600,
) -> None:
    """Print a demo token signed with the local dev key (the last line is the token)."""
    from gateway.auth import issue_dev_token, load_or_create_dev_key

    settings = _settings()
    if settings.auth.jwks_url:
        typer.echo("tokens come from the identity provider when a JWKS URL is set", err=True)
        raise typer.Exit(2)
    key = load_or_create_dev_key(settings.dev_key_file)
    typer.echo(f"# dev token for {sub} as {', '.join(role)} (valid {ttl} s)")
    typer.echo(
        issue_dev_token(
            key,
            issuer=settings.auth.issuer,
            audience=settings.auth.audience,
            sub=sub,
            roles=role,
            municipality=municipality,
            organisation=org or f"gemeente-{municipality}",
            teams=tuple(team or ()),
            ttl_seconds=ttl,
        )
    )


@app.command("print-config")
def print_config() -> None:
    """The settings in force, secrets redacted."""
    settings = _settings()
    typer.echo(json.dumps(settings.model_dump(mode="json"), indent=2))


@policy_app.command("test")
def policy_test(
    directory: Annotated[
        Path | None, typer.Argument(help="Directory of decision tables (default: the shipped).")
    ] = None,
    cases: Annotated[Path | None, typer.Option(help="Same as DIRECTORY.", hidden=True)] = None,
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            help="Instead: test this stored version on the server (--server, --token) in a "
            "child process there, and record the result.",
        ),
    ] = None,
    server: ServerOpt = "http://127.0.0.1:8000",
    token: TokenOpt = "",
) -> None:
    """Run every decision-table case through the same engine and input path as the gateway,
    print pass or fail per case, then what no case reached; exit 1 on a failure. With
    --version: the same on the server, for a stored policy version."""
    if version is not None:
        body = _call(server, token, "POST", f"/v1/policies/{version}/test")
        raise typer.Exit(0 if isinstance(body, dict) and body.get("passed") else 1)
    from functools import cache

    from gateway.services import build_policy_engine
    from policy import (
        PolicyEngine,
        coverage,
        coverage_report,
        load_cases,
        load_modules,
        reason_codes_of,
        report,
        run_cases,
    )
    from registry import Register, available_profiles, load_register

    settings = _settings()
    register: Callable[[str], Register] = cache(load_register)

    @cache
    def engine_for(profile: str) -> PolicyEngine:
        return build_policy_engine(settings, register(profile))

    tables = directory or cases
    results = run_cases(
        load_cases(tables) if tables else load_cases(),
        engine_for,
        lambda profile: register(profile).policy_data(),
    )
    typer.echo(report(results))
    profiles = available_profiles()
    modules = load_modules(settings.policy.rego_dir) if settings.policy.rego_dir else load_modules()
    legal_bases: dict[str, str] = {}
    for profile in profiles:
        legal_bases |= register(profile).legal_bases()
    cov = coverage(
        results,
        reason_codes=reason_codes_of(modules),
        legal_bases=legal_bases,
        profiles=profiles,
    )
    typer.echo(coverage_report(cov))
    raise typer.Exit(0 if all(r.passed for r in results) else 1)


@policy_app.command("eval")
def policy_eval(
    profile: Annotated[str, typer.Option(help="The municipality profile (registry/profiles).")],
    input_file: Annotated[
        Path, typer.Option("--input", help="A policy input document (JSON), or - for stdin.")
    ],
) -> None:
    """Print the decision (the policy contract's result) for one input document as JSON."""
    import sys

    from pydantic import ValidationError

    from gateway.services import build_policy_engine
    from policy import DecisionInput, PolicyError
    from registry import load_register

    text = sys.stdin.read() if str(input_file) == "-" else input_file.read_text(encoding="utf-8")
    try:
        inp = DecisionInput.model_validate_json(text)
    except ValidationError as exc:
        typer.echo(f"not a policy input: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        decision = build_policy_engine(_settings(), load_register(profile)).decide(inp)
    except PolicyError as exc:
        typer.echo(f"no decision (refuse): {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(decision.model_dump(mode="json"), indent=2, ensure_ascii=False))


@policy_app.command("export-opa-tests")
def export_opa_tests(
    out: Annotated[Path, typer.Argument(help="Directory to write the _test.rego files to.")],
) -> None:
    """Write the decision tables as _test.rego files plus data.json, for real `opa test`."""
    from policy import export_opa_tests as export
    from policy import load_cases
    from registry import load_register

    written = export(load_cases(), lambda p: load_register(p).policy_data(), out)
    typer.echo(f"wrote {len(written)} files to {out}; run: opa test {out} -v")


# -- policy versions on a running server (docs/policy-lifecycle.md) ---------------------------

ServerOpt = Annotated[
    str,
    typer.Option(envvar="DOELBINDING_SERVER", help="The gateway's URL (env DOELBINDING_SERVER)."),
]
TokenOpt = Annotated[
    str,
    typer.Option(
        envvar="DOELBINDING_TOKEN", help="A privacy officer's bearer token (env DOELBINDING_TOKEN)."
    ),
]


def _call(server: str, token: str, method: str, path: str, **kwargs: object) -> object:
    """One request to the gateway; print the JSON answer, exit 1 on an error status."""
    import httpx

    resp = httpx.request(
        method,
        server.rstrip("/") + path,
        headers={"Authorization": f"Bearer {token}"},
        timeout=300,
        **kwargs,  # type: ignore[arg-type]
    )
    body = resp.json() if resp.content else {}
    typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
    if resp.status_code >= 400:
        raise typer.Exit(1)
    return body


@policy_app.command("push")
def policy_push(
    directory: Annotated[
        Path, typer.Argument(help="*.rego (or rego/*.rego), optionally register.yaml + profiles/")
    ],
    message: Annotated[str, typer.Option("--message", "-m", help="Why this change.")],
    server: ServerOpt = "http://127.0.0.1:8000",
    token: TokenOpt = "",
) -> None:
    """Upload a directory as a new draft version (data: the directory's, or the parent's)."""
    from lifecycle.content import content_from_dir

    modules, data = content_from_dir(directory)
    _call(
        server,
        token,
        "POST",
        "/v1/policies",
        json={"message": message, "modules": modules, "data": data},
    )


@policy_app.command("versions")
def policy_versions(server: ServerOpt = "http://127.0.0.1:8000", token: TokenOpt = "") -> None:
    """The versions on the server, newest first, with their state."""
    _call(server, token, "GET", "/v1/policies")


@policy_app.command("simulate")
def policy_simulate(
    revision: str,
    last: Annotated[int, typer.Option(help="Replay this many audited decisions.")] = 1000,
    server: ServerOpt = "http://127.0.0.1:8000",
    token: TokenOpt = "",
) -> None:
    """Replay the last N audited decisions under a version; print the flips."""
    _call(server, token, "POST", f"/v1/policies/{revision}/simulate", params={"last": last})


@policy_app.command("approve")
def policy_approve(
    revision: str, server: ServerOpt = "http://127.0.0.1:8000", token: TokenOpt = ""
) -> None:
    """Approve a tested, simulated version (not your own draft: four eyes)."""
    _call(server, token, "POST", f"/v1/policies/{revision}/approve")


@policy_app.command("activate")
def policy_activate(
    revision: str, server: ServerOpt = "http://127.0.0.1:8000", token: TokenOpt = ""
) -> None:
    """Activate an approved version; every gateway process swaps to it within a second."""
    _call(server, token, "POST", f"/v1/policies/{revision}/activate")


@policy_app.command("rollback")
def policy_rollback(
    revision: str,
    reason: Annotated[str, typer.Option(help="Why (to request a rollback).")] = "",
    approve: Annotated[
        bool, typer.Option("--approve", help="Approve another officer's rollback request.")
    ] = False,
    server: ServerOpt = "http://127.0.0.1:8000",
    token: TokenOpt = "",
) -> None:
    """Request a rollback to an earlier active version, or (--approve) approve one."""
    if approve:
        _call(server, token, "POST", f"/v1/policies/{revision}/rollback/approve")
    else:
        _call(server, token, "POST", f"/v1/policies/{revision}/rollback", json={"reason": reason})


@policy_app.command("log")
def policy_log(
    limit: int = 100, server: ServerOpt = "http://127.0.0.1:8000", token: TokenOpt = ""
) -> None:
    """The lifecycle events of all versions, newest first."""
    _call(server, token, "GET", "/v1/policies/log", params={"limit": limit})


@audit_app.command("verify")
def audit_verify(
    since_checkpoint: Annotated[
        int | None,
        typer.Option(
            help="Tree size of a checkpoint you verified before: check only what came after, "
            "with consistency proofs from it."
        ),
    ] = None,
    public_key: Annotated[
        str | None,
        typer.Option(help="The log's Ed25519 public key (base64). Default: the signing key's."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(help="Worker processes that check spans of the log (default: one per core)."),
    ] = 0,
) -> None:
    """Recompute the hash chain, the Merkle tree and every checkpoint signature; exit non-zero
    with the first bad seq."""
    import base64

    from audit import verify_log
    from gateway.db import make_engine, session_scope
    from gateway.services import build_signer

    settings = _settings()
    if public_key:
        key = base64.b64decode(public_key, validate=True)
    else:
        try:
            key = build_signer(settings).public_key
        except FileNotFoundError:
            typer.echo("no signing key here: pass --public-key", err=True)
            raise typer.Exit(2) from None
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        report = verify_log(
            session,
            settings.audit_key_name,
            key,
            settings.audit.origin,
            since=since_checkpoint,
            workers=workers or os.cpu_count() or 1,
        )
    engine.dispose()
    if report.ok:
        typer.echo(
            f"audit log ok: {report.checked} records, {report.checkpoints} checkpoints, "
            f"{report.tombstones} tombstones; tree size {report.tree_size}, "
            f"root {base64.b64encode(bytes.fromhex(report.root_hash)).decode()}"
        )
        return
    typer.echo(
        f"audit log BROKEN at seq {report.first_bad_seq}: {report.problem} "
        f"({report.checked} records verified before it)",
        err=True,
    )
    raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign a checkpoint of everything appended so far (the gateway also does this itself)."""
    from gateway.checkpointer import Checkpointer
    from gateway.clock import system_clock
    from gateway.db import make_engine
    from gateway.services import build_signer

    settings = _settings()
    engine = make_engine(settings.database_url)
    cp = Checkpointer(
        engine, build_signer(settings), settings.audit.origin, system_clock
    ).run_once()
    engine.dispose()
    typer.echo(f"checkpoint at tree size {cp.tree_size}" if cp else "nothing new to sign")


@audit_app.command("erase-expired")
def audit_erase_expired() -> None:
    """Erase the personal fields of audit entries past their activity's retention period."""
    from audit import erase_expired
    from gateway.clock import rfc3339, system_clock
    from gateway.db import make_engine, session_scope
    from registry import load_register

    settings = _settings()
    register = load_register(settings.profile)
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        n = erase_expired(
            session,
            {name: act.retention_days for name, act in register.activities.items()},
            now=rfc3339(system_clock()),
        )
    engine.dispose()
    typer.echo(f"{n} audit entries erased (tombstones keep their leaf hash)")


def main() -> None:
    app(prog_name="doelbinding")


if __name__ == "__main__":
    main()
