"""Issue 13, point 3: a slow htmx request shows « Chargement en cours… » (a polite live region) and
disables the button or link that asked, until the answer comes (the mechanism is on <body>, see
templates/base.html). Only with JavaScript: without it the page simply loads, and the one-time
submission tokens protect a double submit (tests of core/submission.py)."""
import pytest

from tests.browser.conftest import expect
from tests.browser.test_partenaires import MARTINE, enter_gironde, open_history

pytestmark = pytest.mark.browser


class HeldRequests:
    """Holds the htmx requests to the history until released: the test sees the waiting state for
    as long as it needs, whatever the machine's speed (a fixed delay would be a race)."""

    def __init__(self, page, pattern):
        self.held = []
        self.page = page
        page.route(pattern, self._handle)

    def _handle(self, route):
        if route.request.headers.get("hx-request") == "true":
            self.held.append(route)
        else:
            route.continue_()

    def wait_for_one(self):
        self.page.wait_for_function("() => true")  # lets Playwright dispatch the route event
        for _ in range(100):
            if self.held:
                return
            self.page.wait_for_timeout(50)
        raise AssertionError("aucune requête htmx n’est partie")

    def release(self):
        while self.held:
            self.held.pop(0).continue_()


@pytest.mark.parametrize("js", [True], ids=["js"])
def test_slow_history_request_shows_the_indicator_and_disables_what_asked(browser_page):
    browsing, page = browser_page, browser_page.page
    enter_gironde(browsing, MARTINE)
    open_history(browsing)
    region = page.locator("#chargement")
    expect(region).to_have_attribute("role", "status")
    expect(region.get_by_text("Chargement en cours…")).to_be_hidden()  # nothing runs yet
    held = HeldRequests(page, "**/partenaires/demandes*")

    # A form: « Appliquer » is disabled and the live region says it is loading.
    button = page.get_by_role("button", name="Appliquer", exact=True)
    page.get_by_label("Rechercher").fill("a")
    button.click()
    held.wait_for_one()
    expect(button).to_be_disabled()
    expect(region.get_by_text("Chargement en cours…")).to_be_visible()
    page.screenshot(path=str(browsing_artifact("attente-historique")))
    held.release()
    expect(region.get_by_text("Chargement en cours…")).to_be_hidden()
    expect(button).to_be_enabled()

    # A link (the pagination, boosted): disabled while its page loads.
    browsing.goto("/partenaires/demandes")
    next_page = page.get_by_role("navigation", name="Pagination", exact=True).get_by_role("link", name="Page suivante")
    next_page.click()
    held.wait_for_one()
    expect(next_page).to_have_attribute("data-disabled-by-htmx", "")
    expect(next_page).to_have_css("pointer-events", "none")
    expect(region.get_by_text("Chargement en cours…")).to_be_visible()
    held.release()
    expect(region.get_by_text("Chargement en cours…")).to_be_hidden()
    expect(page.locator("#historique-total")).to_contain_text("page 2")
    browsing.check()


def browsing_artifact(name):
    from tests.browser.conftest import ARTIFACTS
    return ARTIFACTS / f"{name}-js.png"
