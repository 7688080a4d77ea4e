"""The shared components on their demo page (/composants/demo): cascade with « Valider » and
« Modifier », character counter, commune search, attachment list; with and without JavaScript."""
import re

import pytest

from tests.browser.conftest import expect, expect_error_summary, pick_commune

pytestmark = pytest.mark.browser

DEMO = "/composants/demo"
CITIZEN = "jean.moreau@demo.guichet.fr"
RESIDENCE = "Code postal ou ville de résidence"
MAX = 750


def demo_available(live_server):
    return any(rule.rule == DEMO for rule in live_server.app.url_map.iter_rules())


@pytest.fixture
def demo(browser_page):
    if not demo_available(browser_page.server):
        pytest.skip(f"La page de démonstration des composants ({DEMO}) n’existe pas encore.")
    # Login required: the demo page sends to the login page, then back.
    browser_page.log_in(CITIZEN, path=DEMO)
    page = browser_page.page
    expect(page).to_have_url(browser_page.server.url + DEMO)
    expect(browser_page.h1()).to_have_text("Démonstration des composants")
    return browser_page


def choose(browsing, label, option, next_label=None):
    """One level of the cascade: pick `option` in the list `label`, then « Valider »."""
    page = browsing.page
    page.get_by_label(label, exact=True).select_option(label=option)
    page.locator(".cascade-step").get_by_role("button", name="Valider").click()
    if next_label:
        select = page.get_by_label(next_label, exact=True)
        expect(select).to_be_visible()
        if browsing.js:
            # Swapped in place, the next list takes the focus.
            expect(select).to_be_focused()
    else:
        # Complete (with JS, the page is loaded anew): the rest of the form comes.
        expect(page.get_by_label("Votre message")).to_be_visible()
    browsing.check()


def choice_of(page, level):
    return page.locator(".cascade-choice").filter(has=page.locator("dt", has_text=f"{level} :")).locator("dd").first


def counter(page):
    return page.locator(".field--counted .counter")


def test_cascade_counter_and_commune(demo):
    page = demo.page
    demo.check(shot="composants-demo")

    # « Valider » without a choice: the cascade says what is missing.
    page.locator(".cascade-step").get_by_role("button", name="Valider").click()
    demo.check()
    expect_cascade_error(demo, "Sélectionnez le thème.")

    choose(demo, "Thème", "Famille, logement", next_label="Sujet")
    expect(choice_of(page, "Thème")).to_have_text("Famille, logement")
    choose(demo, "Sujet", "Attestations \"famille\"", next_label="Motif")
    choose(demo, "Motif", "Attestation de quotient familial")
    expect(page.get_by_label("Votre message")).to_be_visible()
    expect(page.get_by_text("Service en ligne : Consulter mon quotient familial")).to_be_visible()
    expect(choice_of(page, "Motif")).to_have_text("Attestation de quotient familial")
    demo.check(shot="composants-demo-cascade-complete")

    # « Modifier » the subject: the theme stays, the subject is asked again.
    page.get_by_role("link", name="Modifier : Sujet").click()
    expect(page.get_by_label("Sujet", exact=True)).to_be_visible()
    demo.check()
    expect(choice_of(page, "Thème")).to_have_text("Famille, logement")
    expect(page.locator(".cascade-choice")).to_have_count(1)
    expect(page.get_by_label("Motif", exact=True)).to_have_count(0)
    choose(demo, "Sujet", "Paiements et décomptes \"famille\"", next_label="Motif")
    choose(demo, "Motif", "Date de paiement - Famille")
    expect(choice_of(page, "Sujet")).to_have_text("Paiements et décomptes \"famille\"")
    expect(page.get_by_text("Service en ligne")).to_have_count(0)

    # Character counter: live with JS (code points, an emoji counts one), a static hint without.
    message = page.get_by_label("Votre message")
    expect(page.get_by_text(f"{MAX} caractères maximum")).to_be_visible()
    text = "Bonjour, é 😀"
    if demo.js:
        expect(counter(page)).to_have_text(f"{MAX} caractères restants.")
        message.press_sequentially(text, delay=20)
        expect(counter(page)).to_have_text(f"{MAX - len(text)} caractères restants.")
        # Announced politely once typing pauses, not at every key.
        expect(page.locator("#" + counter(page).get_attribute("id") + "-live")).to_have_text(
            f"{MAX - len(text)} caractères restants.")
    else:
        message.fill(text)
        expect(counter(page)).to_be_hidden()
        expect(page.get_by_text("caractères restants")).to_have_count(0)
    expect(message).to_have_accessible_description(re.compile(f"{MAX} caractères maximum"))

    pick_commune(demo, RESIDENCE, "33000", "Bordeaux (33000)",
                 kept=lambda: expect(page.get_by_label("Votre message")).to_have_value(text),
                 shot="composants-demo-commune")
    expect(choice_of(page, "Motif")).to_have_text("Date de paiement - Famille")
    page.locator("#demo-formulaire").get_by_role("button", name="Valider").click()
    demo.check(shot="composants-demo-envoye")
    expect(page.get_by_text("Votre saisie a bien été enregistrée.")).to_be_visible()
    summary = page.locator(".summary-list")
    for term, value in [("Thème", "Famille, logement"), ("Sujet", "Paiements et décomptes \"famille\""),
                        ("Motif", "Date de paiement - Famille"), ("Message", text),
                        ("Longueur du message", f"{len(text)} caractères"), ("Pays de résidence", "France"),
                        ("Ville de résidence", "Bordeaux (33000)")]:
        expect(summary.locator("div").filter(has=page.locator("dt", has_text=re.compile(f"^{term}$")))
               .locator("dd")).to_have_text(value)


