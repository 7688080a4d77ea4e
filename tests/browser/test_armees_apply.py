"""A whole application on the Portail Des Aides, with JavaScript on and off (axe on every page with
JS): the catalogue and its search, the detail sheet asking to log in and coming back to the form,
the local offices by postcode, the eligibility questions, « Vos informations » (commune search,
professional cascade), « Enregistrer » half-way, log out, log in, resume, « Votre dossier »
(fields, a family of three rows, bank details with the BIC found from the IBAN by itself, the
documents, one of them taken from the porte-documents),
the recap, « Transmettre » and the confirmation."""
import re

import pytest

from tests.browser.conftest import expect, pick_commune
from tests.components.test_attachments_content import pdf_bytes

pytestmark = pytest.mark.browser

BENEFIT = "Aide à la garde des jeunes enfants"
FAMILY = [("LEFÈVRE", "Éloïse", "14/07/1985", "Conjoint"), ("LEFÈVRE", "Zoé", "01/03/2024", "Enfant"),
          ("LEFÈVRE", "Léo", "12/05/2025", "Enfant")]
# Uploaded in the step; the proof of ressortissant status is taken from the porte-documents.
DOCUMENTS = {"avis-imposition": "avis.pdf", "justificatif-garde": "contrat-garde.pdf", "rib": "rib.pdf"}
PROOF = "bulletin-de-remuneration.pdf"


def store_proof(server, email):
    """A proof of ressortissant status already in the user's « Mon porte-documents »."""
    from core.uploads import attach_generated
    from extensions import db
    from models import User
    from models.armees import PORTE_DOCUMENTS
    with server.app.app_context():
        user = User.query.filter_by(email=email).one()
        attach_generated(pdf_bytes(), PROOF, owner=user, subject_type=PORTE_DOCUMENTS.name, subject_id=user.id,
                         document="qualite-ressortissant")
        db.session.commit()
        db.session.remove()


def wizard_button(page, name):
    return page.locator("#demande-formulaire .wizard-actions").get_by_role("button", name=name, exact=True)


def expect_step(browsing, title, number):
    page = browsing.page
    expect(browsing.h1()).to_have_text(title)
    expect(page).to_have_title(re.compile(f"^{re.escape(title)} – Étape {number} sur 6 – "))
    expect(page.get_by_role("navigation", name="Étapes").locator("[aria-current=step]")).to_contain_text(
        f"Étape {number} sur 6, en cours : {title}")
    browsing.check()


def field(page, label):
    """A field by its label, « (obligatoire) » left aside."""
    return page.get_by_label(re.compile(f"^{re.escape(label)}( \\(obligatoire\\))?$"))


def refresh_cascade(browsing, label, value, next_label=None):
    page = browsing.page
    field(page, label).select_option(label=value)
    if browsing.js:
        if next_label:
            expect(field(page, next_label)).to_be_visible()
            browsing.settled()
    else:
        page.get_by_role("button", name="Actualiser : catégorie de ressortissant").click()
        browsing.check()


def log_in(browsing, email, path=None):
    """The login page (reached from `path` when given), then back where the user started."""
    page = browsing.page
    if path:
        page.goto(path)
    browsing.check()
    expect(browsing.h1()).to_have_text("Se connecter")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label(re.compile(r"^Mot de passe")).fill("Guichet-Demo-2026")
    page.get_by_role("button", name="Se connecter").click()


