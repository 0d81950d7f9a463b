"""Read models of the register. Frozen: the register changes only by loading a new version."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Labelled(_Frozen):
    label: str


class LegalBasis(_Frozen):
    law: str
    article: str = Field(description="The provision that carries the processing.")
    gdpr: str = Field(default="", description="The ground of AVG art. 6 (and 9) it rests on.")
    link: str
    explanation: str = Field(description="One plain-Dutch line for residents.")


class Category(_Frozen):
    domain: str
    label: str


class Activity(_Frozen):
    label: str
    purpose: str
    domain: str = Field(
        description="The domain acting under it; what a consent names as recipient."
    )
    consent_admissible: bool
    categories: tuple[str, ...]
    legal_basis: LegalBasis
    retention_days: int = Field(
        gt=0, description="How long audit entries of this activity keep their personal fields."
    )
    break_glass: bool = Field(
        default=False,
        description="Emergency access with a written justification is admissible (reviewed).",
    )
    justification_required: bool = Field(
        default=False,
        description="Every use needs a written justification (e.g. the meldrecht, Wmo 5.2.6); "
        "allowed uses get basis `break_glass` and are reviewed.",
    )
    confidential: bool = Field(
        default=False,
        description="An access under this activity is held back from the resident's view "
        "while an investigation into them is registered and running (AVG art. 23 / UAVG "
        "art. 41); once it ends the access appears.",
    )


class Ground(_Frozen):
    """One provision a flow cites, and what it does: only a `disclosure` permits the flow."""

    article: str
    kind: Literal["disclosure", "task", "principle"] = Field(
        description="`disclosure`: permits passing this data to this recipient for this "
        "purpose; `task`: gives the recipient a task; `principle`: e.g. data minimisation."
    )


class Flow(_Frozen):
    """A legal basis for a category to flow from its owning domain to another domain's activity."""

    id: str
    categories: tuple[str, ...]
    activities: tuple[str, ...]
    from_domain: str
    to_domain: str
    article: str
    link: str
    explanation: str = Field(default="", description="One plain-Dutch line.")
    redact: tuple[str, ...] = Field(
        default=(), description="Fields withheld from the receiving domain (e.g. `content`)."
    )
    grounds: tuple[Ground, ...] = Field(
        default=(), description="The provisions `article` cites; one must be a `disclosure`."
    )


class NoBasis(_Frozen):
    """A flow the law does not allow, stated so that no flow or consent can contradict it."""

    id: str
    from_domain: str
    to_domain: str
    purposes: tuple[str, ...] = Field(description="Purposes of the receiving activities.")
    consent: bool = Field(description="Whether consent can be a basis instead (consent only).")
    article: str = Field(description="The law or position this follows from.")
    explanation: str


class Team(_Frozen):
    label: str
    domain: str
    municipality: str
    regional_service: str | None = Field(
        default=None, description="The regional service (organisation id) this unit belongs to."
    )
    no_dossier: bool = Field(
        default=False, description="Keeps no files: records for it are refused (counts only)."
    )


class RegionalService(_Frozen):
    """An organisation acting for several municipalities of the profile, in its own domains."""

    label: str
    serves: tuple[str, ...]
    domains: tuple[str, ...]
    activities: tuple[str, ...] = Field(
        default=(),
        description="The processing activities the colleges it serves mandated to it; it acts "
        "under no other, whatever its staff's roles (e.g. Pw art. 43 decisions stay the "
        "college's unless mandated).",
    )


class Municipality(_Frozen):
    label: str
    organisation: str


class Contact(_Frozen):
    """Who answers a resident's question or objection, and within what term (data of the
    profile, shown on the resident's pages)."""

    privacy_officer: str = Field(description="Who answers, as a resident reads it.")
    email: str
    phone: str = ""
    url: str = Field(default="", description="A page of the municipality about privacy.")
    answer_days: int = Field(
        gt=0,
        le=90,
        description="The answer term in days (AVG art. 12 lid 3: within a month, extendable).",
    )


#: An e-mail address as a register states one: something@somewhere.tld, no spaces.
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Party(_Frozen):
    """A party the record of processing activities names with its contact details (AVG art. 30
    lid 1 onder a): the controller (the college of burgemeester en wethouders) or its data
    protection officer (functionaris gegevensbescherming, AVG art. 37)."""

    name: str = Field(min_length=1, max_length=300)
    address: str = Field(default="", max_length=300, description="Postal or visiting address.")
    email: str = Field(pattern=EMAIL, max_length=300)
    phone: str = Field(default="", max_length=50)


