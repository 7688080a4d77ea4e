"""MSA, more flows with and without JavaScript (msa.md A sign-up, B.3 online-service suggestion,
B.4 attachments, C closing): a wrong code then the right one, an expired code, « Renvoyer le code »;
« J'utilise le service en ligne » and the choices that go on writing; a message with attachments
added and removed, seen by the agent; a conversation closed by the agent, as the member sees it.

Helpers come from test_msa.py; every test makes its own member (fresh NIR, unique email and name)."""
import re
import struct
import uuid
import zlib
from datetime import timedelta

import pytest

from blueprints.msa.quotas import IP_LIMIT_SETTING
from tests.browser.conftest import Browsing, add_files, expect, expect_error_summary, unique_email
from tests.browser.test_msa import (AGENT_EMAIL, BODY_LABEL, CONFIRMATION_LABEL, NEW_PASSWORD, OBJECT_LABEL,
                                    PASSWORD_LABEL, choose, create_conversation, create_member,
                                    expect_connection_state, fresh_identity, log_out, mail_body, msa_log_in)

pytestmark = pytest.mark.browser

CODE_SUBJECT = "Votre code d’inscription à Mon espace privé"
CODE_LABEL = re.compile(r"^Code reçu par e-mail")
CODE_RESENT = "Un nouveau code vous a été envoyé à l’adresse indiquée. Le code précédent ne fonctionne plus."
NEW_MESSAGE_URL = "/msa/messages/nouveau?theme=famille-logement&subject=allocations-familiales"
SERVICE_DIALOG = "Un service en ligne correspond à votre demande"
FILES_LABEL = re.compile(r"^Ajouter (un ou plusieurs fichiers|un fichier)$")


# --- Small builders ------------------------------------------------------------------------------

def pdf_file(path):
    path.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
                     + b"0" * 2000)
    return path


def png_file(path):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))
    return path


def start_signup(browsing):
    """Fills « S’inscrire » for a new person; returns their email, on the code step."""
    page = browsing.page
    nir, birth_date, last_name = fresh_identity()
    email = unique_email("renvoi.msa")
    browsing.goto("/msa/inscription")
    page.get_by_label(re.compile(r"^Identifiant \(numéro de sécurité sociale sans la clé\)")).fill(nir)
    page.get_by_label(re.compile(r"^Nom")).fill(last_name)
    page.get_by_label(re.compile(r"^Prénom")).fill("Léa")
    page.get_by_label(re.compile(r"^Date de naissance")).fill(birth_date.strftime("%d/%m/%Y"))
    page.get_by_label(re.compile(r"^Adresse e-mail")).fill(email)
    page.get_by_role("button", name="Recevoir mon code").click()
    browsing.check()
    expect(browsing.h1()).to_have_text("Saisissez le code reçu par e-mail")
    return email


def emailed_code(browsing, email):
    """The code of the newest sign-up email to `email`, read in the dev mailbox; back on the code step."""
    body = mail_body(browsing, email, CODE_SUBJECT)
    code = re.search(r"\b(\d{6})\b", body)
    assert code, f"aucun code à 6 chiffres dans le courriel : {body!r}"
    browsing.goto("/msa/inscription/code")
    return code.group(1)


def type_code(browsing, code, password=NEW_PASSWORD):
    page = browsing.page
    page.get_by_label(CODE_LABEL).fill(code)
    page.get_by_label(PASSWORD_LABEL).fill(password)
    page.get_by_label(CONFIRMATION_LABEL).fill(password)
    page.get_by_role("button", name="Valider").click()


def wrong(code):
    return "000000" if code != "000000" else "111111"


# --- a. The code step: wrong code, right code, resend, expiry --------------------------------------

