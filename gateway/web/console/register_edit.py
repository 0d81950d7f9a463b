"""The register editor in the console: an activity's legal facts, a role's mandates, the flows
between domains, the categories of personal data, this deployment's profile's teams and units,
its regional services' scope, the contact and answer term residents see for their questions,
and the controller and data protection officer the art. 30 record names.

A save posts a register patch (lifecycle/register_patch.py) through the JSON route's own
function (`gateway.routes.policies.create_draft`), so the draft, its author, message, audit
event and the register's own checks are decided in one place; what the register refuses is
shown in the form with its reason, and no draft exists. After a save the officer sees the
change in the register's terms (/console/diff) and goes on with the lifecycle.

    GET  /console/register/edit                       the index of everything editable
    GET  /console/register/edit?activity=<id>         an activity      POST …/activity/<id>
    GET  /console/register/edit?role=<id>             a role's mandates POST …/mandates/<id>
    GET  /console/register/edit?flow=<id>             a flow           POST …/flow/<id>, …/flow/<id>/remove
    GET  /console/register/edit?new=flow              a new flow       POST …/flow
    GET  /console/register/edit?category=<id>         a category       POST …/category/<id>
    GET  /console/register/edit?new=category          a new category   POST …/category
    GET  /console/register/edit?team=<id>             a team or unit   POST …/team/<id>, …/team/<id>/remove
    GET  /console/register/edit?new=team              a new team       POST …/team
    GET  /console/register/edit?service=<id>          a regional service POST …/service/<id>, …/remove
    GET  /console/register/edit?new=service           a new one        POST …/service
    GET  /console/register/edit?part=contact          residents' contact and term POST …/contact
    GET  /console/register/edit?part=controller       controller and DPO          POST …/controller

Every form starts from the active version, or with `?base=<revision>` (carried in the form's
hidden field `base`) from a draft: a version never active that descends from the active one
(`lifecycle.service.current_base`). The new draft's parent is that base and its register is
the base's plus the change, so several changes go into one version; a base that is unknown,
retired or no longer builds on the active version is refused with its reason, and nothing is
saved.
"""  # noqa: E501

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from gateway.deps import ContextDep, ServicesDep
from gateway.errors import Denied
from gateway.routes import policies as policies_api
from gateway.web.console.register import base_version
from gateway.web.console.routes import Console, ConsoleDep, CsrfDep, OfficerDep, SessionDep
from gateway.web.console.session import ConsoleSession
from lifecycle import LifecycleConflict, PolicyVersionError, VersionNotFound
from lifecycle.register_patch import PatchRefused

router = APIRouter(prefix="/console/register/edit", include_in_schema=False)

Text = Annotated[str, Form(max_length=2000)]
Short = Annotated[str, Form(max_length=300)]
Many = Annotated[list[str] | None, Form(max_length=200)]
Flag = Annotated[bool, Form()]
NEW = ("flow", "category", "team", "service")
PARTS = ("contact", "controller")
GROUND_KINDS = ("disclosure", "task", "principle")
#: A revision is "sha256:" and 64 hex digits; a little room, no more.
BASE_MAX = 100


def _form_base(request: Request, base: Annotated[str, Form(max_length=BASE_MAX)] = "") -> None:
    """The form's hidden `base` (the draft a change goes on top of; empty: the active
    version), kept for `_save`."""
    request.state.base = base.strip() or None


#: Every form's post: its CSRF token, and the base it was drafted on.
POST = [CsrfDep, Depends(_form_base)]


def _page(
    request: Request,
    console: Console,
    session: ConsoleSession,
    data: dict[str, Any],
    profile: str,
    *,
    status: int = 200,
    base: str | None = None,
    **context: Any,
) -> Response:
    """The editor's page; `base` the draft the change goes on top of (None: the active
    version), kept in every form's hidden field."""
    prof = data["profiles"].get(profile, {})
    return console.render(
        request,
        session,
        "console/register_edit.html",
        status=status,
        nav="register",
        register=data["register"],
        profile=profile,
        prof=prof,
        mandates=prof.get("mandates", {}),
        ground_kinds=GROUND_KINDS,
        base=base,
        **context,
    )


