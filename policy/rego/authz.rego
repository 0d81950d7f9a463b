# doelbinding: may this subject perform this action on this resource, under this processing
# activity? One entry rule, `decision`; see docs/policy.md for the contract and every rule.
#
# Written in the subset of Rego v1 that OPA and regopy (rego-cpp) evaluate identically
# (see rego-conformance): no `every` without braces, no `some k, _ in` in comprehensions,
# no reliance on set order, no `with` here, no time parsing (times arrive as nanoseconds).
#
# The register (`data.doelbinding.register`) is data: the policy invents no law. Every
# allow names its basis (role, law, consent, break_glass or exception) and every decision carries a
# reason code with an English (`message`) and a Dutch (`message_nl`) text.
#
# Written for rego-cpp's cost model (docs/policy.md, "Performance"). Its virtual machine
# formats a value as text for every comparison and for every key it passes in an object
# lookup, and checks the whole compiled plan on every query. So:
# - the register is shaped as an index (`Register.policy_data`) and looked up, never
#   scanned, through `reg` (one cached step instead of `data.doelbinding.register`'s three);
# - input fields and register facts are read once into rules (`act_domain`, `rtype`, the
#   activity's entry `activity`, …), evaluated once per query and then cheap to reuse;
# - a rule that is undefined is evaluated again at every reference, so a yes/no rule read
#   in several places has `default … := false`;
# - a rule with several clauses evaluates them all, so one that needs only the first that
#   holds is an `else` chain, and a body puts its cheapest, most often failing test first;
# - each branch spells out its reason's texts: a constant or function per message was ~70
#   more rules in the plan, checked on every query, and a call per text.
package doelbinding.authz

import rego.v1

# ---------------------------------------------------------------------------------------
# The entry rule. Checked in this order; the first branch that holds decides. Validity
# first, then the rules that deny regardless of basis, then the bases (owner > law flow >
# consent > four-eyes exception > emergency access), then the most informative refusal.
# Always defined (deny by default).
# ---------------------------------------------------------------------------------------

default decision := {
	"allow": false,
	"reasons": [{"code": "no_legal_basis", "message": "No legal basis in the register covers this category for this activity.", "message_nl": "Er is geen wettelijke grondslag voor deze verwerking."}],
	"basis": null,
	"redact": [],
	"obligations": [],
}

