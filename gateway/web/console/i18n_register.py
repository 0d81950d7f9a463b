"""The console's words for the processing register (AVG art. 30), English and Dutch side by
side; `i18n.CATALOGUE` takes them in (one catalogue, one completeness test)."""

from __future__ import annotations

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
}
