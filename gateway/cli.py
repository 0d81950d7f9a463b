"""`doelbinding`: a thin CLI over the same services the routes use. No logic of its own."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from gateway import remote
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
    """The settings in force, defaults included and filled in (the database URL, key files
    and names the gateway derives from `data_dir`); secrets never shown."""
    from sqlalchemy.engine import make_url

    from policy import DEFAULT_REGO_DIR

    settings = _settings()
    shown = settings.model_dump(mode="json")
    shown["database"]["url"] = make_url(settings.database_url).render_as_string(hide_password=True)
    shown["policy"]["rego_dir"] = str(settings.policy.rego_dir or DEFAULT_REGO_DIR)
    shown["auth"]["dev_key_file"] = str(settings.dev_key_file)
    shown["audit"]["key_name"] = settings.audit_key_name
    shown["audit"]["signing_key_file"] = str(settings.audit_signing_key_file)
    shown["pseudonym_key"] = _secret(settings.pseudonym_key, settings.pseudonym_key_file)
    shown["web"]["session_secret"] = _secret(
        settings.web.session_secret, settings.web_session_key_file
    )
    oidc = settings.web.oidc
    shown["web"]["oidc"]["client_secret"] = "(set)" if oidc.client_secret else "(none)"
    typer.echo(json.dumps(shown, indent=2))


def _secret(value: object, file: Path) -> str:
    return "(set in the environment)" if value else f"(from the file {file})"


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
    server: ServerOpt = remote.DEFAULT_SERVER,
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Run every decision-table case through the same engine and input path as the gateway,
    print pass or fail per case, then what no case reached; exit 1 on a failure. With
    --version: on the server, for a stored policy version, on regopy and real OPA."""
    if version is not None:
        rev = remote.resolve(server, token, version)
        body = remote.call(server, token, "POST", f"/v1/policies/{rev}/test")
        remote.echo_json(body) if as_json else typer.echo(remote.test_report(body))
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
# Expected problems (no token, no server, a refusal) end in one line and an exit code:
# gateway/remote.py.

