"""Sign-up, activation by the emailed link, and a sign-up with errors, with and without JavaScript."""
import re

import pytest

from tests.browser.conftest import expect, expect_error_summary, pick_commune, unique_email

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Inscription-2026!"
SEARCH_LABEL = "Code postal ou ville de naissance"
LAST_NAME = re.compile(r"^Nom")
PASSWORD = re.compile(r"^Mot de passe")
CONFIRMATION = re.compile(r"^Confirmation du mot de passe")
CITY_ABROAD = re.compile(r"^Ville de naissance")
ACCEPT = re.compile(r"^J’accepte que les données personnelles")


def open_registration(browser_page):
    page = browser_page.page
    browser_page.goto("/")
    page.get_by_role("navigation", name="Compte").get_by_role("link", name="S’inscrire").click()
    browser_page.check(shot="inscription")
    expect(browser_page.h1()).to_have_text("S’inscrire")
    return page


def fill_identity(page, email, first="Léa", last="Garnier", birth_date="14/07/1985"):
    page.get_by_label("Madame").check()
    page.get_by_label("Prénom").fill(first)
    page.get_by_label(LAST_NAME).fill(last)
    page.get_by_label("Courriel personnel").fill(email)
    page.get_by_label("Date de naissance").fill(birth_date)


def expect_identity_kept(page, email, first="Léa", last="Garnier", birth_date="14/07/1985"):
    expect(page.get_by_label("Madame")).to_be_checked()
    expect(page.get_by_label("Prénom")).to_have_value(first)
    expect(page.get_by_label(LAST_NAME)).to_have_value(last)
    expect(page.get_by_label("Courriel personnel")).to_have_value(email)
    expect(page.get_by_label("Date de naissance")).to_have_value(birth_date)


def pick_bordeaux(browser_page, **typed):
    """Birth place « 33000 » → « Bordeaux (33000) »: the list comes while typing with JS, after
    « Rechercher » without JS (the page then comes back with everything typed kept)."""
    page = browser_page.page
    expect(page.get_by_label("Ville", exact=True)).to_have_count(0)
    town = pick_commune(browser_page, SEARCH_LABEL, "33000", "Bordeaux (33000)",
                        kept=lambda: expect_identity_kept(page, **typed), shot="inscription-liste-villes")
    expect(browser_page.h1()).to_have_text("S’inscrire")
    if browser_page.js:
        expect(page.locator("#birth_commune-statut")).to_contain_text("1 ville trouvée")
    expect(town.locator("option")).to_have_count(1)
    expect(town).to_have_value("33063-33000")


def choose_country(browser_page, country):
    page = browser_page.page
    select = page.get_by_label("Pays de naissance")
    if browser_page.js:
        page.evaluate("window.samePage = true")
        select.focus()
        select.select_option(label=country)
        expect(page.get_by_label(CITY_ABROAD)).to_be_visible()
        assert page.evaluate("window.samePage === true"), "la page a été rechargée"
        # The part swapped in keeps the focus on the country list the user was using.
        expect(page.get_by_label("Pays de naissance")).to_be_focused()
    else:
        select.select_option(label=country)
        page.get_by_role("button", name="Changer de pays").click()
        expect(page.get_by_label(CITY_ABROAD)).to_be_visible()
    browser_page.check(shot="inscription-ne-a-l-etranger")
    expect(page.get_by_label("Pays de naissance")).to_have_value("DZ")
    expect(page.get_by_label(SEARCH_LABEL)).to_have_count(0)


def fill_password_and_accept(page, password=NEW_PASSWORD):
    page.get_by_label(PASSWORD).fill(password)
    page.get_by_label(CONFIRMATION).fill(password)
    page.get_by_label(ACCEPT).check()


def submit_and_activate(browser_page, email, first_name="Léa"):
    page = browser_page.page
    page.get_by_role("button", name="Valider").click()
    browser_page.check(shot="inscription-envoyee")
    expect(browser_page.h1()).to_have_text("Consultez votre boîte mail")
    expect(page.locator("main")).to_contain_text(f"Un courriel vient d’être envoyé à {email}.")

    link = browser_page.mail_link(email, "Activez votre compte")
    expect(page.locator(".mail-body")).to_contain_text(f"Bonjour {first_name},")
    link.click()
    browser_page.check(shot="activation")
    expect(browser_page.h1()).to_have_text("Activer votre compte")
    expect(page.locator("main")).to_contain_text(email)
    # The raw token left the address bar at once.
    expect(page).to_have_url(browser_page.server.url + "/compte/activation")
    # The password chosen at sign-up proves that whoever clicked is who signed up.
    page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Activer mon compte").click()
    browser_page.check(shot="compte-active")
    expect(page.locator("#messages")).to_contain_text("Votre compte est désormais actif.")
    expect(browser_page.h1()).to_have_text("Mon compte")
    nav = page.get_by_role("navigation", name="Compte")
    expect(nav.get_by_role("link", name="Léa Garnier")).to_be_visible()
    expect(nav.get_by_role("button", name="Se déconnecter")).to_be_visible()


