"""The console's words for the processing register (AVG art. 30), English and Dutch side by
side; `i18n.CATALOGUE` takes them in (one catalogue, one completeness test)."""

from __future__ import annotations

from collections.abc import Sequence

from lifecycle.register_diff import Change, english

CATALOGUE: dict[str, tuple[str, str]] = {
    # key: (English, Dutch)
    "nav_register": ("Processing register", "Verwerkingsregister"),
    "register_changes": ("In the register's terms", "In de termen van het register"),
    "art30_title": (
        "Record of processing activities (GDPR art. 30)",
        "Register van verwerkingsactiviteiten (AVG art. 30)",
    ),
    "art30_lead": (
        "The record of processing activities of the active policy version, generated from the "
        "register, so it is never out of date. Every view and download is recorded in the "
        "audit trail.",
        "Het register van verwerkingsactiviteiten van de actieve beleidsversie, gemaakt uit het "
        "register zelf, dus altijd actueel. Elke weergave en download wordt vastgelegd in het "
        "logboek.",
    ),
    "art30_print_lead": (
        "Generated from the active policy version. Print this page, or save it as PDF, for "
        "the Dutch Data Protection Authority (Autoriteit Persoonsgegevens).",
        "Gemaakt uit de actieve beleidsversie. Druk deze pagina af, of bewaar haar als PDF, "
        "voor de Autoriteit Persoonsgegevens.",
    ),
    "art30_print": ("Printable page (PDF)", "Afdrukbare pagina (pdf)"),
    "art30_csv": ("Download as CSV", "Downloaden als CSV"),
    "art30_controller": ("Controller", "Verwerkingsverantwoordelijke"),
    "art30_version": ("Policy version", "Beleidsversie"),
    "art30_count": ("Processing activities", "Verwerkingsactiviteiten"),
    "art30_subjects": (
        "Residents of {places} whose data the municipality processes for this purpose",
        "Inwoners van {places} van wie de gemeente voor dit doel gegevens verwerkt",
    ),
    "art30_none_counts_only": (
        "None about a person: counts only",
        "Geen gegevens over personen: alleen aantallen",
    ),
    "art30_no_recipients": (
        "No other domain: only the domain named under purpose",
        "Geen ander domein: alleen het domein bij het doel",
    ),
    "art30_withheld": ("withheld", "niet verstrekt"),
    "art30_days": ("{n} days", "{n} dagen"),
    "register_refused": (
        "The policy does not let you read the processing register of this municipality.",
        "Het beleid staat niet toe dat u het verwerkingsregister van deze gemeente inziet.",
    ),
    # the editor
    "register_edit": ("Change the register", "Register wijzigen"),
    "register_edit_lead": (
        "A change is saved as a draft version with your name and message. It is checked "
        "against the register's own rules first; then test it, replay it, and let a second "
        "privacy officer approve it.",
        "Een wijziging wordt bewaard als conceptversie met uw naam en toelichting. Eerst wordt "
        "zij getoetst aan de regels van het register; test haar daarna, speel haar af op eerdere "
        "beslissingen en laat een tweede privacy officer haar goedkeuren.",
    ),
    "register_refused_form": (
        "The register does not allow this change; nothing was saved:",
        "Het register staat deze wijziging niet toe; er is niets bewaard:",
    ),
    "register_message_required": (
        "Write down why you make this change.",
        "Schrijf op waarom u deze wijziging maakt.",
    ),
    "register_no_change": (
        "This is no change: a version with exactly this content exists.",
        "Dit is geen wijziging: er bestaat al een versie met precies deze inhoud.",
    ),
    "register_drafted": (
        "The draft is saved. Below is what it changes; test and replay it on its version page.",
        "Het concept is bewaard. Hieronder staat wat het wijzigt; test het en speel het af op "
        "de pagina van de versie.",
    ),
    "register_save": ("Save as draft", "Bewaren als concept"),
    "field_message": ("Why this change (required)", "Waarom deze wijziging (verplicht)"),
    "field_article": ("Article", "Artikel"),
    "field_explanation": (
        "Explanation for residents (plain Dutch)",
        "Uitleg voor inwoners (eenvoudig Nederlands)",
    ),
    "field_justification_required": (
        "Every use needs a written justification",
        "Elk gebruik vraagt een schriftelijke motivering",
    ),
    "field_mandates": ("Mandates", "Mandaten"),
    # columns (CSV headings and the page's terms)
    "col_activity": ("Activity (id)", "Activiteit (id)"),
    "col_name": ("Processing activity", "Verwerkingsactiviteit"),
    "col_purpose": ("Purpose", "Doel"),
    "col_domain": ("Domain", "Domein"),
    "col_legal_basis": ("Legal basis", "Grondslag"),
    "col_gdpr_ground": ("GDPR ground", "AVG-grondslag"),
    "col_link": ("Link to the law", "Link naar de wet"),
    "col_consent_admissible": ("Consent admissible", "Toestemming mogelijk"),
    "col_data_categories": ("Categories of personal data", "Categorieën persoonsgegevens"),
    "col_data_subjects": ("Categories of data subjects", "Categorieën betrokkenen"),
    "col_recipients": ("Recipients", "Ontvangers"),
    "col_retention_days": (
        "Retention of personal data in the audit trail (days)",
        "Bewaartermijn persoonsgegevens in het logboek (dagen)",
    ),
    "col_confidential": (
        "Held back from the resident while an investigation runs",
        "Niet zichtbaar voor de inwoner zolang een onderzoek loopt",
    ),
    "col_measures": ("Security measures", "Beveiligingsmaatregelen"),
    # measures (lifecycle/art30.py)
    "measure_audit_trail": (
        "Every access decided by the policy and recorded in an append-only audit trail with "
        "a signed Merkle tree",
        "Elke toegang beslist door het beleid en vastgelegd in een logboek dat alleen kan "
        "groeien, met een ondertekende Merkle-boom",
    ),
    "measure_purpose_binding": (
        "Purpose binding: access only under a mandated activity, per municipality and domain",
        "Doelbinding: toegang alleen onder een gemandateerde activiteit, per gemeente en domein",
    ),
    "measure_policy_four_eyes": (
        "Policy changes tested and approved by a second privacy officer (four eyes)",
        "Beleidswijzigingen getest en goedgekeurd door een tweede privacy officer (vier ogen)",
    ),
    "measure_pseudonymised_log": (
        "Residents pseudonymised in the audit trail; personal fields removed after the "
        "retention period",
        "Inwoners gepseudonimiseerd in het logboek; persoonsgegevens verwijderd na de "
        "bewaartermijn",
    ),
    "measure_emergency_access_review": (
        "Emergency access only with a written justification, reviewed by the privacy officer",
        "Noodtoegang alleen met een schriftelijke motivering, beoordeeld door de privacy officer",
    ),
    "measure_justification_review": (
        "Every use needs a written justification, reviewed by the privacy officer",
        "Elk gebruik vraagt een schriftelijke motivering, beoordeeld door de privacy officer",
    ),
    "measure_confidential_period": (
        "Held back from the resident's access log only while a registered investigation "
        "into them runs (UAVG art. 41)",
        "Alleen niet zichtbaar in het inzageoverzicht zolang een vastgelegd onderzoek naar de "
        "inwoner loopt (UAVG art. 41)",
    ),
    "measure_redaction": (
        "Fields withheld from the receiving domain where a flow says so",
        "Velden niet verstrekt aan het ontvangende domein waar een gegevensstroom dat zegt",
    ),
    "measure_consent_where_admissible": (
        "Consent recorded, revocable and checked per request where the law admits it",
        "Toestemming vastgelegd, intrekbaar en per verzoek gecontroleerd waar de wet dat toelaat",
    ),
    # the editor's further forms
    "edit_flows": ("Flows between domains", "Gegevensstromen tussen domeinen"),
    "edit_flow": ("Flow", "Gegevensstroom"),
    "edit_new_flow": ("New flow", "Nieuwe gegevensstroom"),
    "edit_flow_lead": (
        "A flow lets categories of one domain reach activities of another domain, on a "
        "provision that permits that disclosure. What the law forbids (no_basis) cannot be "
        "opened here.",
        "Een gegevensstroom laat categorieën van het ene domein bij activiteiten van een ander "
        "domein komen, op een bepaling die die verstrekking toestaat. Wat de wet verbiedt "
        "(no_basis) kan hier niet worden opengezet.",
    ),
    "edit_remove_flow": ("Remove this flow", "Deze gegevensstroom verwijderen"),
    "edit_remove_team": ("Remove this team or unit", "Dit team of deze eenheid verwijderen"),
    "edit_remove_service": (
        "Remove this regional service",
        "Deze regionale dienst verwijderen",
    ),
    "edit_remove": ("Save the removal as draft", "Verwijdering bewaren als concept"),
    "edit_category": ("Category of personal data", "Categorie persoonsgegevens"),
    "edit_new_category": ("New category", "Nieuwe categorie"),
    "edit_teams": ("Teams and units", "Teams en eenheden"),
    "edit_team": ("Team or unit", "Team of eenheid"),
    "edit_new_team": ("New team or unit", "Nieuw team of nieuwe eenheid"),
    "edit_services": ("Regional services", "Regionale diensten"),
    "edit_service": ("Regional service", "Regionale dienst"),
    "edit_new_service": ("New regional service", "Nieuwe regionale dienst"),
    "edit_no_services": (
        "This profile has no regional service.",
        "Dit profiel heeft geen regionale dienst.",
    ),
    "edit_service_lead": (
        "A regional service acts for the municipalities it serves, only in its own domains "
        "and only under the activities the colleges mandated to it.",
        "Een regionale dienst werkt voor de gemeenten die zij bedient, alleen in haar eigen "
        "domeinen en alleen onder de activiteiten die de colleges haar hebben gemandateerd.",
    ),
    "edit_profile": ("Contact and responsibility", "Contact en verantwoordelijkheid"),
    "edit_contact": (
        "Contact and answer term for residents' questions",
        "Contact en antwoordtermijn voor vragen van inwoners",
    ),
    "edit_contact_lead": (
        "Residents see this on their pages when they ask a question or object "
        "(GDPR art. 12(3): an answer within one month).",
        "Inwoners zien dit op hun pagina's als zij een vraag stellen of bezwaar maken "
        "(AVG art. 12 lid 3: antwoord binnen een maand).",
    ),
    "edit_controller": (
        "Controller and data protection officer",
        "Verwerkingsverantwoordelijke en functionaris gegevensbescherming",
    ),
    "edit_controller_lead": (
        "The record of processing activities names them with their contact details "
        "(GDPR art. 30(1)(a)).",
        "Het register van verwerkingsactiviteiten noemt hen met hun contactgegevens "
        "(AVG art. 30 lid 1 onder a).",
    ),
    "field_id": ("Id", "Id"),
    "field_id_hint": (
        "Lowercase letters, digits, - and _; it cannot change later.",
        "Kleine letters, cijfers, - en _; het kan later niet meer veranderen.",
    ),
    "field_label": ("Name", "Naam"),
    "field_name": ("Name", "Naam"),
    "field_from_domain": ("From domain (holds the data)", "Van domein (heeft de gegevens)"),
    "field_to_domain": ("To domain (receives the data)", "Naar domein (ontvangt de gegevens)"),
    "field_receiving_activities": ("Receiving activities", "Ontvangende activiteiten"),
    "field_grounds": ("Provisions the article cites", "Bepalingen die het artikel noemt"),
    "field_grounds_hint": (
        "At least one must permit the disclosure; a task or a principle alone is no basis "
        "for passing data on. Leave a row empty to drop it.",
        "Minstens één moet de verstrekking toestaan; een taak of een beginsel alleen is geen "
        "grondslag om gegevens door te geven. Laat een regel leeg om hem te schrappen.",
    ),
    "field_ground_article": ("Provision {n}", "Bepaling {n}"),
    "field_ground_kind": ("What provision {n} does", "Wat bepaling {n} doet"),
    "ground_disclosure": ("permits the disclosure", "staat de verstrekking toe"),
    "ground_task": ("gives a task", "geeft een taak"),
    "ground_principle": ("states a principle", "noemt een beginsel"),
    "field_redact": ("Fields withheld from the receiver", "Velden die de ontvanger niet krijgt"),
    "field_redact_hint": (
        "Field names separated by commas, e.g. content.",
        "Veldnamen gescheiden door komma's, bijvoorbeeld content.",
    ),
    "field_owning_domain": ("Owning domain", "Domein dat de gegevens heeft"),
    "domain_shared": ("Every domain", "Elk domein"),
    "field_municipality": ("Municipality", "Gemeente"),
    "field_regional_service": ("Regional service", "Regionale dienst"),
    "field_none": ("None", "Geen"),
    "field_no_dossier": (
        "Keeps no files (counts only)",
        "Houdt geen dossiers bij (alleen aantallen)",
    ),
    "field_serves": ("Serves the municipalities", "Werkt voor de gemeenten"),
    "field_domains": ("In the domains", "In de domeinen"),
    "field_service_activities": ("Mandated activities", "Gemandateerde activiteiten"),
    "field_privacy_officer": (
        "Who answers (as residents read it)",
        "Wie antwoordt (zoals inwoners het lezen)",
    ),
    "field_email": ("E-mail address", "E-mailadres"),
    "field_phone": ("Telephone (optional)", "Telefoon (niet verplicht)"),
    "field_url": ("Privacy page (optional)", "Privacypagina (niet verplicht)"),
    "field_address": ("Address (optional)", "Adres (niet verplicht)"),
    "field_answer_days": ("Answer term (days)", "Antwoordtermijn (dagen)"),
    "art30_dpo": (
        "Data protection officer",
        "Functionaris gegevensbescherming",
    ),
    "art30_not_stated": (
        "Not stated in the profile",
        "Niet vastgelegd in het profiel",
    ),
    "col_controller": ("Controller", "Verwerkingsverantwoordelijke"),
    "col_dpo": ("Data protection officer", "Functionaris gegevensbescherming"),
    # Rego modules, for engineers
    "rego_edit": ("Rego modules (for engineers)", "Rego-modules (voor technici)"),
    "rego_edit_lead": (
        "The policy's Rego source can be changed as a new draft too; it goes through the same "
        "test, replay and approval.",
        "Ook de Rego-broncode van het beleid kan worden gewijzigd als nieuw concept; het "
        "doorloopt dezelfde test, afspeelronde en goedkeuring.",
    ),
    "rego_edit_active": (
        "Edit the active version's modules",
        "Modules van de actieve versie wijzigen",
    ),
    "rego_edit_title": ("Edit Rego modules", "Rego-modules wijzigen"),
    "rego_based_on": ("Based on version", "Gebaseerd op versie"),
    "rego_compile_error": (
        "The modules do not compile; nothing was saved:",
        "De modules compileren niet; er is niets bewaard:",
    ),
    "rego_error_at": ("{file}, line {line}", "{file}, regel {line}"),
    "rego_error_profile": (
        "with the register of profile {profile}",
        "met het register van profiel {profile}",
    ),
    "rego_error_context": ("The lines around line {line}", "De regels rond regel {line}"),
    "rego_unknown_module": (
        "Only the version's own modules can be edited here.",
        "Hier kunnen alleen de eigen modules van de versie worden gewijzigd.",
    ),
    "rego_too_large": (
        "A module is too large (at most 256 KiB).",
        "Een module is te groot (hoogstens 256 KiB).",
    ),
    # a change on top of a draft
    "base_working_on": (
        "You are adding a change to the draft",
        "U voegt een wijziging toe aan concept",
    ),
    "base_working_on_more": (
        "Saving makes a new draft with the changes of that draft and yours, to be tested, "
        "replayed and approved as one version.",
        "Bewaren maakt een nieuw concept met de wijzigingen van dat concept en de uwe, dat als "
        "één versie wordt getest, afgespeeld en goedgekeurd.",
    ),
    "rego_edit_base": ("Edit this draft's modules", "Modules van dit concept wijzigen"),
    "base_add_change": (
        "Add another change to this draft",
        "Nog een wijziging aan dit concept toevoegen",
    ),
    "base_unknown": (
        "There is no version with this revision to add a change to; nothing was saved.",
        "Er is geen versie met deze revisie om een wijziging aan toe te voegen; er is niets "
        "bewaard.",
    ),
    "base_retired": (
        "This version is no longer active: a change on top of it would undo the changes of the "
        "version active now; nothing was saved. Start from the active version.",
        "Deze versie is niet meer actief: een wijziging daarop zou de wijzigingen van de "
        "huidige actieve versie ongedaan maken; er is niets bewaard. Begin bij de actieve "
        "versie.",
    ),
    "base_stale": (
        "This draft was made from a version that is no longer active: a change on top of it "
        "could never be activated; nothing was saved. Start from the active version.",
        "Dit concept is gemaakt vanuit een versie die niet meer actief is: een wijziging daarop "
        "kan nooit actief worden; er is niets bewaard. Begin bij de actieve versie.",
    ),
    "diff_whole": (
        "All changes of this draft against the active version",
        "Alle wijzigingen van dit concept ten opzichte van de actieve versie",
    ),
    "diff_step": (
        "The last change only, against the draft it builds on",
        "Alleen de laatste wijziging, ten opzichte van het concept waarop zij voortbouwt",
    ),
}

