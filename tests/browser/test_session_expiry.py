"""A session that expires while a member writes a message (quality.md, sessions): « Valider » leads
to the login page, which says why; after the login the member is back on the writing step with the
text, and it sends. With JavaScript, typing keeps the session alive (once a minute at most) and
hides the expiry warning. With and without JavaScript."""
import re
import uuid
from datetime import timedelta

import pytest

from tests.browser.conftest import expect
from tests.browser.test_msa import BODY_LABEL, NIR_LABEL, PASSWORD_LABEL, create_member, msa_log_in

pytestmark = pytest.mark.browser

WRITE = "/msa/messages/nouveau?theme=famille-logement&subject=allocations-familiales&reason=dossier&ecrire=1"


def expire_sessions(live_server, email):
    """The member's sessions, idle for longer than the limit (as after 31 minutes away)."""
    from extensions import db
    from models import User, UserSession
    with live_server.app.app_context():
        user = User.query.filter_by(email=email).one()
        minutes = live_server.app.config["SESSION_IDLE_MINUTES"] + 1
        for row in UserSession.query.filter_by(user_id=user.id):
            row.last_seen_at -= timedelta(minutes=minutes)
        db.session.commit()
        db.session.remove()


def test_the_message_typed_survives_an_expired_session(browser_page, live_server):
    page = browser_page.page
    email, nir, _ = create_member(live_server)
    msa_log_in(browser_page, nir)
    browser_page.goto(WRITE)
    text = f"Bonjour, je signale la naissance de notre fille, réf. {uuid.uuid4().hex[:8]}."
    page.get_by_label(BODY_LABEL).fill(text)

    expire_sessions(live_server, email)
    page.get_by_role("button", name="Valider").click()
    browser_page.check(shot="expiration-connexion")
    expect(browser_page.h1()).to_have_text("Se connecter à Mon espace privé")
    expect(page.locator("#messages")).to_have_text(
        "Votre session a expiré après 30 minutes sans activité. Reconnectez-vous : ce que vous aviez saisi "
        "a été conservé.")

    page.get_by_label(NIR_LABEL).fill(nir)
    page.get_by_label(PASSWORD_LABEL).fill("Guichet-Demo-2026")
    page.get_by_role("button", name="Se connecter").click()
    browser_page.check(shot="expiration-retour")
    expect(browser_page.h1()).to_have_text("Envoyer un message")
    expect(page.locator("#messages")).to_contain_text("Votre saisie a été conservée : vérifiez-la puis validez.")
    expect(page.get_by_label(BODY_LABEL)).to_have_value(text)

    page.get_by_role("button", name="Valider").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Récapitulatif de ma demande")
    expect(page.locator("#msg-texte")).to_have_text(text)
    page.get_by_role("button", name="Envoyer").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Votre message a bien été envoyé")


@pytest.mark.parametrize("js", [True], ids=["js"])  # without JavaScript only what is posted counts (above)
def test_typing_keeps_the_session_alive(browser_page, live_server):
    page = browser_page.page
    page.clock.install()
    email, nir, _ = create_member(live_server)
    msa_log_in(browser_page, nir)
    browser_page.goto(WRITE)
    pings = []
    page.on("request", lambda r: pings.append(r.method) if r.url.endswith("/compte/session/prolonger") else None)
    body = page.get_by_label(BODY_LABEL)

    body.press_sequentially("Bonjour", delay=10)  # less than a minute after the page: no request
    page.clock.run_for(26 * 60_000)  # the warning shows 5 minutes before the end
    warning = page.get_by_role("alertdialog", name="Votre session va bientôt expirer")
    expect(warning).to_be_visible()
    body.press_sequentially(", je", delay=10)  # typing is activity: one keep-alive, the warning goes
    expect(warning).to_be_hidden()
    page.wait_for_timeout(300)
    body.press_sequentially(" reviens", delay=10)  # within the minute: no second request
    page.wait_for_timeout(300)
    assert pings == ["POST"]

    # Long after the end (the computer slept): typing sends nothing, so that « Valider » keeps the text.
    page.clock.run_for(40 * 60_000)
    body.press_sequentially(".", delay=10)
    page.wait_for_timeout(300)
    assert pings == ["POST"]
    expect(page.get_by_label(BODY_LABEL)).to_have_value(re.compile(r"^Bonjour, je reviens\.$"))
