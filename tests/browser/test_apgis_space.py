"""Apgis Espace Assuré in a browser (slice DIT), JavaScript on and off, axe on every page of the JS
pass: the postal address changed with a supporting document (a DIT), validated by the manager, then
shown; a « Devis dentaire » transmitted; a question asked, answered by the manager, and the answer
read in « Suivi ».

Both runs share the live database (seeded by core.demo): each run works on its own insured, told
apart by a random name."""
import re
import uuid

import pytest

from tests.browser.conftest import PASSWORD, add_files, expect, pick_commune

pytestmark = pytest.mark.browser

MANAGER = "gestionnaire.apgis@demo.guichet.fr"


def insured(server):
    """A new insured of the demo's Apgis (collective contract, an address in Bordeaux): email, last name."""
    from datetime import date

    from extensions import db
    from models import Organisation, User
    from models.apgis import ApgisInsured
    last_name = f"LAMY-{uuid.uuid4().hex[:6].upper()}"
    email = server.create_user(first_name="Inès", last_name=last_name)
    with server.app.app_context():
        user = User.query.filter_by(email=email).one()
        org = Organisation.query.filter_by(portal="apgis", code="APGIS").one()
        db.session.add(ApgisInsured(user=user, organisation_id=org.id, member_number=uuid.uuid4().hex[:12].upper(),
                                    contract_name="Santé Entreprise", affiliated_since=date(2021, 1, 1),
                                    address_line1="8 cours Pasteur", postcode="33000", insee="33063", city="Bordeaux",
                                    health_account_holder=f"Inès {last_name}", health_bic="AGRIFRPPXXX",
                                    health_iban="FR7630006000011234567890189", health_insurance_link=True))
        db.session.commit()
        db.session.remove()
    return email, last_name


def proof(tmp_path, name="justificatif.pdf"):
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n" + uuid.uuid4().hex.encode() + b"\n%%EOF\n")
    return path


def log_out(browsing):
    browsing.page.get_by_role("navigation", name="Compte").get_by_role("button", name="Se déconnecter").click()
    browsing.check()


def manager_opens(browsing, queue_link, reference, table):
    from core.demo import DEMO_PASSWORD
    page = browsing.page
    browsing.log_in(MANAGER, password=DEMO_PASSWORD)
    browsing.goto("/agent/")
    page.get_by_role("link", name=queue_link).first.click()
    browsing.check()
    search = page.get_by_label("Rechercher", exact=True)
    search.fill(reference)
    search.press("Enter")
    rows = page.locator(f"#{table} tbody tr")
    expect(rows).to_have_count(1)
    browsing.check()
    rows.get_by_role("link", name=reference).click()
    browsing.check()


def test_address_changed_with_a_document_then_validated(browser_page, tmp_path):
    page = browser_page.page
    email, last_name = insured(browser_page.server)
    browser_page.goto("/apgis/", shot="apgis-accueil")
    expect(page.get_by_role("heading", name="Accès à votre Espace Assuré")).to_be_visible()
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    browser_page.check(shot="apgis-espace")
    expect(browser_page.h1()).to_have_text("Mon Espace Assuré")

    menu = page.get_by_role("navigation", name="Menu Espace Assuré")
    menu.get_by_role("link", name="Mes données personnelles").click()
    browser_page.check(shot="apgis-donnees")
    page.get_by_role("link", name="Modifier l’adresse postale").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Modifier mon adresse postale")
    page.get_by_label("N° et libellé de la voie").fill("27 quai des Chartrons")
    street = page.get_by_label("N° et libellé de la voie")
    pick_commune(browser_page, "Code postal et ville (adresse en France)", "33300", "Bordeaux (33300)",
                 kept=lambda: expect(street).to_have_value("27 quai des Chartrons"))
    add_files(browser_page, "Ajouter un ou plusieurs fichiers", [proof(tmp_path, "facture-energie.pdf")])
    expect(page.get_by_label("N° et libellé de la voie")).to_have_value("27 quai des Chartrons")
    page.get_by_role("button", name="Envoyer la demande").click()
    browser_page.check(shot="apgis-dit-en-attente")
    pending = page.locator("#en-attente-adresse")
    expect(pending).to_contain_text("En attente de validation")
    expect(page.locator("#adresse-actuelle")).to_contain_text("8 cours Pasteur")  # not changed yet
    reference = re.search(r"DIT-\d{4}-\d{6}", pending.inner_text()).group(0)
    log_out(browser_page)

    manager_opens(browser_page, "Demandes d’intervention (DIT)", reference, "apgis-file")
    expect(browser_page.h1()).to_have_text(f"Demande {reference}")
    expect(page.locator("#demande-contenu")).to_contain_text("27 quai des Chartrons")
    expect(page.locator(".attachment-list").get_by_role("link", name="facture-energie.pdf")).to_be_visible()
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("#etat-demande")).to_have_text("Validée")
    browser_page.check(shot="apgis-dit-validee")
    expect(page.get_by_role("button", name="Valider")).to_have_count(0)
    log_out(browser_page)

    browser_page.log_in(email)
    browser_page.goto("/apgis/mes-donnees")
    expect(page.locator("#adresse-actuelle")).to_contain_text("27 quai des Chartrons")
    expect(page.locator("#adresse-actuelle")).to_contain_text("33300 Bordeaux")
    expect(page.locator("#en-attente-adresse")).to_have_count(0)


