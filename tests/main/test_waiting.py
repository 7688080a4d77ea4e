"""Issue 13, point 3: every htmx request shows that it is waiting and disables what asked.

One mechanism for the whole site: <body> (templates/base.html) carries `hx-indicator` and
`hx-disabled-elt`, inherited by every element that issues a request. These tests scan the
templates so that no request escapes it: nothing overrides or cuts the inheritance except the
attachments' file input, which has its own « Envoi en cours… ». The browser tests
(tests/browser/test_small_screens.py, test_waiting.py) check the rendered pages and a slow request."""
import re
from pathlib import Path

from bs4 import BeautifulSoup

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
REQUEST_ATTRS = ("hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete", "hx-boost")
TAG = re.compile(r"<[a-zA-Z][^<>]*?\b(?:" + "|".join(REQUEST_ATTRS) + r")\b[^<>]*>", re.S)
# The only elements allowed their own indicator: the file input shows « Envoi en cours… » next to it.
OWN_INDICATOR = {("components/attachments.html", "input")}


def templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if not name.startswith("emails/"):
            yield name, path.read_text(encoding="utf-8")
    # HTML built in Python rather than by a template: the history's pagination.
    from blueprints.partenaires.history import Page, pagination_html
    for position in ("haut", "bas"):
        yield (f"partenaires/history.py:pagination_html({position})",
               str(pagination_html(Page(3, 10, 100), {"statut": "resolu"}, position, "/partenaires/demandes")))


def body_tag():
    html = (TEMPLATES / "base.html").read_text(encoding="utf-8")
    html = re.sub(r"\{#.*?#\}", "", html, flags=re.S)
    soup = BeautifulSoup(html, "html.parser")
    return soup, soup.body


def test_body_sets_indicator_and_disabled_elements_for_every_request():
    soup, body = body_tag()
    assert body["hx-indicator"] == "#chargement"
    selectors = [s.strip() for s in body["hx-disabled-elt"].split(",")]
    # The link or button that asked, a form's first button and its first action button.
    # Buttons that save without validating (« Enregistrer », « Précédent ») stay enabled: disabling
    # the button that has the focus would lose it, and saving twice does no harm.
    for wanted in ("closest a", "closest button", "find [type=submit]:not([formnovalidate])",
                   "find .actions [type=submit]:not([formnovalidate])"):
        assert wanted in selectors
    # Last and always present: htmx logs an error when a list of selectors matches nothing.
    assert selectors[-1] == "#chargement"
    region = soup.select_one("#chargement")
    assert region["role"] == "status"  # polite
    assert region.get_text(strip=True) == "Chargement en cours…"


def test_no_template_escapes_the_shared_waiting_mechanism():
    requesting = []
    for name, html in templates():
        for attr in ("hx-disabled-elt", "hx-disinherit", "hx-inherit"):
            if name != "base.html":
                assert attr not in html, f"{name} sets {attr}: the waiting state comes from <body>"
        assert "data-hx-" not in html, name
        # Attributes given to a field macro ({"hx-post": …}) are inherited the same way.
        assert '"hx-indicator"' not in html, name
        for tag in TAG.findall(html):
            element = tag[1:].split(None, 1)[0].lower()
            requesting.append((name, element))
            if "hx-indicator" in tag:
                assert (name, element) in OWN_INDICATOR, f"{name}: {tag[:120]} overrides hx-indicator"
        # An hx-indicator elsewhere (on a container) would be inherited by the requests inside it.
        for tag in re.findall(r"<[a-zA-Z][^<>]*\bhx-indicator\b[^<>]*>", html, re.S):
            element = tag[1:].split(None, 1)[0].lower()
            if name != "base.html":
                assert (name, element) in OWN_INDICATOR and TAG.match(tag), f"{name}: {tag[:120]}"
    # The scan did find the site's requests: forms, links, selects, the file input, pagination.
    names = {name for name, _ in requesting}
    elements = {element for _, element in requesting}
    for expected in ("partenaires/history.html", "partenaires/detail.html", "partenaires/new_request.html",
                     "components/queue.html", "components/cascade.html", "components/pagination.html",
                     "components/wizard.html", "msa/messages/new.html"):
        assert expected in names
    assert {"form", "a", "div", "input", "button", "nav"} <= elements
    assert len(requesting) >= 20


def test_pages_carry_the_live_region(client):
    soup = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    assert soup.body["hx-indicator"] == "#chargement"
    assert soup.select_one("body > #chargement[role=status]")