def test_apply_for_the_childcare_aid(browser_page, tmp_path):
    browsing, page = browser_page, browser_page.page
    email = browsing.server.create_user(first_name="Éloïse", last_name="Lefèvre")
    store_proof(browsing.server, email)

    # The catalogue and its search, for a visitor.
    browsing.goto("/armees/prestations/")
    expect(browsing.h1()).to_have_text("Déposer une demande")
    page.get_by_label("Recherche par libellé").fill("garde")
    page.get_by_role("button", name="Rechercher").click()
    results = page.locator("#prestations")
    expect(results.get_by_role("link", name=BENEFIT)).to_be_visible()
    expect(results.get_by_role("link", name="Prêt social")).to_have_count(0)
    browsing.check()
    results.get_by_role("link", name=BENEFIT).click()
    browsing.check()
    expect(browsing.h1()).to_have_text(BENEFIT)

    # « Déposer une demande »: log in first, then back to the application form.
    page.get_by_role("link", name="Déposer une demande").click()
    log_in(browsing, email)
    expect(page).to_have_url(re.compile(r"/armees/prestations/garde-jeunes-enfants/demande/preambule$"))
    expect_step(browsing, "Préambule", 1)
    expect(page.get_by_text("Prestation soumise à condition de ressources")).to_be_visible()

    # The local offices by postcode.
    page.get_by_label("Code postal", exact=True).fill("92130")
    page.get_by_role("button", name="Rechercher une antenne").click()
    expect(page.locator("#antennes")).to_contain_text("Échelon social de Paris")
    browsing.check()
    wizard_button(page, "Suivant").click()

    # Eligibility: the application is created once the step is passed.
    expect_step(browsing, "Critères d’éligibilité", 2)
    for question, answer in (("Êtes-vous ressortissant", "Oui"), ("L’enfant gardé a-t-il moins de 6 ans", "Oui"),
                             ("Percevez-vous déjà une aide", "Non")):
        page.get_by_role("group", name=re.compile(re.escape(question))).get_by_label(answer, exact=True).check()
    wizard_button(page, "Suivant").click()
    expect(page).to_have_url(re.compile(r"/armees/demandes/\d+/saisie/informations$"))
    expect_step(browsing, "Vos informations", 3)
    application_url = re.sub(r"informations$", "", page.url)

    # « Vos informations », then « Enregistrer » half-way.
    page.get_by_role("group", name=re.compile("Validation de votre qualité de ressortissant")).get_by_label(
        "En France").check()
    page.get_by_label(re.compile(r"^Téléphone")).fill("06 12 34 56 78")
    page.get_by_label(re.compile(r"^N° et libellé de la voie")).fill("3 place de la Bourse")
    pick_commune(browsing, re.compile(r"^Code postal/Ville"), "33000", "Bordeaux (33000)")
    wizard_button(page, "Enregistrer").click()
    expect(page.locator("#messages")).to_contain_text("Votre brouillon a été enregistré.")
    browsing.check()

    # Log out, log in, resume where it was left.
    page.goto("/armees/prestations/")
    browsing.check()
    page.locator("details.armees-menu summary").click()
    page.get_by_role("button", name="Déconnexion").click()
    browsing.check()
    log_in(browsing, email, application_url)
    expect(page).to_have_url(re.compile(r"/saisie/informations$"))
    browsing.check()
    expect(page.get_by_label(re.compile(r"^Téléphone"))).to_have_value("06 12 34 56 78")
    expect(page.get_by_label(re.compile(r"^N° et libellé de la voie"))).to_have_value("3 place de la Bourse")
    page.get_by_role("group", name=re.compile("Vivez-vous en couple")).get_by_label("Oui", exact=True).check()
    page.get_by_label(re.compile(r"^Situation familiale")).select_option(label="Marié(e)")
    refresh_cascade(browsing, "Catégorie de ressortissant", "Militaire en activité", "Catégorie hiérarchique")
    refresh_cascade(browsing, "Catégorie hiérarchique", "Sous-officier", "Autorité d’emploi")
    field(page, "Autorité d’emploi").select_option(label="Marine nationale")
    wizard_button(page, "Suivant").click()

    # « Votre dossier »: the benefit's fields, the family (three rows), the bank, the documents.
    expect_step(browsing, "Votre dossier", 4)
    page.get_by_label(re.compile(r"^Mode de garde")).select_option(label="Crèche ou multi-accueil")
    page.get_by_label(re.compile(r"^Date de début de la garde")).fill("01/09/2026")
    page.get_by_label(re.compile(r"^Montant mensuel des frais de garde")).fill("650,00")
    for last_name, first_name, born, link in FAMILY:
        page.get_by_role("button", name="Ajouter une ligne au tableau « Composition de la famille »").click()
        row_form = page.locator("#f_famille-ligne-nom")
        expect(row_form).to_be_visible()
        row_form.fill(last_name)
        page.locator("#f_famille-ligne-prenom").fill(first_name)
        page.locator("#f_famille-ligne-naissance").fill(born)
        page.locator("#f_famille-ligne-lien").select_option(label=link)
        page.get_by_role("button", name="Enregistrer la ligne").click()
        expect(page.locator("table tbody tr").filter(has_text=first_name)).to_have_count(1)
        browsing.settled()
        browsing.check()
    expect(page.locator("table tbody tr")).to_have_count(3)
    page.get_by_label(re.compile(r"^Titulaire du compte")).fill("Éloïse Lefèvre")
    page.get_by_label(re.compile(r"^IBAN")).fill("FR76 3000 6000 0112 3456 7890 189")
    bic = page.get_by_label(re.compile(r"^BIC"))
    expect(bic).to_have_value("")
    if browsing.js:  # the BIC appears once the IBAN field is left
        page.get_by_label(re.compile(r"^IBAN")).blur()
    else:            # … or once « Vérifier l’IBAN » redisplays the step
        page.get_by_role("button", name="Vérifier l’IBAN").click()
        browsing.check()
    expect(bic).to_have_value(re.compile(r"^AGRIFRPP"))
    expect(page.locator("#iban-verification")).to_contain_text("Banque")
    browsing.settled()
    # The proof of ressortissant status, from the porte-documents (nothing uploaded again).
    proof = page.locator("#justificatifs-fichier-qualite-ressortissant-groupe")
    expect(proof).to_contain_text(f"Déjà dans votre porte-documents : {PROOF}")
    proof.get_by_role("button", name=re.compile("^Porte documents")).click()
    expect(page.locator("#justificatifs-fichier-qualite-ressortissant-etat")).to_contain_text(f"Déposé : {PROOF}")
    browsing.settled()
    browsing.check()
    for code, name in DOCUMENTS.items():
        path = tmp_path / name
        path.write_bytes(pdf_bytes())
        page.locator(f"input[name='justificatifs-fichier-{code}']").set_input_files(str(path))
        if browsing.js:
            expect(page.locator(f"#justificatifs-fichier-{code}-etat")).to_contain_text("Déposé")
            browsing.settled()
    browsing.check()
    wizard_button(page, "Suivant").click()

    # The recap, the sworn statement, « Transmettre ».
    expect_step(browsing, "Récapitulatif", 5)
    recap = page.locator("#demande")
    expect(recap).to_contain_text("650,00 €")
    expect(recap).to_contain_text("Prénom : Léo")
    expect(recap).to_contain_text("Bordeaux")
    expect(recap).to_contain_text("AGRIFRPP")
    expect(recap).to_contain_text(PROOF)
    expect(page.get_by_role("link", name="Télécharger le récapitulatif (PDF)")).to_be_visible()
    wizard_button(page, "Transmettre").click()
    expect(page.locator(".error-summary")).to_contain_text("Cochez la case pour certifier")
    browsing.check()
    page.get_by_label(re.compile(r"^Je certifie sur l’honneur")).check()
    wizard_button(page, "Transmettre").click()
    expect(page).to_have_url(re.compile(r"/armees/demandes/\d+/confirmation$"))
    expect(browsing.h1()).to_have_text("Confirmation")
    expect(page.get_by_text("Votre demande a bien été transmise.")).to_be_visible()
    expect(page.locator(".notice--success")).to_contain_text("PDA-")
    browsing.check()
    expect(page.get_by_role("link", name="Terminer")).to_have_attribute("href", "/armees/espace/")


