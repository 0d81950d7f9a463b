# doelbinding: may this subject perform this action on this resource, under this processing
# activity? One entry rule, `decision`; see docs/policy.md for the contract and every rule.
#
# Written in the subset of Rego v1 that OPA and regopy (rego-cpp) evaluate identically
# (see rego-conformance): no `every` without braces, no `some k, _ in` in comprehensions,
# no reliance on set order, no `with` here, no time parsing (times arrive as nanoseconds).
#
# The register (`data.doelbinding.register`) is data: the policy invents no law. Every
# allow names its basis (role, law or consent) and every decision carries a reason code.
package doelbinding.authz

import rego.v1

reg := data.doelbinding.register

activity := reg.activities[input.processing_activity]

category := reg.categories[input.resource.category]

# ---------------------------------------------------------------------------------------
# The entry rule. `outcome` is always defined (deny by default); the shape is fixed here.
# ---------------------------------------------------------------------------------------

decision := {
	"allow": outcome.allow,
	"reasons": [{"code": outcome.code, "message": message(outcome.code)}],
	"basis": outcome.basis,
	"redact": [],
	"obligations": [],
}

# Checked in this order; the first branch that holds decides. Validity first, then the
# rules that deny regardless of basis, then the bases (owner > law flow > consent), then
# the most informative refusal.
default outcome := {"allow": false, "code": "no_legal_basis", "basis": null}

outcome := deny("unknown_role") if {
	some role in input.subject.roles
	not known_role(role)
} else := deny("unknown_action") if {
	not known_action
} else := deny("unknown_resource_type") if {
	not known_resource_type
} else := deny("other_municipality") if {
	not same_municipality
} else := allow("privacy_officer_audit_metadata", "role", "AVG art. 38 en 39") if {
	# Rule 7: the privacy officer supervises through audit metadata, never content.
	input.resource.type == "audit_log"
	input.action == "read"
	has_role("privacy_officer")
} else := deny("unknown_activity") if {
	not activity
} else := deny("unknown_category") if {
	input.resource.type == "record"
	not category
} else := deny("privacy_officer_sees_no_content") if {
	input.resource.type == "record"
	has_role("privacy_officer")
	not mandated
} else := deny("no_mandate") if {
	# Rule 2: the activity decides, not the person. Some role must hold its mandate.
	not mandated
} else := deny("aggregates_only") if {
	# Rule 5: statistics get aggregates, never a record.
	activity.purpose == "statistics"
} else := own_access_outcome if {
	# Rule 6: residents read their own records and access log, nothing of anyone else.
	activity.purpose == "own_access"
} else := deny("no_legal_basis") if {
	# Audit logs are read by the resident they are about and by the privacy officer only.
	input.resource.type != "record"
} else := allow(owner_code, owner_basis_type, activity.article) if {
	owner_path
} else := allow("legal_flow", "law", flow_article) if {
	# Rule 3: a flow the register records as law (e.g. benefit data to enforcement).
	flow_article
} else := allow("consent_given", "consent", consent_id) if {
	# Rule 1: consent, only where the register says it is admissible for the activity.
	consent_id
} else := deny(refusal_code)

deny(code) := {"allow": false, "code": code, "basis": null}

allow(code, basis_type, ref) := {"allow": true, "code": code, "basis": {"type": basis_type, "ref": ref}}

# ---------------------------------------------------------------------------------------
# Validity
# ---------------------------------------------------------------------------------------

known_role(role) if {
	some r in reg.roles
	r == role
}

has_role(role) if {
	some r in input.subject.roles
	r == role
}

known_action if input.action == "read"

known_action if input.action == "create"

known_resource_type if input.resource.type == "record"

known_resource_type if input.resource.type == "audit_log"

# Rule 8: a subject never sees data of another municipality.
same_municipality if {
	some m in reg.municipalities
	m == input.subject.municipality
	input.resource.municipality == m
}

mandated if {
	some role in input.subject.roles
	some a in reg.mandates[role]
	a == input.processing_activity
}

category_in_activity if {
	some c in activity.categories
	c == input.resource.category
}

# ---------------------------------------------------------------------------------------
# Own access (rule 6)
# ---------------------------------------------------------------------------------------

default own_access_outcome := {"allow": false, "code": "not_own_data", "basis": null}

own_access_outcome := deny("own_access_read_only") if {
	input.action != "read"
} else := allow("own_data", "law", activity.article) if {
	own_resource
	own_category
}

own_resource if {
	is_string(input.resource.resident)
	input.resource.resident == input.subject.id
}

# An audit log has no category; a record must be one the activity lists.
own_category if input.resource.type == "audit_log"

own_category if category_in_activity

# ---------------------------------------------------------------------------------------
# Bases: owner, law flow, consent
# ---------------------------------------------------------------------------------------

# The category belongs to the activity's own domain (or is shared) and the activity
# lists it: the activity's own legal basis covers it.
owner_domain if {
	category_in_activity
	category.domain == activity.domain
}

owner_domain if {
	category_in_activity
	category.domain == "shared"
}

# Team-domain activities additionally require membership of the team holding the record.
owner_path if {
	owner_domain
	activity.domain != "team"
}

owner_path if {
	owner_domain
	activity.domain == "team"
	in_record_team
}

in_record_team if {
	some t in input.subject.teams
	t == input.resource.team
}

owner_code := "team_member_support" if activity.domain == "team"

owner_code := "activity_legal_basis" if activity.domain != "team"