def base_refused(
    request: Request, console: Console, session: ConsoleSession, error: PolicyVersionError
) -> Response:
    """A base no change may go on top of: unknown (404), once active (`base_retired`), or
    building on a version no longer active (`stale_parent`) (409)."""
    if isinstance(error, VersionNotFound):
        status, message = 404, "base_unknown"
    elif isinstance(error, LifecycleConflict) and error.reason == "base_retired":
        status, message = 409, "base_retired"
    else:
        status, message = 409, "base_stale"
    return console.render(request, session, "console/error.html", status=status, message=message)


def _refused(request: Request, console: Console, session: ConsoleSession) -> Response:
    return console.render(
        request, session, "console/error.html", status=403, message="register_refused"
    )


def _not_found(request: Request, console: Console, session: ConsoleSession) -> Response:
    return console.render(
        request, session, "console/error.html", status=404, message="error_not_found"
    )


def _flows(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f.get("id"): f for f in data["register"].get("flows", [])}


def _entries(data: dict[str, Any], profile: str, kind: str) -> dict[str, Any]:
    """The entries of one kind by id: flows and categories from the register, teams and
    regional services from this deployment's profile."""
    if kind == "flow":
        return _flows(data)
    if kind == "category":
        return dict(data["register"].get("categories", {}))
    section = "teams" if kind == "team" else "regional_services"
    return dict(data["profiles"].get(profile, {}).get(section, {}))


@router.get("")
def edit(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    activity: str | None = None,
    role: str | None = None,
    flow: str | None = None,
    category: str | None = None,
    team: str | None = None,
    service: str | None = None,
    new: str | None = None,
    part: str | None = None,
    base: Annotated[str | None, Query(max_length=BASE_MAX)] = None,
) -> Response:
    """The index (no parameter), or the form of one entry, a new entry, or a profile part;
    of the active version, or of the draft `base`."""
    try:
        version = base_version(services, officer, ctx, "register.edit", base or None)
    except Denied:
        return _refused(request, console, session)
    except PolicyVersionError as exc:
        return base_refused(request, console, session, exc)
    data, profile = version.data, services.settings.profile
    if activity is not None and activity not in data["register"]["activities"]:
        activity = None
    if role is not None and role not in data["register"]["roles"]:
        role = None
    context: dict[str, Any] = {"activity": activity, "role": role, "revision": version.revision}
    for kind, key in (("flow", flow), ("category", category), ("team", team),
                      ("service", service)):  # fmt: skip
        entries = _entries(data, profile, kind)
        if key is not None and key in entries:
            context |= {"kind": kind, "key": key, "entry": entries[key]}
    if new in NEW and "kind" not in context:
        context |= {"kind": new, "key": None, "entry": {}}
    if part in PARTS:
        context["part"] = part
    return _page(
        request, console, session, data, profile, base=version.revision if base else None,
        **context,
    )  # fmt: skip


