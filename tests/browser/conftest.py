"""Browser tests: Playwright for Python driving Debian's Chromium against a live server, plus axe.

Every flow runs twice, with JavaScript on and off (the `js` fixture). In the JS-on pass, axe-core
runs on every page the flow reaches and no serious or critical violation is allowed; the `browser_page`
fixture fails the test if a page was reached without being checked. axe is never run with JavaScript
off (it hangs there).

One Chromium and one live server for the whole package; a new browser context (cookies, storage)
per test.
Screenshots go to test-artifacts/ (git-ignored; test-artifacts/gw0/… when run on several cores)."""
import json
import os
import re
import shutil
import threading
import uuid
from pathlib import Path

import pytest

from tests.conftest import require
from tests.helpers import check_page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
# One folder per pytest-xdist worker (gw0, gw1…): a worker never empties the folder another writes to.
ARTIFACTS = ROOT / "test-artifacts" / os.environ.get("PYTEST_XDIST_WORKER", "")
PASSWORD = "Guichet-Demo-2026"  # core.demo.DEMO_PASSWORD
BLOCKING_IMPACTS = ("serious", "critical")
TIMEOUT_MS = 10_000

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError, expect, sync_playwright
    from axe_playwright_python.sync_playwright import Axe
    PLAYWRIGHT_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the machine
    # The test modules import `expect` from here: without Playwright they are still collected, and
    # the `chromium` fixture skips them (or fails them in CI) with the reason.
    PLAYWRIGHT_IMPORT_ERROR = exc
    expect = sync_playwright = Axe = None
    PlaywrightTimeoutError = TimeoutError


# --- Live server --------------------------------------------------------------------------------

class LiveServer:
    def __init__(self, app, url):
        self.app = app
        self.url = url
        self.server_errors = []  # (method, path, status) of every 5xx answered

    def create_user(self, email=None, password=PASSWORD, **kwargs):
        """An active citizen created directly in the live database; returns its email."""
        from extensions import db
        from tests import factories
        email = email or unique_email("compte")
        with self.app.app_context():
            factories.user(email=email, password=password, **kwargs)
            db.session.commit()
            db.session.remove()
        return email


def unique_email(prefix):
    return f"{prefix}.{uuid.uuid4().hex[:10]}@exemple.fr"


@pytest.fixture(scope="package")
def live_server(tmp_path_factory):
    from werkzeug.serving import make_server

    from app import create_app
    from core.demo import seed_demo
    from core.places import load_communes
    from extensions import db

    base = tmp_path_factory.mktemp("browser")
    previous_instance = os.environ.get("GUICHET_INSTANCE_PATH")
    os.environ["GUICHET_INSTANCE_PATH"] = str(base / "instance")
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base / 'browser.sqlite'}",
        "SECRET_KEY": "browser-test-secret-key",
        "DEV_MAILBOX": True,
        "WTF_CSRF_ENABLED": True,  # production-like
        "TESTING": False,
        "UPLOAD_FOLDER": str(base / "uploads"),
        # Every test comes from 127.0.0.1: the per-IP throttle must not get in the way.
        "THROTTLE_FREE_FAILURES": 1000,
        "THROTTLE_MAX_FAILURES_PER_DAY": 10000,
        "MAIL_QUOTA_PER_IP_PER_HOUR": 1000,
        "MAIL_QUOTA_PER_ADDRESS_PER_HOUR": 1000,
    })
    if previous_instance is None:
        os.environ.pop("GUICHET_INSTANCE_PATH", None)
    else:
        os.environ["GUICHET_INSTANCE_PATH"] = previous_instance
    with app.app_context():
        db.create_all()
        load_communes()
        seed_demo()
        db.session.remove()

    errors = []

    @app.after_request
    def _record_server_errors(response):
        from flask import request
        if response.status_code >= 500:
            errors.append((request.method, request.full_path, response.status_code))
        return response

    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Links in mails point to this server (set before the first request).
    app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"
    app.config["TRUSTED_HOSTS"] = ["127.0.0.1"]
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    live = LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    live.server_errors = errors
    yield live
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- Browser --------------------------------------------------------------------------------------

