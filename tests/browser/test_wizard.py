"""The wizard kit on its demo (/composants/assistant), with JavaScript on and off: errors that keep
what was typed, « Suivant », « Précédent » keeping the choice and the file, « Enregistrer »,
the recap and its validation; leaving half-way, resuming, then discarding the draft."""
import re

import pytest

from tests.browser.conftest import add_files, expect, expect_error_summary

pytestmark = pytest.mark.browser

BASE = "/composants/assistant/"


def step_nav(page):
    return page.get_by_role("navigation", name="Étapes")


def expect_step(browsing, title, number, shot=None):
    """The step `title` is shown: <h1>, address, breadcrumb's current step; with JS its heading has
    the focus (swapped in place) and the page was not reloaded."""
    page = browsing.page
    expect(browsing.h1()).to_have_text(title)
    expect(page).to_have_title(re.compile(f"^{re.escape(title)} – Étape {number} sur 3 – "))
    current = step_nav(page).locator("[aria-current=step]")
    expect(current).to_have_count(1)
    expect(current).to_contain_text(f"Étape {number} sur 3, en cours : {title}")
    if browsing.js:
        expect(browsing.h1()).to_be_focused()
        assert page.evaluate("window.samePage === true"), "la page a été rechargée"
    browsing.check(shot=shot)


def label(page, text):
    """A field by its label, « (obligatoire) » left aside."""
    return page.get_by_label(re.compile(f"^{re.escape(text)}( \\(obligatoire\\))?$"))


def expect_errors(browsing, *messages):
    if browsing.js:
        # The summary takes the focus once htmx has settled the swap.
        expect(browsing.page.locator(".error-summary")).to_be_focused()
    expect_error_summary(browsing, *messages)


def button(page, name):
    return page.locator("#assistant-formulaire .wizard-actions").get_by_role("button", name=name, exact=True)


@pytest.fixture
def assistant(browser_page):
    email = browser_page.server.create_user()
    browser_page.log_in(email, path=BASE)  # login required: back to the wizard after logging in
    page = browser_page.page
    expect(page).to_have_url(re.compile(r"/composants/assistant/identite$"))
    expect(browser_page.h1()).to_have_text("Votre identité")
    if browser_page.js:
        page.evaluate("window.samePage = true")
    return browser_page


def test_walk_the_wizard(assistant, tmp_path):
    page = assistant.page
    assistant.check(shot="assistant-identite")
    expect(step_nav(page).get_by_role("link")).to_have_count(0)

    # « Suivant » with errors: everything typed is kept.
    label(page, "Nom").fill("Dupont")
    label(page, "Date de naissance").fill("31/02/1985")
    button(page, "Suivant").click()
    expect_errors(assistant, "Saisissez votre prénom.", "Saisissez une date valide au format JJ/MM/AAAA.")
    assistant.check(shot="assistant-erreurs")
    expect(label(page, "Nom")).to_have_value("Dupont")
    expect(label(page, "Date de naissance")).to_have_value("31/02/1985")

    label(page, "Prénom").fill("Léa")
    label(page, "Date de naissance").fill("14/07/1985")
    button(page, "Suivant").click()
    expect_step(assistant, "Votre choix", 2, shot="assistant-choix")
    expect(page).to_have_url(re.compile(r"/composants/assistant/choix$"))
    expect(step_nav(page).get_by_role("link", name="Votre identité")).to_be_visible()

    # A choice and a file, then « Précédent »: nothing is lost on the way back and forth.
    page.get_by_label("Par téléphone").check()
    pdf = tmp_path / "avis.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"0" * 2000)
    add_files(assistant, "Ajouter un ou plusieurs fichiers", [pdf])
    expect(page.get_by_label("Par téléphone")).to_be_checked()
    button(page, "Précédent").click()
    expect_step(assistant, "Votre identité", 1)
    expect(label(page, "Prénom")).to_have_value("Léa")
    button(page, "Suivant").click()
    expect_step(assistant, "Votre choix", 2)
    expect(page.get_by_label("Par téléphone")).to_be_checked()
    expect(page.locator(".attachment-list").get_by_role("link", name="avis.pdf")).to_be_visible()

    # « Enregistrer »: the confirmation is shown (and, with JS, the form stays as it is).
    button(page, "Enregistrer").click()
    expect(page.locator("#messages")).to_contain_text("Votre brouillon a été enregistré.")
    assistant.check(shot="assistant-enregistre")
    expect(page.get_by_label("Par téléphone")).to_be_checked()

    button(page, "Suivant").click()
    expect_step(assistant, "Récapitulatif", 3, shot="assistant-recapitulatif")
    recap = page.locator(".summary-list")
    for term, value in [("Nom", "Dupont"), ("Prénom", "Léa"), ("Date de naissance", "14/07/1985"),
                        ("Contact", "Par téléphone"), ("Justificatifs", "avis.pdf")]:
        expect(recap.locator("div").filter(has=page.locator("dt", has_text=re.compile(f"^{term}$")))
               .locator("dd").first).to_have_text(value)
    expect(step_nav(page).get_by_role("link")).to_have_count(2)

    button(page, "Valider").click()
    expect_errors(assistant, "Cochez la case pour certifier l’exactitude des informations.")
    assistant.check()
    page.get_by_label("Je certifie l’exactitude des informations saisies").check()
    button(page, "Valider").click()
    expect(assistant.h1()).to_have_text("Votre saisie a bien été validée")
    assistant.check(shot="assistant-valide")


def test_leave_resume_then_discard(assistant):
    page = assistant.page
    label(page, "Nom").fill("Martin")
    button(page, "Enregistrer").click()
    expect(page.locator("#messages")).to_contain_text("Votre brouillon a été enregistré.")
    assistant.check()

    # Leave, come back by the wizard's address: the draft is resumed where it was left.
    assistant.goto("/composants/demo")
    page.get_by_role("link", name="l’assistant de démonstration").click()
    expect(assistant.h1()).to_have_text("Votre identité")
    assistant.check()
    expect(label(page, "Nom")).to_have_value("Martin")
    expect(page.get_by_text(re.compile(r"^Brouillon enregistré le "))).to_be_visible()

    button(page, "Supprimer le brouillon").click()
    expect(assistant.h1()).to_have_text("Voulez-vous supprimer votre brouillon ?")
    assistant.check(shot="assistant-supprimer")
    page.get_by_role("button", name="Supprimer le brouillon").click()
    expect(assistant.h1()).to_have_text("Votre identité")
    expect(page.locator("#messages")).to_contain_text("Votre brouillon a été supprimé.")
    assistant.check()
    expect(label(page, "Nom")).to_have_value("")
    expect(button(page, "Supprimer le brouillon")).to_have_count(0)


@pytest.mark.xfail(strict=False, reason="failed under CI load (pytest-xdist) after stop 17's last merges while passing "
                                        "alone; cause not found yet (stop 17 closing note)")
def test_enregistrer_keeps_the_focus_with_javascript(assistant):
    """With htmx, « Enregistrer » only updates the live region: the focus stays on the button."""
    if not assistant.js:
        pytest.skip("without JavaScript the page is loaded again")
    page = assistant.page
    label(page, "Nom").fill("Dupont")
    label(page, "Prénom").fill("Léa")
    label(page, "Date de naissance").fill("14/07/1985")
    button(page, "Enregistrer").click()
    expect(page.locator("#messages")).to_contain_text("Votre brouillon a été enregistré.")
    expect(button(page, "Enregistrer")).to_be_focused()