ServerOpt = Annotated[
    str,
    typer.Option(envvar="DOELBINDING_SERVER", help="The gateway's URL (env DOELBINDING_SERVER)."),
]
TokenOpt = Annotated[
    str,
    typer.Option(
        envvar="DOELBINDING_TOKEN",
        show_default=False,
        help="A privacy officer's bearer token (env DOELBINDING_TOKEN).",
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print the gateway's JSON answer, for scripts.")
]
RevisionArg = Annotated[
    str, typer.Argument(help="A version's revision; its start is enough (as `versions` shows).")
]


@policy_app.command("push")
def policy_push(
    directory: Annotated[
        Path, typer.Argument(help="*.rego (or rego/*.rego), optionally register.yaml + profiles/")
    ],
    message: Annotated[str, typer.Option("--message", "-m", help="Why this change.")],
    server: ServerOpt = remote.DEFAULT_SERVER,
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Upload a directory as a new draft version (data: the directory's, or the parent's)."""
    from lifecycle.content import content_from_dir
    from lifecycle.errors import InvalidVersion
    from policy import PolicyError

    if not directory.is_dir():
        remote.fail(f"{directory} is not a directory of .rego modules", remote.USAGE)
    try:
        modules, data = content_from_dir(directory)
    except (InvalidVersion, PolicyError, OSError, ValueError) as exc:
        remote.fail(f"cannot read {directory}: {exc}", remote.USAGE)
    body = remote.call(
        server, token, "POST", "/v1/policies",
        json={"message": message, "modules": modules, "data": data},
    )  # fmt: skip
    remote.echo_json(body) if as_json else typer.echo(f"drafted {remote.version_line(body)}")


@policy_app.command("versions")
def policy_versions(
    server: ServerOpt = remote.DEFAULT_SERVER, token: TokenOpt = "", as_json: JsonOpt = False
) -> None:
    """The versions on the server, newest first, with their state, as a table."""
    body = remote.call(server, token, "GET", "/v1/policies")
    remote.echo_json(body) if as_json else typer.echo(remote.versions_table(body))


@policy_app.command("simulate")
def policy_simulate(
    revision: RevisionArg,
    last: Annotated[int, typer.Option(min=1, help="Replay this many audited decisions.")] = 1000,
    server: ServerOpt = remote.DEFAULT_SERVER,
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Replay the last N audited decisions of this profile under the active version and this
    one; print the flips, and the drift apart."""
    rev = remote.resolve(server, token, revision)
    body = remote.call(server, token, "POST", f"/v1/policies/{rev}/simulate", params={"last": last})
    remote.echo_json(body) if as_json else typer.echo(remote.simulation_report(body))


@policy_app.command("approve")
def policy_approve(
    revision: RevisionArg,
    server: ServerOpt = remote.DEFAULT_SERVER,
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Approve a tested, simulated version (not your own draft: four eyes)."""
    rev = remote.resolve(server, token, revision)
    body = remote.call(server, token, "POST", f"/v1/policies/{rev}/approve")
    remote.echo_json(body) if as_json else typer.echo(remote.version_line(body))


@policy_app.command("activate")
def policy_activate(
    revision: RevisionArg,
    server: ServerOpt = remote.DEFAULT_SERVER,
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Activate an approved version; every gateway process swaps to it within a second."""
    rev = remote.resolve(server, token, revision)
    body = remote.call(server, token, "POST", f"/v1/policies/{rev}/activate")
    remote.echo_json(body) if as_json else typer.echo(remote.version_line(body))


@policy_app.command("rollback")
def policy_rollback(
    revision: RevisionArg,
    reason: Annotated[str, typer.Option(help="Why (to request a rollback).")] = "",
    approve: Annotated[
        bool, typer.Option("--approve", help="Approve another officer's rollback request.")
    ] = False,
    server: ServerOpt = remote.DEFAULT_SERVER,
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Request a rollback to an earlier active version, or (--approve) approve one."""
    if not approve and not reason.strip():
        remote.fail("a rollback request needs --reason (or --approve to approve one)", remote.USAGE)
    rev = remote.resolve(server, token, revision)
    if approve:
        body = remote.call(server, token, "POST", f"/v1/policies/{rev}/rollback/approve")
    else:
        body = remote.call(
            server, token, "POST", f"/v1/policies/{rev}/rollback", json={"reason": reason}
        )
    remote.echo_json(body) if as_json else typer.echo(remote.version_line(body))


@policy_app.command("log")
def policy_log(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many events.")] = 100,
    server: ServerOpt = remote.DEFAULT_SERVER,
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """The lifecycle events of all versions, newest first."""
    body = remote.call(server, token, "GET", "/v1/policies/log", params={"limit": limit})
    remote.echo_json(body) if as_json else typer.echo(remote.log_table(body))


@audit_app.command("verify")
def audit_verify(
    since_checkpoint: Annotated[
        int | None,
        typer.Option(
            min=1,
            metavar="TREE_SIZE",
            help="The tree size of a signed checkpoint you verified before (as `audit "
            "checkpoint` and GET /v1/audit/checkpoint show it): check only what came after, "
            "with consistency proofs from it.",
        ),
    ] = None,
    public_key: Annotated[
        str | None,
        typer.Option(help="The log's Ed25519 public key (base64). Default: the signing key's."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=0, help="Worker processes that check spans of the log (default: one per core)."
        ),
    ] = 0,
) -> None:
    """Recompute the hash chain, the Merkle tree and every checkpoint signature; exit 1 with
    the first bad seq. A wrong argument (exit 2) is never reported as a broken log."""
    import base64
    import binascii

    from audit import AuditCheckpoint, latest_checkpoint, verify_log
    from gateway.db import make_engine, session_scope
    from gateway.services import build_signer

    settings = _settings()
    if public_key:
        try:
            key = base64.b64decode(public_key, validate=True)
        except (binascii.Error, ValueError):
            remote.fail("--public-key is not base64", remote.USAGE)
        if len(key) != 32:
            remote.fail("--public-key is not an Ed25519 public key (32 bytes)", remote.USAGE)
    else:
        try:
            key = build_signer(settings).public_key
        except FileNotFoundError:
            remote.fail("no signing key here: pass --public-key", remote.USAGE)
    engine = make_engine(settings.database_url)
    unknown: str | None = None
    with session_scope(engine) as session:
        if since_checkpoint is not None and session.get(AuditCheckpoint, since_checkpoint) is None:
            latest = latest_checkpoint(session)
            unknown = (
                f"no signed checkpoint at tree size {since_checkpoint}: --since-checkpoint takes "
                "the tree size of a checkpoint you verified before"
                + (f" (the latest is at tree size {latest.tree_size})" if latest else
                   " (there is none yet: `doelbinding audit checkpoint` signs one)")
            )  # fmt: skip
        else:
            report = verify_log(
                session,
                settings.audit_key_name,
                key,
                settings.audit.origin,
                since=since_checkpoint,
                workers=workers or os.cpu_count() or 1,
            )
    engine.dispose()
    if unknown is not None:
        remote.fail(unknown, remote.USAGE)
    since = f" after the checkpoint at tree size {since_checkpoint}" if since_checkpoint else ""
    if report.ok:
        typer.echo(
            f"audit log ok: {report.checked} records, {report.checkpoints} checkpoints, "
            f"{report.tombstones} tombstones{since}; tree size {report.tree_size}, "
            f"root {base64.b64encode(bytes.fromhex(report.root_hash)).decode()}"
        )
        return
    typer.echo(
        f"audit log BROKEN at seq {report.first_bad_seq}: {report.problem} "
        f"({report.checked} records verified before it{since})",
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