#: How a change in the register's terms reads in Dutch (`lifecycle.register_diff.TEMPLATES`).
CHANGE_TEMPLATES_NL: dict[str, str] = {
    "set": "{subject}: {what} {old} → {new}",
    "gains": "{subject}: {what}: {items} toegevoegd",
    "loses": "{subject}: {what}: {items} weggehaald",
    "reordered": "{subject}: {what}: andere volgorde",
    "mandate_gains": "{subject}: {what} krijgt mandaat voor {items}",
    "mandate_loses": "{subject}: {what} verliest mandaat voor {items}",
    "added": "{subject} toegevoegd",
    "removed": "{subject} verwijderd",
    "changed": "{subject} gewijzigd",
}

#: The register's words in Dutch (`lifecycle.register_diff.WORDS`).
CHANGE_WORDS_NL: dict[str, str] = {
    "label": "naam",
    "purpose": "doel",
    "domain": "domein",
    "consent_admissible": "toestemming mogelijk",
    "categories": "categorieën",
    "retention_days": "bewaartermijn (dagen)",
    "break_glass": "noodtoegang",
    "justification_required": "onderbouwing verplicht",
    "confidential": "achtergehouden tijdens een onderzoek",
    "legal_basis.law": "wet",
    "legal_basis.article": "artikel",
    "legal_basis.gdpr": "AVG-grondslag",
    "legal_basis.link": "link",
    "legal_basis.explanation": "uitleg",
    "from_domain": "van domein",
    "to_domain": "naar domein",
    "activities": "activiteiten",
    "article": "artikel",
    "link": "link",
    "grounds": "bepalingen",
    "explanation": "uitleg",
    "redact": "niet verstrekt",
    "municipality": "gemeente",
    "regional_service": "regionale dienst",
    "no_dossier": "houdt geen dossier",
    "serves": "werkt voor",
    "domains": "domeinen",
    "contact": "contact",
    "controller": "verwerkingsverantwoordelijke",
    "dpo": "FG",
    "privacy_officer": "wie antwoordt",
    "answer_days": "antwoordtermijn (dagen)",
    "url": "pagina",
    "name": "naam",
    "email": "e-mail",
    "phone": "telefoon",
    "address": "adres",
    "activity": "activiteit",
    "flow": "gegevensstroom",
    "category": "categorie",
    "team": "team",
    "profile": "profiel",
    "purposes": "doelen",
    "roles": "rollen",
    "no_basis": "geen grondslag",
    "municipalities": "gemeenten",
    "mandates": "mandaten",
    "teams": "teams",
    "regional_services": "regionale diensten",
    "yes": "ja",
    "no": "nee",
    "none": "geen",
}


def _dutch(key: str) -> str:
    return CHANGE_WORDS_NL.get(key) or english(key)


def register_lines(found: Sequence[Change], lang: str) -> list[str]:
    """Changes in the register's terms (`lifecycle.register_diff.changes`) in `lang`."""
    if lang == "nl":
        return [c.words(CHANGE_TEMPLATES_NL, _dutch) for c in found]
    return [c.text for c in found]
