"""Espace Partenaires end to end, with JavaScript on and off (axe on every page of the JS pass):
choosing the organisation, filing an ODS 2 with the « Saisine mission accompagnement santé »
blocks and three attachments, finding it in the history, completing it, cancelling another
request, the agent taking one in charge and resolving it, and the technician reading the answer
and downloading the file.

Both runs of a test share the live database (seeded by core.demo): every run works on its own
request, told apart by a random person name, and no assertion depends on how many demo rows exist."""
import re
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.browser.conftest import add_files, expect, expect_error_summary
from tests.components.test_attachments_content import jpeg_bytes, pdf_bytes, png_bytes

pytestmark = pytest.mark.browser

MARTINE = "martine.lapierre@demo.guichet.fr"
VICTOR = "victor.chausson@demo.guichet.fr"
AGENT_GIRONDE = "agent.cpam33@demo.guichet.fr"
GIRONDE, GIRONDE_CODE = "CPAM GIRONDE", "331"
ORGANISATION_LABEL = "Sélectionner l'organisme sur lequel vous souhaitez vous connecter."
ODS2 = "Signaler une situation de difficulté d'accès aux droits et aux soins"
ODS4 = "Soumettre une demande d'étude de dossier"
SAISINE = "Saisine mission accompagnement santé"
CONSENT = ("L'assuré accepte que ses coordonnées soient transmises à la Mission accompagnement santé de sa "
           "Caisse d'assurance maladie afin que celle-ci puisse le contacter pour bénéficier d'un "
           "accompagnement santé personnalisé et d'un suivi adapté")
RENUNCIATION = "Renoncement ou difficultés d'accès à des soins"
CARE = "Quels soins ne sont pas réalisés ?"
DURATION = "Depuis quand dure le renoncement ?"
CAUSES = "Quelles en sont les causes ? Un problème :"
COMMENTS_MAX = 5000
FILE_INPUT = re.compile(r"^Ajouter (un ou plusieurs fichiers|un fichier)")


# --- Helpers ---------------------------------------------------------------------------------------

def tag():
    """Eight random lowercase letters: names only accept letters."""
    return uuid.uuid4().hex[:8].translate(str.maketrans("0123456789", "ghijklmnop"))


def convention_dates(server, code):
    """(start, end) of the demo structure's convention with the organisation `code`, as dd/mm/yyyy."""
    from models import Convention, Organisation
    with server.app.app_context():
        convention = (Convention.query.join(Organisation)
                      .filter(Organisation.portal == "partenaires", Organisation.code == code).one())
        start, end = convention.start_date, convention.end_date
    fmt = "%d/%m/%Y"
    return start.strftime(fmt), end.strftime(fmt) if end else None


def file_request_directly(server, requester_email, **fields):
    """A « Nouveau » request of the demo structure to CPAM GIRONDE, stored straight in the live
    database (for the flows that start from an existing request). Returns its number."""
    from core.database import begin_immediate
    from extensions import db
    from models import Organisation, PartnerRequest, User
    with server.app.app_context():
        organisation = Organisation.query.filter_by(portal="partenaires", code=GIRONDE_CODE).one()
        requester = User.query.filter_by(email=requester_email).one()
        begin_immediate()
        request = PartnerRequest.submit(organisation, requester, **fields)
        db.session.commit()
        number = request.number
        db.session.remove()
    return number


def person_fields(last_name, first_name="Lucie"):
    from datetime import date
    return dict(ods=4, motive="Ouverture de droits", person_civility="Mme", person_last_name=last_name,
                person_first_name=first_name, person_birth_date=date(1982, 3, 14), person_birth_place="33",
                person_phone="05.56.00.00.00",
                comments=f"Demande {last_name} : merci d'étudier l'ouverture des droits.")


def organisation_option(page, name):
    """Label of the option of `name` in the organisation list (« CPAM LOT ET GARONNE * »)."""
    select = page.get_by_label(ORGANISATION_LABEL)
    option = select.locator("option").filter(has_text=re.compile(f"^{re.escape(name)}( \\*)?$"))
    expect(option).to_have_count(1)
    return option.inner_text().strip()


