"""The attachment list in Chromium, with JavaScript on (htmx uploads on choice and on drop, « Retirer »
in place, axe) and off (« Ajouter » / « Retirer » post the whole form), on the test view of
test_attachments.py served by a live server with CSRF on."""
import threading
from pathlib import Path

import pytest

from tests.conftest import _sqlite_app, require
from tests.components.test_attachments import FIELD, URL, with_essai
from tests.components.test_attachments_content import exe_bytes, pdf_bytes, png_bytes
from tests.helpers import check_page

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"

try:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect, sync_playwright
    IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the machine
    IMPORT_ERROR = exc


@pytest.fixture(scope="module")
def server(tmp_path_factory, template_db):
    from werkzeug.serving import make_server

    from extensions import db
    from tests import factories

    app = with_essai(_sqlite_app(tmp_path_factory.mktemp("attachments-browser"), template_db,
                                 WTF_CSRF_ENABLED=True, TESTING=False))
    with app.app_context():
        for mode in ("js", "sans-js"):
            factories.user(email=f"{mode}@example.fr")
        db.session.commit()
        db.session.remove()
    errors = []

    @app.after_request
    def record_server_errors(response):
        if response.status_code >= 500:
            errors.append(response.status_code)
        return response

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["TRUSTED_HOSTS"] = ["127.0.0.1"]  # the live server's host, not the test client's
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{httpd.server_port}", "errors": errors, "app": app}
    httpd.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def in_browser(server, js, flow, *args):
    """Run `flow(page, js, *args)` in a fresh Chromium, logged in, in a thread of its own.

    Playwright's sync API allows one instance per thread, and tests/browser/ keeps a session-wide one
    open in the main thread: a thread of our own avoids clashing with it, whatever the test order."""
    require(IMPORT_ERROR is None, f"Playwright n’est pas installé ({IMPORT_ERROR}) : tests navigateur ignorés.")
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} est absent : tests navigateur ignorés.")
    outcome = {}

    def run():
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM,
                                            args=["--headless", "--no-sandbox", "--disable-gpu"])
                try:
                    _session(browser, server, js, flow, args)
                finally:
                    browser.close()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="attachments-browser")
    thread.start()
    thread.join(timeout=180)
    assert not thread.is_alive(), "le navigateur ne s’est pas arrêté"
    if "error" in outcome:
        raise outcome["error"]


def _session(browser, server, js, flow, args):
    context = browser.new_context(base_url=server["url"], java_script_enabled=js, locale="fr-FR")
    context.set_default_timeout(10_000)
    expect.set_options(timeout=10_000)
    page = context.new_page()
    console = []
    # Expected: failed loads of 4xx pages, and htmx reporting the 422 of a form sent back with its errors.
    page.on("console", lambda m: console.append(m.text) if m.type == "error"
            and not m.text.startswith(("Failed to load resource", "Response Status Error Code 422 from /essai/"))
            else None)
    page.on("pageerror", lambda exc: console.append(str(exc)))
    page.goto("/compte/connexion")
    page.locator("input[name=email]").fill(f"{'js' if js else 'sans-js'}@example.fr")
    page.locator("input[name=password]").fill("Motdepasse-1")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("load")
    errors_before = len(server["errors"])
    flow(page, js, *args)
    context.close()
    assert server["errors"][errors_before:] == [], "erreur 5xx du serveur"
    assert console == [], f"erreurs dans la console : {console}"


