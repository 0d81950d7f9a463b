"""`doelbinding`: a thin CLI over the same services the routes use. No logic of its own."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from gateway import remote
from gateway.settings import Settings, SettingsError, get_settings

app = typer.Typer(no_args_is_help=True, help="doelbinding: a privacy gateway.")
policy_app = typer.Typer(no_args_is_help=True, help="Test and export the Rego policies.")
audit_app = typer.Typer(no_args_is_help=True, help="The audit trail.")
app.add_typer(policy_app, name="policy")
app.add_typer(audit_app, name="audit")


def _settings() -> Settings:
    from gateway.logging import configure_logging

    try:
        settings = get_settings()
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    configure_logging(settings.log_format)
    return settings


@app.command()
def migrate(
    runtime_role: Annotated[
        str | None,
        typer.Option(
            help="PostgreSQL: the role the gateway runs as; grant it INSERT and SELECT only on "
            "the append-only tables (default: DOELBINDING_DATABASE__RUNTIME_ROLE). Run this "
            "command as the owner role."
        ),
    ] = None,
) -> None:
    """Create or upgrade the database schema (SQLite or PostgreSQL), then set the runtime
    role's grants."""
    from gateway.migrate import RoleMissing, grant_runtime_role, upgrade

    settings = _settings()
    upgrade(settings.database_url)
    typer.echo("database is at the latest schema")
    role = runtime_role if runtime_role is not None else settings.database.runtime_role
    if role:
        try:
            grant_runtime_role(settings.database_url, role)
        except RoleMissing:
            typer.echo(
                f"no role {role!r}: create it first (CREATE ROLE {role} LOGIN; docs/deploy.md)",
                err=True,
            )
            raise typer.Exit(1) from None
        except ValueError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
        typer.echo(f"role {role}: INSERT and SELECT on the append-only tables, nothing more")


