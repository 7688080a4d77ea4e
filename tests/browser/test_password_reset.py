"""Forgotten password: request, emailed link, new password, login; the link works once only."""
import re

import pytest

from tests.browser.conftest import PASSWORD, expect, expect_error_summary

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Nouveau-secret-42"
NEW = re.compile(r"^Nouveau mot de passe")
CONFIRMATION = re.compile(r"^Confirmation du nouveau mot de passe")
LOGIN_PASSWORD = re.compile(r"^Mot de passe")


def log_in(page, email, password):
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label(LOGIN_PASSWORD).fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_password_reset_by_emailed_link(browser_page):
    email = browser_page.server.create_user(first_name="Hugo", last_name="Lemoine")
    page = browser_page.page
    browser_page.goto("/compte/connexion")
    page.get_by_role("link", name="Mot de passe oublié").click()
    browser_page.check(shot="mot-de-passe-oublie")
    expect(browser_page.h1()).to_have_text("Mot de passe oublié")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_role("button", name="Valider la réinitialisation du mot de passe").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Consultez votre boîte mail")
    expect(page.locator("main")).to_contain_text(f"Si un compte est lié à l’adresse {email}")

    link = browser_page.mail_link(email, "Réinitialisation de votre mot de passe")
    reset_url = link.get_attribute("href")
    assert "/compte/mot-de-passe/reinitialiser/" in reset_url
    link.click()
    browser_page.check(shot="nouveau-mot-de-passe")
    expect(browser_page.h1()).to_have_text("Choisir un nouveau mot de passe")
    expect(page).to_have_url(browser_page.server.url + "/compte/mot-de-passe/reinitialiser")

    # A password that breaks the rule is refused, with the rule's missing parts spelt out.
    page.get_by_label(NEW).fill("motdepasse")
    page.get_by_label(CONFIRMATION).fill("motdepasse")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    browser_page.check()
    expect_error_summary(browser_page, "Le mot de passe doit contenir une majuscule, un chiffre, "
                                       "un caractère spécial.")
    expect(page.get_by_label(NEW)).to_have_attribute("aria-invalid", "true")

    page.get_by_label(NEW).fill(NEW_PASSWORD)
    page.get_by_label(CONFIRMATION).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Se connecter")
    expect(page.locator("#messages")).to_contain_text(
        "Votre mot de passe a été réinitialisé. Vous pouvez vous connecter.")

    # The old password no longer works, the new one does.
    log_in(page, email, PASSWORD)
    browser_page.check()
    expect_error_summary(browser_page, "Adresse e-mail ou mot de passe incorrect.")
    log_in(page, email, NEW_PASSWORD)
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Mon compte")
    expect(page.get_by_role("navigation", name="Compte").get_by_role("link", name="Hugo Lemoine")).to_be_visible()

    # The change was notified by email.
    browser_page.goto("/dev/courriels")
    expect(page.get_by_role("row").filter(has_text=email)
           .filter(has_text="Votre mot de passe a été modifié")).to_have_count(1)

    # The link cannot be used a second time.
    response = page.goto(reset_url)
    assert response.status == 410
    browser_page.check(shot="lien-expire")
    expect(browser_page.h1()).to_have_text("Ce lien n’est plus valide")
    expect(page.get_by_role("link", name="Recevoir un nouveau lien de réinitialisation")).to_be_visible()
    expect(page.get_by_label(NEW)).to_have_count(0)


def test_unknown_address_gets_the_same_answer(browser_page):
    page = browser_page.page
    browser_page.goto("/compte/mot-de-passe-oublie")
    page.get_by_label("Adresse e-mail").fill("personne.inconnue@exemple.fr")
    page.get_by_role("button", name="Valider la réinitialisation du mot de passe").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Consultez votre boîte mail")
    expect(page.locator("main")).to_contain_text("Si un compte est lié à l’adresse personne.inconnue@exemple.fr")
    browser_page.goto("/dev/courriels")
    expect(page.get_by_role("row").filter(has_text="personne.inconnue@exemple.fr")).to_have_count(0)


def test_forgotten_password_form_errors(browser_page):
    page = browser_page.page
    browser_page.goto("/compte/mot-de-passe-oublie")
    page.get_by_label("Adresse e-mail").fill("pas-une-adresse")
    page.get_by_role("button", name="Valider la réinitialisation du mot de passe").click()
    browser_page.check()
    expect_error_summary(browser_page, "Saisissez une adresse e-mail valide")
    expect(page.get_by_label("Adresse e-mail")).to_have_value("pas-une-adresse")