# Package scope, not session: the sync Playwright instance must be stopped once this package's tests
# are done, or any later test that starts its own (tests/components/inprocess_browser.py) fails with
# "using Playwright Sync API inside the asyncio loop".
@pytest.fixture(scope="package")
def chromium():
    require(PLAYWRIGHT_IMPORT_ERROR is None,
            f"Playwright ou axe-playwright-python n’est pas installé ({PLAYWRIGHT_IMPORT_ERROR}) : "
            "tests navigateur ignorés.")
    require(Path(CHROMIUM).exists(),
            f"{CHROMIUM} est absent (paquet Debian chromium) : tests navigateur ignorés. "
            "Aucun navigateur n’est téléchargé.")
    expect.set_options(timeout=TIMEOUT_MS)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def axe_report():
    """Violations below the blocking level, written to test-artifacts/axe-non-bloquant.json."""
    found = {}
    yield found
    if found:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "axe-non-bloquant.json").write_text(json.dumps(found, ensure_ascii=False, indent=2))


@pytest.fixture(params=[True, False], ids=["js", "sans-js"])
def js(request):
    return request.param


class Browsing:
    """The page of one test plus the checks every page must pass."""

    def __init__(self, page, js, server, axe_report):
        self.page = page
        self.js = js
        self.server = server
        self.mode = "js" if js else "sans-js"
        self.axe_report = axe_report
        self.unchecked = []  # URL of the document loaded last, until it is checked
        self.missed = []  # URLs left without having been checked
        self.console_errors = []
        self.checked = 0
        page.on("domcontentloaded", self._loaded)
        page.on("pageerror", lambda exc: self.console_errors.append(f"pageerror: {exc}"))
        page.on("console", self._console)

    def _loaded(self, page):
        # A new document (jumps to an anchor of the same page are not new pages).
        self.missed.extend(self.unchecked)
        self.unchecked = [page.url]

    def _console(self, message):
        # The browser logs every 4xx page (error pages, forms coming back with 422) as a failed load:
        # that is expected. Anything else (CSP violation, script error) is a defect.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text + " @ " + str(message.location))

    def check(self, shot=None, require_h1=True):
        """Checks the current page: parsed HTML rules (tests.helpers.check_page), axe with JS on,
        and a screenshot test-artifacts/<shot>-<mode>.png when `shot` is given."""
        page = self.page
        page.wait_for_load_state("load")
        self.settled()  # what comes next acts on a page whose swapped content is live
        soup = check_page(page.content(), require_h1=require_h1)
        if self.js:
            self._axe()
        if shot:
            page.screenshot(path=str(ARTIFACTS / f"{shot}-{self.mode}.png"), full_page=True)
        self.unchecked = []
        self.checked += 1
        return soup

    def _axe(self):
        results = Axe().run(self.page)
        violations = results.response["violations"]
        blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
        for v in violations:
            if v.get("impact") not in BLOCKING_IMPACTS:
                entry = self.axe_report.setdefault(v["id"], {"impact": v.get("impact"), "help": v["help"],
                                                             "pages": []})
                path = re.sub(r"^https?://[^/]+", "", self.page.url)
                if path not in entry["pages"]:
                    entry["pages"].append(path)
        assert not blocking, f"axe sur {self.page.url} :\n" + "\n".join(
            f"- [{v['impact']}] {v['id']} : {v['help']} → "
            + ", ".join(" ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
                        for n in v["nodes"][:5])
            for v in blocking)

    def goto(self, path, status=200, shot=None, require_h1=True):
        response = self.page.goto(path)
        assert response is not None and response.status == status, \
            f"{path} : {response and response.status} au lieu de {status}"
        return self.check(shot=shot, require_h1=require_h1)

    # Small readers used by every flow ---------------------------------------------------------

    def h1(self):
        return self.page.get_by_role("heading", level=1)

    def focused(self, js_expression, timeout=5000):
        """Whether `js_expression` holds for document.activeElement (only meaningful with JS on),
        within `timeout` ms: after an htmx swap the focus moves in the settle phase
        (htmx:afterSettle), a few milliseconds after the new content shows, and a loaded machine
        could look in between (stop 22: a CI failure of the error summary's focus)."""
        try:
            self.page.wait_for_function(f"(el => !!el && !!({js_expression}))(document.activeElement)",
                                        timeout=timeout)
        except PlaywrightTimeoutError:
            return False
        return True

    def settled(self):
        """With JS, waits until htmx has finished its swaps: new content gets its hx-* behaviour in
        the settle phase, a few milliseconds after it shows (acting before would go unheard)."""
        if self.js:
            expect(self.page.locator(".htmx-request, .htmx-settling, .htmx-swapping, .htmx-added")).to_have_count(0)

    def log_in(self, email, password=PASSWORD, path="/compte/connexion"):
        """Logs in through the login page (or the page `path` redirects to); checks the page reached."""
        page = self.page
        self.goto(path)
        expect(self.h1()).to_have_text("Se connecter")
        page.get_by_label("Adresse e-mail").fill(email)
        page.get_by_label(re.compile(r"^Mot de passe")).fill(password)
        page.get_by_role("button", name="Se connecter").click()
        soup = self.check()
        # Logged in: « Se déconnecter » in the header, or a portal's account menu (the Portail Des
        # Aides' first name opening « Mon espace » / « Déconnexion »).
        account = page.get_by_role("navigation", name="Compte")
        expect(account.get_by_role("button", name="Se déconnecter").or_(account.locator("details > summary"))
               ).to_be_visible()
        return soup

    def mail_link(self, to, subject):
        """Opens the dev mailbox, the newest message to `to` with `subject`, and returns the link it
        contains (each page reached is checked)."""
        page = self.page
        self.goto("/dev/courriels", shot="boite-de-reception")
        row = page.get_by_role("row").filter(has_text=to).filter(has_text=subject).first
        row.get_by_role("link", name=subject).click()
        expect(self.h1()).to_have_text(subject)
        self.check(shot="courriel")
        expect(page.locator(".summary-list")).to_contain_text(to)
        link = page.locator(".mail-body a").first
        href = link.get_attribute("href")
        assert href and href.startswith(self.server.url), f"lien inattendu dans le courriel : {href}"
        return link


