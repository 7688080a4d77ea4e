"""The « Votre dossier » kit pieces on their demo (/composants/dossier), with JavaScript on and off:
a table of rows added, changed and removed; the BIC filled from the IBAN (on leaving the field
with JS, with « Vérifier l’IBAN » without); files given per named document, one replaced; then
« Suivant » and the recap. With JS nothing reloads the page; axe on every state."""
import re

import pytest

from tests.browser.conftest import expect
from tests.components.test_attachments_content import pdf_bytes

pytestmark = pytest.mark.browser

BASE = "/composants/dossier/"
ADD_ROW = "Ajouter une ligne au tableau « Composition de la famille »"


@pytest.fixture
def dossier(browser_page):
    email = browser_page.server.create_user()
    browser_page.log_in(email, path=BASE)
    page = browser_page.page
    expect(page).to_have_url(re.compile(r"/composants/dossier/dossier$"))
    expect(browser_page.h1()).to_have_text("Votre dossier")
    if browser_page.js:
        page.evaluate("window.samePage = true")
    return browser_page


def same_page(browsing):
    if browsing.js:
        assert browsing.page.evaluate("window.samePage === true"), "la page a été rechargée"


def field(page, text):
    return page.get_by_label(re.compile(f"^{re.escape(text)}( \\(obligatoire\\))?$"))


def add_row(browsing, nom, prenom, naissance, lien):
    page = browsing.page
    page.get_by_role("button", name=ADD_ROW).click()
    row_form = page.locator("#famille-ligne")
    expect(page.get_by_role("group", name="Ajouter une ligne")).to_be_visible()
    browsing.settled()
    if browsing.js:
        expect(field(row_form, "Nom")).to_be_focused()
    field(row_form, "Nom").fill(nom)
    field(row_form, "Prénom").fill(prenom)
    field(row_form, "Date de naissance").fill(naissance)
    field(row_form, "Lien de parenté").select_option(lien)
    row_form.get_by_role("button", name="Enregistrer la ligne").click()
    expect(page.locator("#famille-ligne")).to_have_count(0)
    table = page.get_by_role("table", name="Composition de la famille")
    expect(table.get_by_role("row", name=re.compile(f"{nom} {prenom}"))).to_have_count(1)
    browsing.settled()


def test_dossier_pieces(dossier, tmp_path):
    browsing, page = dossier, dossier.page
    table = page.get_by_role("table", name="Composition de la famille")
    expect(table.get_by_role("columnheader")).to_have_text(
        ["Nom", "Prénom", "Date de naissance", "Lien de parenté", "Revenus annuels", "Actions"])

    # Rows: two added, the second changed (with an invalid date first), then removed.
    add_row(browsing, "Dupont", "Léa", "14/07/1985", "Conjoint")
    expect(page.locator("#famille-statut")).to_have_text(re.compile("La ligne 1 a été ajoutée"))
    browsing.check(shot="dossier-ligne-ajoutee")
    add_row(browsing, "Dupont", "Jules", "02/03/2015", "Enfant")
    page.get_by_role("button", name="Modifier la ligne 2").click()
    row_form = page.locator("#famille-ligne")
    expect(field(row_form, "Prénom")).to_have_value("Jules")
    browsing.settled()
    field(row_form, "Date de naissance").fill("31/02/2015")
    row_form.get_by_role("button", name="Enregistrer la ligne").click()
    expect(page.locator("#famille-ligne-naissance-erreur")).to_contain_text(
        "Saisissez une date valide au format JJ/MM/AAAA.")
    browsing.settled()
    browsing.check(shot="dossier-ligne-erreur")
    field(page.locator("#famille-ligne"), "Date de naissance").fill("02/03/2016")
    page.locator("#famille-ligne").get_by_role("button", name="Enregistrer la ligne").click()
    expect(table.get_by_role("row").filter(has_text="Jules")).to_contain_text("02/03/2016")
    browsing.settled()
    page.get_by_role("button", name="Supprimer la ligne 2").click()
    expect(page.get_by_role("table", name="Composition de la famille").get_by_role("row")).to_have_count(2)
    browsing.settled()
    same_page(browsing)

    # Bank details: the BIC comes from the IBAN.
    field(page, "Titulaire du compte").fill("Léa Dupont")
    field(page, "IBAN").fill("fr76 3000 6000 0112 3456 7890 189")
    if browsing.js:
        page.keyboard.press("Tab")
    else:
        page.get_by_role("button", name="Vérifier l’IBAN").click()
    expect(field(page, "BIC")).to_have_value(re.compile("^AGRIFRPP"))
    expect(page.locator("#iban-banque")).to_have_text("Banque : CREDIT AGRICOLE SA")
    browsing.settled()
    if browsing.js:
        expect(page.locator("#iban-statut")).to_contain_text("BIC ajouté automatiquement")
    same_page(browsing)
    browsing.check(shot="dossier-iban")

    # Documents: each required one given, the RIB replaced.
    first, second, third = tmp_path / "rib.pdf", tmp_path / "livret.pdf", tmp_path / "rib-2026.pdf"
    first.write_bytes(pdf_bytes())
    second.write_bytes(pdf_bytes(1600))
    third.write_bytes(pdf_bytes(1700))
    for label, path in (("RIB", first), ("Livret de famille", second), ("RIB", third)):
        action = "Remplacer" if path is third else "Ajouter"
        chooser = "Remplacer par un autre fichier" if path is third else "Ajouter un fichier"
        page.get_by_label(f"{chooser} : {label}", exact=True).set_input_files(str(path))
        if not browsing.js:
            page.get_by_role("button", name=f"{action} : {label}", exact=True).click()
        expect(page.locator("#justificatifs-contenu li.document").filter(has_text=label).first
               ).to_contain_text(f"Déposé : {path.name}")
        browsing.settled()
    expect(page.locator("#justificatifs-statut")).to_contain_text("« rib-2026.pdf » a remplacé « rib.pdf »")
    same_page(browsing)
    browsing.check(shot="dossier-justificatifs")

    page.locator("#dossier-formulaire .wizard-actions").get_by_role("button", name="Suivant", exact=True).click()
    expect(browsing.h1()).to_have_text("Récapitulatif")
    recap = page.locator(".summary-list")
    expect(recap).to_contain_text("Dupont, Léa, 14/07/1985, Conjoint")
    expect(recap).to_contain_text("rib-2026.pdf")
    expect(recap).to_contain_text("livret.pdf")
    browsing.check(shot="dossier-recapitulatif")
