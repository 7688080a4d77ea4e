"""MSA « Nous envoyer un document » in the browser, with and without JavaScript (msa.md A and C,
seed 004): a member sends two documents of two files each through every step, goes back a step
and forward again without losing anything, downloads the acknowledgement; the agent of the fund
opens « Documents reçus » and marks them processed."""
import io
import re

import pytest
from pypdf import PdfReader

from tests.browser.conftest import expect
from tests.browser.test_msa import AGENT_EMAIL, create_member, log_out, msa_log_in
from tests.browser.test_msa_more import pdf_file, png_file

pytestmark = pytest.mark.browser

WARNING = ("Les documents contenant des informations médicales doivent être transmis par courrier postal à "
           "l’adresse du service médical de votre MSA")
ATTEST = "J’atteste la conformité des documents transmis"


def wizard_button(page, name):
    return page.locator("#envoi-document-formulaire .wizard-actions").get_by_role("button", name=name, exact=True)


def expect_step(browsing, title, number):
    page = browsing.page
    expect(browsing.h1()).to_have_text(title)
    expect(page).to_have_title(re.compile(f"^{re.escape(title)} – Étape {number} sur 5 – "))
    expect(page.get_by_role("navigation", name="Étapes").locator("[aria-current=step]")).to_contain_text(
        f"Étape {number} sur 5, en cours : {title}")
    expect(page.locator("#avertissement-medical")).to_have_text(WARNING + ".")
    browsing.check()


def file_input(page, document, number):
    return page.get_by_label(re.compile(rf"^Ajouter un fichier : Document {document} : .* – fichier {number}$"))


def test_send_two_documents_go_back_and_forth_download_the_receipt_agent_processes(browser_page, live_server,
                                                                                   tmp_path):
    browsing, page = browser_page, browser_page.page
    email, nir, last_name = create_member(live_server)
    msa_log_in(browsing, nir)

    browsing.goto("/msa/documents")
    expect(browsing.h1()).to_have_text("Nous envoyer un document")
    expect(page.locator(".notice--warning")).to_contain_text(WARNING)
    page.get_by_role("link", name="Envoyer un document").click()

    # 1. Objet de l'envoi: « D'autres documents ».
    expect_step(browsing, "Objet de l’envoi", 1)
    page.get_by_label("D’autres documents").check()
    wizard_button(page, "Suivant").click()

    # 2. Nombre de documents.
    expect_step(browsing, "Nombre de documents", 2)
    count = page.get_by_role("group", name="Combien de documents souhaitez-vous envoyer ?")
    count.get_by_label("2", exact=True).check()
    wizard_button(page, "Suivant").click()

    # 3. Saisie des informations: a document for the member, one for their daughter.
    expect_step(browsing, "Saisie des informations", 3)
    browsing.check(shot="msa-documents-informations")
    first = page.get_by_role("group", name="Document 1")
    second = page.get_by_role("group", name="Document 2")
    expect(first.get_by_label(re.compile("^Nom de la personne concernée"))).to_have_value(f"Paul {last_name.upper()}")
    first.get_by_label(re.compile("^Nature du document")).select_option(label="Pièce d’identité")
    first.get_by_label(re.compile("^Motif de l’envoi")).fill("Renouvellement de ma carte d’identité")
    second.get_by_label(re.compile("^Nature du document")).select_option(label="Justificatif de domicile")
    second.get_by_label(re.compile("^Nom de la personne concernée")).fill("Léa Dupré")
    second.get_by_label(re.compile("^Motif de l’envoi")).fill("Déménagement de ma fille")
    wizard_button(page, "Suivant").click()

    # 4. Ajout d'un fichier: two files for each document.
    expect_step(browsing, "Ajout d’un fichier", 4)
    names = {(1, 1): "carte-recto.pdf", (1, 2): "carte-verso.png", (2, 1): "facture-edf.pdf", (2, 2): "bail.png"}
    for (document, number), name in names.items():
        path = pdf_file(tmp_path / name) if name.endswith(".pdf") else png_file(tmp_path / name)
        file_input(page, document, number).set_input_files(str(path))
        if browsing.js:  # uploaded at once
            expect(page.locator(f"#justificatifs-fichier-document-{document}-fichier-{number}-etat")
                   ).to_contain_text(f"Déposé : {name}")
            browsing.settled()
    if not browsing.js:  # one « Ajouter » sends every file chosen
        page.get_by_role("button", name=re.compile("^Ajouter : Document 1 .* fichier 1$")).click()
        browsing.check()
    for name in names.values():
        expect(page.locator(".document-given").filter(has_text=name)).to_have_count(1)
    browsing.check()

    # Back a step: everything typed is there; forward again: the files are still there.
    wizard_button(page, "Précédent").click()
    expect_step(browsing, "Saisie des informations", 3)
    second = page.get_by_role("group", name="Document 2")
    expect(second.get_by_label(re.compile("^Nom de la personne concernée"))).to_have_value("Léa Dupré")
    expect(second.get_by_label(re.compile("^Motif de l’envoi"))).to_have_value("Déménagement de ma fille")
    expect(page.get_by_role("group", name="Document 1").get_by_label(re.compile("^Nature du document"))
           ).to_have_value("piece-identite")
    wizard_button(page, "Suivant").click()
    expect_step(browsing, "Ajout d’un fichier", 4)
    expect(page.locator(".document-given")).to_have_count(4)
    browsing.check(shot="msa-documents-fichiers")

    # « Envoyer » without the attestation is refused, then sent.
    wizard_button(page, "Envoyer").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text(f"Cochez la case « {ATTEST} »")
    expect(page).to_have_title(re.compile("^Erreur : "))
    browsing.check()
    page.get_by_label(re.compile(f"^{ATTEST}")).check()
    wizard_button(page, "Envoyer").click()

    # 5. Envoi et accusé de réception.
    expect(browsing.h1()).to_have_text("Envoi et accusé de réception")
    browsing.check(shot="msa-documents-accuse")
    reference = page.locator("#reference").inner_text()
    assert re.fullmatch(r"DOC-\d{4}-\d{6}", reference)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger l’accusé de réception").click()
    download = download_info.value
    assert download.suggested_filename == f"accuse-reception-{reference}.pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(open(download.path(), "rb").read())).pages)
    assert reference in text and "Léa Dupré" in text and "carte-verso.png" in text
    page.get_by_role("link", name="Terminer").click()
    browsing.check()
    row = page.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("Reçu")

    # The agent of the fund marks them processed.
    log_out(browsing)
    browsing.log_in(AGENT_EMAIL)
    browsing.goto("/agent/")
    page.get_by_role("link", name="Documents reçus").click()
    browsing.check()
    expect(browsing.h1()).to_have_text("Documents reçus")
    page.get_by_role("link", name=reference).click()
    browsing.check()
    expect(browsing.h1()).to_have_text(f"Documents {reference}")
    expect(page.get_by_role("list", name="Fichiers du document 1").get_by_role("link")).to_have_text(
        ["carte-recto.pdf", "carte-verso.png"])
    with page.expect_download() as download_info:
        page.get_by_role("link", name="facture-edf.pdf").click()
    assert download_info.value.suggested_filename == "facture-edf.pdf"
    page.get_by_role("button", name="Marquer comme traité").click()
    expect(page.locator("#messages")).to_contain_text(f"Les documents {reference} sont marqués comme traités.")
    expect(page.locator("#etat")).to_have_text("Traité")
    browsing.check(shot="msa-documents-agent")