class TextLength(_Frozen):
    min_length: int = Field(ge=1)
    max_length: int = Field(ge=1)


class Limits(_Frozen):
    """Limits the register sets on what a request may carry (docs/security.md)."""

    break_glass_justification: TextLength = Field(
        default=TextLength(min_length=20, max_length=2000),
        description="A written justification for emergency access: long enough to say why, "
        "short enough for the append-only trail.",
    )


class Register(_Frozen):
    """The default register merged with one municipality profile."""

    profile: str
    profile_label: str
    domains: dict[str, Labelled]
    purposes: dict[str, Labelled]
    categories: dict[str, Category]
    activities: dict[str, Activity]
    flows: tuple[Flow, ...]
    no_basis: tuple[NoBasis, ...] = ()
    roles: dict[str, Labelled]
    municipalities: dict[str, Municipality]
    teams: dict[str, Team]
    mandates: dict[str, tuple[str, ...]]
    regional_services: dict[str, RegionalService] = Field(default_factory=dict)
    contact: Contact | None = Field(
        default=None, description="The privacy officer residents can ask; from the profile."
    )
    controller: Party | None = Field(
        default=None,
        description="The controller the art. 30 record names (the college); from the profile.",
    )
    dpo: Party | None = Field(
        default=None,
        description="The data protection officer (FG) the art. 30 record names; from the profile.",
    )
    small_cell_threshold: int = Field(
        default=10,
        ge=1,
        description="A count of people below this (and above 0) is suppressed in every "
        "aggregate answer: a small cell would single someone out.",
    )
    limits: Limits = Field(default_factory=Limits)

    def legal_bases(self) -> dict[str, str]:
        """Every article the register can give as a basis: `activity:<id>`/`flow:<id>` → article."""
        bases = {f"activity:{k}": a.legal_basis.article for k, a in self.activities.items()}
        bases |= {f"flow:{f.id}": f.article for f in self.flows}
        return bases

    def policy_data(self) -> dict[str, Any]:
        """The register as the policy's `data.doelbinding.register`: ids and rules, no labels.

        Shaped as an index, so the policy looks things up instead of iterating (rego-cpp pays
        per evaluated expression): sets of ids are objects `{id: true}`, mandates are
        `{role: {activity: true}}`, an activity's categories are `{category: true}`, and flows
        are indexed `[category][activity]`, each a list of the flows covering both, in
        register order. The same law as the register, only shaped for lookups: which flow
        applies (domains) and everything else is still decided by the policy.
        """
        flows: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for f in self.flows:
            entry: dict[str, Any] = {
                "id": f.id,
                "from_domain": f.from_domain,
                "to_domain": f.to_domain,
                "article": f.article,
                "redact": list(f.redact),
            }
            for category in dict.fromkeys(f.categories):
                for activity in dict.fromkeys(f.activities):
                    flows.setdefault(category, {}).setdefault(activity, []).append(entry)
        return {
            "profile": self.profile,
            "categories": {k: {"domain": c.domain} for k, c in self.categories.items()},
            "activities": {
                k: {
                    "purpose": a.purpose,
                    "domain": a.domain,
                    "consent_admissible": a.consent_admissible,
                    "categories": dict.fromkeys(a.categories, True),
                    "article": a.legal_basis.article,
                    "break_glass": a.break_glass,
                    "justification_required": a.justification_required,
                }
                for k, a in self.activities.items()
            },
            "flows": flows,
            "roles": dict.fromkeys(sorted(self.roles), True),
            "mandates": {role: dict.fromkeys(acts, True) for role, acts in self.mandates.items()},
            "teams": {
                k: {"domain": t.domain, "municipality": t.municipality}
                for k, t in self.teams.items()
            },
            "municipalities": dict.fromkeys(sorted(self.municipalities), True),
            "team_files": {k: "none" if t.no_dossier else "files" for k, t in self.teams.items()},
            "regional_services": {
                org: {
                    "serves": dict.fromkeys(s.serves, True),
                    "domains": dict.fromkeys(s.domains, True),
                    "activities": dict.fromkeys(s.activities, True),
                }
                for org, s in self.regional_services.items()
            },
        }