def test_wrong_code_then_resend_and_the_new_code(browser_page):
    page = browser_page.page
    email = start_signup(browser_page)
    first = emailed_code(browser_page, email)
    browser_page.check(shot="msa-inscription-code-renvoi")
    resend_button = page.get_by_role("button", name="Renvoyer le code")
    expect(resend_button).to_be_visible()
    expect(page.locator("#renvoi-reste")).to_have_text("Vous pouvez demander un nouveau code jusqu’à 3 fois.")

    # A wrong code: the error is next to the field, the code typed stays, the passwords are not sent back.
    type_code(browser_page, wrong(first))
    browser_page.check(shot="msa-inscription-code-errone")
    expect_error_summary(browser_page, "Le code saisi est incorrect. Il vous reste 4 essais.")
    expect(page.locator("#code-erreur")).to_contain_text("Le code saisi est incorrect. Il vous reste 4 essais.")
    expect(page.get_by_label(CODE_LABEL)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label(CODE_LABEL)).to_have_value(wrong(first))
    expect(page.get_by_label(PASSWORD_LABEL)).to_have_value("")
    expect(page.get_by_label(CONFIRMATION_LABEL)).to_have_value("")
    expect(page.locator("main")).to_contain_text("saisissez-le de nouveau")

    # « Renvoyer le code »: a new code by email, the page says so.
    page.get_by_role("button", name="Renvoyer le code").click()
    browser_page.check(shot="msa-inscription-code-renvoye")
    expect(browser_page.h1()).to_have_text("Saisissez le code reçu par e-mail")
    expect(page.locator("#messages")).to_contain_text(CODE_RESENT)
    expect(page.locator("#renvoi-reste")).to_have_text("Vous pouvez encore demander un nouveau code 2 fois.")
    expect(page).not_to_have_title(re.compile("^Erreur"))
    second = emailed_code(browser_page, email)
    assert second != first, "le nouveau code est identique au précédent"

    # The first code no longer works; the new one has its own 5 tries.
    type_code(browser_page, first)
    browser_page.check()
    expect_error_summary(browser_page, "Le code saisi est incorrect. Il vous reste 4 essais.")
    type_code(browser_page, second)
    browser_page.check(shot="msa-inscription-terminee-apres-renvoi")
    expect(page.locator("#messages")).to_contain_text("Votre compte est créé.")
    expect_connection_state(page, "Connecté")
    expect(page).to_have_url(browser_page.server.url + "/msa/")


def test_resends_count_down_and_the_ip_limit_is_explained(browser_page, live_server):
    page = browser_page.page
    email = start_signup(browser_page)
    for left in (2, 1):
        page.get_by_role("button", name="Renvoyer le code").click()
        browser_page.check()
        expect(page.locator("#messages")).to_contain_text(CODE_RESENT)
        expect(page.locator("#renvoi-reste")).to_have_text(f"Vous pouvez encore demander un nouveau code {left} fois.")

    # Too many sign-up emails from this connection (the limit lowered to 1: this test's sign-up is
    # within the hour): nothing is sent, the page says why, the last resend is still available.
    config = live_server.app.config
    config[IP_LIMIT_SETTING] = 1
    try:
        page.get_by_role("button", name="Renvoyer le code").click()
        browser_page.check(shot="msa-inscription-code-limite")
    finally:
        config[IP_LIMIT_SETTING] = 1000
    summary = expect_error_summary(browser_page)
    message = re.compile(r"^Trop de codes d’inscription ont été demandés pour cette adresse ou depuis votre "
                         r"connexion internet\. Réessayez dans (\d+ minutes?|1 heure)\.$")
    expect(summary.get_by_role("listitem")).to_have_text(message)
    expect(page.locator("#renvoi-erreur")).to_contain_text("Trop de codes d’inscription")
    expect(page.locator("#renvoi-reste")).to_have_text("Vous pouvez encore demander un nouveau code 1 fois.")

    page.get_by_role("button", name="Renvoyer le code").click()
    browser_page.check(shot="msa-inscription-code-plus-de-renvoi")
    expect(page.locator("#messages")).to_contain_text(CODE_RESENT)
    expect(page.get_by_role("button", name="Renvoyer le code")).to_have_count(0)
    expect(page.locator("main")).to_contain_text(
        "Vous avez demandé 3 nouveaux codes : vous ne pouvez plus en demander pour cette inscription.")
    # Four codes were emailed in all (the refused resend sent nothing); the last one works.
    browser_page.goto("/dev/courriels")
    rows = page.get_by_role("row").filter(has_text=email).filter(has_text=CODE_SUBJECT)
    expect(rows).to_have_count(4)
    code = emailed_code(browser_page, email)
    type_code(browser_page, code)
    browser_page.check()
    expect(page.locator("#messages")).to_contain_text("Votre compte est créé.")