def account_row(page, term):
    return page.locator(".summary-list div").filter(has=page.locator("dt", has_text=term)).locator("dd")


def test_registration_born_in_france_then_activation(browser_page):
    email = unique_email("lea.garnier")
    page = open_registration(browser_page)
    fill_identity(page, email)
    expect(page.get_by_label("Pays de naissance")).to_have_value("FR")
    pick_bordeaux(browser_page, email=email)
    fill_password_and_accept(page)
    submit_and_activate(browser_page, email)
    expect(account_row(page, "Lieu de naissance")).to_have_text("Bordeaux (33000)")
    expect(account_row(page, "Date de naissance")).to_have_text("14/07/1985")
    expect(account_row(page, "Adresse mail")).to_have_text(email)

    # The activation link works once only.
    page.get_by_role("navigation", name="Compte").get_by_role("button", name="Se déconnecter").click()
    browser_page.check()
    link = browser_page.mail_link(email, "Activez votre compte")
    link.click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Ce lien n’est plus valide")


def test_registration_born_abroad_then_activation(browser_page):
    email = unique_email("lea.garnier")
    page = open_registration(browser_page)
    fill_identity(page, email)
    choose_country(browser_page, "Algérie")
    if not browser_page.js:
        expect_identity_kept(page, email)
    page.get_by_label(CITY_ABROAD).fill("Alger")
    fill_password_and_accept(page)
    submit_and_activate(browser_page, email)
    expect(account_row(page, "Lieu de naissance")).to_have_text("Alger, Algérie")


def test_registration_with_errors_keeps_what_was_typed(browser_page):
    email = unique_email("lea.garnier")
    page = open_registration(browser_page)
    fill_identity(page, "lea.garnier@", birth_date="31/02/1985")
    pick_bordeaux(browser_page, email="lea.garnier@", birth_date="31/02/1985")
    page.get_by_label(PASSWORD).fill("court")
    page.get_by_label(CONFIRMATION).fill("autre")
    page.get_by_role("button", name="Valider").click()
    browser_page.check(shot="inscription-erreurs")

    summary = expect_error_summary(
        browser_page,
        "Saisissez une adresse e-mail valide, par exemple prenom.nom@exemple.fr.",
        "Saisissez une date valide au format JJ/MM/AAAA.",
        "Le mot de passe doit contenir",
        "Les deux mots de passe ne sont pas identiques.",
        "Cochez la case relative aux données personnelles pour valider.")
    expect(page.locator(".error-message")).to_have_count(5)
    expect_identity_kept(page, "lea.garnier@", birth_date="31/02/1985")
    expect(page.get_by_label(SEARCH_LABEL)).to_have_value("33000")
    expect(page.get_by_label("Ville", exact=True)).to_have_value("33063-33000")
    expect(page.get_by_label(ACCEPT)).not_to_be_checked()

    # The summary's links lead to their fields.
    summary.get_by_role("link", name="Cochez la case").click()
    expect(page.get_by_label(ACCEPT)).to_be_focused()
    summary.get_by_role("link", name="Saisissez une date valide").click()
    expect(page.get_by_label("Date de naissance")).to_be_focused()
    expect(page.get_by_label("Date de naissance")).to_have_accessible_description(
        re.compile("Saisissez une date valide au format JJ/MM/AAAA."))

    # Corrected, the same form goes through.
    page.get_by_label("Courriel personnel").fill(email)
    page.get_by_label("Date de naissance").fill("14/07/1985")
    fill_password_and_accept(page)
    page.get_by_role("button", name="Valider").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Consultez votre boîte mail")


def test_enter_in_a_field_submits_the_registration(browser_page):
    page = open_registration(browser_page)
    page.get_by_label("Prénom").fill("Léa")
    page.get_by_label("Prénom").press("Enter")
    browser_page.check()
    # Submitted for real: the other fields are reported missing.
    assert page.locator(".error-summary").count() == 1, "Entrée n’a pas validé le formulaire"
    expect_error_summary(browser_page, "Saisissez votre nom.")