@pytest.fixture
def browser_page(chromium, live_server, js, axe_report):
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=js, locale="fr-FR",
                                   viewport={"width": 1024, "height": 768})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors_before = len(live_server.server_errors)
    browsing = Browsing(page, js, live_server, axe_report)
    yield browsing
    context.close()
    new_errors = live_server.server_errors[errors_before:]
    assert not new_errors, f"le serveur a répondu en erreur 5xx : {new_errors}"
    if js:
        assert not browsing.console_errors, f"erreurs dans la console du navigateur : {browsing.console_errors}"
        not_checked = browsing.missed + browsing.unchecked
        assert not not_checked, f"pages atteintes sans passage d’axe : {not_checked}"
    assert browsing.checked, "aucune page vérifiée"


def expect_error_summary(browsing, *messages):
    """After a failed submit: « Il y a un problème », each message listed, <title> starting with
    « Erreur : », and with JS on the summary has the focus."""
    page = browsing.page
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("heading", name="Il y a un problème")).to_be_visible()
    for message in messages:
        expect(summary.get_by_role("listitem").filter(has_text=message)).to_have_count(1)
    expect(page).to_have_title(re.compile(r"^Erreur : "))
    if browsing.js:
        assert browsing.focused("el.classList.contains('error-summary')"), \
            "le récapitulatif d’erreurs n’a pas le focus"
    return summary


def pick_commune(browsing, search_label, query, town, kept=None, shot=None):
    """Commune autocomplete: types `query` in the field labelled `search_label` and picks `town`
    (« Bordeaux (33000) ») in the list labelled « Ville ». With JS the list comes while typing, in the
    same page; without JS « Rechercher » brings the page back with the list, and `kept()` then checks
    that what was typed before is still there. The page is checked once the list is shown."""
    page = browsing.page
    search = page.get_by_label(search_label)
    base_id = search.get_attribute("id").removesuffix("-recherche")
    town_select = page.locator(f"#{base_id}-resultats").get_by_label("Ville", exact=True)
    if browsing.js:
        page.evaluate("window.samePage = true")
        search.press_sequentially(query[:2], delay=40)
        expect(town_select).to_be_visible()  # the list appears while typing…
        expect(page.locator(f"#{base_id}-statut")).to_contain_text("villes trouvées")
        assert town_select.locator("option").count() > 2
        search.press_sequentially(query[2:], delay=40)
        expect(town_select.locator("option", has_text=town)).to_have_count(1)  # …and narrows down
        assert page.evaluate("window.samePage === true"), "la page a été rechargée"
        expect(search).to_be_focused()  # typing goes on undisturbed
        browsing.check(shot=shot)
    else:
        search.fill(query)
        page.get_by_role("button", name="Rechercher").click()
        browsing.check(shot=shot)
        expect(town_select).to_be_visible()
        expect(search).to_have_value(query)
        if kept:
            kept()
    town_select.select_option(label=town)
    return town_select


def add_files(browsing, label, paths, shot=None):
    """Attachment component: with JS choosing the files uploads them at once; without JS
    « Ajouter » posts the form, which comes back with everything kept. Checks they are listed."""
    page = browsing.page
    page.get_by_label(label).set_input_files([str(p) for p in paths])
    if not browsing.js:
        page.get_by_role("button", name="Ajouter", exact=True).click()
    files = page.locator(".attachments-field .attachment-list")
    for p in paths:
        expect(files.get_by_role("link", name=p.name, exact=True)).to_be_visible()
    browsing.check(shot=shot)