def _save(
    request: Request,
    console: Console,
    session: ConsoleSession,
    services: Any,
    officer: Any,
    ctx: Any,
    patch: list[dict[str, Any]],
    message: str,
    *,
    check: Any = None,
    **form: Any,
) -> Response:
    """Draft `patch` on the active version, or on the form's base (a draft: the new draft's
    parent), or show the form again with what is in the way. `check(data, profile)` may name
    a problem the patch itself cannot see (an id that exists already, or does not exist), as
    a list of reasons; None means go on."""
    base: str | None = getattr(request.state, "base", None)
    try:
        version = base_version(services, officer, ctx, "register.edit", base)
    except Denied:
        return _refused(request, console, session)
    except PolicyVersionError as exc:
        return base_refused(request, console, session, exc)
    parent = version.revision if base else None
    data, profile = version.data, services.settings.profile
    problems: list[str] = list(check(data, profile) or []) if check is not None else []
    if problems:
        if problems == ["error_not_found"]:
            return _not_found(request, console, session)
    elif not message.strip():
        problems = ["register_message_required"]
    else:
        body = policies_api.DraftIn(message=message.strip(), register_patch=patch, parent=parent)
        try:
            draft = policies_api.create_draft(body, services, officer, ctx)
        except PatchRefused as exc:
            problems = exc.reasons
        except LifecycleConflict:
            problems = ["register_no_change"]
        except Denied:  # the enforcement point refused the change itself
            return _refused(request, console, session)
        else:
            session.flash("register_drafted")
            return console.redirect(session, f"/console/diff?to={draft.revision}")
    return _page(
        request, console, session, data, profile, status=422, base=parent, problems=problems,
        **form,
    )  # fmt: skip


def _exists(kind: str, key: str, *, should: bool) -> Any:
    """A check for `_save`: the entry must exist (a change) or must not (an addition)."""

    def check(data: dict[str, Any], profile: str) -> list[str]:
        there = key in _entries(data, profile, kind)
        if should and not there:
            return ["error_not_found"]
        if not should and there:
            return [f"{kind} {key}: exists already; change it in its own form"]
        return []

    return check


def _ids(values: list[str] | None) -> list[str]:
    return [v.strip() for v in (values or []) if v.strip()]


def _split(value: str) -> list[str]:
    """A comma-separated field (e.g. the fields a flow withholds) as a list."""
    return [v.strip() for v in value.split(",") if v.strip()]


# --- an activity and a role's mandates -----------------------------------------------------


@router.post("/activity/{key}", dependencies=POST)
def save_activity(
    key: str,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    message: Text = "",
    article: Text = "",
    link: Text = "",
    explanation: Text = "",
    retention_days: Annotated[int, Form(ge=1, le=36_500)] = 1,
    confidential: Flag = False,
    consent_admissible: Flag = False,
    justification_required: Flag = False,
    categories: Many = None,
) -> Response:
    fields: dict[str, Any] = {
        "article": article,
        "link": link,
        "explanation": explanation,
        "retention_days": retention_days,
        "consent_admissible": consent_admissible,
        "justification_required": justification_required,
        "categories": list(categories or []),
    }
    op: dict[str, Any] = {
        "op": "activity",
        "id": key,
        "set": {k: v for k, v in fields.items() if v != ""},
    }
    if confidential:
        op["set"]["confidential"] = True
    else:
        op["unset"] = ["confidential"]
    return _save(
        request, console, session, services, officer, ctx, [op], message,
        activity=key, submitted=op["set"],
    )  # fmt: skip


@router.post("/mandates/{role}", dependencies=POST)
def save_mandates(
    role: str,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    message: Text = "",
    activities: Many = None,
) -> Response:
    op = {
        "op": "mandates",
        "profile": services.settings.profile,
        "role": role,
        "activities": list(activities or []),
    }
    return _save(
        request, console, session, services, officer, ctx, [op], message,
        role=role, chosen=op["activities"],
    )  # fmt: skip


# --- flows -----------------------------------------------------------------------------------