def sample(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def settled(page):
    """htmx wires swapped-in content when it settles (a few ms later): a person cannot be quicker, a test can."""
    busy = ".htmx-request, .htmx-settling, .htmx-added, .htmx-swapping"
    page.wait_for_function(f"() => !document.querySelector('{busy}')")


def listed(page):
    return page.locator(f"#{FIELD}-contenu li > a")


def check_axe(page):
    violations = [v for v in Axe().run(page).response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not violations, [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in violations]


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
def test_add_drop_remove_and_submit_with_errors(server, js, tmp_path):
    in_browser(server, js, add_drop_remove_and_submit_with_errors, tmp_path)


def add_drop_remove_and_submit_with_errors(page, js, tmp_path):
    page.goto(URL)
    check_page(page.content())
    page.get_by_label("Objet").fill("Texte à garder")
    file_input = page.get_by_label("Ajouter un ou plusieurs fichiers")
    if js:
        check_axe(page)
        page.evaluate("window.samePage = true")
        expect(page.get_by_role("button", name="Ajouter", exact=True)).to_be_hidden()
        file_input.set_input_files([sample(tmp_path, "a.pdf", pdf_bytes()), sample(tmp_path, "b.png", png_bytes())])
    else:
        file_input.set_input_files([sample(tmp_path, "a.pdf", pdf_bytes()), sample(tmp_path, "b.png", png_bytes())])
        page.get_by_role("button", name="Ajouter", exact=True).click()
    expect(listed(page)).to_have_text(["a.pdf", "b.png"])
    expect(page.locator(f"#{FIELD}-statut")).to_contain_text("2 fichiers ont été ajoutés.")
    expect(page.get_by_label("Objet")).to_have_value("Texte à garder")
    expect(page.get_by_label("Ajouter un ou plusieurs fichiers")).to_be_focused()

    if js:
        settled(page)
        # Dropped on the zone: guichet.js hands the files to the input, htmx uploads them.
        page.evaluate("""([name, text]) => {
            const zone = document.querySelector('[data-dropzone]');
            const dt = new DataTransfer();
            dt.items.add(new File([text], name, {type: 'application/pdf'}));
            zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));
            zone.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
        }""", ["déposé.pdf", pdf_bytes().decode("latin-1")[:40] + "\n%%EOF\n"])
        expect(listed(page)).to_have_text(["a.pdf", "b.png", "déposé.pdf"])
        expect(page.locator("[data-dropzone]")).not_to_have_class("attachments attachments--dragover")
        settled(page)
        # A refused file: the message is shown and announced, the list stays.
        page.get_by_label("Ajouter un ou plusieurs fichiers").set_input_files(sample(tmp_path, "x.pdf", exe_bytes()))
        expect(page.locator(f"#{FIELD}-erreur")).to_contain_text("ne correspond pas à un fichier PDF")
        expect(page.locator(f"#{FIELD}-statut")).to_contain_text("ne correspond pas à un fichier PDF")
        expect(listed(page)).to_have_count(3)
        settled(page)
        check_axe(page)

    page.get_by_role("button", name="Retirer le fichier a.pdf").click()
    expect(listed(page)).not_to_contain_text(["a.pdf"])
    expect(page.locator(f"#{FIELD}-statut")).to_contain_text("Le fichier « a.pdf » a été retiré.")
    expect(page.get_by_label("Ajouter un ou plusieurs fichiers")).to_be_focused()
    if js:
        settled(page)

    # Enter in a text field sends the form (its default button), it never removes a file.
    page.get_by_label("Objet").fill("")
    page.get_by_label("Objet").press("Enter")
    expect(page.locator("#subject-erreur")).to_contain_text("Saisissez l’objet du message.")
    expect(listed(page).first).to_have_text("b.png")
    if js:
        settled(page)

    # « Valider » with the subject emptied: the error comes back, the files stay.
    page.get_by_label("Objet").fill("")
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("#subject-erreur")).to_contain_text("Saisissez l’objet du message.")
    expect(listed(page).first).to_have_text("b.png")
    if js:
        assert page.evaluate("window.samePage === true"), "la page a été rechargée"
        check_axe(page)
    page.get_by_label("Objet").fill("Objet")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Message envoyé")
    expected = ["b.png", "déposé.pdf"] if js else ["b.png"]
    expect(page.locator(".attachment-list a")).to_have_text(expected)
    if js:
        check_axe(page)
    # The owner downloads what was sent.
    with page.expect_download() as download:
        page.get_by_role("link", name="b.png").click()
    assert Path(download.value.path()).read_bytes() == png_bytes()