decision := deny(
	"unknown_role",
	"A role of the subject is not in the register.",
	"Een rol van de gebruiker staat niet in het register."
) if {
	some role in roles
	not reg.roles[role]
} else := deny(
	"unknown_action",
	"The action is not one the policy knows.",
	"Deze handeling kent het beleid niet."
) if {
	not known_action
} else := deny(
	"unknown_resource_type",
	"The resource type is not one the policy knows.",
	"Dit soort gegevens kent het beleid niet."
) if {
	not known_resource_type
} else := deny(
	"other_municipality",
	"The data belongs to another municipality.",
	"Deze gegevens horen bij een andere gemeente."
) if {
	# Rule 8: one municipality's data, except for a regional service acting for it.
	not same_municipality
} else := allow(
	"privacy_officer_audit_metadata",
	"The privacy officer may read audit metadata to supervise processing.",
	"De privacy officer mag de logboekgegevens inzien voor toezicht.",
	"role",
	"AVG art. 38 en 39"
) if {
	# Rule 7: the privacy officer supervises through audit metadata, never content.
	rtype == "audit_log"
	action == "read"
	privacy_officer
} else := question_decision if {
	# A resident's question or objection about their own access log (AVG art. 12, 38 lid 4).
	rtype == "question"
} else := investigation_decision if {
	# The register of investigations (UAVG art. 41): the enforcement unit opens and closes.
	rtype == "investigation"
} else := oversight_decision if {
	# A team lead's oversight of her own team: caseload (counts) and who worked on which
	# record (audit metadata), never content (issue 17, finding 7).
	rtype == "team_oversight"
} else := perimeter_decision if {
	# The perimeter (issue 12): the policy lifecycle, audit metadata asked for without an
	# activity, recording a consent for a resident, the decision API. See "The perimeter".
	rtype != "record"
	perimeter
} else := deny(
	"unknown_activity",
	"The processing activity is not in the register.",
	"Deze verwerkingsactiviteit staat niet in het register."
) if {
	not act_purpose
} else := deny(
	"unknown_category",
	"The data category is not in the register.",
	"Deze gegevenscategorie staat niet in het register."
) if {
	rtype == "record"
	not cat_domain
} else := deny(
	"unknown_team",
	"The team or unit holding the record is not in the register.",
	"Het team of de afdeling van dit dossier staat niet in het register."
) if {
	rtype == "record"
	not team_files
} else := deny(
	"no_dossier",
	"This unit keeps no files: only anonymous counts.",
	"Deze afdeling houdt geen dossiers bij, alleen tellingen zonder namen."
) if {
	# A unit that deliberately keeps no files (Hilversum's work-experience company).
	rtype == "record"
	team_files == "none"
} else := deny(
	"privacy_officer_sees_no_content",
	"The privacy officer sees policies and audit metadata, never case content.",
	"De privacy officer ziet het beleid en het logboek, nooit de inhoud van een dossier."
) if {
	rtype == "record"
	privacy_officer
	not mandated
} else := deny(
	"no_mandate",
	"None of the subject's roles may act under this processing activity.",
	"Met deze rol mag u deze verwerking niet doen."
) if {
	# Rule 2: the activity decides, not the person. Some role must hold its mandate.
	not mandated
} else := deny(
	"not_mandated_to_service",
	"The regional service is not mandated for this processing activity.",
	"Deze regionale dienst heeft van de gemeente geen mandaat voor deze verwerking."
) if {
	# A regional service acts only under the activities the colleges mandated to it (e.g.
	# Pw art. 43 benefit decisions stay the college's unless mandated), whatever the roles.
	regional_subject
	not regional_service.activities[activity_id]
} else := allow(
	"aggregate_statistics",
	"Statistics activities may read anonymous counts.",
	"Voor statistiek mogen tellingen zonder namen worden gebruikt.",
	"law",
	act_article
) if {
	# Rule 5: statistics get aggregates (anonymous counts), never a record.
	act_purpose == "statistics"
	rtype == "aggregate"
} else := deny(
	"aggregates_only",
	"Statistics activities get aggregates only, never records.",
	"Voor statistiek alleen totalen, nooit een dossier."
) if {
	act_purpose == "statistics"
} else := deny(
	"oversight_only",
	"Team oversight gets counts and audit metadata of the own team, never a record's content.",
	"Voor toezicht op het team alleen tellingen en wie eraan werkte, nooit de inhoud van een dossier."
) if {
	# Oversight is counts and audit metadata of the own team (`team_oversight`), never a
	# record, an audit entry or a count of another kind: a lead who works on a case reads
	# it in a team role under the team's own activity.
	act_purpose == "oversight"
} else := own_access_decision if {
	# Rule 6: residents read their own records and access log, nothing of anyone else.
	act_purpose == "own_access"
} else := deny(
	"no_legal_basis",
	"No legal basis in the register covers this category for this activity.",
	"Er is geen wettelijke grondslag voor deze verwerking."
) if {
	# Audit logs are read by the resident they are about and by the privacy officer only;
	# aggregates are for statistics activities only.
	rtype != "record"
} else := deny(
	"outside_regional_service",
	"A regional service acts only on data held in its own domains; other data only with a consent that the law admits.",
	"Een regionale dienst gebruikt alleen gegevens van zijn eigen taken, andere alleen met toestemming."
) if {
	# A regional service acts on data held in its own domains; another domain's data
	# reaches it only by a consent (never by a flow, an exception or emergency access).
	regional_subject
	not regional_service.domains[data_domain]
	not consent_id
} else := handover_decision if {
	# Rule 4: a handover moves a case from the team that holds it to another team.
	action == "handover"
} else := deny(
	"justification_required",
	"This activity needs a written justification.",
	"Hiervoor is een schriftelijke reden nodig."
) if {
	# An activity such as the report to Veilig Thuis (meldrecht) needs a written reason.
	act_justification_required
	not justified
} else := deny(
	"report_from_own_team_only",
	"A report to Veilig Thuis passes on what the reporter's own team holds, never another team's file.",
	"Een melding bij Veilig Thuis gaat over wat het eigen team weet, nooit over het dossier van een ander team."
) if {
	# The meldrecht lets a professional pass on what their own team holds, never open
	# another team's file (LAW.md row 14).
	act_justification_required
	not in_record_team
} else := allow_reviewed(
	"justified_report",
	"A legal basis allows this report with a written justification; it will be reviewed.",
	"De wet staat deze melding toe met een schriftelijke reden; de melding wordt achteraf gecontroleerd.",
	act_article
) if {
	act_justification_required
	covered_by_law
} else := allow(
	"activity_legal_basis",
	"The processing activity's own legal basis covers this category.",
	"De wettelijke grondslag van deze verwerking dekt deze gegevens.",
	"law",
	act_article
) if {
	# Rule 1, owner path: the activity's own legal basis covers the category held in its
	# own domain.
	owner_domain
	act_domain != "team"
} else := allow(
	"team_member_support",
	"A member of the team that holds the record, acting under a support or signalling activity.",
	"Een lid van het wijkteam dat het dossier heeft, voor ondersteuning of signalering.",
	"role",
	act_article
) if {
	# Team-domain activities additionally require membership of the team holding the record.
	owner_domain
	act_domain == "team"
	in_record_team
} else := allow_redacted(
	"legal_flow",
	"A legal basis in the register lets this category flow to this activity.",
	"Een wettelijke grondslag in het register staat deze gegevensstroom toe.",
	flow_article,
	flow_redact
) if {
	# Rule 3: a flow the register records as law (e.g. benefit data to enforcement); the
	# flow may withhold fields (`redact`), e.g. a signal's free text.
	flow_article
} else := allow(
	"consent_given",
	"The resident's valid consent covers this category, activity and recipient.",
	"De inwoner heeft toestemming gegeven voor deze gegevens, dit doel en deze ontvanger.",
	"consent",
	consent_id
) if {
	# Rule 1: consent, only where the register says it is admissible for the activity.
	consent_id
} else := allow_exception(
	"exception_approved",
	"An exception approved by a second person covers this access for a limited time; it will be reviewed.",
	"Twee medewerkers hebben samen een uitzondering goedgekeurd, voor korte tijd; dit wordt achteraf gecontroleerd.",
	exception_id
) if {
	# Rule 1, fourth bullet: an exception approved by a second person (four eyes), for this
	# subject, category and activity, active now; only where every refusal before this
	# branch has passed (municipality, validity, no-dossier, privacy officer, mandate), only
	# on data held in the activity's own domain (a colleague of another team standing in on
	# the same kind of task) and only under an activity that admits a basis beyond its own
	# (consent admissible). It never crosses a domain, so it never stands in for a consent
	# the law asks for (LAW.md rows 5-6) nor overrides a `no_basis` entry.
	exception_id
} else := allow_reviewed(
	"emergency_access",
	"Emergency access with a written justification; it will be reviewed.",
	"Toegang in een noodsituatie, met een schriftelijke reden; dit wordt achteraf gecontroleerd.",
	act_article
) if {
	# Rule 1: emergency access to another unit's record, only where the register admits it
	# for the activity; reads only (never create or handover), only data held in the
	# activity's own domain, only by a member of a unit of that domain (a team lead without
	# a team does not use it); always with a written justification, always reviewed.
	act_break_glass
	action == "read"
	owner_domain
	member_of_domain_unit
	justified
} else := deny(
	"other_team",
	"Support data stays in the team that holds it; another team needs consent or a handover.",
	"Gegevens blijven in het wijkteam; een ander team heeft toestemming of een overdracht nodig."
) if {
	# Refusals: the most informative reason when nothing allows.
	owner_domain
	act_domain == "team"
} else := deny(
	"consent_required",
	"This activity may use this category only with the resident's consent.",
	"Hiervoor is toestemming van de inwoner nodig."
) if {
	act_consent_admissible == true
	category_in_activity
} else := deny(
	"support_data_stays_in_team",
	"Support data stays in the team; no legal basis lets it flow to this activity.",
	"Wat u het wijkteam vertelt, blijft in het wijkteam."
) if {
	data_domain == "team"
	act_domain != "team"
} else := deny(
	"no_legal_basis",
	"No legal basis in the register covers this category for this activity.",
	"Er is geen wettelijke grondslag voor deze verwerking."
)

