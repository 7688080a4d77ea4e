"""MSA member services with and without JavaScript (msa.md A and C), axe on every page with JS on:
the payments filtered by branch then an attestation for last year (the PDF read back); the address
changed with the commune search; an appointment asked by the member, confirmed by an agent of the
fund, and seen confirmed by the member.

Every test makes its own member (fresh NIR, unique email and name) so that runs are independent."""
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.browser.conftest import expect, expect_error_summary, pick_commune
from tests.browser.test_msa import AGENT_EMAIL, create_member, log_out, msa_log_in

pytestmark = pytest.mark.browser

LAST_YEAR = date.today().year - 1


def add_payments(live_server, nir, rows):
    from extensions import db
    from models.msa import MsaMember
    from models.msa_services import MsaPayment
    with live_server.app.app_context():
        member = MsaMember.query.filter_by(nir=nir).one()
        db.session.add_all(MsaPayment(member=member, organisation_id=member.organisation_id, paid_on=paid_on,
                                      branch=branch, label=label, amount_cents=cents)
                           for paid_on, branch, label, cents in rows)
        db.session.commit()
        db.session.remove()


def test_payments_filtered_then_attestation_for_last_year(browser_page, live_server):
    page = browser_page.page
    email, nir, last_name = create_member(live_server)
    add_payments(live_server, nir, [(date(LAST_YEAR, 3, 5), "famille", "Allocations familiales de mars", 123456),
                                    (date(LAST_YEAR, 9, 1), "sante", "Remboursement de lunettes", 8990),
                                    (date(LAST_YEAR - 1, 6, 1), "sante", "Remboursement ancien", 1000)])
    msa_log_in(browser_page, nir)
    page.get_by_role("link", name=re.compile(r"^Suivre l’ensemble de mes paiements")).click()
    browser_page.check(shot="msa-paiements")
    expect(browser_page.h1()).to_have_text("Mes paiements et mes remboursements")
    rows = page.locator("#paiements tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Remboursement de lunettes")
    expect(rows.first).to_contain_text("89,90\u00a0€")
    page.get_by_label("Branche").select_option(label="Famille")
    if not browser_page.js:
        page.get_by_role("button", name="Filtrer").click()
    else:
        page.evaluate("window.samePage = true")
    expect(rows).to_have_count(1)
    browser_page.check()
    expect(rows.first).to_contain_text("1\u00a0234,56\u00a0€")
    expect(page).to_have_url(re.compile(r"branche=famille"))
    if browser_page.js:
        assert page.evaluate("window.samePage === true"), "la page a été rechargée"
        expect(page.locator("#msa-paiements-annonce")).to_have_text("1 paiement trouvé.")

    page.get_by_role("link", name="Obtenir une attestation de paiement ou de non paiement").click()
    browser_page.check(shot="msa-attestations")
    expect(browser_page.h1()).to_have_text("Obtenir mes attestations")
    # A wrong period first: the errors, what was typed kept.
    page.get_by_label(re.compile(r"^Au")).fill("31/12/1999")
    page.get_by_role("button", name="Obtenir l’attestation").click()
    browser_page.check()
    expect_error_summary(browser_page, "La date de fin doit être postérieure ou égale à la date de début.")
    expect(page.get_by_label(re.compile(r"^Au"))).to_have_value("31/12/1999")
    page.get_by_label(re.compile(r"^Au")).fill(f"31/12/{LAST_YEAR}")
    expect(page.get_by_label(re.compile(r"^Du"))).to_have_value(f"01/01/{LAST_YEAR}")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Obtenir l’attestation").click()
    download = download_info.value
    assert download.suggested_filename == f"attestation-paiement-{LAST_YEAR}0101-{LAST_YEAR}1231.pdf"
    text = " ".join(PdfReader(io.BytesIO(Path(download.path()).read_bytes())).pages[0].extract_text().split())
    assert f"Paul {last_name.upper()}" in text and nir in text
    assert f"du 01/01/{LAST_YEAR} au 31/12/{LAST_YEAR}" in text
    assert "Allocations familiales de mars" in text and "Remboursement de lunettes" in text
    assert "Total : 1 324,46 €" in text
    assert "Remboursement ancien" not in text


