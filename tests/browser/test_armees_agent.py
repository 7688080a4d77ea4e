"""Portail Des Aides, the Igesa agent end to end, with JavaScript on and off (axe on every page of
the JS pass): finding an application in the queue, « Commencer l’instruction », « Demander un
complément » (the mail with its link), « Accorder » with the decision letter (the mail with the PDF,
the letter downloaded by the agent, then by the ressortissant from « Mes documents reçus »), and the
catalogue's publication.

Both runs share the live database (seeded by core.demo): each run works on its own ressortissant,
told apart by a random name."""
import io
import re
import uuid
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.browser.conftest import PASSWORD, expect, expect_error_summary
from tests.armees.test_agent import DATA

pytestmark = pytest.mark.browser

AGENT = "agent.igesa@demo.guichet.fr"


def _application(server, last_name):
    """A transmitted application (« Prise en charge ») of a new ressortissant; its reference."""
    from core.demo import DEMO_PASSWORD  # noqa: F401  (the agent's password, below)
    from extensions import db
    from models import Organisation, User
    from tests import factories
    email = server.create_user(first_name="Hélène", last_name=last_name)
    with server.app.app_context():
        member = User.query.filter_by(email=email).one()
        org = Organisation.query.filter_by(portal="armees", code="IGESA").one()
        agent = User.query.filter_by(email=AGENT).one()
        application = factories.armees_application(member, org, state="prise-en-charge", agent=agent, data=DATA)
        db.session.commit()
        reference = application.reference
        db.session.remove()
    return email, reference


def test_agent_instructs_asks_a_complement_and_grants_with_a_letter(browser_page):
    from core.demo import DEMO_PASSWORD
    page = browser_page.page
    last_name = f"VERDIER-{uuid.uuid4().hex[:6].upper()}"
    email, reference = _application(browser_page.server, last_name)

    browser_page.log_in(AGENT, password=DEMO_PASSWORD)
    page.get_by_role("link", name="Demandes de prestation").click()
    browser_page.check(shot="armees-agent-file")
    expect(browser_page.h1()).to_have_text("Demandes de prestation")
    search = page.get_by_label("Rechercher", exact=True)
    search.fill(last_name.lower())
    search.press("Enter")
    rows = page.locator("#armees-file tbody tr")
    expect(rows).to_have_count(1)
    browser_page.check()
    expect(rows.get_by_role("cell")).to_have_text([
        reference, "Aide à la garde des jeunes enfants", f"{last_name} Hélène",
        re.compile(r"^\d\d/\d\d/\d{4}$"), "Prise en charge"])
    rows.get_by_role("link", name=reference).click()
    browser_page.check(shot="armees-agent-demande")
    expect(browser_page.h1()).to_have_text(f"Demande {reference}")
    status = page.locator("#armees-suivi .status")
    expect(status).to_have_text("Prise en charge")
    expect(page.get_by_text("FR76 3000 6000 0112 3456 7890 189")).to_be_visible()  # the whole IBAN
    expect(page.get_by_role("button", name="Accorder")).to_have_count(0)

    # « Commencer l’instruction »
    page.get_by_role("button", name="Commencer l’instruction").click()
    expect(status).to_have_text("Instruction en cours")
    expect(page.get_by_role("status").filter(has_text=f"L’instruction de la demande {reference} est commencée.")
           ).to_be_visible()
    browser_page.check()
    expect(page.get_by_role("button", name="Commencer l’instruction")).to_have_count(0)

    # « Demander un complément »: refused without an object, then sent.
    page.get_by_label("Document demandé n°1").select_option(label="Livret de famille")
    page.get_by_label("Motif pour le document n°1").select_option(label="Document illisible")
    page.get_by_role("button", name="Demander un complément").click()
    expect_error_summary(browser_page, "Saisissez l’objet de la demande de complément.")
    browser_page.check()
    expect(page.get_by_label("Document demandé n°1")).to_have_value("livret-famille")  # kept
    page.get_by_label("Objet de la demande").fill("Livret de famille illisible")
    page.get_by_role("button", name="Demander un complément").click()
    expect(page.get_by_role("status").filter(has_text="La demande de complément est envoyée")).to_be_visible()
    browser_page.check()
    complements = page.locator("#armees-complements tbody tr")
    expect(complements).to_have_count(1)
    expect(complements).to_contain_text("Livret de famille (Document illisible)")
    expect(complements).to_contain_text("En attente de réponse")

    # « Accorder » with the letter.
    page.get_by_label("Montant accordé").fill("1 200,50")
    page.get_by_role("button", name="Accorder").click()
    expect(status).to_have_text("Instruction terminée – Accordée")
    expect(page.get_by_role("status").filter(has_text=f"La demande {reference} est accordée.")).to_be_visible()
    browser_page.check(shot="armees-agent-accordee")
    expect(page.get_by_role("button", name="Accorder")).to_have_count(0)
    expect(page.get_by_role("button", name="Enregistrer un paiement")).to_be_visible()
    letter = page.locator("#armees-documents").get_by_role("link", name=f"decision-accord-{reference}.pdf")
    with page.expect_download() as download_info:
        letter.click()
    download = download_info.value
    assert download.suggested_filename == f"decision-accord-{reference}.pdf"
    text = PdfReader(io.BytesIO(Path(download.path()).read_bytes())).pages[0].extract_text().replace("\u00a0", " ")
    assert f"Hélène {last_name}" in text and "1 200,50 €" in text and reference in text

    # The ressortissant's mails, in the dev mailbox.
    link = browser_page.mail_link(email, "Demande de complément")
    assert re.search(r"/armees/demandes/\d+/complements/\d+$", link.get_attribute("href"))
    page.get_by_role("link", name="Retour à la boîte de réception").click()
    browser_page.check()
    subject = "Décision d’accord – Aide à la garde des jeunes enfants"
    page.get_by_role("row").filter(has_text=email).get_by_role("link", name=subject).click()
    browser_page.check()
    expect(page.locator(".mail-body")).to_contain_text(reference)

    # The ressortissant logs in and downloads the letter from « Mes documents reçus ».
    page.get_by_role("navigation", name="Compte").get_by_role("button", name="Se déconnecter").click()
    browser_page.check()
    browser_page.goto("/armees/espace/documents-recus")  # asks to log in first, then comes back
    expect(browser_page.h1()).to_have_text("Se connecter")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/armees/espace/documents-recus$"))
    expect(browser_page.h1()).to_have_text("Mes documents reçus")
    browser_page.check()
    received = page.get_by_role("row").filter(has_text="Décision d’accord")
    expect(received).to_contain_text(f"Aide à la garde des jeunes enfants ({reference})")
    with page.expect_download() as download_info:
        received.get_by_role("button", name=re.compile("^Télécharger le document")).click()
    download = download_info.value
    assert download.suggested_filename == f"decision-accord-{reference}.pdf"
    text = PdfReader(io.BytesIO(Path(download.path()).read_bytes())).pages[0].extract_text().replace("\u00a0", " ")
    assert f"Hélène {last_name}" in text and "1 200,50 €" in text