deny(code, message, message_nl) := {
	"allow": false,
	"reasons": [{"code": code, "message": message, "message_nl": message_nl}],
	"basis": null,
	"redact": [],
	"obligations": [],
}

allow(code, message, message_nl, basis_type, ref) := {
	"allow": true,
	"reasons": [{"code": code, "message": message, "message_nl": message_nl}],
	"basis": {"type": basis_type, "ref": ref},
	"redact": [],
	"obligations": [],
}

allow_redacted(code, message, message_nl, ref, redact) := {
	"allow": true,
	"reasons": [{"code": code, "message": message, "message_nl": message_nl}],
	"basis": {"type": "law", "ref": ref},
	"redact": redact,
	"obligations": [],
}

# Emergency access and justified reports: basis `break_glass`, always reviewed.
allow_reviewed(code, message, message_nl, ref) := {
	"allow": true,
	"reasons": [{"code": code, "message": message, "message_nl": message_nl}],
	"basis": {"type": "break_glass", "ref": ref},
	"redact": [],
	"obligations": ["review"],
}

# A four-eyes exception: basis `exception` (ref: its id), always reviewed.
allow_exception(code, message, message_nl, ref) := {
	"allow": true,
	"reasons": [{"code": code, "message": message, "message_nl": message_nl}],
	"basis": {"type": "exception", "ref": ref},
	"redact": [],
	"obligations": ["review"],
}

