"""Apgis « Mes services » in a browser, with and without JavaScript (axe on every page with
JavaScript): download the latest statement; generate a hospital cover and download it from the
history; filter the reimbursements by period."""
import io
import re
import uuid
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.browser.conftest import expect

pytestmark = pytest.mark.browser


def apgis_insured(live_server):
    """An insured of a fresh Apgis institution with reimbursements over two years and three
    statements; returns (email, member number)."""
    from extensions import db
    from models import User
    from tests import factories
    from tests.apgis_services import factories_services as fs
    email = live_server.create_user(first_name="Éloïse", last_name="Lefèvre")
    member = f"7{uuid.uuid4().int % 10**7:07d}"
    with live_server.app.app_context():
        org = factories.organisation(portal="apgis", code=f"B{member}", name="Apgis")
        db.session.flush()
        insured = fs.insured(User.query.filter_by(email=email).one(), org, member_number=member, individual=True,
                             beneficiaries=[("enfant", "Noël", "Lefèvre", date(2009, 12, 25))])
        paid = {}
        for year, month, label in ((2025, 4, "Pharmacie"), (2025, 11, "Radiologie"), (2026, 1, "Dentiste"),
                                   (2026, 2, "Kinésithérapie"), (2026, 3, "Verres correcteurs")):
            paid[year, month] = fs.reimbursement(insured, date(year, month, 12), label=label, expense=12000,
                                                 social_security=4000, apgis=6000)
        for number, (year, month) in ((f"DEC-{member}-1", (2025, 4)), (f"DEC-{member}-3", (2026, 3)),
                                      (f"DEC-{member}-2", (2025, 11))):
            fs.statement(insured, number, date(year, month, 28), [paid[year, month]])
        db.session.commit()
        db.session.remove()
    return email, member


def apgis_manager(live_server, member):
    """A manager of the institution of the insured `member`; returns their email."""
    from extensions import db
    from models.apgis import ApgisInsured
    from tests import factories
    from tests.browser.conftest import PASSWORD, unique_email
    email = unique_email("gestionnaire")
    with live_server.app.app_context():
        insured = ApgisInsured.query.filter_by(member_number=member).one()
        factories.user(email=email, password=PASSWORD, role="agent", organisation_id=insured.organisation_id,
                       first_name="Gaëlle", last_name="Gestion")
        db.session.commit()
        db.session.remove()
    return email