def test_agent_unpublishes_and_publishes_a_benefit(browser_page):
    from core.demo import DEMO_PASSWORD
    page = browser_page.page
    browser_page.log_in(AGENT, password=DEMO_PASSWORD)
    page.get_by_role("link", name="Catalogue des prestations").click()
    browser_page.check(shot="armees-agent-catalogue")
    row = page.locator("#prestation-pret-installation")
    expect(row.locator(".status")).to_have_text("Publiée")
    row.get_by_role("button", name=re.compile("^Retirer de la publication")).click()
    expect(row.locator(".status")).to_have_text("Non publiée")
    expect(page.get_by_role("status").filter(has_text="n’est plus proposée aux ressortissants")).to_be_visible()
    browser_page.check()
    row.get_by_role("button", name=re.compile("^Publier")).click()
    expect(row.locator(".status")).to_have_text("Publiée")
    browser_page.check()


@pytest.mark.parametrize("width", [320, 800])
def test_small_screens_show_cards_and_never_scroll_sideways(browser_page, width):
    from core.demo import DEMO_PASSWORD
    from tests.browser.test_small_screens import OVERFLOW
    page = browser_page.page
    last_name = f"ETROIT-{uuid.uuid4().hex[:6].upper()}"
    _, reference = _application(browser_page.server, last_name)
    page.set_viewport_size({"width": width, "height": 720})
    browser_page.log_in(AGENT, password=DEMO_PASSWORD)
    for path in ("/agent/armees/demandes/", "/agent/armees/demandes/?statut=tous", "/agent/armees/catalogue"):
        browser_page.goto(path)
        assert page.evaluate(OVERFLOW) is None, path
    browser_page.goto("/agent/armees/demandes/?recherche=" + last_name)
    row = page.locator("#armees-file tbody tr")
    expect(row).to_have_count(1)
    # Below 600 px each cell says what it is (the table head is hidden), in CSS.
    label = page.evaluate("""() => getComputedStyle(document.querySelector('#armees-file td:nth-child(3)'),
                                                      '::before').content""")
    assert label == ('"Ressortissant"' if width < 600 else "none")
    row.get_by_role("link", name=reference).click()
    browser_page.check()
    assert page.evaluate(OVERFLOW) is None
