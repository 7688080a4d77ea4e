"""Home page and accessibility statement, with and without JavaScript."""
import pytest

from tests.browser.conftest import expect

pytestmark = pytest.mark.browser

PORTALS = ["Espace Partenaires", "MSA – Mon espace privé", "e-social des armées – Portail Des Aides",
           "Apgis – Espace Assuré", "Espace agents"]


def test_home_lists_portals_and_links_the_accessibility_statement(browser_page):
    page = browser_page.page
    browser_page.goto("/", shot="accueil")
    expect(browser_page.h1()).to_have_text("Guichet, vos démarches de protection sociale en ligne")
    cards = page.locator("ul.cards > li")
    expect(cards).to_have_count(len(PORTALS))
    for name in PORTALS:
        expect(cards.get_by_role("link", name=name, exact=True)).to_be_visible()
    account_nav = page.get_by_role("navigation", name="Compte")
    expect(account_nav.get_by_role("link", name="Se connecter")).to_be_visible()
    expect(account_nav.get_by_role("link", name="S’inscrire")).to_be_visible()

    page.get_by_role("contentinfo").get_by_role("link", name="Déclaration d’accessibilité").click()
    expect(page).to_have_url(browser_page.server.url + "/accessibilite")
    browser_page.check(shot="declaration-accessibilite")
    expect(browser_page.h1()).to_have_text("Déclaration d’accessibilité")
    expect(page.get_by_role("heading", name="État de conformité", level=2)).to_be_visible()
    expect(page.get_by_text("partiellement conforme").first).to_be_visible()

    page.get_by_role("contentinfo").get_by_role("link", name="Accueil de Guichet").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Guichet, vos démarches de protection sociale en ligne")


def test_skip_link_is_the_first_stop_and_moves_to_the_content(browser_page):
    page = browser_page.page
    browser_page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(browser_page.server.url + "/#contenu")
    browser_page.check()
    # The next Tab goes to the first link of the content, not back to the header.
    page.keyboard.press("Tab")
    expect(page.locator("main").get_by_role("link").first).to_be_focused()


def test_portal_page_offers_login(browser_page):
    page = browser_page.page
    browser_page.goto("/")
    page.get_by_role("link", name="Espace Partenaires", exact=True).click()
    browser_page.check(shot="portail-partenaires")
    expect(browser_page.h1()).to_be_visible()


def test_small_screen_has_no_horizontal_scrolling(browser_page):
    """WCAG 1.4.10 (reflow): at 320 CSS pixels wide, nothing needs horizontal scrolling."""
    page = browser_page.page
    page.set_viewport_size({"width": 320, "height": 640})
    for path, shot in [("/", "accueil-320px"), ("/compte/inscription", "inscription-320px"),
                       ("/compte/connexion", None)]:
        browser_page.goto(path, shot=shot)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{path} : défilement horizontal à 320 px (largeur {width} px)"