def test_download_the_latest_statement(browser_page, live_server):
    page = browser_page.page
    email, member = apgis_insured(live_server)
    browser_page.log_in(email, path="/apgis/mes-services")
    expect(browser_page.h1()).to_have_text("Mes services")
    browser_page.check(shot="apgis-mes-services")
    page.get_by_role("link", name="Consulter mes décomptes").click()
    browser_page.check(shot="apgis-decomptes")
    expect(browser_page.h1()).to_have_text("Mes décomptes")
    rows = page.locator("#decomptes tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text(f"DEC-{member}-3")
    expect(rows.last).to_contain_text(f"DEC-{member}-1")
    with page.expect_download() as download_info:
        rows.first.get_by_role("link", name=f"Télécharger et imprimer le décompte n° DEC-{member}-3").click()
    download = download_info.value
    assert download.suggested_filename == f"decompte-DEC-{member}-3.pdf"
    text = PdfReader(io.BytesIO(Path(download.path()).read_bytes())).pages[0].extract_text().replace("\u00a0", " ")
    assert f"Décompte mensuel n° DEC-{member}-3" in text and "Éloïse LEFÈVRE" in text and member in text


def test_generate_a_hospital_cover(browser_page, live_server):
    page = browser_page.page
    email, member = apgis_insured(live_server)
    browser_page.log_in(email, path="/apgis/mes-services")
    page.get_by_role("link", name="Une prise en charge hospitalière").click()
    browser_page.check(shot="apgis-prise-en-charge")
    expect(browser_page.h1()).to_have_text("Une prise en charge hospitalière")
    page.get_by_role("button", name="Générer la prise en charge").click()
    browser_page.check(shot="apgis-prise-en-charge-erreurs")
    expect(page.locator(".error-summary")).to_contain_text("Sélectionnez le bénéficiaire hospitalisé.")
    page.get_by_label("Bénéficiaire").select_option("Noël LEFÈVRE")
    page.get_by_label("Nom de l’établissement hospitalier").fill("Clinique Sainte-Thérèse")
    page.get_by_label("N° FINESS de l’établissement (facultatif)").fill("340780477")
    page.get_by_label("Ville de l’établissement").fill("Béziers")
    page.get_by_label("Date d’entrée").fill("02/03/2026")
    page.get_by_label("Date de sortie (facultative)").fill("01/03/2026")
    page.get_by_role("button", name="Générer la prise en charge").click()
    browser_page.check()
    expect(page.locator(".error-summary")).to_contain_text(
        "La date de sortie ne peut pas être antérieure à la date d’entrée.")
    expect(page.get_by_label("Ville de l’établissement")).to_have_value("Béziers")
    page.get_by_label("Date de sortie (facultative)").fill("09/03/2026")
    page.get_by_role("button", name="Générer la prise en charge").click()
    browser_page.check(shot="apgis-prise-en-charge-generee")
    expect(page.locator("#messages")).to_contain_text("Votre prise en charge hospitalière n° PEC-")
    history = page.locator("#historique-legende").locator("xpath=..").locator("tbody tr")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("Clinique Sainte-Thérèse (Béziers)")
    with page.expect_download() as download_info:
        history.first.get_by_role("link").click()
    download = download_info.value
    assert download.suggested_filename.startswith("prise-en-charge-PEC-")
    text = PdfReader(io.BytesIO(Path(download.path()).read_bytes())).pages[0].extract_text().replace("\u00a0", " ")
    assert "Noël LEFÈVRE" in text and "Clinique Sainte-Thérèse" in text and "09/03/2026" in text


def test_filter_reimbursements_by_period(browser_page, live_server):
    page = browser_page.page
    email, member = apgis_insured(live_server)
    browser_page.log_in(email, path="/apgis/remboursements")
    browser_page.check(shot="apgis-remboursements")
    expect(browser_page.h1()).to_have_text("Mes remboursements")
    rows = page.locator("#remboursements tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("Verres correcteurs")
    page.get_by_label("Du").fill("01/01/2026")
    page.get_by_label("Au").fill("28/02/2026")
    page.get_by_role("button", name="Filtrer").click()
    browser_page.check(shot="apgis-remboursements-periode")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Kinésithérapie")
    expect(rows.last).to_contain_text("Dentiste")
    expect(page.locator("#remboursements .history-total")).to_have_text("2 règlements du 01/01/2026 au 28/02/2026")
    assert "du=01%2F01%2F2026" in page.url and "au=28%2F02%2F2026" in page.url
    if browser_page.js:
        expect(page.locator("#remboursements-annonce")).to_have_text("2 règlements sur la période.")
    page.get_by_role("link", name="Toute la période").click()
    browser_page.check()
    expect(rows).to_have_count(5)


def test_a_manager_records_a_reimbursement_and_makes_a_statement(browser_page, live_server):
    page = browser_page.page
    _email, member = apgis_insured(live_server)
    browser_page.log_in(apgis_manager(live_server, member), path="/agent/apgis/reglements")
    expect(browser_page.h1()).to_have_text("Règlements et décomptes")
    page.get_by_label("N° d’adhérent ou nom de l’assuré").fill(member)
    page.get_by_role("button", name="Rechercher").click()
    browser_page.check(shot="apgis-gestionnaire-assure")
    expect(browser_page.h1()).to_have_text("Règlements et décomptes – Éloïse LEFÈVRE")
    page.get_by_label("Date du règlement").fill("12/03/2026")
    page.get_by_label("Bénéficiaire").select_option("Noël LEFÈVRE")
    page.get_by_label(re.compile(r"^Soin")).fill("Orthodontie")
    page.get_by_label("Date du soin").fill("01/03/2026")
    page.get_by_label("Dépense").fill("1 200,00")
    page.get_by_label("Remboursement Sécurité sociale").fill("193,50")
    page.get_by_label("Remboursement Apgis").fill("1 806,50")
    page.get_by_role("button", name="Enregistrer le remboursement").click()
    browser_page.check()
    expect(page.locator(".error-summary")).to_contain_text("dépassent la dépense")
    page.get_by_label("Remboursement Apgis").fill("806,50")
    page.get_by_role("button", name="Enregistrer le remboursement").click()
    browser_page.check()
    expect(page.locator("#messages")).to_contain_text("Le remboursement est enregistré.")
    expect(page.locator("#remboursements-legende").locator("xpath=..")).to_contain_text("Orthodontie")
    page.get_by_role("button", name="Créer un décompte des remboursements en attente").click()
    browser_page.check(shot="apgis-gestionnaire-decompte")
    expect(page.locator("#messages")).to_contain_text("Le décompte n° DEC-")
    expect(page.get_by_text("Aucun remboursement n’est en attente de décompte.")).to_be_visible()