def choose_organisation(browsing, name, shot=None):
    """On « Sélection de l’organisme »: pick `name`, « Valider »; returns the page reached, checked."""
    page = browsing.page
    expect(browsing.h1()).to_have_text("Sélection de l’organisme")
    page.get_by_label(ORGANISATION_LABEL).select_option(label=organisation_option(page, name))
    page.get_by_role("main").get_by_role("button", name="Valider", exact=True).click()
    return browsing.check(shot=shot)


def header_organisation(page, name):
    return page.get_by_role("link", name=f"{name} (changer d’organisme)", exact=True)


def enter_gironde(browsing, email):
    """Logs in as the technician `email` and enters CPAM GIRONDE (convention running)."""
    browsing.log_in(email)
    page = browsing.page
    expect(page).to_have_url(re.compile(r"/partenaires/organisme$"))
    choose_organisation(browsing, GIRONDE)
    expect(browsing.h1()).to_have_text("Offres de services")
    expect(header_organisation(page, GIRONDE)).to_be_visible()


def open_history(browsing, shot=None):
    page = browsing.page
    page.get_by_role("navigation", name="Menu Espace Partenaires").get_by_role(
        "link", name="Historique des demandes").click()
    browsing.check(shot=shot)
    expect(browsing.h1()).to_have_text("Historique des demandes")


def history_rows(page):
    return page.locator(".history-table tbody tr")


def history_total(page):
    return page.locator("#historique-total")


def apply_history(browsing, url_part, **choices):
    """Picks options of the history's form ({label: option}). With JS each change reloads the
    list in place and the URL follows; without JS « Appliquer » submits the form by GET."""
    page = browsing.page
    if browsing.js:
        page.evaluate("window.samePage = true")
    for label, option in choices.items():
        page.get_by_label(label, exact=True).select_option(label=option)
    if not browsing.js:
        page.get_by_role("button", name="Appliquer").click()
    expect(page).to_have_url(re.compile(re.escape(url_part)))
    browsing.check()
    if browsing.js:
        assert page.evaluate("window.samePage === true"), "la page a été rechargée"


def search_history(browsing, text, expected_total="1 demande"):
    page = browsing.page
    search = page.get_by_label("Rechercher une demande")
    search.fill(text)
    if browsing.js:
        page.evaluate("window.samePage = true")
    search.press("Enter")  # JS: the form's submit is caught by htmx; without: GET
    encoded = re.escape(quote(text, safe="")).replace("%20", "(?:%20|\\+)")
    expect(page).to_have_url(re.compile(f"[?&]recherche={encoded}(&|$)"))
    expect(history_total(page)).to_have_text(expected_total)
    browsing.check()
    if browsing.js:
        assert page.evaluate("window.samePage === true"), "la page a été rechargée"


def summary_value(scope, term):
    """The <dd> of the summary-list row whose <dt> is exactly `term`."""
    return scope.locator(".summary-list > div").filter(
        has=scope.page.locator("dt", has_text=re.compile(f"^{re.escape(term)}$"))).locator("dd")


def region(page, name):
    return page.get_by_role("region", name=name, exact=True)


def log_out(browsing):
    page = browsing.page
    page.get_by_role("navigation", name="Compte").get_by_role("button", name="Se déconnecter").click()
    browsing.check()
    expect(page.get_by_role("navigation", name="Compte").get_by_role("button", name="Se déconnecter")
           ).to_have_count(0)


# --- 1. Choosing the organisation --------------------------------------------------------------