def expect_cascade_error(browsing, message):
    page = browsing.page
    summary = page.locator(".cascade .error-summary")
    expect(summary.get_by_role("heading", name="Il y a un problème")).to_be_visible()
    expect(summary.get_by_role("link", name=message)).to_be_visible()
    if browsing.js:
        # Swapped in place: the <title> is not updated (see the report), the summary takes the focus.
        assert browsing.focused("el.classList.contains('error-summary')"), \
            "le récapitulatif d’erreurs n’a pas le focus"
    else:
        expect(page).to_have_title(re.compile(r"^Erreur : "))


def test_too_long_message_and_missing_town_are_refused_keeping_the_rest(demo):
    page = demo.page
    choose(demo, "Thème", "Santé", next_label="Sujet")
    choose(demo, "Sujet", "Remboursements de soins", next_label="Motif")
    choose(demo, "Motif", "Délai de remboursement")
    text = "é" * (MAX + 10)
    page.get_by_label("Votre message").fill(text)
    if demo.js:
        expect(counter(page)).to_have_text("Vous avez dépassé la limite de 10 caractères.")
    page.get_by_label("Pays de résidence").select_option(label="Belgique")
    if not demo.js:
        page.get_by_role("button", name="Changer de pays").click()
        demo.check()
        expect(page.get_by_label("Votre message")).to_have_value(text)
    else:
        expect(page.get_by_label(re.compile(r"^Ville de résidence"))).to_be_visible()
        demo.check()
    page.locator("#demo-formulaire").get_by_role("button", name="Valider").click()
    demo.check(shot="composants-demo-erreurs")
    expect_error_summary(demo, f"Le message doit faire {MAX} caractères maximum : il en fait {MAX + 10}.",
                         "Saisissez la ville de résidence en entier.")
    expect(page.get_by_label("Votre message")).to_have_value(text)
    expect(page.get_by_label("Pays de résidence")).to_have_value("BE")
    expect(choice_of(page, "Motif")).to_have_text("Délai de remboursement")
    if demo.js:
        expect(counter(page)).to_have_text("Vous avez dépassé la limite de 10 caractères.")


def test_attachments(demo, tmp_path):
    page = demo.page
    choose(demo, "Thème", "Santé", next_label="Sujet")
    choose(demo, "Sujet", "Remboursements de soins", next_label="Motif")
    choose(demo, "Motif", "Délai de remboursement")
    if page.locator(".attachments-field").count() == 0:
        pytest.skip("La liste de pièces jointes n’est pas encore branchée sur la page de démonstration.")
    pdf = tmp_path / "attestation.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"0" * 2000)
    page.get_by_label("Votre message").fill("Voici mon attestation.")
    file_input = page.get_by_label(re.compile(r"^Ajouter (un ou plusieurs fichiers|un fichier)"))
    file_input.set_input_files(str(pdf))
    if not demo.js:
        page.get_by_role("button", name="Ajouter", exact=True).click()
    files = page.locator(".attachment-list")
    expect(files.get_by_role("link", name="attestation.pdf")).to_be_visible()
    expect(files).to_contain_text("ko")
    demo.check(shot="composants-demo-pieces-jointes")
    expect(page.get_by_label("Votre message")).to_have_value("Voici mon attestation.")
    page.get_by_role("button", name="Retirer le fichier attestation.pdf").click()
    expect(page.get_by_text("Aucune pièce jointe enregistrée.")).to_be_visible()
    demo.check()
    expect(page.get_by_label("Votre message")).to_have_value("Voici mon attestation.")