def test_change_the_address_with_the_commune_search(browser_page, live_server):
    page = browser_page.page
    email, nir, last_name = create_member(live_server)
    msa_log_in(browser_page, nir)
    page.get_by_role("link", name=re.compile(r"^Modifier vos coordonnées")).click()
    browser_page.check(shot="msa-coordonnees")
    expect(browser_page.h1()).to_have_text("Modifier vos coordonnées")
    page.get_by_label(re.compile(r"^Téléphone")).fill("05 56 12 34 56")
    page.get_by_label(re.compile(r"^N° et libellé de la voie")).fill("8 allée des Chais")

    def kept():
        expect(page.get_by_label(re.compile(r"^N° et libellé de la voie"))).to_have_value("8 allée des Chais")
        expect(page.get_by_label(re.compile(r"^Téléphone"))).to_have_value("05 56 12 34 56")
    pick_commune(browser_page, re.compile(r"^Code postal/Ville"), "33330", "Saint-Émilion (33330)", kept=kept,
                 shot="msa-coordonnees-commune")
    page.get_by_role("button", name="Enregistrer mes coordonnées").click()
    browser_page.check(shot="msa-coordonnees-enregistrees")
    expect(page.locator("#messages")).to_contain_text("Vos coordonnées ont été enregistrées.")
    saved = page.locator("#coordonnees-enregistrees")
    expect(saved).to_contain_text("8 allée des Chais")
    expect(saved).to_contain_text("33330 Saint-Émilion")
    expect(saved).to_contain_text("05 56 12 34 56")


def test_appointment_asked_confirmed_by_the_agent_seen_by_the_member(browser_page, live_server):
    page = browser_page.page
    email, nir, last_name = create_member(live_server)
    msa_log_in(browser_page, nir)
    page.get_by_role("link", name="Demander un rendez-vous").click()
    browser_page.check(shot="msa-rendez-vous")
    expect(browser_page.h1()).to_have_text("Demander un rendez-vous")
    page.get_by_role("button", name="Envoyer ma demande").click()
    browser_page.check()
    expect_error_summary(browser_page, "Sélectionnez l’objet du rendez-vous.",
                         "Cochez au moins une demi-journée qui vous convient.")
    page.get_by_label(re.compile(r"^Objet du rendez-vous")).select_option(label="Retraite")
    page.get_by_label("Par téléphone").check()
    page.get_by_label("Mardi matin").check()
    page.get_by_label("Jeudi après-midi").check()
    page.get_by_label(re.compile(r"^Commentaire")).fill("Préparer mon départ à la retraite.")
    if browser_page.js:
        expect(page.locator("#comment-compteur")).to_have_text("466 caractères restants.")
    page.get_by_role("button", name="Envoyer ma demande").click()
    browser_page.check(shot="msa-rendez-vous-envoye")
    expect(page.locator("#messages")).to_contain_text("Votre demande de rendez-vous a été envoyée")
    card = page.locator("#mes-rendez-vous + ul .card").first
    expect(card.locator(".appointment-status")).to_have_text("En attente")
    reference = card.get_by_role("heading").inner_text().split(" – ")[0]
    log_out(browser_page)

    browser_page.log_in(AGENT_EMAIL)
    page.get_by_role("link", name="Demandes de rendez-vous").click()
    browser_page.check(shot="msa-agent-rendez-vous")
    row = page.locator("#msa-rendez-vous-liste tbody tr").filter(has_text=last_name.upper())
    expect(row).to_have_count(1)
    row.get_by_role("link", name=f"{reference} – Retraite").click()
    browser_page.check(shot="msa-agent-rendez-vous-detail")
    expect(browser_page.h1()).to_have_text(reference)
    day = (date.today() + timedelta(days=7)).strftime("%d/%m/%Y")
    page.get_by_label("Confirmer ce rendez-vous").check()
    page.get_by_label(re.compile(r"^Date du rendez-vous")).fill(day)
    page.get_by_label(re.compile(r"^Heure")).fill("10:30")
    page.get_by_role("button", name="Valider et prévenir l’adhérent").click()
    browser_page.check()
    expect(page.locator("#messages")).to_contain_text("Le rendez-vous est confirmé.")
    expect(page.locator("#msa-etat")).to_have_text(f"Confirmé : le {day} 10h30min")
    log_out(browser_page)

    msa_log_in(browser_page, nir)
    page.get_by_role("link", name="Demander un rendez-vous").click()
    browser_page.check()
    card = page.locator(".card").filter(has_text=reference)
    expect(card.locator(".appointment-status")).to_have_text(f"Confirmé : le {day} 10h30min")


def test_forgotten_password_from_the_msa_login(browser_page, live_server):
    page = browser_page.page
    email, nir, last_name = create_member(live_server)
    browser_page.goto("/msa/connexion")
    page.get_by_role("link", name="Mot de passe oublié").click()
    browser_page.check(shot="msa-mot-de-passe-oublie")
    expect(browser_page.h1()).to_have_text("Mot de passe oublié")
    page.get_by_label(re.compile(r"^Identifiant \(numéro de sécurité sociale sans la clé\) ou adresse e-mail")
                      ).fill(nir)
    page.get_by_role("button", name="Recevoir le lien").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Consultez votre boîte mail")
    link = browser_page.mail_link(email, "Réinitialisation de votre mot de passe")
    link.click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Choisir un nouveau mot de passe")
    new_password = "Nouveau-MSA-2026!"
    page.get_by_label(re.compile(r"^Nouveau mot de passe")).fill(new_password)
    page.get_by_label(re.compile(r"^Confirmation")).fill(new_password)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Se connecter à Mon espace privé")
    msa_log_in(browser_page, nir, password=new_password)