def test_choosing_the_organisation(browser_page):
    page = browser_page.page
    server = browser_page.server
    enter_gironde(browser_page, VICTOR)
    browser_page.check(shot="partenaires-accueil")
    expect(page.get_by_role("link", name=f"Nouvelle demande : {ODS2}")).to_be_visible()

    # The organisation in the header leads back to the list, the current one preselected; the
    # organisations in a special situation carry an asterisk in their text, not only a colour.
    header_organisation(page, GIRONDE).click()
    browser_page.check(shot="partenaires-organisme")
    select = page.get_by_label(ORGANISATION_LABEL)
    expect(select.locator("option:checked")).to_have_text(GIRONDE)
    expect(page.get_by_text("* organisme relevant d’une situation particulière")).to_be_visible()
    assert organisation_option(page, "CPAM LOT ET GARONNE") == "CPAM LOT ET GARONNE *"
    assert organisation_option(page, "CPAM DORDOGNE") == "CPAM DORDOGNE *"
    assert organisation_option(page, "CPAM COTE D'OPALE") == "CPAM COTE D'OPALE"

    # Ends within 30 days: the warning, then « Continuer » to the home page, everything allowed.
    _, end = convention_dates(server, "471")
    choose_organisation(browser_page, "CPAM LOT ET GARONNE", shot="partenaires-organisme-echeance")
    main = page.get_by_role("main")
    message = f"Le conventionnement arrive à échéance le {end} - Veuillez contacter l'organisme concerné."
    expect(main.get_by_role("alert")).to_have_text(message)
    main.get_by_role("button", name="Continuer").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Offres de services")
    expect(header_organisation(page, "CPAM LOT ET GARONNE")).to_be_visible()
    expect(page.get_by_text(message)).to_be_visible()
    expect(page.get_by_role("link", name=f"Nouvelle demande : {ODS2}")).to_be_visible()

    # Ended with open requests: « Continuer » leads to the history only.
    _, end = convention_dates(server, "401")
    header_organisation(page, "CPAM LOT ET GARONNE").click()
    browser_page.check()
    choose_organisation(browser_page, "CPAM LANDES")
    expect(page.get_by_role("main").get_by_role("alert")).to_have_text(
        f"Le conventionnement s'est terminé le {end} mais il reste des demandes en cours de traitement.")
    page.get_by_role("main").get_by_role("button", name="Continuer").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Historique des demandes")
    expect(header_organisation(page, "CPAM LANDES")).to_be_visible()
    page.get_by_role("navigation", name="Menu Espace Partenaires").get_by_role("link", name="Accueil").click()
    browser_page.check()
    expect(page.get_by_text("Vous ne pouvez plus déposer de nouvelles demandes d’Offres de Services auprès de "
                            "CPAM LANDES")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Nouvelle demande"))).to_have_count(0)

    # Starts later: the date, and nothing but « Se déconnecter ».
    start, _ = convention_dates(server, "241")
    header_organisation(page, "CPAM LANDES").click()
    browser_page.check()
    choose_organisation(browser_page, "CPAM DORDOGNE", shot="partenaires-organisme-a-venir")
    main = page.get_by_role("main")
    expect(main.get_by_role("alert")).to_have_text(
        f"Le conventionnement avec l'organisme CPAM DORDOGNE débutera le {start}.")
    expect(main.get_by_role("button", name="Continuer")).to_have_count(0)
    main.get_by_role("button", name="Se déconnecter").click()
    browser_page.check()
    expect(page.get_by_role("navigation", name="Compte").get_by_role("button", name="Se déconnecter")
           ).to_have_count(0)


# --- 2, 3, 4. Filing an ODS 2, finding it, completing it ---------------------------------------

def test_difficulty_report_with_saisine_history_and_completion(browser_page, tmp_path):
    page = browser_page.page
    js = browser_page.js
    enter_gironde(browser_page, MARTINE)

    page.get_by_role("link", name=f"Nouvelle demande : {ODS2}").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text(ODS2)
    expect(page.get_by_label(CONSENT)).to_have_count(0)

    # The motive brings the Saisine blocks: at once with JS (in place), with the no-JS button without.
    show_questions = page.get_by_role("button", name="Afficher les questions liées au motif")
    if js:
        expect(show_questions).to_be_hidden()
        page.evaluate("window.samePage = true")
    page.get_by_label(re.compile(r"^Motif de la demande")).select_option(label=SAISINE)
    if not js:
        show_questions.click()
    consent = page.get_by_role("switch", name=CONSENT)
    expect(consent).to_be_visible()
    if js:
        expect(page.locator("#ods-annonce")).to_have_text(
            f"Les questions liées au motif « {SAISINE} » ont été ajoutées sous la liste des motifs.")
    browser_page.check()
    expect(page.get_by_role("group", name=CARE)).to_have_count(0)
    consent.check()
    page.get_by_label(RENUNCIATION, exact=True).check()
    if not js:
        page.get_by_role("button", name="Afficher les questions sur le renoncement aux soins").click()
    care = page.get_by_role("group", name=CARE)
    expect(care).to_be_visible()
    expect(page.get_by_role("group", name=DURATION)).to_be_visible()
    expect(page.get_by_role("group", name=CAUSES)).to_be_visible()
    if js:
        expect(page.locator("#ods-annonce")).to_have_text(
            "Trois questions sur le renoncement aux soins ont été ajoutées sous cette liste.")
        assert page.evaluate("window.samePage === true"), "la page a été rechargée"
    browser_page.check()
    if not js:
        expect(page.get_by_role("switch", name=CONSENT)).to_be_checked()
    care.get_by_label("Chirurgie", exact=True).check()
    care.get_by_label("Pharmacie", exact=True).check()
    page.get_by_role("group", name=DURATION).get_by_label("Plus d'1 an", exact=True).check()
    page.get_by_role("group", name=CAUSES).get_by_label("De transport", exact=True).check()

    # Person concerned: typed loosely, stored formatted. Téléphone left empty for now.
    last_name = f"lenoir-{tag()}"
    page.get_by_role("group", name=re.compile("^Civilité")).get_by_label("Madame", exact=True).check()
    page.get_by_label(re.compile(r"^Nom \*")).fill(last_name)
    page.get_by_label(re.compile(r"^Prénom \*")).fill("jean-marie")
    page.get_by_label(re.compile(r"^Date de naissance")).fill("05/10/1970")
    page.get_by_label(re.compile(r"^Lieu de naissance")).fill("33")

    comment = f"Situation {last_name} : renoncement aux soins depuis plus d'un an, accompagnement souhaité."
    comments = page.get_by_label(re.compile(r"^Commentaires"))
    expect(page.get_by_text(f"({COMMENTS_MAX} caractères maximum)")).to_be_visible()
    if js:
        comments.press_sequentially(comment[:12], delay=10)
        comments.fill(comment)
        remaining = f"{COMMENTS_MAX - len(comment)} caractères restants."
        expect(page.locator(".field--counted .counter")).to_have_text(remaining)
        # Announced politely once typing pauses.
        expect(page.locator("#comments-compteur-live")).to_have_text(remaining)
    else:
        comments.fill(comment)
        expect(page.get_by_text("caractères restants")).to_have_count(0)

    files = [tmp_path / "attestation-droits.pdf", tmp_path / "ordonnance.png", tmp_path / "courrier-caisse.pdf"]
    files[0].write_bytes(pdf_bytes(3000))
    files[1].write_bytes(png_bytes())
    files[2].write_bytes(pdf_bytes(1800))
    add_files(browser_page, FILE_INPUT, files)
    browser_page.check(shot="partenaires-ods2-saisine")

    def expect_everything_kept():
        expect(page.get_by_label(re.compile(r"^Motif de la demande"))).to_have_value(SAISINE)
        expect(page.get_by_role("switch", name=CONSENT)).to_be_checked()
        expect(page.get_by_label(RENUNCIATION, exact=True)).to_be_checked()
        care = page.get_by_role("group", name=CARE)
        expect(care.get_by_label("Chirurgie", exact=True)).to_be_checked()
        expect(care.get_by_label("Pharmacie", exact=True)).to_be_checked()
        expect(care.get_by_label("Autre", exact=True)).not_to_be_checked()
        expect(page.get_by_role("group", name=DURATION).get_by_label("Plus d'1 an", exact=True)).to_be_checked()
        expect(page.get_by_role("group", name=CAUSES).get_by_label("De transport", exact=True)).to_be_checked()
        expect(page.get_by_label("Madame", exact=True)).to_be_checked()
        expect(page.get_by_label(re.compile(r"^Nom \*"))).to_have_value(last_name.upper())
        expect(page.get_by_label(re.compile(r"^Prénom \*"))).to_have_value("Jean-Marie")
        expect(page.get_by_label(re.compile(r"^Date de naissance"))).to_have_value("05/10/1970")
        expect(page.get_by_label(re.compile(r"^Lieu de naissance"))).to_have_value("33")
        expect(page.get_by_label(re.compile(r"^Commentaires"))).to_have_value(comment)
        listed = page.locator(".attachments-field .attachment-list li")
        expect(listed).to_have_count(3)
        for f in files:
            expect(listed.get_by_role("link", name=f.name, exact=True)).to_be_visible()

    if not js:
        # « Ajouter » brought the page back: nothing typed was lost (the names come back normalised).
        expect_everything_kept()

    # A required field missing: refused, everything kept, the three files included.
    page.get_by_role("button", name="Valider", exact=True).click()
    browser_page.check(shot="partenaires-ods2-erreur")
    expect_error_summary(browser_page, "Saisissez le numéro de téléphone.")
    expect_everything_kept()
    if js:
        expect(page.locator(".field--counted .counter")).to_have_text(
            f"{COMMENTS_MAX - len(comment)} caractères restants.")

    page.get_by_label(re.compile(r"^Téléphone")).fill("0600000000")
    page.get_by_role("button", name="Valider", exact=True).click()
    browser_page.check(shot="partenaires-demande-envoyee")
    expect(browser_page.h1()).to_have_text("Demande envoyée")
    expect(page.locator("#confirmation-demande")).to_contain_text(
        f"Votre demande « {ODS2} » a bien été envoyée à l’organisme {GIRONDE}.")
    number = page.locator(".request-number").inner_text().strip()
    from models.partenaires import paris_today
    assert re.fullmatch(rf"{paris_today().year % 100:02d}{GIRONDE_CODE}\d{{5}}", number), number

    # --- 3. The history: sorted, searched, then the detail.
    open_history(browser_page)
    caption = page.locator(".history-table caption")
    expect(caption).to_have_text("Demandes triées par date de dépôt (Z-A)")
    expect(history_rows(page).first).to_contain_text(number)  # newest first by default
    apply_history(browser_page, "tri=depot&ordre=az", **{"Trier par": "Date de dépôt", "Ordre": "A-Z"})
    expect(caption).to_have_text("Demandes triées par date de dépôt (A-Z)")
    expect(history_rows(page).first).not_to_contain_text(number)
    expect(history_rows(page).filter(has_text=number)).to_have_count(0)  # far from the oldest
    apply_history(browser_page, "ordre=za", Ordre="Z-A")
    expect(caption).to_have_text("Demandes triées par date de dépôt (Z-A)")
    expect(history_rows(page).first).to_contain_text(number)
    browser_page.check(shot="partenaires-historique")

    search_history(browser_page, number)
    expect(page).to_have_url(re.compile(f"recherche={number}"))
    row = history_rows(page)
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell")).to_have_text([
        ODS2, number, re.compile(r"^\d\d/\d\d/\d{4} \d\dh\d\dmin$"), "LAPIERRE Martine",
        f"Madame {last_name.upper()} Jean-Marie", "Nouveau", f"Consulter le détail n° {number}"])
    search_history(browser_page, f"jean-marie {last_name}")
    expect(history_rows(page)).to_have_count(1)
    expect(history_rows(page)).to_contain_text(number)

    history_rows(page).get_by_role("link", name=f"Consulter le détail n° {number}").click()
    browser_page.check(shot="partenaires-detail")
    expect(browser_page.h1()).to_have_text(f"Détail de la demande n° {number}")
    block = region(page, "La demande")
    expect(summary_value(block, "Numéro demande")).to_have_text(number)
    expect(summary_value(block, "Date de dépôt")).to_have_text(re.compile(r"^\d\d/\d\d/\d{4} \d\dh\d\dmin$"))
    expect(summary_value(block, "Demandeur")).to_have_text("LAPIERRE Martine")
    expect(summary_value(block, "Statut de la demande")).to_have_text("Nouveau")
    block = region(page, "Informations saisies")
    expect(summary_value(block, "Offre de service")).to_have_text(ODS2)
    expect(summary_value(block, "Motif")).to_have_text(SAISINE)
    expect(summary_value(block, "Personne concernée")).to_have_text(f"Madame {last_name.upper()} Jean-Marie")
    expect(summary_value(block, "Date de naissance")).to_have_text("05/10/1970")
    expect(summary_value(block, "Lieu de naissance")).to_have_text("33")
    expect(summary_value(block, "Téléphone")).to_have_text("06.00.00.00.00")
    expect(summary_value(block, "Commentaire")).to_have_text(comment)
    expect(summary_value(block, "Consentement de l'assuré")).to_have_text(CONSENT)
    expect(summary_value(block, "Accompagnement santé sollicité dans le cadre de")).to_have_text(RENUNCIATION)
    expect(summary_value(block, CARE).get_by_role("listitem")).to_have_text(["Chirurgie", "Pharmacie"])
    expect(summary_value(block, DURATION)).to_have_text("Plus d'1 an")
    expect(summary_value(block, CAUSES)).to_have_text("De transport")
    expect(region(page, "Réponse")).to_have_count(0)  # only once resolved
    expect(page.get_by_role("list", name="PJ envoyée(s)").get_by_role("listitem")).to_have_text(
        [f.name for f in files])
    expect(page.get_by_text("Aucune pièce jointe reçue.")).to_be_visible()

    # --- 4. « Compléter la demande »: in place with JS, its own page without.
    detail_url = page.url
    page.get_by_role("link", name="Compléter la demande").click()
    expect(page.get_by_role("heading", name="Compléter la demande", exact=True)).to_be_visible()
    if js:
        expect(page).to_have_url(detail_url)
        expect(page.get_by_role("heading", name="Compléter la demande", exact=True)).to_be_focused()
    else:
        expect(page).to_have_url(re.compile(f"/partenaires/demandes/{number}/completer"))
        expect(browser_page.h1()).to_have_text(f"Compléter la demande n° {number}")
    browser_page.check(shot="partenaires-completer")
    expect(page.get_by_text("5 supplémentaires maximum (3 pièces jointes déjà envoyées lors du dépôt)")
           ).to_be_visible()
    addition = f"Complément {tag()} : le justificatif de domicile est joint."
    page.get_by_label(re.compile(r"^Commentaires")).fill(addition)
    extra = tmp_path / "justificatif-domicile.jpg"
    extra.write_bytes(jpeg_bytes())
    add_files(browser_page, FILE_INPUT, [extra])
    expect(page.get_by_label(re.compile(r"^Commentaires"))).to_have_value(addition)
    page.get_by_role("button", name="Valider", exact=True).click()
    notice = page.get_by_text("La demande a bien été prise en compte.")
    expect(notice).to_be_visible()
    browser_page.check(shot="partenaires-complete")
    if js:
        # The whole detail redrawn in place; the message takes the focus.
        expect(page).to_have_url(detail_url)
        expect(notice).to_be_focused()
    expect(browser_page.h1()).to_have_text(f"Détail de la demande n° {number}")
    # The complement is a dated entry with its author, under the comment of the filing.
    written = summary_value(region(page, "Informations saisies"), "Commentaire")
    expect(written.locator("> .user-text")).to_have_text(comment)
    expect(written.locator(".case-entry-head")).to_have_text(
        re.compile(r"^Complément du \d\d/\d\d/\d{4} \d\dh\d\dmin par LAPIERRE Martine :$"))
    expect(written.locator(".case-entry .user-text")).to_have_text(addition)
    expect(page.get_by_role("list", name="PJ envoyée(s)").get_by_role("listitem")).to_have_text(
        [f.name for f in files] + [extra.name])
    expect(page.get_by_role("link", name="Compléter la demande")).to_be_visible()  # still Nouveau

    page.get_by_role("link", name="Revenir à l’historique").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Historique des demandes")


