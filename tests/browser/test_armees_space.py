"""Portail Des Aides personal space in a browser (slice SPACE), JavaScript on and off, axe on every
page with JS: « Mes informations » edited with the professional cascade (the organisation select
of an établissement public) and the commune search; a porte-documents file added then deleted with
the bin button and its confirmation."""
import re

from tests.browser.conftest import expect, pick_commune, unique_email

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def ressortissant(live_server, transmitted=True):
    """A citizen with « Mes informations » as after a first transmitted application; its email."""
    from extensions import db
    from models import User
    from tests import factories
    email = live_server.create_user(unique_email("ressortissant"), first_name="Éloïse", last_name="Lefèvre")
    with live_server.app.app_context():
        factories.armees_profile(User.query.filter_by(email=email).one(), transmitted=transmitted)
        db.session.commit()
        db.session.remove()
    return email


def wait_settled(page, timeout_ms=10_000):
    """Until htmx said `htmx:afterSettle` (polled from here: the page's CSP forbids the string
    evaluation `wait_for_function` relies on)."""
    for _ in range(timeout_ms // 50):
        if page.evaluate("window.settled === true"):
            return
        page.wait_for_timeout(50)
    raise AssertionError("htmx n’a pas fini de remplacer la situation professionnelle")


def choose(browsing, label, option):
    """A cascade level: with JS the next level comes by itself; without, « Actualiser »."""
    page = browsing.page
    if browsing.js:
        # Wait until htmx has settled the answer: a select swapped in is wired a moment after it
        # appears, and a robot (unlike a person) could change it within that moment.
        page.evaluate("window.settled = false; document.body.addEventListener('htmx:afterSettle', "
                      "() => { window.settled = true; }, {once: true})")
        page.get_by_label(label).select_option(label=option)
        wait_settled(page)
    else:
        page.get_by_label(label).select_option(label=option)
        page.get_by_role("button", name="Actualiser : catégorie de ressortissant").click()
        browsing.check()
    expect(page.get_by_label(label)).to_have_value(re.compile(".+"))


def test_edit_mes_informations_with_the_cascade_and_the_commune_search(browser_page, live_server):
    page = browser_page.page
    email = ressortissant(live_server)
    browser_page.log_in(email)
    browser_page.goto("/armees/espace/mes-informations")
    expect(browser_page.h1()).to_have_text("Mes informations")
    page.get_by_role("link", name="Éditer").click()
    browser_page.check(shot="armees-informations-edition")
    expect(browser_page.h1()).to_have_text("Modifier mes informations")

    page.get_by_label("Portable").fill("06 11 22 33 44")
    choose(browser_page, "Catégorie de ressortissant", "Personnel civil en activité")
    if browser_page.js:  # the next level came in place, with the focus
        expect(page.get_by_label("Catégorie hiérarchique")).to_be_focused()
    expect(page.get_by_label("Portable")).to_have_value("06 11 22 33 44")  # kept either way
    choose(browser_page, "Catégorie hiérarchique", "Catégorie A")
    choose(browser_page, "Autorité d’emploi", "Établissement public ou organisme sous convention")
    organisation = page.get_by_label("Organisme")
    expect(organisation).to_be_visible()
    organisation.select_option(label="Musée de l’Armée")

    search = page.get_by_label("Code postal/Ville")
    search.fill("")
    pick_commune(browser_page, "Code postal/Ville", "33100", "Bordeaux (33100)",
                 kept=lambda: expect(page.get_by_label("Organisme")).to_have_value("Musée de l’Armée"))
    page.get_by_label("Non").check()
    page.get_by_label("Situation familiale").select_option(label="Pacsé(e)")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    browser_page.check(shot="armees-informations-a-valider")
    expect(browser_page.h1()).to_have_text("Confirmer mes informations")
    expect(page.locator("#informations-a-valider")).to_contain_text("Musée de l’Armée")
    page.get_by_role("button", name="Valider").click()

    browser_page.check(shot="armees-informations-enregistrees")
    expect(browser_page.h1()).to_have_text("Mes informations")
    expect(page.locator("#messages")).to_contain_text("Vos informations ont été enregistrées.")
    summary = page.locator("main .summary-list").first
    expect(summary).to_contain_text("06 11 22 33 44")
    expect(summary).to_contain_text("33100 Bordeaux")
    expect(summary).to_contain_text("Personnel civil en activité")
    expect(summary).to_contain_text("Musée de l’Armée")
    expect(summary).to_contain_text("Pacsé(e)")


def test_add_then_delete_a_porte_documents_file(browser_page, live_server, tmp_path):
    page = browser_page.page
    pdf = tmp_path / "bulletin-janvier.pdf"
    pdf.write_bytes(PDF)
    email = ressortissant(live_server)
    browser_page.log_in(email)
    browser_page.goto("/armees/espace/porte-documents")
    expect(browser_page.h1()).to_have_text("Mon porte-documents")
    expect(page.locator("#justificatifs")).to_contain_text("Votre porte-documents est vide.")

    page.get_by_label("Type de justificatif").select_option(label="Bulletin de rémunération")
    page.get_by_label(re.compile("^Justificatif")).set_input_files(str(pdf))
    page.get_by_role("button", name="Ajouter", exact=True).click()
    browser_page.check(shot="armees-porte-documents")
    expect(page.locator("#messages")).to_contain_text("Le fichier « bulletin-janvier.pdf » a été ajouté")
    expect(page.locator("#justificatifs").get_by_role("link", name="bulletin-janvier.pdf")).to_be_visible()

    page.get_by_role("button", name="Supprimer bulletin-janvier.pdf").click()
    if browser_page.js:  # asked in the row, same page
        expect(page.locator("#justificatifs")).to_contain_text("Supprimer le fichier « bulletin-janvier.pdf »")
        browser_page.check()
    else:
        browser_page.check(shot="armees-porte-documents-confirmation")
        expect(browser_page.h1()).to_have_text("Supprimer un justificatif")
    page.get_by_role("button", name=re.compile("^Confirmer la suppression")).click()
    if not browser_page.js:
        browser_page.check()
    expect(page.locator("#justificatifs")).to_contain_text("Votre porte-documents est vide.")
    expect(page.get_by_text("Le fichier « bulletin-janvier.pdf » a été supprimé de votre porte-documents.")
           ).to_be_visible()
    if browser_page.js:
        browser_page.check()


def test_move_the_main_address_abroad(browser_page, live_server):
    page = browser_page.page
    email = ressortissant(live_server)
    browser_page.log_in(email)
    browser_page.goto("/armees/espace/mes-informations?editer=1")
    country = page.get_by_label(re.compile("^Pays"), exact=False).and_(page.locator("select#country"))
    expect(country).to_be_hidden()  # in France, no country to choose
    if browser_page.js:
        page.evaluate("window.settled = false; document.body.addEventListener('htmx:afterSettle', "
                      "() => { window.settled = true; }, {once: true})")
        page.get_by_label("A l’étranger").check()
        wait_settled(page)
    else:
        page.get_by_label("A l’étranger").check()
        page.get_by_role("button", name="Actualiser : pays du domicile").click()
        browser_page.check()
    expect(page.get_by_label("Code postal/Ville")).to_have_count(0)
    page.get_by_label("Ville", exact=False).and_(page.locator("#city")).fill("Djibouti")
    expect(country).to_be_visible()
    country.select_option(label="Djibouti")
    page.get_by_label("N° et libellé de la voie").fill("Base aérienne 188")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    browser_page.check()
    expect(page.locator("#informations-a-valider")).to_contain_text("Base aérienne 188, Djibouti, Djibouti")
    page.get_by_role("button", name="Valider").click()
    browser_page.check()
    expect(page.locator("main .summary-list").first).to_contain_text("Base aérienne 188, Djibouti, Djibouti")


def test_the_space_pages_and_the_account_menu(browser_page, live_server):
    """Every page of the space passes axe; the first name opens « Mon espace »; the tabs; a decision
    downloaded from « Mes documents reçus » makes the notice go."""
    import uuid

    from extensions import db
    from models import User
    from tests import factories
    page = browser_page.page
    email = ressortissant(live_server)
    with live_server.app.app_context():
        owner = User.query.filter_by(email=email).one()
        org = factories.organisation(portal="armees", code=f"IG{uuid.uuid4().hex[:6]}", name="Igesa")
        agent = factories.user(email=unique_email("agent"), role="agent", organisation=org)
        application = factories.armees_application(owner, org, state="terminee", agent=agent)
        factories.armees_received(application, title="Décision d’attribution")
        db.session.commit()
        db.session.remove()
    browser_page.log_in(email)
    browser_page.goto("/armees/espace/", shot="armees-espace")
    expect(page.locator("#nouveaux-documents")).to_have_text("Un nouveau document est disponible.")

    page.locator("details.armees-menu summary").click()
    page.get_by_role("link", name="Mon espace", exact=True).click()
    browser_page.check(shot="armees-mon-espace")
    expect(page.locator("#onglet")).to_contain_text("Éloïse")
    page.get_by_role("link", name="Mes demandes de prestation d’action sociale").click()
    if not browser_page.js:
        browser_page.check()
    row = page.locator("#onglet tbody tr").first
    expect(row).to_contain_text("Instruction terminée (accordée)")
    if browser_page.js:
        expect(page).to_have_url(re.compile(r"onglet=demandes$"))
        browser_page.check()

    browser_page.goto("/armees/espace/documents-recus", shot="armees-documents-recus")
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("^Télécharger le document")).click()
    assert download.value.suggested_filename == "decision.pdf"
    browser_page.goto("/armees/espace/")
    expect(page.locator("#nouveaux-documents")).to_have_count(0)