def test_expired_code_asks_for_a_new_one_then_ends_the_sign_up(browser_page, live_server):
    page = browser_page.page
    email = start_signup(browser_page)
    code = emailed_code(browser_page, email)
    from extensions import db
    from models.base import utcnow
    from models.msa import MsaSignup

    def expire(**changes):
        with live_server.app.app_context():
            signup = MsaSignup.query.filter_by(email=email).one()
            signup.expires_at = utcnow() - timedelta(seconds=1)  # as if 30 minutes had gone by
            for name, value in changes.items():
                setattr(signup, name, value)
            db.session.commit()
            db.session.remove()

    expire()
    type_code(browser_page, code)
    browser_page.check(shot="msa-inscription-code-expire")
    summary = expect_error_summary(browser_page)
    expect(summary).to_contain_text("Ce code a expiré : il est valable 30 minutes.")
    expect(page.get_by_role("button", name="Renvoyer le code")).to_be_visible()
    # No new code left to ask for: the sign-up is over.
    expire(resends=3)
    type_code(browser_page, code)
    browser_page.check(shot="msa-inscription-terminee-code-expire")
    expect(browser_page.h1()).to_have_text("Ce code a expiré")
    expect(page.locator("main")).to_contain_text("Le code envoyé par e-mail est valable 30 minutes.")
    expect_connection_state(page, "Déconnecté")
    page.locator("main").get_by_role("link", name="Recommencer l’inscription").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("S’inscrire à Mon espace privé")


# --- b. The online-service suggestion ------------------------------------------------------------

def test_online_service_then_writing_the_message_instead(browser_page, live_server):
    page = browser_page.page
    _, nir, _ = create_member(live_server)
    msa_log_in(browser_page, nir)
    browser_page.goto(NEW_MESSAGE_URL)
    choose(browser_page, "Motif", "Changement de situation - Famille")
    dialog = page.get_by_role("dialog", name=SERVICE_DIALOG)
    expect(dialog).to_contain_text("Service en ligne : Déclarer un changement de situation")

    # « J'utilise le service en ligne »: this deployment does not offer that service online, so it
    # leads to the service's page of Mon espace privé, which says how to do it (msa.md A, « Home »).
    dialog.get_by_role("link", name="J'utilise le service en ligne").click()
    browser_page.check(shot="msa-service-en-ligne-page")
    expect(page).to_have_url(browser_page.server.url + "/msa/services/changement-de-situation")
    expect(browser_page.h1()).to_have_text("Déclarer un changement de situation")
    expect(page.locator("main")).to_contain_text("Ce service n’est pas encore disponible en ligne.")
    expect(page.locator("main").get_by_role("link", name="Retour à Mon espace privé")).to_be_visible()

    # Back to the message: « Fermer et modifier… » keeps the theme and the subject and asks the reason again.
    browser_page.goto(NEW_MESSAGE_URL)
    choose(browser_page, "Motif", "Changement de situation - Famille")
    page.get_by_role("dialog", name=SERVICE_DIALOG).get_by_role(
        "link", name="Fermer et modifier le thème, le sujet ou le motif").click()
    browser_page.check()
    expect(page.get_by_role("dialog", name=SERVICE_DIALOG)).to_have_count(0)
    expect(page.get_by_label("Motif", exact=True)).to_be_visible()
    expect(page.locator(".cascade-choices")).to_contain_text("Allocations familiales")

    # The same reason again, then « Fermer et rédiger mon message »: the writing step, in place with JS.
    choose(browser_page, "Motif", "Changement de situation - Famille")
    if browser_page.js:
        page.evaluate("window.samePage = true")
    page.get_by_role("dialog", name=SERVICE_DIALOG).get_by_role("link", name="Fermer et rédiger mon message").click()
    expect(page.get_by_label(BODY_LABEL)).to_be_visible()
    if browser_page.js:
        assert page.evaluate("window.samePage === true"), "la page a été rechargée"
        expect(page).to_have_url(re.compile(r"[?&]ecrire=1(&|$)"))
    browser_page.check(shot="msa-service-en-ligne-rediger")
    expect(page.locator("main")).to_contain_text("Service en ligne : Déclarer un changement de situation")
    text = f"Je préfère vous écrire : nous avons déménagé. Réf. {uuid.uuid4().hex[:8]}"
    page.get_by_label(BODY_LABEL).fill(text)
    page.get_by_role("button", name="Valider").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Récapitulatif de ma demande")
    summary = page.locator("#msg-recapitulatif")
    expect(summary).to_contain_text("Changement de situation - Famille")
    expect(summary).to_contain_text("Déclarer un changement de situation")
    expect(page.locator("#msg-texte")).to_have_text(text)