# --- 5. Cancelling a request -------------------------------------------------------------------

def test_cancelling_a_new_request(browser_page):
    page = browser_page.page
    js = browser_page.js
    last_name = f"ANNULE-{tag().upper()}"
    number = file_request_directly(browser_page.server, VICTOR, **person_fields(last_name))
    enter_gironde(browser_page, VICTOR)
    open_history(browser_page)
    search_history(browser_page, last_name)
    expect(history_rows(page).get_by_role("cell").nth(5)).to_have_text("Nouveau")
    history_rows(page).get_by_role("link", name=f"Consulter le détail n° {number}").click()
    browser_page.check()
    detail_url = page.url

    page.get_by_role("link", name="Annuler la demande").click()
    title = page.get_by_role("heading", name=f"Annulation de la demande n° {number}.")
    expect(title).to_be_visible()
    if js:
        expect(page).to_have_url(detail_url)
        expect(title).to_be_focused()
    else:
        expect(page).to_have_url(re.compile(f"/partenaires/demandes/{number}/annuler"))
    browser_page.check(shot="partenaires-annuler")

    # Nothing chosen: both fields are asked for.
    page.get_by_role("button", name="VALIDER", exact=True).click()
    expect(page.locator(".error-summary")).to_be_visible()
    browser_page.check(shot="partenaires-annuler-erreur")
    expect_error_summary(browser_page, "Sélectionnez le motif de l'annulation.",
                         "Cochez « Je confirme l'annulation » pour annuler la demande.")
    if js:
        expect(page).to_have_url(detail_url)

    # « Annuler » of the form brings the two actions back, nothing cancelled.
    page.get_by_role("main").get_by_role("link", name="Annuler", exact=True).click()
    expect(page.get_by_role("link", name="Annuler la demande")).to_be_visible()
    if js:
        expect(page.get_by_role("link", name="Annuler la demande")).to_be_focused()
    browser_page.check()
    expect(summary_value(region(page, "La demande"), "Statut de la demande")).to_have_text("Nouveau")

    page.get_by_role("link", name="Annuler la demande").click()
    page.get_by_label(re.compile(r"^Sélectionner le motif de l'annulation")).select_option(
        label="Demande faite par erreur")
    page.get_by_label("Je confirme l'annulation").check()
    page.get_by_role("button", name="VALIDER", exact=True).click()
    expect(browser_page.h1()).to_have_text("Historique des demandes")
    browser_page.check()
    expect(page.get_by_text("La demande a été automatiquement supprimée de la liste des demandes affichées "
                            "dans l'historique des demandes.")).to_be_visible()
    search_history(browser_page, last_name, expected_total="0 demande")
    expect(page.get_by_text("Aucune demande ne correspond à votre recherche.")).to_be_visible()
    search_history(browser_page, number, expected_total="0 demande")
    browser_page.goto(f"/partenaires/demandes/{number}", status=404)