def _flow(
    key: str | None,
    request: Request,
    console: Console,
    session: ConsoleSession,
    services: Any,
    officer: Any,
    ctx: Any,
    form: dict[str, Any],
    message: str,
    ground_article: list[str] | None,
    ground_kind: list[str] | None,
) -> Response:
    flow_id = key if key is not None else form.pop("id", "").strip()
    articles, kinds = list(ground_article or []), list(ground_kind or [])
    grounds = [
        {"article": a.strip(), "kind": k}
        for a, k in zip(articles, kinds + [""] * (len(articles) - len(kinds)), strict=False)
        if a.strip()
    ]
    fields: dict[str, Any] = {
        "from_domain": form["from_domain"],
        "to_domain": form["to_domain"],
        "categories": _ids(form["categories"]),
        "activities": _ids(form["activities"]),
        "article": form["article"].strip(),
        "link": form["link"].strip(),
        "grounds": grounds,
    }
    explanation, redact = form["explanation"].strip(), _split(form["redact"])
    op: dict[str, Any] = {
        "op": "flow",
        "id": flow_id,
        "set": {k: v for k, v in fields.items() if v != ""},
    }
    unset = []
    if explanation:
        op["set"]["explanation"] = explanation
    else:
        unset.append("explanation")
    if redact:
        op["set"]["redact"] = redact
    else:
        unset.append("redact")
    if key is not None:  # a new flow has nothing to unset
        op["unset"] = unset
    entry = {**fields, "id": flow_id, "explanation": explanation, "redact": redact}
    return _save(
        request, console, session, services, officer, ctx, [op], message,
        check=_exists("flow", flow_id, should=key is not None),
        kind="flow", key=key, entry=entry,
    )  # fmt: skip


@router.post("/flow", dependencies=POST)
def add_flow(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    id: Short = "",
    message: Text = "",
    from_domain: Short = "",
    to_domain: Short = "",
    categories: Many = None,
    activities: Many = None,
    article: Text = "",
    link: Text = "",
    explanation: Text = "",
    redact: Text = "",
    ground_article: Many = None,
    ground_kind: Many = None,
) -> Response:
    form = {"id": id, "from_domain": from_domain, "to_domain": to_domain,
            "categories": categories, "activities": activities, "article": article,
            "link": link, "explanation": explanation, "redact": redact}  # fmt: skip
    return _flow(None, request, console, session, services, officer, ctx, form, message,
                 ground_article, ground_kind)  # fmt: skip


@router.post("/flow/{key}", dependencies=POST)
def change_flow(
    key: str,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    message: Text = "",
    from_domain: Short = "",
    to_domain: Short = "",
    categories: Many = None,
    activities: Many = None,
    article: Text = "",
    link: Text = "",
    explanation: Text = "",
    redact: Text = "",
    ground_article: Many = None,
    ground_kind: Many = None,
) -> Response:
    form = {"from_domain": from_domain, "to_domain": to_domain, "categories": categories,
            "activities": activities, "article": article, "link": link,
            "explanation": explanation, "redact": redact}  # fmt: skip
    return _flow(key, request, console, session, services, officer, ctx, form, message,
                 ground_article, ground_kind)  # fmt: skip


def _remove(
    kind: str,
    key: str,
    request: Request,
    console: Console,
    session: ConsoleSession,
    services: Any,
    officer: Any,
    ctx: Any,
    message: str,
) -> Response:
    op: dict[str, Any] = {"op": "regional_service" if kind == "service" else kind, "id": key,
                          "remove": True}  # fmt: skip
    if kind in ("team", "service"):
        op["profile"] = services.settings.profile
    return _save(
        request, console, session, services, officer, ctx, [op], message,
        check=_exists(kind, key, should=True), kind=kind, key=key, removing=True,
    )  # fmt: skip


@router.post("/flow/{key}/remove", dependencies=POST)
def remove_flow(
    key: str,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    message: Text = "",
) -> Response:
    return _remove("flow", key, request, console, session, services, officer, ctx, message)


# --- categories ------------------------------------------------------------------------------


def _category(
    key: str | None,
    request: Request,
    console: Console,
    session: ConsoleSession,
    services: Any,
    officer: Any,
    ctx: Any,
    new_id: str,
    label: str,
    domain: str,
    message: str,
) -> Response:
    cat_id = key if key is not None else new_id.strip()
    fields = {"label": label.strip(), "domain": domain.strip()}
    op = {"op": "category", "id": cat_id, "set": {k: v for k, v in fields.items() if v}}
    return _save(
        request, console, session, services, officer, ctx, [op], message,
        check=_exists("category", cat_id, should=key is not None),
        kind="category", key=key, entry={**fields, "id": cat_id},
    )  # fmt: skip