# ---------------------------------------------------------------------------------------
# Facts, read once per query: the input's fields and the register's entries for them.
# Undefined when absent (an unknown activity has no `act_purpose`).
# ---------------------------------------------------------------------------------------

roles := input.subject.roles

reg := data.doelbinding.register

action := input.action

activity_id := input.processing_activity

rtype := input.resource.type

rcat := input.resource.category

# The activity's register entry, read once: one lookup instead of one per field.
activity := reg.activities[activity_id]

act_purpose := activity.purpose

act_domain := activity.domain

act_consent_admissible := activity.consent_admissible

act_article := activity.article

act_break_glass if activity.break_glass == true

default act_justification_required := false

act_justification_required if activity.justification_required == true

cat_domain := reg.categories[rcat].domain

# The domain the record is held in: its category's, or for a `shared` category (identity)
# the domain of the unit that holds it (rule 1: shared data belongs to its holder).
data_domain := reg.teams[input.resource.team].domain if {
	cat_domain == "shared"
} else := cat_domain

# The regional service the subject's organisation is, if it is one (undefined otherwise).
regional_service := reg.regional_services[input.subject.organisation]

default regional_subject := false

regional_subject if regional_service

# "files" or "none" (a no-dossier unit); undefined for a team not in the register. One
# scalar lookup answers both questions.
team_files := reg.team_files[input.resource.team]

# ---------------------------------------------------------------------------------------
# Validity
# ---------------------------------------------------------------------------------------

# An `else` chain, not one clause per value: rego-cpp evaluates every clause of a rule, an
# `else` chain only up to the first that holds (a read or a record: one comparison).
known_action := true if action == "read"
else := true if action == "create"
else := true if action == "handover"
else := true if action == "answer"
# Opening and closing are actions on an investigation only.
else := true if {
	action == "close"
	rtype == "investigation"
}
# The perimeter: changing a policy version (draft, test, simulate, approve, activate, roll
# back) and evaluating through the decision API.
else := true if action == "change"
else := true if action == "evaluate"

known_resource_type := true if rtype == "record"
else := true if rtype == "audit_log"
else := true if rtype == "aggregate"
else := true if rtype == "question"
else := true if rtype == "investigation"
# A team's caseload and who of the team worked on which of its records (`resource.team`).
else := true if rtype == "team_oversight"
# The perimeter: a policy version, a consent recorded for a resident, the decision API.
else := true if rtype == "policy_version"
else := true if rtype == "consent"
else := true if rtype == "decision_api"

# Rule 8: a subject never sees data of another municipality of the profile, except a
# regional service (by its organisation id) acting, in its own domains, for a
# municipality it serves. A regional service is scoped by what it serves only: its seat
# (the municipality in its staff's tokens) gives it nothing.
same_municipality := true if {
	input.resource.municipality == input.subject.municipality
	reg.municipalities[input.subject.municipality]
	not regional_subject
} else := true if {
	regional_service.serves[input.resource.municipality]
	regional_service.domains[act_domain]
}