# --- 6, 7. The agent answers, the technician reads the answer -----------------------------------

def test_agent_takes_in_charge_and_resolves_then_technician_downloads_the_answer(browser_page, tmp_path):
    page = browser_page.page
    last_name = f"REPONSE-{tag().upper()}"
    number = file_request_directly(browser_page.server, VICTOR, **person_fields(last_name, "Hélène"))

    # --- 6. The agent of CPAM GIRONDE.
    browser_page.log_in(AGENT_GIRONDE)
    page.get_by_role("link", name="Demandes des structures partenaires").click()
    browser_page.check(shot="partenaires-agent-file")
    expect(browser_page.h1()).to_have_text("Demandes Espace Partenaires")
    search = page.get_by_label("Rechercher", exact=True)
    search.fill(last_name.lower())
    search.press("Enter")
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(1)
    expect(page.locator(".queue-total").first).to_have_text("1 demande")
    browser_page.check()
    expect(rows.get_by_role("cell")).to_have_text([
        number, ODS4, "Centre communal d’action sociale de Bordeaux", "CHAUSSON Victor",
        f"Madame {last_name} Hélène", re.compile(r"^\d\d/\d\d/\d{4} \d\dh\d\dmin$"), "Nouveau"])
    rows.get_by_role("link", name=number).click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text(f"Demande N°{number}")
    status = page.locator("#demande-suivi .status")
    expect(status).to_have_text("Nouveau")
    expect(summary_value(page.locator("#demande-personne").locator(".."), "Nom")).to_have_text(last_name)
    expect(page.get_by_role("button", name="Résoudre")).to_have_count(0)

    page.get_by_role("button", name="Prendre en charge").click()
    expect(status).to_have_text("Pris en charge")
    # In the polite live region of the page (with JS the form that had the focus is gone).
    expect(page.get_by_role("status").filter(has_text=(
        f"La demande N°{number} est prise en charge. Le demandeur en a été informé par courriel."))).to_be_visible()
    browser_page.check()
    expect(page.get_by_role("button", name="Prendre en charge")).to_have_count(0)

    answer = f"Les droits de Madame {last_name} sont ouverts depuis le 1er du mois ({tag()})."
    page.get_by_label(re.compile(r"^Réponse")).fill(answer)
    reply = tmp_path / f"reponse-{tag()}.pdf"
    reply_content = pdf_bytes(2500)
    reply.write_bytes(reply_content)
    add_files(browser_page, FILE_INPUT, [reply])
    expect(page.get_by_label(re.compile(r"^Réponse"))).to_have_value(answer)
    browser_page.check(shot="partenaires-agent-demande")
    page.get_by_role("button", name="Résoudre", exact=True).click()
    expect(status).to_have_text("Résolu")
    expect(page.get_by_role("status").filter(has_text=f"La demande N°{number} est résolue.")).to_be_visible()
    browser_page.check(shot="partenaires-agent-demande-resolue")
    expect(page.locator("#demande-reponse")).to_have_text(answer)
    expect(page.get_by_role("list", name="Pièces jointes de la réponse").get_by_role("link", name=reply.name)
           ).to_be_visible()
    expect(page.get_by_role("button", name="Résoudre", exact=True)).to_have_count(0)

    # The technician's emails, in the dev mailbox.
    browser_page.goto("/dev/courriels")
    taken_subject = f"Espace Partenaires : votre demande N°{number} a été prise en charge"
    row = page.get_by_role("row").filter(has_text=VICTOR).filter(has_text=taken_subject)
    expect(row).to_have_count(1)
    row.get_by_role("link", name=taken_subject).click()
    browser_page.check(shot="partenaires-courriel-prise-en-charge")
    body = page.locator(".mail-body")
    for line in ["Bonjour Victor CHAUSSON,", f"Je vous informe que votre demande N°{number} a été prise en charge.",
                 "Vous recevrez une réponse dans les meilleurs délais.", "Bien cordialement.",
                 "Votre conseiller Assurance Maladie"]:
        expect(body).to_contain_text(line)
    page.get_by_role("link", name="Retour à la boîte de réception").click()
    browser_page.check()
    resolved_subject = f"Espace Partenaires : une réponse a été apportée à votre demande N°{number}"
    page.get_by_role("row").filter(has_text=VICTOR).get_by_role("link", name=resolved_subject).click()
    browser_page.check()
    expect(body).to_contain_text(f"Une réponse a été apportée à votre demande N°{number}.")
    expect(body).to_contain_text("Historique des demandes")
    # The answer's link first, then the service footer's link to the site.
    expect(body.get_by_role("link")).to_have_count(2)
    expect(body.get_by_role("link").first).to_have_attribute("href", browser_page.server.url + "/partenaires/demandes")

    # --- 7. The technician reads the answer and downloads the file.
    log_out(browser_page)
    enter_gironde(browser_page, VICTOR)
    open_history(browser_page)
    apply_history(browser_page, "statut=resolu", Statut="Résolu")
    search_history(browser_page, last_name)
    expect(history_rows(page).get_by_role("cell").nth(5)).to_have_text("Résolu")
    history_rows(page).get_by_role("link", name=f"Consulter le détail n° {number}").click()
    browser_page.check(shot="partenaires-detail-resolu")
    expect(summary_value(region(page, "La demande"), "Statut de la demande")).to_have_text("Résolu")
    expect(region(page, "Réponse")).to_contain_text(answer)
    expect(page.get_by_role("link", name="Compléter la demande")).to_have_count(0)
    expect(page.get_by_role("link", name="Annuler la demande")).to_have_count(0)
    expect(page.get_by_text("Aucune pièce jointe envoyée.")).to_be_visible()
    received = page.get_by_role("list", name="PJ reçue(s)")
    link = received.get_by_role("link", name=reply.name, exact=True)
    expect(link).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Téléchargement possible jusqu’au \d\d/\d\d/\d{4}"))).to_be_visible()
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == reply.name
    assert download.failure() is None
    assert Path(download.path()).read_bytes() == reply_content
    browser_page.check()  # still the detail page
    expect(browser_page.h1()).to_have_text(f"Détail de la demande n° {number}")