def test_a_new_bank_account_instead_of_the_stored_one(browser_page):
    """A ressortissant whose earlier application was processed: « Votre dossier » shows the bank
    details read-only; « Utiliser une nouvelle domiciliation bancaire » gives empty fields (the bank
    block swapped in place with JavaScript, the focus on the holder) and asks for the RIB again."""
    from extensions import db
    from models import User
    from models.armees import RessortissantProfile
    from models.base import utcnow
    browsing, page = browser_page, browser_page.page
    email = browsing.server.create_user(first_name="Éloïse", last_name="Lefèvre")
    with browsing.server.app.app_context():
        user = User.query.filter_by(email=email).one()
        db.session.add(RessortissantProfile(
            user_id=user.id, residence="france", phone="0612345678", address_line1="3 place de la Bourse",
            postcode="33000", insee="33063", city="Bordeaux", in_couple=False, family_situation="Célibataire",
            category="militaire-actif", rank="sous-officier", employer="marine", first_transmitted_at=utcnow(),
            account_holder="Éloïse Lefèvre", iban="FR7630006000011234567890189", bic="AGRIFRPPXXX"))
        db.session.commit()
        db.session.remove()
    log_in(browsing, email, "/armees/prestations/garde-jeunes-enfants/demande/preambule")
    expect_step(browsing, "Préambule", 1)
    wizard_button(page, "Suivant").click()
    for question, answer in (("Êtes-vous ressortissant", "Oui"), ("L’enfant gardé a-t-il moins de 6 ans", "Oui"),
                             ("Percevez-vous déjà une aide", "Non")):
        page.get_by_role("group", name=re.compile(re.escape(question))).get_by_label(answer, exact=True).check()
    wizard_button(page, "Suivant").click()
    expect_step(browsing, "Vos informations", 3)
    wizard_button(page, "Suivant").click()
    expect_step(browsing, "Votre dossier", 4)
    dossier_url = page.url

    bank = page.locator("#domiciliation")
    expect(bank).to_contain_text("Votre RIB est déjà enregistré")
    expect(bank).to_contain_text("FR76 3000 6000 0112 3456 7890 189")
    expect(bank.get_by_role("textbox")).to_have_count(0)
    rib = page.locator("#justificatifs-fichier-rib-titre")
    expect(rib).not_to_contain_text("obligatoire")
    page.get_by_role("button", name="Utiliser une nouvelle domiciliation bancaire").click()
    holder = page.get_by_label(re.compile(r"^Titulaire du compte"))
    expect(holder).to_have_value("")
    if browsing.js:
        expect(holder).to_be_focused()
    expect(bank).not_to_contain_text("Votre RIB est déjà enregistré")
    expect(rib).to_contain_text("obligatoire")
    browsing.check()
    holder.fill("Zoé Lefèvre")
    page.get_by_label(re.compile(r"^IBAN")).fill("FR14 2004 1010 0505 0001 3M02 606")
    wizard_button(page, "Enregistrer").click()
    expect(page.locator("#messages")).to_contain_text("Votre brouillon a été enregistré.")
    browsing.check()
    page.goto(dossier_url)  # the choice was kept in the draft
    browsing.check()
    expect(page.get_by_label(re.compile(r"^Titulaire du compte"))).to_have_value("Zoé Lefèvre")
    expect(page.get_by_label(re.compile(r"^BIC"))).to_have_value("PSSTFRPP")