default privacy_officer := false

privacy_officer if {
	some role in roles
	role == "privacy_officer"
}

default mandated := false

mandated if {
	some role in roles
	reg.mandates[role][activity_id]
}

default category_in_activity := false

category_in_activity if activity.categories[rcat]

# A non-empty written justification (`context.break_glass.justification`).
default justified := false

justified if {
	j := input.context.break_glass.justification
	is_string(j)
	trim_space(j) != ""
}

# ---------------------------------------------------------------------------------------
# Own access (rule 6)
# ---------------------------------------------------------------------------------------

own_access_decision := deny(
	"own_access_read_only",
	"Own access allows reading only.",
	"Bij inzage kunt u alleen lezen."
) if {
	action != "read"
} else := allow(
	"own_data",
	"Residents may read their own data.",
	"Inwoners mogen hun eigen gegevens inzien.",
	"law",
	act_article
) if {
	own_resource
	own_category
} else := deny(
	"not_own_data",
	"Residents may read only their own data.",
	"Inwoners mogen alleen hun eigen gegevens inzien."
)

own_resource if {
	is_string(input.resource.resident)
	input.resource.resident == input.subject.id
}

# An audit log has no category; a record must be one the activity lists.
own_category if rtype == "audit_log"

own_category if category_in_activity

# ---------------------------------------------------------------------------------------
# Questions ("Klopt er iets niet?"): a resident asks about, or objects to, an entry of their
# own access log (under their own-access activity: ask and read, only their own); the
# privacy officer of their municipality reads and answers (AVG art. 38 lid 4: residents may
# turn to the officer with every question about the processing of their data). The
# municipality check above already holds. Nobody else, and no other action.
# ---------------------------------------------------------------------------------------

question_decision := allow(
	"own_question",
	"Residents may ask about, or object to, entries of their own access log.",
	"U mag een vraag stellen over uw eigen gegevens, of bezwaar maken.",
	"law",
	act_article
) if {
	act_purpose == "own_access"
	mandated
	resident_question_action
	own_resource
} else := allow(
	"privacy_officer_answers",
	"The privacy officer of the resident's municipality reads and answers residents' questions.",
	"De privacy officer van uw gemeente leest en beantwoordt uw vraag.",
	"role",
	"AVG art. 38 lid 4"
) if {
	act_purpose == "own_access"
	privacy_officer
	officer_question_action
} else := deny(
	"not_own_data",
	"Residents may read only their own data.",
	"Inwoners mogen alleen hun eigen gegevens inzien."
) if {
	act_purpose == "own_access"
	mandated
	resident_question_action
} else := deny(
	"questions_by_resident_and_privacy_officer",
	"Only the resident asks, and only the privacy officer of their municipality answers, under the own-access activity.",
	"Alleen de inwoner zelf stelt een vraag, en alleen de privacy officer van de gemeente beantwoordt die."
)

# ---------------------------------------------------------------------------------------
# The register of investigations: an enforcement officer, under an enforcement activity
# they hold the mandate for, opens (`create`), closes (`close`) and lists (`read`) the
# investigations into a resident of their own municipality (the municipality check above
# already holds). While one is running, the enforcement accesses made during it are held
# back from the resident (UAVG art. 41). Nobody else, no other action.
# ---------------------------------------------------------------------------------------

investigation_decision := allow(
	"enforcement_investigation",
	"The enforcement unit of the resident's municipality opens, closes and lists its investigations into the resident.",
	"De handhavers van uw gemeente leggen vast wanneer een onderzoek naar u begint en eindigt.",
	"law",
	act_article
) if {
	act_purpose == "enforcement"
	mandated
	enforcement_officer
	investigation_action
} else := deny(
	"investigations_by_enforcement",
	"Only an enforcement officer of the resident's municipality, under an enforcement activity, opens, closes or lists investigations.",
	"Alleen een handhaver van de gemeente begint of beëindigt een onderzoek."
)

enforcement_officer if {
	some role in roles
	role == "enforcement_officer"
}