owner_basis_type := "role" if activity.domain == "team"

owner_basis_type := "law" if activity.domain != "team"

# The first matching flow in register order (flows are a list, so the order is stable).
flow_articles := [f.article |
	some f in reg.flows
	flow_matches(f)
]

flow_article := flow_articles[0]

flow_matches(f) if {
	f.from_domain == category.domain
	f.to_domain == activity.domain
	some c in f.categories
	c == input.resource.category
	some a in f.activities
	a == input.processing_activity
}

# Several consents may match; take the smallest id so both engines pick the same one.
consent_ids := [c.id |
	some c in input.consents
	consent_matches(c)
]

consent_id := min(consent_ids) if count(consent_ids) > 0

consent_matches(c) if {
	activity.consent_admissible == true
	category_in_activity
	some cc in c.categories
	cc == input.resource.category
	some ca in c.processing_activities
	ca == input.processing_activity
	some cr in c.recipients
	cr == activity.domain
	c.valid_from_ns <= input.context.now_ns
	consent_not_ended(c)
}

consent_not_ended(c) if c.valid_until_ns == 0

consent_not_ended(c) if input.context.now_ns < c.valid_until_ns

# ---------------------------------------------------------------------------------------
# Refusals: the most informative reason when nothing allows.
# ---------------------------------------------------------------------------------------

refusal_code := "other_team" if {
	owner_domain
	activity.domain == "team"
} else := "consent_required" if {
	activity.consent_admissible == true
	category_in_activity
} else := "support_data_stays_in_team" if {
	category.domain == "team"
	activity.domain != "team"
} else := "no_legal_basis"

# ---------------------------------------------------------------------------------------
# Messages. English in the decision; Dutch alongside for the resident's pages.
# One function clause per code, not an object: rego-cpp builds a whole object literal on
# every query (~170 µs for this table), while a clause is matched only by its code.
# ---------------------------------------------------------------------------------------

message("team_member_support") := "A member of the team that holds the record, acting under a support or signalling activity."

message("activity_legal_basis") := "The processing activity's own legal basis covers this category."

message("legal_flow") := "A legal basis in the register lets this category flow to this activity."

message("consent_given") := "The resident's valid consent covers this category, activity and recipient."

message("own_data") := "Residents may read their own data."

message("privacy_officer_audit_metadata") := "The privacy officer may read audit metadata to supervise processing."

message("unknown_role") := "A role of the subject is not in the register."

message("unknown_action") := "The action is not one the policy knows."

message("unknown_resource_type") := "The resource type is not one the policy knows."

message("unknown_activity") := "The processing activity is not in the register."

message("unknown_category") := "The data category is not in the register."

message("other_municipality") := "The data belongs to another municipality."

message("privacy_officer_sees_no_content") := "The privacy officer sees policies and audit metadata, never case content."

message("no_mandate") := "None of the subject's roles may act under this processing activity."

message("aggregates_only") := "Statistics activities get aggregates only, never records."

message("not_own_data") := "Residents may read only their own data."

message("own_access_read_only") := "Own access allows reading only."

message("other_team") := "Support data stays in the team that holds it; another team needs consent or a handover."

message("consent_required") := "This activity may use this category only with the resident's consent."

message("support_data_stays_in_team") := "Support data stays in the team; no legal basis lets it flow to this activity."

message("no_legal_basis") := "No legal basis in the register covers this category for this activity."

message_nl("team_member_support") := "Een lid van het wijkteam dat het dossier heeft, voor ondersteuning of signalering."

message_nl("activity_legal_basis") := "De wettelijke grondslag van deze verwerking dekt deze gegevens."

message_nl("legal_flow") := "Een wettelijke grondslag in het register staat deze gegevensstroom toe."

message_nl("consent_given") := "De inwoner heeft toestemming gegeven voor deze gegevens, dit doel en deze ontvanger."

message_nl("own_data") := "Inwoners mogen hun eigen gegevens inzien."

message_nl("privacy_officer_audit_metadata") := "De privacy officer mag de logboekgegevens inzien voor toezicht."

message_nl("unknown_role") := "Een rol van de gebruiker staat niet in het register."

message_nl("unknown_action") := "Deze handeling kent het beleid niet."

message_nl("unknown_resource_type") := "Dit soort gegevens kent het beleid niet."

message_nl("unknown_activity") := "Deze verwerkingsactiviteit staat niet in het register."

message_nl("unknown_category") := "Deze gegevenscategorie staat niet in het register."

message_nl("other_municipality") := "Deze gegevens horen bij een andere gemeente."

message_nl("privacy_officer_sees_no_content") := "De privacy officer ziet het beleid en het logboek, nooit de inhoud van een dossier."

message_nl("no_mandate") := "Met deze rol mag u deze verwerking niet doen."

message_nl("aggregates_only") := "Voor statistiek alleen totalen, nooit een dossier."

message_nl("not_own_data") := "Inwoners mogen alleen hun eigen gegevens inzien."

message_nl("own_access_read_only") := "Bij inzage kunt u alleen lezen."

message_nl("other_team") := "Gegevens blijven in het wijkteam; een ander team heeft toestemming of een overdracht nodig."

message_nl("consent_required") := "Hiervoor is toestemming van de inwoner nodig."

message_nl("support_data_stays_in_team") := "Wat u het wijkteam vertelt, blijft in het wijkteam."

message_nl("no_legal_basis") := "Er is geen wettelijke grondslag voor deze verwerking."
