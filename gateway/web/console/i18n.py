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
        "Every action on these pages is recorded in the audit trail. Times are Dutch time "
        "(Europe/Amsterdam).",
        "Elke handeling op deze pagina's wordt vastgelegd in het logboek. Tijden zijn "
        "Nederlandse tijd.",
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
    "error_denied": ("The policy refused this.", "Het beleid weigert dit."),
    "error_invalid": (
        "This address or form is not valid; nothing was changed.",
        "Dit adres of formulier klopt niet; er is niets veranderd.",
    ),
    "error_unavailable": (
        "The policy engine, the audit trail or the database is not available right now; "
        "nothing was changed.",
        "De beleidsengine, het logboek of de database is nu niet beschikbaar; er is niets "
        "veranderd.",
    ),
    "error_internal": (
        "Something went wrong on our side; nothing was changed.",
        "Er ging bij ons iets mis; er is niets veranderd.",
    ),
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
    "not_run_shipped": (
        "Not run on this server: this version was shipped with the gateway and activated at "
        "the first start without a test run here. Run the decision tables to test it.",
        "Niet gedraaid op deze server: deze versie is met de gateway meegeleverd en bij de "
        "eerste start actief geworden, zonder testronde hier. Draai de beslistabellen om haar "
        "te testen.",
    ),
    "test_passed": ("passed", "geslaagd"),
    "test_failed": ("failed", "mislukt"),
    "test_not_run": ("not run", "niet gedraaid"),
    "engine_regopy": ("regopy (embedded engine)", "regopy (ingebouwde engine)"),
    "engine_opa": ("OPA (sidecars, bundle)", "OPA (sidecars, bundel)"),
    "engine_status_passed": ("all cases pass", "alle gevallen slagen"),
    "engine_status_failed": ("cases fail", "gevallen mislukken"),
    "engine_status_compile_error": ("refuses the modules", "weigert de modules"),
    "engine_status_unavailable": (
        "not available on this server: the version cannot be approved",
        "niet beschikbaar op deze server: de versie kan niet worden goedgekeurd",
    ),
    "engine_status_crashed": ("the engine crashed", "de engine is gecrasht"),
    "engines_disagree": (
        "regopy and OPA decide {n} case(s) differently.",
        "regopy en OPA beslissen {n} geval(len) verschillend.",
    ),
    "engines_differ_here": ("the engines decide differently", "de engines beslissen verschillend"),
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
    "four_eyes_title": ("Refused (four eyes).", "Geweigerd (vier ogen)."),
    "four_eyes_refused": (
        "You drafted or requested this yourself. A second privacy officer must approve it.",
        "U heeft dit zelf opgesteld of aangevraagd. Een tweede privacy officer moet het "
        "goedkeuren.",
    ),
    # what stands in the way of a lifecycle step (lifecycle.errors.LifecycleConflict.reason)
    "conflict_no_parent": (
        "There is no earlier version to take the register from.",
        "Er is geen eerdere versie om het register van over te nemen.",
    ),
    "conflict_exists": (
        "A version with exactly this content already exists.",
        "Er bestaat al een versie met precies deze inhoud.",
    ),
    "conflict_not_tested": (
        "Only a version whose decision tables passed can be approved.",
        "Alleen een versie waarvan de beslistabellen slagen, kan worden goedgekeurd.",
    ),
    "conflict_untested": (
        "This version has not been tested. Run the decision tables first.",
        "Deze versie is nog niet getest. Draai eerst de beslistabellen.",
    ),
    "conflict_test_failed": (
        "The latest test run did not pass on both engines:",
        "De laatste testronde is niet op beide engines geslaagd:",
    ),
    "conflict_not_simulated": (
        "There is no simulation report yet. Simulate it on past decisions first.",
        "Er is nog geen simulatierapport. Simuleer eerst op eerdere besluiten.",
    ),
    "conflict_already_active": ("This version is already active.", "Deze versie is al actief."),
    "conflict_not_approved": (
        "A second privacy officer must approve it before it can be activated.",
        "Een tweede privacy officer moet de versie goedkeuren voordat die actief kan worden.",
    ),
    "conflict_base_retired": (
        "This version is no longer active: a change on top of it would undo the changes of the "
        "version active now. Start from the active version.",
        "Deze versie is niet meer actief: een wijziging daarop zou de wijzigingen van de "
        "huidige actieve versie ongedaan maken. Begin bij de actieve versie.",
    ),
    "conflict_stale_parent": (
        "This draft was made from a version that is no longer active: activating it would undo "
        "the changes of the version active now. Make the change again from the active version.",
        "Dit concept is gemaakt vanuit een versie die niet meer actief is: activeren zou de "
        "wijzigingen van de huidige actieve versie ongedaan maken. Maak de wijziging opnieuw "
        "vanuit de actieve versie.",
    ),
    "conflict_not_retired": (
        "A rollback goes back to a version that was active before.",
        "Terugdraaien kan alleen naar een versie die eerder actief was.",
    ),
    "conflict_no_rollback_request": (
        "There is no open rollback request. Request one first.",
        "Er is geen open verzoek om terug te draaien. Vraag dat eerst aan.",
    ),
    "conflict_no_active": (
        "There is no active version to compare with.",
        "Er is geen actieve versie om mee te vergelijken.",
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
    "sim_summary": (
        "{replayed} past decisions of profile {profile} decided again, by the active version "
        "and by this one:",
        "{replayed} eerdere besluiten van profiel {profile} opnieuw beslist, door de actieve "
        "versie en door deze:",
    ),
    "flips": ("flips", "omslagen"),
    "flips_caption": (
        "Flips: the active version and this version decide differently",
        "Omslagen: de actieve versie en deze versie beslissen anders",
    ),
    "drift": ("Drift since the decisions were recorded", "Verschuiving sinds de besluiten"),
    "drift_meaning": (
        "Drift is what the active version decides differently from what was recorded: those "
        "decisions were made by an earlier version (or by another engine). Activating this "
        "version does not cause it, so it is not counted as a flip.",
        "Verschuiving is wat de actieve versie anders beslist dan destijds is vastgelegd: die "
        "besluiten zijn door een eerdere versie (of een andere engine) genomen. Deze versie "
        "activeren veroorzaakt dat niet; het telt dus niet als omslag.",
    ),
    "drift_caption": (
        "Drift: {n} recorded decision(s) the active version decides differently",
        "Verschuiving: {n} vastgelegd(e) besluit(en) die de actieve versie anders beslist",
    ),
    "no_drift": (
        "The active version decides every replayed decision as it was recorded.",
        "De actieve versie beslist elk opnieuw beslist besluit zoals het is vastgelegd.",
    ),
    "not_replayed": ("Not replayed", "Niet opnieuw beslist"),
    "skipped_without_input": (
        "{n} without a stored input (erased after the retention period, or not a decision)",
        "{n} zonder bewaarde invoer (gewist na de bewaartermijn, of geen besluit)",
    ),
    "skipped_profile": (
        "{n} decided for profile {profile} (another register)",
        "{n} beslist voor profiel {profile} (een ander register)",
    ),
    "skipped_unknown": (
        "{n} decided by a revision no stored version has for this profile",
        "{n} beslist door een revisie die geen opgeslagen versie voor dit profiel heeft",
    ),
    "sim_old_format": (
        "This report is from before drift was reported apart: run the simulation again.",
        "Dit rapport is van vóór de aparte melding van verschuiving: simuleer opnieuw.",
    ),
    "allow_to_deny": ("allowed → denied", "toegestaan → geweigerd"),
    "deny_to_allow": ("denied → allowed", "geweigerd → toegestaan"),
    "direction": ("Direction", "Richting"),
    "reason": ("Reason", "Reden"),
    "activity": ("Activity", "Activiteit"),
    "category": ("Category", "Categorie"),
    "count": ("Count", "Aantal"),
    "no_flips": ("No decision would flip.", "Geen enkel besluit slaat om."),
    "events": ("History", "Geschiedenis"),
    "event_drafted": ("drafted", "opgesteld"),
    "event_tested": ("tested", "getest"),
    "event_simulated": ("simulated", "gesimuleerd"),
    "event_approved": ("approved", "goedgekeurd"),
    "event_activated": ("activated", "geactiveerd"),
    "event_rollback_requested": ("rollback requested", "terugdraaien aangevraagd"),
    "event_rolled_back": ("rolled back", "teruggedraaid"),
    "event": ("Event", "Gebeurtenis"),
    "actor": ("By", "Door"),
    "at": ("At", "Op"),
    "no_versions": ("No versions yet.", "Nog geen versies."),
    # reviews
    "reviews_lead": (
        "Every emergency access and every access under a four-eyes exception, with its "
        "written justification. Unreviewed first. Mark each as justified or not justified; "
        "the review is itself recorded in the audit trail.",
        "Elke noodtoegang en elke toegang op grond van een uitzondering (vier ogen), met de "
        "schriftelijke onderbouwing. Niet-beoordeelde eerst. Beoordeel elk als terecht of "
        "niet terecht; ook de beoordeling komt in het logboek.",
    ),
    "basis_break_glass": ("emergency access", "noodtoegang"),
    "basis_exception": ("four-eyes exception", "uitzondering (vier ogen)"),
    "action_read": ("read", "inzien"),
    "action_create": ("record", "vastleggen"),
    "exception_reason": ("Reason for the exception", "Reden van de uitzondering"),
    "exception_missing": ("(exception not found)", "(uitzondering niet gevonden)"),
    "requested_by": ("Requested by", "Aangevraagd door"),
    "exception_approved_by": ("Approved by", "Goedgekeurd door"),
    "valid_until": ("valid until", "geldig tot"),
    "not_approved": ("not approved", "niet goedgekeurd"),
    "verdict": ("Your verdict", "Uw oordeel"),
    "verdict_justified": ("Justified", "Terecht"),
    "verdict_not_justified": ("Not justified", "Niet terecht"),
    "verdict_none": ("Reviewed", "Beoordeeld"),
    "record_review": ("Record the review", "Beoordeling vastleggen"),
    "review_needs_verdict": (
        "Choose justified or not justified.",
        "Kies terecht of niet terecht.",
    ),
    "review_saved_not_justified": (
        "The review is recorded: marked not justified. It stays visible here and on the dashboard.",
        "De beoordeling is vastgelegd: niet terecht. Dat blijft hier en op het dashboard "
        "zichtbaar.",
    ),
    "of_which_not_justified": ("not justified: {n}", "niet terecht: {n}"),
    "not_justified_count": (
        "Accesses marked not justified in this period: {n}",
        "Toegang als niet terecht beoordeeld in deze periode: {n}",
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
    # residents' questions ("Klopt er iets niet?")
    "nav_questions": ("Residents' questions", "Vragen van inwoners"),
    "questions_lead": (
        "Questions and objections residents asked about entries of their own access log. "
        "Open one to read it; the resident sees your answer on their pages at once. Every "
        "opening and answer is decided by the policy and shows in the resident's access log.",
        "Vragen en bezwaren van inwoners over regels in hun eigen inzageoverzicht. Open een "
        "vraag om hem te lezen; de inwoner ziet uw antwoord meteen op de eigen pagina's. Elk "
        "openen en antwoorden beslist het beleid, en de inwoner ziet het in het eigen overzicht.",
    ),
    "questions_open": ("Waiting for an answer", "Wachten op antwoord"),
    "questions_answered": ("Answered", "Beantwoord"),
    "questions_none": ("No questions.", "Geen vragen."),
    "kind_question": ("Question", "Vraag"),
    "kind_objection": ("Objection", "Bezwaar"),
    "asked_at": ("Asked", "Gesteld"),
    "answer_due": ("Answer due", "Antwoord uiterlijk"),
    "overdue": ("overdue", "te laat"),
    "open_question": ("Open", "Openen"),
    "question_text": ("The resident's words", "De woorden van de inwoner"),
    "question_entry": ("About entry", "Over regel"),
    "question_entry_gone": (
        "The entry is no longer readable (erased after its retention period).",
        "De regel is niet meer leesbaar (gewist na de bewaartermijn).",
    ),
    "answers": ("Answers", "Antwoorden"),
    "answer": ("Your answer", "Uw antwoord"),
    "answer_hint": (
        "In plain Dutch (B1): what happened, on what basis, and what the resident can do "
        "(e.g. ask for a correction, or complain to the Autoriteit Persoonsgegevens). No "
        "case content and no colleague's name.",
        "In gewone taal (B1): wat er gebeurde, op welke grond, en wat de inwoner kan doen "
        "(bijvoorbeeld een correctie vragen, of klagen bij de Autoriteit Persoonsgegevens). "
        "Geen inhoud van een dossier en geen naam van een collega.",
    ),
    "send_answer": ("Send the answer", "Verstuur het antwoord"),
    "answer_saved": ("The answer is sent.", "Het antwoord is verstuurd."),
    "answer_invalid": (
        "Write an answer of 5 to 2000 characters.",
        "Schrijf een antwoord van 5 tot 2000 tekens.",
    ),
    "question_not_found": ("No such question.", "Deze vraag bestaat niet."),
    "question_refused": (
        "The policy refused: this question belongs to another municipality.",
        "Het beleid weigert: deze vraag hoort bij een andere gemeente.",
    ),
    "resident_pseudonym": ("Resident (pseudonym)", "Inwoner (pseudoniem)"),
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
