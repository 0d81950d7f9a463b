# doelbinding: may this subject perform this action on this resource, under this processing
# activity? One entry rule, `decision`; see docs/policy.md for the contract and every rule.
#
# Written in the subset of Rego v1 that OPA and regopy (rego-cpp) evaluate identically
# (see rego-conformance): no `every` without braces, no `some k, _ in` in comprehensions,
# no reliance on set order, no `with` here, no time parsing (times arrive as nanoseconds).
#
# The register (`data.doelbinding.register`) is data: the policy invents no law. Every
# allow names its basis (role, law or consent) and every decision carries a reason code.
#
# Written for rego-cpp's cost model (docs/policy.md, "Performance"): every `.` or `[]` step
# and every iteration costs microseconds, and a rule whose value is an object copies it on
# every query. So the register is shaped as an index (`Register.policy_data`) and looked
# up, never scanned; input fields and register facts are read once into scalar rules
# (`act_domain`, `rtype`, …), which are evaluated once per query and then cheap to reuse.
package doelbinding.authz

import rego.v1

# ---------------------------------------------------------------------------------------
# The entry rule. Checked in this order; the first branch that holds decides. Validity
# first, then the rules that deny regardless of basis, then the bases (owner > law flow >
# consent), then the most informative refusal. Always defined (deny by default).
# ---------------------------------------------------------------------------------------

default decision := {
	"allow": false,
	"reasons": [{"code": "no_legal_basis", "message": "No legal basis in the register covers this category for this activity."}],
	"basis": null,
	"redact": [],
	"obligations": [],
}

decision := deny("unknown_role", msg_unknown_role) if {
	some role in roles
	not data.doelbinding.register.roles[role]
} else := deny("unknown_action", msg_unknown_action) if {
	not known_action
} else := deny("unknown_resource_type", msg_unknown_resource_type) if {
	not known_resource_type
} else := deny("other_municipality", msg_other_municipality) if {
	not same_municipality
} else := allow("privacy_officer_audit_metadata", msg_privacy_officer_audit_metadata, "role", "AVG art. 38 en 39") if {
	# Rule 7: the privacy officer supervises through audit metadata, never content.
	rtype == "audit_log"
	action == "read"
	privacy_officer
} else := deny("unknown_activity", msg_unknown_activity) if {
	not act_purpose
} else := deny("unknown_category", msg_unknown_category) if {
	rtype == "record"
	not cat_domain
} else := deny("privacy_officer_sees_no_content", msg_privacy_officer_sees_no_content) if {
	rtype == "record"
	privacy_officer
	not mandated
} else := deny("no_mandate", msg_no_mandate) if {
	# Rule 2: the activity decides, not the person. Some role must hold its mandate.
	not mandated
} else := deny("aggregates_only", msg_aggregates_only) if {
	# Rule 5: statistics get aggregates, never a record.
	act_purpose == "statistics"
} else := own_access_decision if {
	# Rule 6: residents read their own records and access log, nothing of anyone else.
	act_purpose == "own_access"
} else := deny("no_legal_basis", msg_no_legal_basis) if {
	# Audit logs are read by the resident they are about and by the privacy officer only.
	rtype != "record"
} else := allow("activity_legal_basis", msg_activity_legal_basis, "law", act_article) if {
	# Rule 1, owner path: the activity's own legal basis covers the category.
	owner_domain
	act_domain != "team"
} else := allow("team_member_support", msg_team_member_support, "role", act_article) if {
	# Team-domain activities additionally require membership of the team holding the record.
	owner_domain
	act_domain == "team"
	in_record_team
} else := allow("legal_flow", msg_legal_flow, "law", flow_article) if {
	# Rule 3: a flow the register records as law (e.g. benefit data to enforcement).
	flow_article
} else := allow("consent_given", msg_consent_given, "consent", consent_id) if {
	# Rule 1: consent, only where the register says it is admissible for the activity.
	consent_id
} else := deny("other_team", msg_other_team) if {
	# Refusals: the most informative reason when nothing allows.
	owner_domain
	act_domain == "team"
} else := deny("consent_required", msg_consent_required) if {
	act_consent_admissible == true
	category_in_activity
} else := deny("support_data_stays_in_team", msg_support_data_stays_in_team) if {
	cat_domain == "team"
	act_domain != "team"
} else := deny("no_legal_basis", msg_no_legal_basis)

deny(code, message) := {
	"allow": false,
	"reasons": [{"code": code, "message": message}],
	"basis": null,
	"redact": [],
	"obligations": [],
}

allow(code, message, basis_type, ref) := {
	"allow": true,
	"reasons": [{"code": code, "message": message}],
	"basis": {"type": basis_type, "ref": ref},
	"redact": [],
	"obligations": [],
}

# ---------------------------------------------------------------------------------------
# Facts, read once per query: the input's fields and the register's entries for them.
# Undefined when absent (an unknown activity has no `act_purpose`).
# ---------------------------------------------------------------------------------------

roles := input.subject.roles

action := input.action

activity_id := input.processing_activity

rtype := input.resource.type

rcat := input.resource.category

act_purpose := data.doelbinding.register.activities[activity_id].purpose

act_domain := data.doelbinding.register.activities[activity_id].domain

act_consent_admissible := data.doelbinding.register.activities[activity_id].consent_admissible

act_article := data.doelbinding.register.activities[activity_id].article

cat_domain := data.doelbinding.register.categories[rcat].domain

# ---------------------------------------------------------------------------------------
# Validity
# ---------------------------------------------------------------------------------------