# --- c. Attachments --------------------------------------------------------------------------------

def test_message_with_attachments_added_removed_sent_and_seen_by_the_agent(browser_page, live_server, tmp_path):
    page = browser_page.page
    email, nir, last_name = create_member(live_server)
    token = uuid.uuid4().hex[:8]
    pdf = pdf_file(tmp_path / f"avis-{token}.pdf")
    png = png_file(tmp_path / f"photo-{token}.png")
    msa_log_in(browser_page, nir)
    browser_page.goto(NEW_MESSAGE_URL)
    choose(browser_page, "Motif", "Paiements et décomptes - Famille")  # no online service: writing at once
    expect(page.get_by_role("dialog", name=SERVICE_DIALOG)).to_have_count(0)
    text = f"Voici mon avis d’imposition pour le calcul de mes droits. Réf. {token}"
    page.get_by_label(BODY_LABEL).fill(text)
    expect(page.locator("#pieces_jointes-reste")).to_have_text(re.compile("3 fichiers"))

    add_files(browser_page, FILES_LABEL, [pdf, png], shot="msa-pieces-jointes")
    listed = page.locator(".attachments-field .attachment-list li")
    expect(listed).to_have_count(2)
    expect(page.get_by_label(BODY_LABEL)).to_have_value(text)  # the text typed is kept

    page.get_by_role("button", name=f"Retirer le fichier {png.name}").click()
    expect(listed).to_have_count(1)
    expect(listed.get_by_role("link", name=pdf.name, exact=True)).to_be_visible()
    expect(page.locator(".attachments-field").get_by_role("link", name=png.name)).to_have_count(0)
    browser_page.check()
    expect(page.get_by_label(BODY_LABEL)).to_have_value(text)

    page.get_by_role("button", name="Valider").click()
    browser_page.check(shot="msa-recapitulatif-pieces-jointes")
    expect(browser_page.h1()).to_have_text("Récapitulatif de ma demande")
    summary = page.locator("#msg-recapitulatif")
    expect(summary).to_contain_text(pdf.name)
    expect(summary).not_to_contain_text(png.name)
    page.get_by_role("button", name="Envoyer").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Votre message a bien été envoyé")
    page.get_by_role("link", name="Voir la conversation").click()
    browser_page.check(shot="msa-conversation-pieces-jointes")
    thread = page.locator("#msg-fil")
    expect(thread).to_contain_text(text)
    expect(thread.get_by_role("link", name=pdf.name, exact=True)).to_have_count(1)
    expect(thread.get_by_role("link", name=png.name)).to_have_count(0)
    log_out(browser_page)

    # The agent finds it in the inbox, sees the file and can download it.
    browser_page.log_in(AGENT_EMAIL)
    browser_page.goto("/agent/msa/")
    row = page.locator("#msa-liste tbody tr").filter(has_text=last_name.upper())
    expect(row).to_have_count(1)
    row.get_by_role("link").first.click()
    browser_page.check(shot="msa-agent-pieces-jointes")
    messages = page.locator("#msa-messages")
    expect(messages).to_contain_text(token)
    link = messages.get_by_role("link", name=pdf.name, exact=True)
    expect(link).to_have_count(1)
    expect(messages.get_by_role("link", name=png.name)).to_have_count(0)
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200, response.status
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.body() == pdf.read_bytes()