# ---------------------------------------------------------------------------------------
# Team oversight (DESIGN rule 1, team leads; issue 17, finding 7): the lead of a team, under
# the oversight activity she holds the mandate for, reads her own team's caseload and who of
# the team worked on which of its records (`resource.team`: one of her units, a unit of the
# activity's domain, in her municipality: rule 8 above already holds). Counts and audit
# metadata, never content: a record under this activity is refused below (`oversight_only`).
# Nobody else: not another team's lead, not a team member without the mandate, not the
# privacy officer (who supervises through her own audit views), not a resident.
# ---------------------------------------------------------------------------------------

oversight_decision := deny(
	"unknown_activity",
	"The processing activity is not in the register.",
	"Deze verwerkingsactiviteit staat niet in het register."
) if {
	not act_purpose
} else := allow(
	"team_oversight",
	"The team lead sees her own team's caseload and who of the team worked on which record, never the content.",
	"De teamleider ziet hoeveel dossiers het eigen team heeft en wie eraan werkte, nooit wat erin staat.",
	"role",
	act_article
) if {
	act_purpose == "oversight"
	action == "read"
	mandated
	in_record_team
	oversight_unit
} else := deny(
	"oversight_of_own_team_only",
	"A team lead oversees her own team only.",
	"Een teamleider ziet alleen het werk van het eigen team."
) if {
	act_purpose == "oversight"
	action == "read"
	mandated
} else := deny(
	"oversight_by_team_lead_only",
	"Only the team's lead, under the team-oversight activity, sees its caseload and who worked on what.",
	"Alleen de teamleider van het team ziet hoeveel dossiers het team heeft en wie eraan werkte."
)

# The unit overseen is a unit of the activity's domain (a team), not W&I or enforcement.
default oversight_unit := false

oversight_unit if reg.teams[input.resource.team].domain == act_domain

investigation_action if action == "create"

investigation_action if action == "close"

investigation_action if action == "read"

resident_question_action if action == "create"

resident_question_action if action == "read"

officer_question_action if action == "read"

officer_question_action if action == "answer"

# The perimeter (issue 12, "one door"): what is not case data but guards it. Reached after
# the validity checks and rule 8 (so every branch here is bound to the subject's
# municipality: the resource's municipality is the audit entry's, the export's, the
# record holder's), before the activity is looked up: none of these needs one.
#
#   policy_version  a policy version: privacy officers read and change it (rule 7).
#   audit_log     asked for without an activity (entries, exports, the console): the
#                 privacy officer's branch above allows it; anyone else is refused here.
#   consent       a consent recorded for a resident: only by a professional whose own team
#                 or unit holds a record of that resident (`resource.team`, a fact the
#                 gateway reads from the records), in that record's municipality.
#   decision_api  the AuthZEN decision API: for case systems and professionals, never for
#                 a resident (who would write other residents' access logs with it).
# ---------------------------------------------------------------------------------------

perimeter if rtype == "policy_version"

perimeter if rtype == "consent"

perimeter if rtype == "decision_api"

perimeter if {
	rtype == "audit_log"
	activity_id == ""
}

policy_action if action == "read"

policy_action if action == "change"

resident_subject if {
	some role in roles
	role == "resident"
}

perimeter_decision := allow(
	"privacy_officer_policy",
	"The privacy officer reads and changes the policy of her own municipality.",
	"De privacy officer beheert het beleid van de eigen gemeente.",
	"role",
	"AVG art. 38 en 39"
) if {
	rtype == "policy_version"
	policy_action
	privacy_officer
} else := deny(
	"supervision_only",
	"Policies and audit metadata are for the privacy officer, and for residents their own log.",
	"Het beleid en het logboek zijn voor de privacy officer; inwoners zien alleen hun eigen logboek."
) if {
	rtype != "consent"
	rtype != "decision_api"
} else := allow(
	"consent_recorded_by_own_team",
	"A professional records a consent for a client of her own team or unit.",
	"Een medewerker legt toestemming vast voor iemand die cliënt is van het eigen team.",
	"role",
	"AVG art. 7 lid 1"
) if {
	rtype == "consent"
	action == "create"
	not resident_subject
	in_record_team
} else := deny(
	"consent_for_own_clients_only",
	"A consent is recorded only by the team or unit the resident is a client of.",
	"Alleen het team waar de inwoner cliënt is, kan toestemming vastleggen."
) if {
	rtype == "consent"
} else := deny(
	"decision_api_not_for_residents",
	"The decision API is for case systems and professionals, not for residents.",
	"Deze dienst is voor zaaksystemen en medewerkers, niet voor inwoners."
) if {
	resident_subject
} else := allow(
	"decision_api_for_professionals",
	"Case systems and professionals ask the policy before they process data.",
	"Zaaksystemen en medewerkers vragen het beleid voordat zij gegevens gebruiken.",
	"role",
	"AVG art. 5 lid 2"
) if {
	action == "evaluate"
} else := deny(
	"no_legal_basis",
	"No legal basis in the register covers this category for this activity.",
	"Er is geen wettelijke grondslag voor deze verwerking."
)

