"""Login and logout, with and without JavaScript."""
import re

import pytest

from tests.browser.conftest import PASSWORD, expect, expect_error_summary

pytestmark = pytest.mark.browser

CITIZEN = "camille.dupont@demo.guichet.fr"
PASSWORD_LABEL = re.compile(r"^Mot de passe")


def test_wrong_password_then_right_password_then_logout(browser_page):
    page = browser_page.page
    browser_page.goto("/")
    page.get_by_role("navigation", name="Compte").get_by_role("link", name="Se connecter").click()
    browser_page.check(shot="connexion")
    expect(browser_page.h1()).to_have_text("Se connecter")

    page.get_by_label("Adresse e-mail").fill(CITIZEN)
    page.get_by_label(PASSWORD_LABEL).fill("Pas-le-bon-1")
    page.get_by_role("button", name="Se connecter").click()
    browser_page.check(shot="connexion-erreur")
    expect_error_summary(browser_page, "Adresse e-mail ou mot de passe incorrect.")
    # The email typed is kept; the password is not sent back.
    expect(page.get_by_label("Adresse e-mail")).to_have_value(CITIZEN)
    expect(page.get_by_label(PASSWORD_LABEL)).to_have_value("")

    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    browser_page.check(shot="mon-compte")
    expect(page).to_have_url(browser_page.server.url + "/compte/")
    expect(browser_page.h1()).to_have_text("Mon compte")
    expect(page.locator("#messages")).to_contain_text("Vous êtes connecté.")
    account_nav = page.get_by_role("navigation", name="Compte")
    expect(account_nav.get_by_role("link", name="Camille Dupont")).to_be_visible()
    expect(page.locator(".summary-list")).to_contain_text(CITIZEN)

    account_nav.get_by_role("button", name="Se déconnecter").click()
    browser_page.check()
    expect(page).to_have_url(browser_page.server.url + "/")
    expect(page.locator("#messages")).to_contain_text("Vous êtes déconnecté.")
    expect(account_nav.get_by_role("link", name="Se connecter")).to_be_visible()
    expect(account_nav.get_by_role("link", name="Camille Dupont")).to_have_count(0)

    # The session is over on the server: « Mon compte » asks to log in again.
    browser_page.goto("/compte/")
    expect(page).to_have_url(re.compile(r"/compte/connexion\?next="))
    expect(browser_page.h1()).to_have_text("Se connecter")


def test_empty_login_lists_each_field_and_links_to_it(browser_page):
    page = browser_page.page
    browser_page.goto("/compte/connexion")
    page.get_by_role("button", name="Se connecter").click()
    browser_page.check()
    summary = expect_error_summary(browser_page, "Saisissez votre adresse e-mail.",
                                   "Saisissez votre mot de passe.")
    # Each error is tied to its field and its link leads to it.
    email = page.get_by_label("Adresse e-mail")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(re.compile("Saisissez votre adresse e-mail."))
    summary.get_by_role("link", name="Saisissez votre mot de passe.").click()
    expect(page.get_by_label(PASSWORD_LABEL)).to_be_focused()
    browser_page.check()


def test_login_page_sends_a_logged_in_user_on_to_next(browser_page):
    """A protected page asks to log in, then comes back to it."""
    page = browser_page.page
    browser_page.goto("/compte/mot-de-passe")
    expect(page).to_have_url(re.compile(r"/compte/connexion\?next="))
    page.get_by_label("Adresse e-mail").fill("jean.moreau@demo.guichet.fr")
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    browser_page.check()
    expect(page).to_have_url(browser_page.server.url + "/compte/mot-de-passe")
    expect(browser_page.h1()).to_have_text("Modifier le mot de passe")


@pytest.mark.parametrize("next_value", ["/%09/evil.example", "/%5C%5Cevil.example", "%2F%2Fevil.example"])
def test_login_with_a_poisoned_next_stays_on_the_site(browser_page, next_value):
    """`next=/%09/evil.example` once came back as `Location: /\\t/evil.example`, which a browser
    reads as `//evil.example`: Chromium must never leave the site."""
    page = browser_page.page
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    browser_page.goto(f"/compte/connexion?next={next_value}")
    page.get_by_label("Adresse e-mail").fill(CITIZEN)
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    browser_page.check()
    expect(page.locator("#messages")).to_contain_text("Vous êtes connecté.")
    assert page.url.startswith(browser_page.server.url + "/"), page.url
    assert all(url.startswith(browser_page.server.url) for url in requested), requested