# --- d. The agent closes a conversation --------------------------------------------------------------

def test_agent_closes_and_the_member_can_no_longer_reply(browser_page, live_server, chromium, axe_report):
    page = browser_page.page
    email, nir, last_name = create_member(live_server)
    token = uuid.uuid4().hex[:8]
    conversation_id = create_conversation(live_server, email, f"Où en est mon dossier ? Réf. {token}")

    # The member opens the conversation and starts a reply…
    msa_log_in(browser_page, nir)
    browser_page.goto(f"/msa/messages/{conversation_id}")
    expect(page.locator("main")).to_contain_text("Statut : Nouveau")
    reply = f"J’ajoute une précision à ma demande. Réf. {token}"
    page.get_by_label(re.compile(r"^Votre réponse")).fill(reply)

    # …while an agent, in another browser, closes it.
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=browser_page.js, locale="fr-FR",
                                   viewport={"width": 1024, "height": 768})
    try:
        agent = Browsing(context.new_page(), browser_page.js, live_server, axe_report)
        agent_page = agent.page
        agent.log_in(AGENT_EMAIL)
        agent.goto(f"/agent/msa/conversations/{conversation_id}")
        expect(agent.h1()).to_have_text(f"Conversation n° {conversation_id}")
        expect(agent_page.locator("#msa-messages")).to_contain_text(token)
        agent_page.get_by_role("button", name="Clôturer la conversation").click()
        expect(agent_page.locator("#messages")).to_contain_text("La conversation est clôturée.")
        agent.check(shot="msa-agent-cloture")
        expect(agent_page.locator("#msa-close-notice")).to_have_text("Cette conversation est clôturée.")
        expect(agent_page.locator("#msa-resume .status")).to_have_text("Clôturé")
        expect(agent_page.get_by_role("button", name="Répondre")).to_have_count(0)
        expect(agent_page.get_by_role("button", name="Clôturer la conversation")).to_have_count(0)
        if agent.js:
            assert not agent.console_errors, agent.console_errors
            assert not agent.missed + agent.unchecked, f"pages atteintes sans passage d’axe : {agent.missed}"
    finally:
        context.close()

    # The member's reply is refused, and they are told why; what they typed is given back.
    page.get_by_role("button", name="Envoyer ma réponse").click()
    browser_page.check(shot="msa-reponse-refusee")
    refusal = page.locator("#msg-non-envoye")
    expect(refusal).to_contain_text("Votre réponse n’a pas été envoyée : cette conversation a été clôturée.")
    expect(refusal.locator(".user-text")).to_have_text(reply)
    expect(page.get_by_label(re.compile(r"^Votre réponse"))).to_have_count(0)
    expect(page.locator("#msg-fil li")).to_have_count(1)

    # Ma messagerie lists it as closed; the conversation shows it and offers a new message instead.
    page.get_by_role("link", name="Revenir à Ma messagerie").click()
    browser_page.check()
    card = page.locator(f"#conversation-{conversation_id}")
    expect(card).to_contain_text("Clôturé")
    card.get_by_role("link", name=OBJECT_LABEL).click()
    browser_page.check(shot="msa-conversation-cloturee")
    expect(page.locator("main")).to_contain_text("Statut : Clôturé")
    expect(page.locator("main")).to_contain_text(
        "Cette conversation est clôturée : vous ne pouvez plus y répondre.")
    expect(page.locator("textarea")).to_have_count(0)
    expect(page.get_by_role("button", name="Envoyer ma réponse")).to_have_count(0)
    expect(page.locator("#msg-fil")).not_to_contain_text(reply)
    page.get_by_role("link", name="rédigez un nouveau message").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Envoyer un message")
