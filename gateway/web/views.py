"""Turn the JSON API's answers into what a resident reads: labels from the register, dates in
Dutch, bases explained. No logic of its own about who may see what: the routes' functions
decide that, these only word it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from consent.recipients import recipient_labels
from consent.texts import organisations
from gateway.schemas import AccessLogEntry, ConsentPublic
from registry import Register

_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december")  # fmt: skip

try:
    _TZ: ZoneInfo | None = ZoneInfo("Europe/Amsterdam")
except ZoneInfoNotFoundError:  # no tz database on this machine: show UTC and say so
    _TZ = None

_ACTIONS = {"read": "Bekeken", "create": "Vastgelegd"}
_EVENTS = {
    "consent.given": "Toestemming gegeven",
    "consent.recorded": "Toestemming vastgelegd door uw wijkteam",
    "consent.withdrawn": "Toestemming ingetrokken",
    "consent.superseded": "Toestemming vervangen",
}
_BASIS = {
    "role": "Dit hoort bij het werk van deze medewerker.",
    "break_glass": "Een noodgeval. De privacy officer controleert dit altijd achteraf.",
    "exception": "Een uitzondering. Een tweede medewerker heeft die vooraf goedgekeurd.",
}
STATUS_LABELS = {
    "active": "Actief",
    "withdrawn": "Ingetrokken",
    "expired": "Verlopen",
    "not_yet_valid": "Nog niet geldig",
    "lapsed": "Telt niet meer",
}


def when(rfc3339: str) -> tuple[str, str]:
    """(`datetime` attribute, Dutch text) of an RFC 3339 UTC time."""
    dt = datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).astimezone(UTC)
    local = dt.astimezone(_TZ) if _TZ else dt
    zone = "" if _TZ else " (UTC)"
    text = f"{local.day} {_MONTHS[local.month - 1]} {local.year} om {local:%H:%M}{zone}"
    return rfc3339, text


def day(rfc3339: str) -> str:
    return when(rfc3339)[1].split(" om ")[0]


@dataclass(frozen=True)
class Basis:
    kind: str
    article: str | None
    link: str | None
    explanation: str
    consent_id: str | None


@dataclass(frozen=True)
class Entry:
    seq: int
    datetime: str
    when: str
    allowed: bool
    what: str
    category: str | None
    summary: str
    organisation: str
    teams: list[str]
    roles: list[str]
    activity: str | None
    purpose: str | None
    basis: Basis | None
    reasons: list[str]
    is_access: bool


class Wording:
    """Labels of one register; build per request (the register can change with a version)."""

    def __init__(self, register: Register, reason_texts: dict[str, str]) -> None:
        self.reg = register
        self.reason_texts = reason_texts
        self.orgs = organisations(register)
        self.recipients = recipient_labels(register)

    def category(self, cid: str | None) -> str | None:
        if cid is None:
            return None
        c = self.reg.categories.get(cid)
        return c.label if c else cid

    def activity(self, aid: str) -> str:
        a = self.reg.activities.get(aid)
        return a.label if a else aid

    def domain(self, did: str) -> str:
        d = self.reg.domains.get(did)
        return d.label if d else did

    def organisation(self, oid: str) -> str:
        return self.orgs.get(oid, oid)

    def recipient(self, rid: str) -> str:
        """A consent's recipient: a unit or organisation, or (before 0006c) a domain."""
        return self.recipients.get(rid) or self.domain(rid)

    def entry(self, e: AccessLogEntry) -> Entry:
        dt, text = when(e.when)
        basis = None
        b = e.legal_basis
        if b is not None:
            if b.type == "consent":
                basis = Basis("consent", b.article, None, "U heeft hiervoor zelf toestemming "
                              "gegeven.", e.consent_id or b.ref)  # fmt: skip
            elif b.article or b.explanation:
                basis = Basis(b.type, b.article or b.ref, b.link, b.explanation or "", None)
            else:
                basis = Basis(b.type, b.ref, None, _BASIS.get(b.type, ""), None)
        is_access = e.event in ("record.read", "record.create") or not e.event.startswith(
            "consent."
        )
        what = _EVENTS.get(e.event) or _ACTIONS.get(e.action, e.action.capitalize())
        org = self.organisation(e.organisation) if e.organisation else ""
        return Entry(
            seq=e.seq,
            datetime=dt,
            when=text,
            allowed=e.allowed,
            what=what,
            category=self.category(e.category),
            # The API's sentence names the organisation by its id; the page by its name.
            summary=e.summary.replace(f" van {e.organisation} ", f" van {org} ")
            if e.organisation
            else e.summary,
            organisation=org,
            teams=[self.reg.teams[t].label if t in self.reg.teams else t for t in e.teams],
            roles=[self.reg.roles[r].label if r in self.reg.roles else r for r in e.roles],
            activity=e.processing_activity_label,
            purpose=e.purpose_label,
            basis=basis,
            reasons=[self.reason_texts.get(r, r) for r in e.reasons] if not e.allowed else [],
            is_access=is_access,
        )

    def consent_scope(self, c: ConsentPublic) -> dict[str, str]:
        def join(items: list[str]) -> str:
            return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} en {items[-1]}"

        recipients = [self.recipient(r) for r in c.recipients]
        recipients += [self.organisation(o) for o in c.recipient_organisations]
        return {
            "categories": join([self.category(x) or x for x in c.categories]).lower(),
            "activities": join([self.activity(x) for x in c.processing_activities]),
            "recipients": join(recipients),
            "status": "Vervangen" if c.superseded_by else STATUS_LABELS.get(c.status, c.status),
            "valid_from": day(c.valid_from),
            "valid_until": day(c.valid_until) if c.valid_until else "",
            "given_at": when(c.given_at)[1],
            "withdrawn_at": when(c.withdrawn_at)[1] if c.withdrawn_at else "",
        }