@router.post("/category", dependencies=POST)
def add_category(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    id: Short = "",
    label: Short = "",
    domain: Short = "",
    message: Text = "",
) -> Response:
    return _category(None, request, console, session, services, officer, ctx,
                     id, label, domain, message)  # fmt: skip


@router.post("/category/{key}", dependencies=POST)
def change_category(
    key: str,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    label: Short = "",
    domain: Short = "",
    message: Text = "",
) -> Response:
    return _category(key, request, console, session, services, officer, ctx,
                     "", label, domain, message)  # fmt: skip


# --- teams and units of this profile ---------------------------------------------------------


def _team(
    key: str | None,
    request: Request,
    console: Console,
    session: ConsoleSession,
    services: Any,
    officer: Any,
    ctx: Any,
    form: dict[str, Any],
    message: str,
) -> Response:
    team_id = key if key is not None else form.pop("id", "").strip()
    fields = {k: form[k].strip() for k in ("label", "domain", "municipality")}
    op: dict[str, Any] = {
        "op": "team",
        "profile": services.settings.profile,
        "id": team_id,
        "set": {k: v for k, v in fields.items() if v},
    }
    unset = []
    if form["regional_service"].strip():
        op["set"]["regional_service"] = form["regional_service"].strip()
    else:
        unset.append("regional_service")
    if form["no_dossier"]:
        op["set"]["no_dossier"] = True
    else:
        unset.append("no_dossier")
    if key is not None:
        op["unset"] = unset
    entry = {**fields, "regional_service": form["regional_service"].strip(),
             "no_dossier": form["no_dossier"]}  # fmt: skip
    return _save(
        request, console, session, services, officer, ctx, [op], message,
        check=_exists("team", team_id, should=key is not None),
        kind="team", key=key, entry=entry, new_id=team_id,
    )  # fmt: skip


@router.post("/team", dependencies=POST)
def add_team(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    id: Short = "",
    label: Short = "",
    domain: Short = "",
    municipality: Short = "",
    regional_service: Short = "",
    no_dossier: Flag = False,
    message: Text = "",
) -> Response:
    form = {"id": id, "label": label, "domain": domain, "municipality": municipality,
            "regional_service": regional_service, "no_dossier": no_dossier}  # fmt: skip
    return _team(None, request, console, session, services, officer, ctx, form, message)


@router.post("/team/{key}", dependencies=POST)
def change_team(
    key: str,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    label: Short = "",
    domain: Short = "",
    municipality: Short = "",
    regional_service: Short = "",
    no_dossier: Flag = False,
    message: Text = "",
) -> Response:
    form = {"label": label, "domain": domain, "municipality": municipality,
            "regional_service": regional_service, "no_dossier": no_dossier}  # fmt: skip
    return _team(key, request, console, session, services, officer, ctx, form, message)


@router.post("/team/{key}/remove", dependencies=POST)
def remove_team(
    key: str,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    message: Text = "",
) -> Response:
    return _remove("team", key, request, console, session, services, officer, ctx, message)


# --- regional services of this profile -------------------------------------------------------


def _service(
    key: str | None,
    request: Request,
    console: Console,
    session: ConsoleSession,
    services: Any,
    officer: Any,
    ctx: Any,
    form: dict[str, Any],
    message: str,
) -> Response:
    service_id = key if key is not None else form.pop("id", "").strip()
    fields: dict[str, Any] = {
        "label": form["label"].strip(),
        "serves": _ids(form["serves"]),
        "domains": _ids(form["domains"]),
        "activities": _ids(form["activities"]),
    }
    op = {
        "op": "regional_service",
        "profile": services.settings.profile,
        "id": service_id,
        "set": {k: v for k, v in fields.items() if v != ""},
    }
    return _save(
        request, console, session, services, officer, ctx, [op], message,
        check=_exists("service", service_id, should=key is not None),
        kind="service", key=key, entry=fields, new_id=service_id,
    )  # fmt: skip


