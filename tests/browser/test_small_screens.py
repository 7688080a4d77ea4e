"""Issue 13, point 4: small screens (WCAG 1.4.10, reflow). At 320 and 360 px wide no page of the
main flows scrolls sideways, and below ~600 px the partner history and the agent queues show one
card per request (same information, « Consulter le détail » included) instead of a wide table.

The walk also checks, on every page, that each element issuing an htmx request gets the waiting
state from <body> (issue 13, point 3; see tests/main/test_waiting.py)."""
import re

import pytest

from tests.browser.conftest import ARTIFACTS, expect
from tests.browser.test_msa import create_conversation, create_member, msa_log_in
from tests.browser.test_partenaires import AGENT_GIRONDE, MARTINE, enter_gironde

pytestmark = pytest.mark.browser

MSA_AGENT = "agent.msa@demo.guichet.fr"

# What is wider than the window, to say which element escapes (empty when nothing does).
OVERFLOW = """() => {
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 0.5 && r.width > 0) wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().replace(/\\s+/g, '.') : '')
      + ' → ' + Math.round(r.right));
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 8)};
}"""

# Every element that issues an htmx request inherits hx-indicator / hx-disabled-elt from <body>
# (only the attachments' file input has its own indicator).
ESCAPING_WAIT = """() => Array.from(document.querySelectorAll('[hx-get],[hx-post],[hx-boost]'))
  .filter(el => {
    const own = el.closest('[hx-indicator]');
    if (own !== document.body && !(el.matches('input[type=file]') && own === el)) return true;
    return el.closest('[hx-disabled-elt]') !== document.body;
  }).map(el => el.outerHTML.slice(0, 120))"""


class Walk:
    def __init__(self, browsing, width):
        self.browsing = browsing
        self.page = browsing.page
        self.width = width
        self.pages = []
        self.page.set_viewport_size({"width": width, "height": 720})

    def here(self, name):
        """Checks the page shown: no sideways scroll, the waiting state for every htmx request."""
        browsing, page = self.browsing, self.page
        browsing.check()
        page.wait_for_load_state("load")
        overflow = page.evaluate(OVERFLOW)
        assert overflow is None, f"{name} ({page.url}) défile horizontalement à {self.width} px : {overflow}"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        if browsing.js:
            escaping = page.evaluate(ESCAPING_WAIT)
            assert not escaping, f"{name} : requêtes htmx sans indicateur d’attente : {escaping}"
        self.pages.append(name)

    def goto(self, path, name):
        response = self.page.goto(path)
        assert response is not None and response.status == 200, f"{path} : {response and response.status}"
        self.here(name)

    def follow(self, link, name):
        link.click()
        self.here(name)

    def log_out(self):
        self.page.context.clear_cookies()


@pytest.mark.parametrize("width", [320, 360])
def test_no_page_scrolls_sideways_on_small_screens(browser_page, width):
    walk = Walk(browser_page, width)
    page = walk.page
    walk.goto("/", "accueil")
    walk.goto("/compte/connexion", "connexion")

    # Espace Partenaires, technician.
    enter_gironde(browser_page, MARTINE)
    walk.here("accueil partenaires")
    walk.goto("/partenaires/demandes", "historique")
    walk.follow(page.locator("#historique-resultats").get_by_role("link", name=re.compile("^Consulter le détail"))
                .first, "détail d’une demande")
    walk.goto("/partenaires/demandes/nouvelle/2", "nouvelle demande")
    walk.log_out()

    # The CPAM agent's queue and one request.
    browser_page.log_in(AGENT_GIRONDE)
    walk.goto("/agent/partenaires/", "file des demandes (agent)")
    walk.follow(page.locator("table.queue tbody a").first, "demande (agent)")
    walk.log_out()

    # MSA member: home, « Ma messagerie », a new message, a conversation.
    email, nir, _ = create_member(browser_page.server)
    conversation_id = create_conversation(browser_page.server, email, "Ma fille est née le 2 mars.")
    msa_log_in(browser_page, nir)
    walk.goto("/msa/", "accueil MSA")
    walk.goto("/msa/messages", "messagerie")
    walk.goto("/msa/messages/nouveau", "nouveau message")
    walk.goto(f"/msa/messages/{conversation_id}", "conversation")
    walk.log_out()

    # MSA agent's inbox.
    browser_page.log_in(MSA_AGENT)
    walk.goto("/agent/msa/", "boîte de réception (agent MSA)")
    assert len(walk.pages) >= 13


# Each cell's label (its ::before) and its column's <th>, for the first row of `table`.
LABELS = """table => {
  const heads = Array.from(table.querySelectorAll('thead th')).map(th => th.textContent.trim());
  const cells = Array.from(table.querySelector('tbody tr').children);
  return cells.map((td, i) => [heads[i], getComputedStyle(td, '::before').content.replace(/^"|"$/g, '')]);
}"""
# Lines of text a cell's own text takes (its label, a pseudo-element, is not in the range).
TEXT_LINES = """el => { const r = document.createRange(); r.selectNodeContents(el);
  return new Set(Array.from(r.getClientRects()).map(c => Math.round(c.top))).size; }"""


def expect_cards(browsing, table, label_of_last=True):
    """`table`'s rows are cards: one block per row, header row hidden, every cell labelled with its
    column's name (the history's last column, « Détail », is the link itself)."""
    page = browsing.page
    first = table.locator("tbody tr").first
    assert first.evaluate("el => getComputedStyle(el).display") == "block"
    expect(table.locator("thead")).to_be_hidden()
    pairs = table.evaluate(LABELS)
    if not label_of_last:
        assert pairs[-1][1] in ("none", "normal", ""), pairs[-1]
        pairs = pairs[:-1]
    assert pairs and all(head == label for head, label in pairs), pairs
    for head, _ in pairs:
        expect(first.locator("td").nth([h for h, _ in pairs].index(head))).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return first


@pytest.mark.parametrize("width", [360])
def test_history_and_queues_are_cards_on_small_screens(browser_page, width):
    walk = Walk(browser_page, width)
    page = walk.page
    enter_gironde(browser_page, MARTINE)
    walk.goto("/partenaires/demandes", "historique")
    first = expect_cards(browser_page, page.locator(".history-table"), label_of_last=False)
    expect(first.get_by_role("link", name=re.compile("^Consulter le détail"))).to_be_visible()
    # An offer's name on a few lines, not five to seven.
    lines = first.locator("td").first.evaluate(TEXT_LINES)
    assert lines <= 3, f"{lines} lignes pour le nom de l’offre"
    page.screenshot(path=str(ARTIFACTS / f"historique-cartes-360-{browser_page.mode}.png"), full_page=True)
    # Wider than 600 px, the table is back.
    page.set_viewport_size({"width": 800, "height": 720})
    assert first.evaluate("el => getComputedStyle(el).display") == "table-row"
    page.set_viewport_size({"width": width, "height": 720})
    walk.log_out()

    browser_page.log_in(AGENT_GIRONDE)
    walk.goto("/agent/partenaires/", "file des demandes (agent)")
    expect_cards(browser_page, page.locator("#partenaires-file"))
    page.screenshot(path=str(ARTIFACTS / f"file-agent-cartes-360-{browser_page.mode}.png"), full_page=True)
    walk.log_out()

    email, _, _ = create_member(browser_page.server)
    create_conversation(browser_page.server, email, "Ma fille est née le 2 mars.")
    browser_page.log_in(MSA_AGENT)
    walk.goto("/agent/msa/", "boîte de réception (agent MSA)")
    expect_cards(browser_page, page.locator("#msa-liste"))