# ---------------------------------------------------------------------------------------
# Handover (rule 4): only a member of the team holding the record, under a team activity
# that covers the category, hands it over. The gateway checks that the receiving unit is
# a team of the same municipality.
# ---------------------------------------------------------------------------------------

handover_decision := allow(
	"case_handover",
	"The team that holds the case hands it over to another team.",
	"Het wijkteam dat de casus heeft, draagt die over aan een ander team.",
	"role",
	act_article
) if {
	owner_domain
	act_domain == "team"
	in_record_team
} else := deny(
	"handover_by_owning_team_only",
	"Only the team that holds the case can hand it over, under a team activity.",
	"Alleen het wijkteam dat de casus heeft, kan die overdragen."
)

# ---------------------------------------------------------------------------------------
# Bases: owner, law flow, consent
# ---------------------------------------------------------------------------------------

# The record is held in the activity's own domain (its category's domain, or the holding
# unit's for a shared category) and the activity lists the category: the activity's own
# legal basis covers it.
default owner_domain := false

owner_domain if {
	category_in_activity
	data_domain == act_domain
}

# The subject is a member of a unit of the activity's domain (emergency access).
default member_of_domain_unit := false

member_of_domain_unit if {
	some t in input.subject.teams
	reg.teams[t].domain == act_domain
}

# The activity's own basis or a register flow covers the category (justified reports).
covered_by_law := true if owner_domain else := true if flow_article

default in_record_team := false

in_record_team if {
	some t in input.subject.teams
	t == input.resource.team
}

# The first matching flow in register order (the index keeps each list in that order); its
# article and its redactions come from the same flow. Only evaluated when the chain
# reaches a flow branch.
flows_matching := [f |
	some f in reg.flows[rcat][activity_id]
	f.from_domain == data_domain
	f.to_domain == act_domain
]

flow_article := flows_matching[0].article

flow_redact := flows_matching[0].redact

# Several consents may match; take the smallest id so both engines pick the same one.
consent_ids := [c.id |
	some c in input.consents
	consent_matches(c)
]

consent_id := min(consent_ids) if {
	count(consent_ids) > 0
	act_consent_admissible == true
	category_in_activity
}

consent_matches(c) if {
	rcat in c.categories
	activity_id in c.processing_activities
	consent_names_subject(c)
	c.valid_from_ns <= input.context.now_ns
	consent_not_ended(c)
}

# A consent names its recipient precisely (AVG art. 4 sub 11): it counts only for a subject
# of a named organisation or a member of a named unit, never for a whole domain.
consent_names_subject(c) := true if {
	input.subject.organisation in c.recipients
} else := true if {
	some t in input.subject.teams
	t in c.recipients
}

consent_not_ended(c) := true if {
	c.valid_until_ns == 0
} else := true if {
	input.context.now_ns < c.valid_until_ns
}

# Four-eyes exceptions (rule 1): the gateway passes the approved, unrevoked exceptions for
# the resident; the policy checks subject, category, activity and window. Read only, only
# on data held in the activity's own domain (`owner_domain`: never across domains), under
# an activity that admits a basis beyond its own (consent admissible). Several may match:
# the smallest id, as for consents.
exception_ids := [e.id |
	some e in input.exceptions
	exception_matches(e)
]

exception_id := min(exception_ids) if {
	count(exception_ids) > 0
	action == "read"
	act_consent_admissible == true
	owner_domain
}

exception_matches(e) if {
	e.subject == input.subject.id
	rcat in e.categories
	activity_id in e.processing_activities
	e.valid_from_ns <= input.context.now_ns
	input.context.now_ns < e.valid_until_ns
}
