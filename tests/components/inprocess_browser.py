"""Chromium with JavaScript on, served in process by a Flask test client (no live server).

Every request the page makes to http://localhost (pages, htmx requests, static files) is answered
by `client`, so a component's real markup runs with the real guichet.js and htmx, under the real CSP.
Used by the component tests that need JavaScript; full flows live in tests/browser/."""
import threading
from pathlib import Path
from urllib.parse import urlsplit

from tests.conftest import require

CHROMIUM = "/usr/bin/chromium"
BASE_URL = "http://localhost"  # a trustworthy origin, as with a real dev server (COOP is honoured)
FORWARDED = ("content-type", "x-csrftoken", "hx-request", "hx-target", "hx-current-url", "hx-trigger",
             "hx-trigger-name", "hx-boosted", "hx-history-restore-request")


def in_browser(client, flow, clock=False):
    """Run `flow(page)` in Chromium with JavaScript on; `clock=True` installs Playwright's fake clock
    so that timers (the counter's pause before announcing) are advanced by the test, not waited for.

    Playwright's sync API wants one instance per thread and tests/browser/ keeps a session-wide one
    in the main thread: this one runs in a thread of its own, whatever the test order."""
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError as exc:  # pragma: no cover - depends on the machine
        require(False, f"Playwright n’est pas installé ({exc}) : test navigateur ignoré.")
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} est absent : test navigateur ignoré.")
    outcome = {}

    def answer(route):
        request = route.request
        parts = urlsplit(request.url)
        headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED}
        response = client.open(parts.path + (f"?{parts.query}" if parts.query else ""), method=request.method,
                               data=request.post_data_buffer, headers=headers)
        route.fulfill(status=response.status_code, body=response.get_data(),
                      headers={k: v for k, v in response.headers.items() if k.lower() != "content-length"})

    def run():
        errors = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM,
                                            args=["--headless", "--no-sandbox", "--disable-gpu"])
                try:
                    expect.set_options(timeout=10_000)
                    context = browser.new_context(base_url=BASE_URL, java_script_enabled=True, locale="fr-FR")
                    context.set_default_timeout(10_000)
                    context.route(f"{BASE_URL}/**", answer)
                    page = context.new_page()
                    page.on("pageerror", lambda exc: errors.append(str(exc)))
                    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
                            and not m.text.startswith("Failed to load resource") else None)
                    if clock:
                        page.clock.install()
                    flow(page)
                finally:
                    browser.close()
            assert not errors, f"erreurs JavaScript ou CSP : {errors}"
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="inprocess-browser")
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "le navigateur ne s’est pas arrêté"
    if "error" in outcome:
        raise outcome["error"]
