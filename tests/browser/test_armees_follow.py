"""Portail Des Aides, « Suivre mes demandes » in a browser, with and without JavaScript (axe on every
page with JavaScript): answer a complement request with a file, see it « Envoyé » and the envelope's
number go; duplicate an application « Instruction terminée »."""
import re

import pytest

from tests.browser.conftest import add_files, expect
from tests.armees.test_follow import DATA

pytestmark = pytest.mark.browser


def armees_member(live_server, state, decision=None, complement=False):
    """A ressortissant with one application in `state` (and a complement request); (email, application
    id, reference)."""
    from extensions import db
    from models import Organisation, Role, User
    from tests import factories
    email = live_server.create_user(first_name="Éloïse", last_name="Lefèvre")
    with live_server.app.app_context():
        org = Organisation.query.filter_by(portal="armees", code="IGESA").one()
        agent = User.query.filter_by(role=Role.AGENT, organisation_id=org.id).first()
        owner = User.query.filter_by(email=email).one()
        application = factories.armees_application(owner, org, state=state, decision=decision, agent=agent,
                                                   data=DATA)
        if complement:
            factories.armees_complement(application, "Avis d’imposition illisible",
                                        documents=[{"label": "Avis d’imposition", "reason": "illisible"}])
        db.session.commit()
        result = email, application.id, application.reference
        db.session.remove()
    return result


def test_answer_a_complement_request(browser_page, live_server, tmp_path):
    page = browser_page.page
    email, application_id, reference = armees_member(live_server, "instruction", complement=True)
    browser_page.log_in(email, path="/armees/demandes/")
    browser_page.check(shot="armees-suivre-mes-demandes")
    expect(browser_page.h1()).to_have_text("Suivre mes demandes de prestation")
    row = page.locator(f"#demande-{application_id}")
    envelope = row.get_by_role("link", name="1 demande de complément sans réponse")
    expect(envelope).to_be_visible()
    envelope.click()
    browser_page.check(shot="armees-demande-de-complement")
    expect(browser_page.h1()).to_have_text("Demande de complément de pièces")
    expect(page.locator("#complement-etat")).to_have_text("En attente de réponse")
    asked = page.locator("#complement-date").inner_text()

    page.get_by_role("link", name="Répondre").click()
    if browser_page.js:  # opened in place, focus on its heading
        expect(page.get_by_role("heading", name="Répondre", level=2)).to_be_focused()
    browser_page.check(shot="armees-repondre")
    proof = tmp_path / "avis-imposition.pdf"
    proof.write_bytes(b"%PDF-1.4\n%%EOF\n")
    add_files(browser_page, "Ajouter un ou plusieurs fichiers", [proof])
    page.get_by_role("button", name="Valider", exact=True).last.click()
    browser_page.check(shot="armees-complement-envoye")
    expect(page.locator(".notice--success")).to_contain_text("Votre réponse a bien été envoyée")
    expect(page.locator("#complement-etat")).to_have_text("Envoyé")
    expect(page.get_by_role("link", name="Répondre")).to_have_count(0)
    sent = page.locator("#complement-date").inner_text()
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\dh\d\dmin", sent) and page.get_by_text(
        "Date et heure de l’envoi").count() == 1, (asked, sent)

    page.get_by_role("link", name="Précédent").click()
    browser_page.check()
    row = page.locator(f"#demande-{application_id}")
    expect(row.get_by_role("link", name="Demande de complément, répondue")).to_be_visible()
    expect(row.locator(".envelope-count")).to_have_count(0)

    # The answer is among the application's documents.
    row.get_by_role("link", name=f"Suivi de la demande d’aide {reference}").click()
    browser_page.check()
    page.get_by_role("link", name="Documents", exact=True).click()
    browser_page.check(shot="armees-documents")
    expect(page.get_by_role("link", name="Documents", exact=True)).to_have_attribute("aria-current", "page")
    expect(page.locator("#onglet tbody tr")).to_have_count(1)
    expect(page.locator("#onglet tbody")).to_contain_text("avis-imposition.pdf")


def test_duplicate_a_finished_application(browser_page, live_server):
    page = browser_page.page
    email, application_id, reference = armees_member(live_server, "terminee", decision="refusee")
    browser_page.log_in(email, path="/armees/demandes/")
    row = page.locator(f"#demande-{application_id}")
    expect(row.get_by_role("cell").nth(1)).to_have_text("Instruction terminée – refusée")
    expect(row.get_by_role("link", name=re.compile("^Paiements effectués"))).to_have_count(0)
    row.get_by_role("button", name=f"Dupliquer la demande {reference}").click()
    browser_page.check(require_h1=False)  # the wizard (its own slice), resuming the new draft
    expect(page).to_have_url(re.compile(r"/armees/demandes/\d+/saisie/"))
    copy_id = int(re.search(r"/demandes/(\d+)/saisie/", page.url).group(1))
    assert copy_id != application_id

    browser_page.goto("/armees/demandes/")
    copy = page.locator(f"#demande-{copy_id}")
    expect(copy.get_by_role("cell").nth(1)).to_have_text("En cours de création")
    expect(copy.get_by_role("link", name=re.compile("^Accéder à la demande"))).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(2)

    # The draft can be deleted (in place with JavaScript, a page of its own without).
    copy.get_by_role("link", name=re.compile("^Supprimer")).click()
    if browser_page.js:
        expect(page.get_by_role("heading", level=2, name=re.compile("^Supprimer la demande"))).to_be_focused()
    browser_page.check(shot="armees-supprimer")
    page.get_by_role("button", name="Supprimer la demande").click()
    browser_page.check()
    expect(page.locator(".notice--success")).to_contain_text("a été supprimée")
    expect(page.locator("tbody tr")).to_have_count(1)
