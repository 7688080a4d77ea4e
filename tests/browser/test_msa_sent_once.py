"""Issue 13.1: « Envoyer » on the MSA summary sends once, with and without JavaScript. The same
post sent again (what « Renvoyer le formulaire » does) leads to the same « envoyé » page, and Back
after sending never shows the browser's « Confirmer le renvoi du formulaire » page: the summary is
a page of its own (post/redirect/get). One conversation, one acknowledgement mail; its receipt
downloads as a PDF."""
import re
import uuid

import pytest

from tests.browser.conftest import expect
from tests.browser.test_msa import BODY_LABEL, create_member, msa_log_in

pytestmark = pytest.mark.browser

WRITE_URL = "/msa/messages/nouveau?theme=famille-logement&subject=allocations-familiales&reason=dossier"


def member_counts(live_server, email):
    """(conversations, acknowledgement mails) of the member, in the live database."""
    from models import OutboxMessage, User
    from models.msa import Conversation
    with live_server.app.app_context():
        user = User.query.filter_by(email=email).one()
        conversations = Conversation.query.filter_by(member_id=user.id).count()
        mails = OutboxMessage.query.filter_by(recipient=email, channel="email").filter(
            OutboxMessage.subject.contains("Accusé de réception")).count()
    return conversations, mails


def test_the_summary_sent_twice_and_back_after_sending(browser_page, live_server):
    page = browser_page.page
    email, nir, _ = create_member(live_server)
    msa_log_in(browser_page, nir)
    browser_page.goto(WRITE_URL)
    page.get_by_label(BODY_LABEL).fill(f"Bonjour, je signale un changement, réf. {uuid.uuid4().hex[:8]}.")
    page.get_by_role("button", name="Valider").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Récapitulatif de ma demande")
    expect(page).to_have_url(re.compile(r"/msa/messages/recapitulatif$"))

    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" and r.url.endswith("/recapitulatif") else None)
    page.get_by_role("button", name="Envoyer").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Votre message a bien été envoyé")
    sent_url = page.url
    assert len(posts) == 1 and posts[0].post_data

    # The same post again (a double tap, « Renvoyer le formulaire »): the same page, nothing sent.
    again = page.request.post(posts[0].url, data=posts[0].post_data, max_redirects=0,
                              headers={"Content-Type": posts[0].headers["content-type"]})
    assert again.status == 303
    assert live_server.url + again.headers["location"] == sent_url
    assert member_counts(live_server, email) == (1, 1)

    # The receipt, from the « envoyé » page.
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger l’accusé de réception (PDF)").click()
    assert download.value.suggested_filename.startswith("accuse-de-reception-message-")

    # Back: the summary's URL, now without a message to send, shows the messaging home.
    page.go_back()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Ma messagerie")
    expect(page.locator("main").get_by_role("link", name=re.compile("Famille, logement"))).to_have_count(1)
    assert member_counts(live_server, email) == (1, 1)
