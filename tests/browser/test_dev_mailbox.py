"""The development mailbox (/dev/courriels): list, message page, back link, unknown message."""
import re

import pytest

from tests.browser.conftest import expect

pytestmark = pytest.mark.browser


def request_reset(browser_page, email):
    page = browser_page.page
    browser_page.goto("/compte/mot-de-passe-oublie")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_role("button", name="Valider la réinitialisation du mot de passe").click()
    browser_page.check()


def test_mailbox_lists_messages_and_opens_one(browser_page):
    email = browser_page.server.create_user()
    request_reset(browser_page, email)
    page = browser_page.page
    browser_page.goto("/dev/courriels")
    expect(browser_page.h1()).to_have_text("Boîte de réception de développement")
    expect(page.get_by_text("Page de développement : elle n’existe pas en production.")).to_be_visible()
    table = page.get_by_role("table", name="Les 100 derniers messages, du plus récent au plus ancien")
    expect(table.get_by_role("columnheader")).to_have_text(["Date", "Canal", "Destinataire", "Objet", "État"])
    row = table.get_by_role("row").filter(has_text=email)
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell")).to_have_text(
        [re.compile(r"^\d\d/\d\d/\d{4} \d\dh\d\dmin$"),  # Paris time, as on every page
         "Courriel", email, "Réinitialisation de votre mot de passe", re.compile(r"^(En attente|Envoyé)$")])
    # Newest first: the message just sent is on the first line.
    expect(table.locator("tbody tr").first).to_contain_text(email)

    row.get_by_role("link", name="Réinitialisation de votre mot de passe").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Réinitialisation de votre mot de passe")
    expect(page.locator(".summary-list")).to_contain_text(email)
    body = page.locator(".mail-body")
    expect(body).to_contain_text("Vous avez demandé la réinitialisation de votre mot de passe.")
    # The reset link, then the service footer's link to the site.
    expect(body.get_by_role("link")).to_have_count(2)
    expect(body.get_by_role("link").last).to_have_attribute("href", browser_page.server.url + "/")
    link = body.get_by_role("link").first
    expect(link).to_have_attribute("href", re.compile(
        "^" + re.escape(browser_page.server.url + "/compte/mot-de-passe/reinitialiser/") + r"[\w-]{20,}$"))

    page.get_by_role("link", name="Retour à la boîte de réception").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Boîte de réception de développement")


def test_unknown_message_is_a_404_page(browser_page):
    browser_page.goto("/dev/courriels/999999", status=404, shot="erreur-404")
    expect(browser_page.h1()).to_have_text("Page introuvable")
