"""Both catalogues of the console in one place: English and Dutch, side by side.

`t(lang)` gives the page a lookup function; a missing key shows the key itself (a test
checks that both languages have every key)."""

from __future__ import annotations

from collections.abc import Callable

from gateway.web.console import i18n_register

LANGUAGES = ("nl", "en")
DEFAULT = "nl"

CATALOGUE: dict[str, tuple[str, str]] = {
    # key: (English, Dutch)
    "site": ("Privacy officer console", "Console privacy officer"),
    "site_sub": ("doelbinding gateway", "doelbinding-gateway"),
    "skip": ("Skip to content", "Ga direct naar de inhoud"),
    "nav_label": ("Console menu", "Consolemenu"),
    "nav_versions": ("Policy versions", "Beleidsversies"),
    "nav_reviews": ("Emergency access review", "Beoordeling noodtoegang"),
    "nav_flows": ("Flows", "Gegevensstromen"),
    "nav_integrity": ("Audit integrity", "Integriteit logboek"),
    "language": ("Language", "Taal"),
    "logged_in_as": ("Logged in as", "Ingelogd als"),
    "logout": ("Log out", "Uitloggen"),
    "logged_out": ("You are logged out.", "U bent uitgelogd."),
    "footer": (
        "Every action on these pages is recorded in the audit trail.",
        "Elke handeling op deze pagina's wordt vastgelegd in het logboek.",
    ),
    # login
    "login": ("Log in", "Inloggen"),
    "login_lead": (
        "The console is for privacy officers only.",
        "De console is alleen voor privacy officers.",
    ),
    "login_oidc": ("Log in with your organisation account", "Inloggen met uw organisatieaccount"),
    "login_demo": ("Demo: choose a privacy officer", "Demo: kies een privacy officer"),
    "login_demo_note": (
        "This is a demonstration; two officers let you see the four-eyes principle.",
        "Dit is een demonstratie; met twee officers ziet u het vier-ogenprincipe.",
    ),
    "login_who": ("Log in as", "Inloggen als"),
    "login_none": ("Logging in is not possible right now.", "Inloggen kan nu niet."),
    "login_pick": ("Choose one of the officers.", "Kies een van de officers."),
    "not_officer": (
        "Your account does not have the privacy officer role.",
        "Uw account heeft niet de rol privacy officer.",
    ),
    # errors
    "error": ("Something went wrong", "Er ging iets mis"),
    "error_csrf": (
        "This page had expired. Nothing was changed. Please try again.",
        "Deze pagina was verlopen. Er is niets veranderd. Probeer het opnieuw.",
    ),
    "error_not_found": ("This page does not exist.", "Deze pagina bestaat niet."),
    "error_oidc": ("The login did not succeed.", "Het inloggen is niet gelukt."),
    "back": ("Back", "Terug"),
    # versions
    "versions_lead": (
        "Every policy version: its state, tests, simulation and approvals. A second privacy "
        "officer approves what the first drafted (four eyes).",
        "Alle beleidsversies: status, tests, simulatie en goedkeuringen. Een tweede privacy "
        "officer keurt goed wat de eerste opstelde (vier ogen).",
    ),
    "revision": ("Revision", "Revisie"),
    "state": ("State", "Status"),
    "author": ("Author", "Auteur"),
    "message": ("Message", "Toelichting"),
    "created": ("Created", "Gemaakt"),
    "tests": ("Tests", "Tests"),
    "simulated": ("Simulated", "Gesimuleerd"),
    "approved_by": ("Approved by", "Goedgekeurd door"),
    "yes": ("yes", "ja"),
    "no": ("no", "nee"),
    "passed": ("passed", "geslaagd"),
    "failed": ("failed", "mislukt"),
    "not_run": ("not run", "niet gedraaid"),
    "state_draft": ("draft", "concept"),
    "state_tested": ("tested", "getest"),
    "state_approved": ("approved", "goedgekeurd"),
    "state_active": ("active", "actief"),
    "state_retired": ("retired", "buiten gebruik"),
    "parent": ("Parent", "Vorige versie"),
    "compare": ("Compare versions", "Versies vergelijken"),
    "diff_from": ("From", "Van"),
    "diff_to": ("To", "Naar"),
    "show_diff": ("Show the differences", "Toon de verschillen"),
    "diff": ("Differences", "Verschillen"),
    "diff_none": ("No differences.", "Geen verschillen."),
    "data_changes": ("Changes in the register data", "Wijzigingen in de registergegevens"),
    "before": ("before", "voor"),
    "after": ("after", "na"),
    "actions": ("Actions", "Acties"),
    "run_tests": ("Run the decision tables", "Beslistabellen draaien"),
    "run_simulation": ("Simulate on past decisions", "Simuleren op eerdere besluiten"),
    "approve": ("Approve", "Goedkeuren"),
    "activate": ("Activate", "Activeren"),
    "rollback": ("Request a rollback to this version", "Terugdraaien naar deze versie aanvragen"),
    "rollback_reason": ("Why roll back?", "Waarom terugdraaien?"),
    "rollback_approve": ("Approve the rollback", "Terugdraaien goedkeuren"),
    "refused": ("Refused", "Geweigerd"),
    "four_eyes_refused": (
        "Refused (four eyes): you drafted or requested this yourself. A second privacy "
        "officer must approve it.",
        "Geweigerd (vier ogen): u heeft dit zelf opgesteld of aangevraagd. Een tweede privacy "
        "officer moet het goedkeuren.",
    ),
    "done_tested": ("The decision tables ran.", "De beslistabellen zijn gedraaid."),
    "done_simulated": ("The simulation ran.", "De simulatie is gedraaid."),
    "done_approved": ("The version is approved.", "De versie is goedgekeurd."),
    "done_activated": (
        "The version is active: the gateway decides with it now.",
        "De versie is actief: de gateway beslist er nu mee.",
    ),
    "done_rollback_requested": (
        "Rollback requested; a second officer approves it.",
        "Terugdraaien aangevraagd; een tweede officer keurt het goed.",
    ),
    "done_rolled_back": (
        "Rolled back: this version is active again.",
        "Teruggedraaid: deze versie is weer actief.",
    ),
    "test_results": ("Test results", "Testresultaten"),
    "cases": ("cases", "gevallen"),
    "failing_cases": ("Failing cases", "Mislukte gevallen"),
    "simulation": ("Simulation report", "Simulatierapport"),
    "replayed": ("decisions replayed", "besluiten opnieuw beslist"),
    "flips": ("flips", "omslagen"),
    "allow_to_deny": ("allowed → denied", "toegestaan → geweigerd"),
    "deny_to_allow": ("denied → allowed", "geweigerd → toegestaan"),
    "direction": ("Direction", "Richting"),
    "reason": ("Reason", "Reden"),
    "activity": ("Activity", "Activiteit"),
    "category": ("Category", "Categorie"),
    "count": ("Count", "Aantal"),
    "no_flips": ("No decision would flip.", "Geen enkel besluit slaat om."),
    "events": ("History", "Geschiedenis"),
    "event": ("Event", "Gebeurtenis"),
    "actor": ("By", "Door"),
    "at": ("At", "Op"),
    "no_versions": ("No versions yet.", "Nog geen versies."),
    # reviews
    "reviews_lead": (
        "Every emergency access (basis break_glass) and exception, with its written "
        "justification. Unreviewed first. A review is itself recorded in the audit trail.",
        "Elke noodtoegang (grondslag break_glass) en uitzondering, met de schriftelijke "
        "onderbouwing. Niet-beoordeelde eerst. Ook de beoordeling komt in het logboek.",
    ),
    "unreviewed": ("Not yet reviewed", "Nog niet beoordeeld"),
    "reviewed": ("Reviewed", "Beoordeeld"),
    "basis": ("Basis", "Grondslag"),
    "who": ("Who", "Wie"),
    "justification": ("Justification", "Onderbouwing"),
    "erased": ("(erased after the retention period)", "(gewist na de bewaartermijn)"),
    "none_given": ("(none)", "(geen)"),
    "comment": ("Review comment", "Toelichting bij de beoordeling"),
    "comment_hint": (
        "No names or other personal data: the comment stays in the audit trail.",
        "Geen namen of andere persoonsgegevens: de toelichting blijft in het logboek.",
    ),
    "mark_reviewed": ("Mark as reviewed", "Markeer als beoordeeld"),
    "review_saved": ("The review is recorded.", "De beoordeling is vastgelegd."),
    "review_needs_comment": ("Write a comment.", "Schrijf een toelichting."),
    "review_exists": ("This entry was already reviewed.", "Deze regel is al beoordeeld."),
    "review_unknown": ("No such emergency access.", "Deze noodtoegang bestaat niet."),
    "reviewed_by": ("Reviewed by", "Beoordeeld door"),
    "queue_empty": ("No emergency access to review.", "Geen noodtoegang te beoordelen."),
    "outcome": ("Outcome", "Uitkomst"),
    "allowed": ("allowed", "toegestaan"),
    "denied": ("denied", "geweigerd"),
    # flows
    "flows_lead": (
        "Decisions by activity, from the category's domain to the activity's domain. Counts "
        "only: no content, no residents.",
        "Besluiten per activiteit, van het domein van de gegevens naar het domein van de "
        "activiteit. Alleen aantallen: geen inhoud, geen inwoners.",
    ),
    "period": ("Period", "Periode"),
    "last_days": ("Last {n} days", "Laatste {n} dagen"),
    "show": ("Show", "Toon"),
    "total": ("Decisions", "Besluiten"),
    "per_day": ("Decisions per day", "Besluiten per dag"),
    "day": ("Day", "Dag"),
    "by_activity": ("By activity", "Per activiteit"),
    "domain_flows": ("Domain → domain flows", "Stromen tussen domeinen"),
    "from_domain": ("From (data)", "Van (gegevens)"),
    "to_domain": ("To (activity)", "Naar (activiteit)"),
    "enforcement_support": ("enforcement ↔ support", "handhaving ↔ ondersteuning"),
    "tension_note": (
        "Marked flows cross between enforcement and support: monitor the cooperation.",
        "Gemarkeerde stromen gaan tussen handhaving en ondersteuning: houd de samenwerking "
        "in het oog.",
    ),
    "denials_by_reason": ("Denials by reason code", "Weigeringen per redencode"),
    "no_decisions": ("No decisions in this period.", "Geen besluiten in deze periode."),
    "chart_note": (
        "The charts need JavaScript; the tables show the same numbers.",
        "De grafieken hebben JavaScript nodig; de tabellen tonen dezelfde aantallen.",
    ),
    # integrity
    "integrity_lead": (
        "The audit trail is hash-chained and signed in checkpoints. Verify recomputes the "
        "chain, the Merkle tree and every checkpoint signature.",
        "Het logboek is een hashketen met ondertekende checkpoints. Controleren berekent de "
        "keten, de Merkle-boom en elke handtekening opnieuw.",
    ),
    "latest_checkpoint": ("Latest checkpoint", "Laatste checkpoint"),
    "tree_size": ("Tree size", "Boomgrootte"),
    "root_hash": ("Root hash", "Wortelhash"),
    "signed_note": ("Signed note", "Ondertekende notitie"),
    "no_checkpoint": ("No checkpoint yet.", "Nog geen checkpoint."),
    "last_verify": ("Last verification", "Laatste controle"),
    "never_verified": ("Not verified yet.", "Nog niet gecontroleerd."),
    "verify_ok": ("Intact", "Intact"),
    "verify_broken": ("BROKEN", "GEBROKEN"),
    "records_checked": ("records checked", "regels gecontroleerd"),
    "checkpoints_checked": ("checkpoints checked", "checkpoints gecontroleerd"),
    "first_bad_seq": ("First bad seq", "Eerste foute regel"),
    "problem": ("Problem", "Probleem"),
    "run_verify": ("Verify the audit trail now", "Controleer het logboek nu"),
    "verified_by": ("By", "Door"),
    "verify_done": ("The verification ran.", "De controle is uitgevoerd."),
    "no_key": ("No signing key is configured.", "Er is geen ondertekeningssleutel."),
}
CATALOGUE |= i18n_register.CATALOGUE  # the processing register's words


def translate(lang: str, key: str, **kwargs: object) -> str:
    pair = CATALOGUE.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "nl" else pair[0]
    return text.format(**kwargs) if kwargs else text


def t(lang: str) -> Callable[..., str]:
    def lookup(key: str, **kwargs: object) -> str:
        return translate(lang, key, **kwargs)

    return lookup