known_action if action == "read"

known_action if action == "create"

known_resource_type if rtype == "record"

known_resource_type if rtype == "audit_log"

# Rule 8: a subject never sees data of another municipality.
same_municipality if {
	m := input.subject.municipality
	data.doelbinding.register.municipalities[m]
	input.resource.municipality == m
}

privacy_officer if {
	some role in roles
	role == "privacy_officer"
}

mandated if {
	some role in roles
	data.doelbinding.register.mandates[role][activity_id]
}

category_in_activity if data.doelbinding.register.activities[activity_id].categories[rcat]

# ---------------------------------------------------------------------------------------
# Own access (rule 6)
# ---------------------------------------------------------------------------------------

own_access_decision := deny("own_access_read_only", msg_own_access_read_only) if {
	action != "read"
} else := allow("own_data", msg_own_data, "law", act_article) if {
	own_resource
	own_category
} else := deny("not_own_data", msg_not_own_data)

own_resource if {
	is_string(input.resource.resident)
	input.resource.resident == input.subject.id
}

# An audit log has no category; a record must be one the activity lists.
own_category if rtype == "audit_log"

own_category if category_in_activity

# ---------------------------------------------------------------------------------------
# Bases: owner, law flow, consent
# ---------------------------------------------------------------------------------------

# The category belongs to the activity's own domain (or is shared) and the activity
# lists it: the activity's own legal basis covers it.
owner_domain if {
	category_in_activity
	cat_domain == act_domain
}

owner_domain if {
	category_in_activity
	cat_domain == "shared"
}

in_record_team if {
	some t in input.subject.teams
	t == input.resource.team
}

# The first matching flow in register order (the index keeps each list in that order).
flow_articles := [f.article |
	some f in data.doelbinding.register.flows[rcat][activity_id]
	f.from_domain == cat_domain
	f.to_domain == act_domain
]

flow_article := flow_articles[0]

# Several consents may match; take the smallest id so both engines pick the same one.
consent_ids := [c.id |
	some c in input.consents
	consent_matches(c)
]

consent_id := min(consent_ids) if {
	act_consent_admissible == true
	category_in_activity
	count(consent_ids) > 0
}

consent_matches(c) if {
	rcat in c.categories
	activity_id in c.processing_activities
	act_domain in c.recipients
	c.valid_from_ns <= input.context.now_ns
	consent_not_ended(c)
}

consent_not_ended(c) if c.valid_until_ns == 0

consent_not_ended(c) if input.context.now_ns < c.valid_until_ns

# ---------------------------------------------------------------------------------------
# Messages. English in the decision; Dutch alongside for the resident's pages.
# One constant per code, not an object: rego-cpp builds a whole object literal on every
# query (~170 µs for this table). Each branch of `decision` names its constant directly;
# `message(code)` gives the same text for a code known only at run time, but costs ~30 µs
# per query on rego-cpp, so the chain does not call it.
# ---------------------------------------------------------------------------------------

msg_team_member_support := "A member of the team that holds the record, acting under a support or signalling activity."

msg_activity_legal_basis := "The processing activity's own legal basis covers this category."

msg_legal_flow := "A legal basis in the register lets this category flow to this activity."

msg_consent_given := "The resident's valid consent covers this category, activity and recipient."

msg_own_data := "Residents may read their own data."

msg_privacy_officer_audit_metadata := "The privacy officer may read audit metadata to supervise processing."

msg_unknown_role := "A role of the subject is not in the register."

msg_unknown_action := "The action is not one the policy knows."

msg_unknown_resource_type := "The resource type is not one the policy knows."

msg_unknown_activity := "The processing activity is not in the register."

msg_unknown_category := "The data category is not in the register."

msg_other_municipality := "The data belongs to another municipality."

msg_privacy_officer_sees_no_content := "The privacy officer sees policies and audit metadata, never case content."

msg_no_mandate := "None of the subject's roles may act under this processing activity."

msg_aggregates_only := "Statistics activities get aggregates only, never records."

msg_not_own_data := "Residents may read only their own data."

msg_own_access_read_only := "Own access allows reading only."

msg_other_team := "Support data stays in the team that holds it; another team needs consent or a handover."

msg_consent_required := "This activity may use this category only with the resident's consent."

msg_support_data_stays_in_team := "Support data stays in the team; no legal basis lets it flow to this activity."

msg_no_legal_basis := "No legal basis in the register covers this category for this activity."

message("team_member_support") := msg_team_member_support

message("activity_legal_basis") := msg_activity_legal_basis

message("legal_flow") := msg_legal_flow

message("consent_given") := msg_consent_given

message("own_data") := msg_own_data

message("privacy_officer_audit_metadata") := msg_privacy_officer_audit_metadata

message("unknown_role") := msg_unknown_role

message("unknown_action") := msg_unknown_action

message("unknown_resource_type") := msg_unknown_resource_type

message("unknown_activity") := msg_unknown_activity

message("unknown_category") := msg_unknown_category

message("other_municipality") := msg_other_municipality

message("privacy_officer_sees_no_content") := msg_privacy_officer_sees_no_content

message("no_mandate") := msg_no_mandate

message("aggregates_only") := msg_aggregates_only

message("not_own_data") := msg_not_own_data

message("own_access_read_only") := msg_own_access_read_only

message("other_team") := msg_other_team

message("consent_required") := msg_consent_required

message("support_data_stays_in_team") := msg_support_data_stays_in_team

message("no_legal_basis") := msg_no_legal_basis

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