def test_a_draft_is_kept_resumed_then_discarded(browser_page, live_server):
    browsing, page = browser_page, browser_page.page
    email, nir, last_name = create_member(live_server)
    msa_log_in(browsing, nir)
    browsing.goto("/msa/documents/envoi/")
    expect_step(browsing, "Objet de l’envoi", 1)
    page.get_by_label("Ma retraite").check()
    wizard_button(page, "Suivant").click()
    expect_step(browsing, "Nombre de documents", 2)
    page.get_by_label("3", exact=True).check()
    wizard_button(page, "Enregistrer").click()

    # « Enregistrer » leads back to the service's page, which offers the draft.
    expect(browsing.h1()).to_have_text("Nous envoyer un document")
    expect(page.locator("#messages")).to_contain_text("Votre brouillon a été enregistré.")
    browsing.check()
    draft = page.get_by_role("region", name="Envoi en cours")
    draft.get_by_role("link", name="Reprendre mon envoi").click()
    expect_step(browsing, "Nombre de documents", 2)
    expect(page.get_by_label("3", exact=True)).to_be_checked()
    page.get_by_role("link", name="Objet de l’envoi").click()
    expect_step(browsing, "Objet de l’envoi", 1)
    expect(page.get_by_label("Ma retraite")).to_be_checked()

    browsing.goto("/msa/documents")
    page.get_by_role("region", name="Envoi en cours").get_by_role("link", name="Supprimer le brouillon").click()
    expect(browsing.h1()).to_have_text("Voulez-vous supprimer votre brouillon ?")
    browsing.check()
    page.get_by_role("button", name="Supprimer le brouillon").click()
    expect(browsing.h1()).to_have_text("Nous envoyer un document")
    expect(page.locator("#messages")).to_contain_text("Votre brouillon a été supprimé.")
    expect(page.get_by_role("region", name="Envoi en cours")).to_have_count(0)
    browsing.check()