@router.post("/service", dependencies=POST)
def add_service(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    id: Short = "",
    label: Short = "",
    serves: Many = None,
    domains: Many = None,
    activities: Many = None,
    message: Text = "",
) -> Response:
    form = {"id": id, "label": label, "serves": serves, "domains": domains,
            "activities": activities}  # fmt: skip
    return _service(None, request, console, session, services, officer, ctx, form, message)


@router.post("/service/{key}", dependencies=POST)
def change_service(
    key: str,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    label: Short = "",
    serves: Many = None,
    domains: Many = None,
    activities: Many = None,
    message: Text = "",
) -> Response:
    form = {"label": label, "serves": serves, "domains": domains, "activities": activities}
    return _service(key, request, console, session, services, officer, ctx, form, message)


@router.post("/service/{key}/remove", dependencies=POST)
def remove_service(
    key: str,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    message: Text = "",
) -> Response:
    return _remove("service", key, request, console, session, services, officer, ctx, message)


# --- the profile's contact for residents, and the controller and DPO --------------------------


def _required(parts: dict[str, dict[str, Any]], optional: tuple[str, ...]) -> Any:
    """A check for `_save`: every field but the optional ones is filled in."""

    def check(_data: dict[str, Any], _profile: str) -> list[str]:
        return [
            f"{part}: {field.replace('_', ' ')} is required"
            for part, fields in parts.items()
            for field, value in fields.items()
            if field not in optional and value in ("", None)
        ]

    return check


def _part_op(op: str, profile: str, fields: dict[str, Any], optional: tuple[str, ...]) -> Any:
    return {
        "op": op,
        "profile": profile,
        "set": {k: v for k, v in fields.items() if v != ""},
        "unset": [k for k in optional if fields.get(k) == ""],
    }


@router.post("/contact", dependencies=POST)
def save_contact(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    privacy_officer: Text = "",
    email: Short = "",
    phone: Short = "",
    url: Short = "",
    answer_days: Annotated[int, Form(ge=1, le=90)] = 30,
    message: Text = "",
) -> Response:
    fields: dict[str, Any] = {"privacy_officer": privacy_officer.strip(), "email": email.strip(),
                              "phone": phone.strip(), "url": url.strip(),
                              "answer_days": answer_days}  # fmt: skip
    op = _part_op("contact", services.settings.profile, fields, ("phone", "url"))
    return _save(
        request, console, session, services, officer, ctx, [op], message,
        check=_required({"contact": fields}, ("phone", "url")),
        part="contact", submitted={"contact": fields},
    )  # fmt: skip


@router.post("/controller", dependencies=POST)
def save_controller(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    controller_name: Short = "",
    controller_email: Short = "",
    controller_phone: Short = "",
    controller_address: Short = "",
    dpo_name: Short = "",
    dpo_email: Short = "",
    dpo_phone: Short = "",
    dpo_address: Short = "",
    message: Text = "",
) -> Response:
    parties = {
        "controller": {"name": controller_name, "email": controller_email,
                       "phone": controller_phone, "address": controller_address},
        "dpo": {"name": dpo_name, "email": dpo_email, "phone": dpo_phone,
                "address": dpo_address},
    }  # fmt: skip
    parties = {p: {k: v.strip() for k, v in f.items()} for p, f in parties.items()}
    profile = services.settings.profile
    patch = [_part_op(p, profile, f, ("address", "phone")) for p, f in parties.items()]
    return _save(
        request, console, session, services, officer, ctx, patch, message,
        check=_required(parties, ("address", "phone")),
        part="controller", submitted=parties,
    )  # fmt: skip


__all__ = ["router"]