def test_transmit_a_dental_estimate(browser_page, tmp_path):
    page = browser_page.page
    email, _ = insured(browser_page.server)
    browser_page.log_in(email)
    browser_page.goto("/apgis/l-apgis-et-moi")
    page.get_by_role("link", name="Transmettre un document").click()
    browser_page.check(shot="apgis-transmettre")
    page.get_by_role("button", name="Transmettre").click()
    browser_page.check()
    expect(page.locator(".error-summary")).to_contain_text("Sélectionnez la nature du document.")
    page.get_by_label("Nature du document").select_option(label="Devis dentaire")
    add_files(browser_page, "Ajouter un ou plusieurs fichiers", [proof(tmp_path, "devis-dentaire.pdf")])
    expect(page.get_by_label("Nature du document")).to_have_value("Devis dentaire")
    page.get_by_label("Commentaire (facultatif)").fill("Devis pour une couronne")
    page.get_by_role("button", name="Transmettre").click()
    browser_page.check(shot="apgis-suivi")
    expect(browser_page.h1()).to_have_text("Suivi")
    row = page.locator("#suivi tbody tr").first
    expect(row).to_contain_text("Transmission de document : Devis dentaire")
    expect(row).to_contain_text("En attente de validation")
    row.get_by_role("link").click()
    browser_page.check()
    expect(page.get_by_role("link", name="devis-dentaire.pdf")).to_be_visible()


def test_question_answered_and_read_in_suivi(browser_page):
    page = browser_page.page
    email, _ = insured(browser_page.server)
    browser_page.log_in(email)
    browser_page.goto("/apgis/vous-avez-une-question", shot="apgis-question")
    page.get_by_label("Mes remboursements").check()
    page.get_by_label(re.compile(r"^Votre question")).fill("Quand mon devis optique sera-t-il étudié ?")
    if browser_page.js:
        expect(page.locator("#text-compteur")).to_contain_text("caractères restants")
    page.get_by_role("button", name="Envoyer ma question").click()
    browser_page.check()
    row = page.locator("#suivi tbody tr").first
    expect(row).to_contain_text("En attente de réponse")
    reference = re.search(r"QST-\d{4}-\d{6}", row.inner_text()).group(0)
    log_out(browser_page)

    manager_opens(browser_page, "Questions des assurés", reference, "apgis-liste-questions")
    page.get_by_role("button", name="Envoyer la réponse").click()
    browser_page.check()
    expect(page.locator(".error-summary")).to_contain_text("Saisissez la réponse.")
    page.get_by_label("Votre réponse").fill("Votre devis sera étudié sous 48 heures.")
    page.get_by_role("button", name="Envoyer la réponse").click()
    browser_page.check()
    expect(page.locator("#reponse")).to_have_text("Votre devis sera étudié sous 48 heures.")
    log_out(browser_page)

    browser_page.log_in(email)
    browser_page.goto("/apgis/suivi")
    row = page.locator("#suivi tbody tr").filter(has_text=reference)
    expect(row).to_contain_text("Répondue")
    row.get_by_role("link", name=reference).click()
    browser_page.check(shot="apgis-reponse")
    expect(page.locator("#reponse")).to_have_text("Votre devis sera étudié sous 48 heures.")


def test_school_certificate_sent_from_its_notification(browser_page, tmp_path):
    """The notification links to « Nous transmettre » prefilled; once sent it shows « Demande en cours »."""
    from datetime import date

    from extensions import db
    from models import User
    from models.apgis import ApgisBeneficiary
    page = browser_page.page
    email, last_name = insured(browser_page.server)
    with browser_page.server.app.app_context():
        file = User.query.filter_by(email=email).one().apgis_insured
        db.session.add(ApgisBeneficiary(insured=file, relation="enfant", first_name="Léo", last_name=last_name,
                                        birth_date=date(date.today().year - 17, 2, 1)))
        db.session.commit()
        db.session.remove()
    browser_page.log_in(email)
    browser_page.goto("/apgis/")
    page.get_by_role("link", name="Vous avez 1 notification").click()
    browser_page.check(shot="apgis-notifications")
    card = page.locator("#notifications .card").filter(has_text="Attente justificatif de scolarité")
    card.get_by_role("link", name="Transmettre le certificat de scolarité").click()
    browser_page.check()
    expect(page.get_by_label("Nature du document")).to_have_value("Certificat de scolarité")
    expect(page.get_by_label("Enfant concerné par le certificat de scolarité").locator("option:checked")
           ).to_have_text(f"Léo {last_name}")
    add_files(browser_page, "Ajouter un ou plusieurs fichiers", [proof(tmp_path, "certificat.pdf")])
    page.get_by_role("button", name="Transmettre").click()
    browser_page.check()
    browser_page.goto("/apgis/notifications")
    card = page.locator("#notifications .card").filter(has_text="Attente justificatif de scolarité")
    expect(card).to_contain_text("Demande en cours")