@app.command("init-secrets")
def init_secrets(
    directory: Annotated[Path, typer.Argument(help="Where to create the secrets (mode 0700).")],
    origin: Annotated[
        str,
        typer.Option(envvar="DOELBINDING_AUDIT__ORIGIN", help="The audit log's origin."),
    ] = "doelbinding.local/audit",
    key_name: Annotated[
        str,
        typer.Option(
            envvar="DOELBINDING_AUDIT__KEY_NAME", help="The signing key's name (default: origin)."
        ),
    ] = "",
) -> None:
    """Create the audit signing key, the pseudonymisation key and the session secret (files
    of mode 0600, never over existing ones); print the settings to use and the verifier key to
    publish."""
    from gateway.secret_files import init_secrets as create

    try:
        created = create(directory, key_name or origin)
    except FileExistsError as exc:
        typer.echo(f"refusing to overwrite: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"# secrets created in {created.directory} (mode 0600); settings to use:")
    for name, value in created.settings.items():
        typer.echo(f"{name}={value}")
    if origin != "doelbinding.local/audit":
        typer.echo(f"DOELBINDING_AUDIT__ORIGIN={origin}")
    if key_name and key_name != origin:
        typer.echo(f"DOELBINDING_AUDIT__KEY_NAME={key_name}")
    typer.echo("# also set DOELBINDING_AUTH__JWKS_URL and DOELBINDING_DATABASE__URL")
    typer.echo("# publish the audit log's verifier key (C2SP signed-note vkey) where residents")
    typer.echo("# and monitors find it outside this server, e.g. on the municipality's website:")
    typer.echo(created.verifier.vkey)


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
    shown["pseudonym_key"] = _secret(
        settings.pseudonym_key, settings.pseudonym_key_file or settings.dev_pseudonym_key_file
    )
    shown["web"]["session_secret"] = _secret(
        settings.web.session_secret,
        settings.web.session_secret_file or settings.dev_web_session_key_file,
    )
    shown["audit"]["last_checkpoint_file"] = str(settings.audit_last_checkpoint_file)
    shown["audit"]["refuse_rollback"] = settings.audit_refuse_rollback
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
    the first bad seq. A wrong argument (exit 2) is never reported as a broken log.
    Checkpoints signed by an earlier key (DOELBINDING_AUDIT__PREVIOUS_KEYS) are accepted too."""
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
                previous_keys=settings.audit_previous_keys,
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
    from audit import LogRolledBack
    from gateway.checkpointer import Checkpointer
    from gateway.clock import system_clock
    from gateway.db import make_engine
    from gateway.services import build_signer, build_witness

    settings = _settings()
    engine = make_engine(settings.database_url)
    signer = build_signer(settings)
    try:
        cp = Checkpointer(
            engine,
            signer,
            settings.audit.origin,
            system_clock,
            witness=build_witness(settings, signer),
            refuse_rollback=settings.audit_refuse_rollback,
        ).run_once()
    except LogRolledBack as exc:
        typer.echo(f"refused: {exc} (doelbinding audit accept-restore)", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"checkpoint at tree size {cp.tree_size}" if cp else "nothing new to sign")


@audit_app.command("rotate-key")
def audit_rotate_key(
    new_key_file: Annotated[Path, typer.Argument(help="Where to create the new signing key.")],
) -> None:
    """Create a new checkpoint signing key and print the settings that switch to it: the new
    key signs new checkpoints, the current one is kept (public only) as a previous key, so
    everything it signed still verifies."""
    from audit import vkey
    from gateway.secret_files import new_signing_key
    from gateway.services import build_signer

    settings = _settings()
    try:
        current = build_signer(settings)
    except FileNotFoundError:
        typer.echo(f"no current signing key at {settings.audit_signing_key_file}", err=True)
        raise typer.Exit(2) from None
    try:
        new = new_signing_key(new_key_file.absolute(), settings.audit_key_name)
    except FileExistsError:
        typer.echo(f"refusing to overwrite {new_key_file}", err=True)
        raise typer.Exit(1) from None
    previous = [
        vkey(current.name, current.public_key),
        *(k for k in settings.audit.previous_keys if k != vkey(current.name, current.public_key)),
    ]
    typer.echo(f"# new signing key at {new_key_file.absolute()} (mode 0600); settings to use")
    typer.echo("# on every replica (then restart them):")
    typer.echo(f"DOELBINDING_AUDIT__SIGNING_KEY_FILE={new_key_file.absolute()}")
    typer.echo(f"DOELBINDING_AUDIT__PREVIOUS_KEYS='{json.dumps(previous)}'")
    typer.echo("# publish the new verifier key beside the old one:")
    typer.echo(new.vkey)


@audit_app.command("accept-restore")
def audit_accept_restore(
    reason: Annotated[str, typer.Option(help="Why the database was restored (audited).")],
    operator: Annotated[str, typer.Option(help="Who restored it (audited).")],
) -> None:
    """Acknowledge a deliberate restore of an older database: append an audited
    `audit.restore_accepted` entry that names what was lost, sign a checkpoint, and make it
    the gateway's last checkpoint. Monitors and residents' browsers will still report the
    rollback: that is the point."""
    import base64

    from audit import AuditEntry, AuditStore, LogRolledBack
    from gateway.checkpointer import Checkpointer
    from gateway.clock import rfc3339, system_clock
    from gateway.db import make_engine, session_scope
    from gateway.services import build_signer, build_witness

    settings = _settings()
    if not reason.strip() or len(reason) > 500 or not operator.strip() or len(operator) > 200:
        typer.echo("give a --reason (up to 500 characters) and an --operator", err=True)
        raise typer.Exit(2)
    signer = build_signer(settings)
    witness = build_witness(settings, signer)
    engine = make_engine(settings.database_url)
    try:
        seen = witness.seen()
        try:
            with session_scope(engine) as session:
                witness.check(session)
        except LogRolledBack as exc:
            problem = exc
        else:
            typer.echo("nothing to accept: the database extends the last checkpoint")
            return
        assert seen is not None  # a rollback needs a checkpoint seen before
        entry = AuditEntry(
            event_type="audit.restore_accepted",
            occurred_at=rfc3339(system_clock()),
            subject_id=operator,
            subject_roles=["operator"],
            action="restore_accepted",
            allowed=True,
            details={
                "reason": reason,
                "growth": problem.growth,
                "witnessed_tree_size": str(seen.tree_size),
                "witnessed_root_hash": base64.b64encode(seen.root_hash).decode(),
                "database_tree_size": str(problem.now),
            },
        )
        with session_scope(engine) as session:
            AuditStore().append(session, [entry])
        cp = Checkpointer(engine, signer, settings.audit.origin, system_clock).run_once()
        assert cp is not None  # the entry just appended is new
        old = witness.accept(cp.note)
    finally:
        engine.dispose()
    typer.echo(
        f"restore accepted (audited): the log was {seen.tree_size} entries, the database "
        f"held {problem.now}; new checkpoint at tree size {cp.tree_size}"
    )
    if old is not None:
        typer.echo(f"the previous last checkpoint is kept in {old}")


@audit_app.command("watch")
def audit_watch(
    server: ServerOpt = "http://127.0.0.1:8000",
    state: Annotated[Path, typer.Option(help="Where to keep the last checkpoint verified.")] = Path(
        "audit-watch.json"
    ),
    vkey_: Annotated[
        list[str] | None,
        typer.Option(
            "--vkey",
            help="A verifier key of the log (repeat after a rotation). Default: the keys the "
            "server publishes at /v1/audit/keys (this checks the log's history, not who signs).",
        ),
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between rounds.")] = 60.0,
    once: Annotated[bool, typer.Option("--once", help="One round, then exit.")] = False,
) -> None:
    """Monitor the log from outside with the public endpoints only: check each new signed
    checkpoint against the last one verified (RFC 9162 consistency proof). Exit 1 on a
    rollback or a fork, 3 when the server cannot be checked."""
    import time

    import httpx

    from audit import parse_vkey
    from gateway.audit_watch import WatchError, watch_once

    try:
        pinned = [parse_vkey(v) for v in vkey_ or ()]
    except ValueError as exc:
        typer.echo(f"--vkey: {exc}", err=True)
        raise typer.Exit(2) from None
    with httpx.Client(base_url=server.rstrip("/"), timeout=30) as client:
        while True:
            try:
                result = watch_once(client, state, pinned or None)
            except WatchError as exc:
                remote.fail(f"cannot check the log: {exc}", remote.UNREACHABLE)
            ok = result.growth.ok
            typer.echo(result.describe(), err=not ok)
            if not ok:
                typer.echo(f"the last checkpoint verified stays in {state}", err=True)
                raise typer.Exit(1)
            if once:
                return
            time.sleep(interval)


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
