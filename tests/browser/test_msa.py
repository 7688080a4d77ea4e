"""MSA « Mon espace privé » and « Ma messagerie », with and without JavaScript (msa.md A and B, C first
bullet): sign-up with the emailed code then login by NIR; a new message through the whole cascade,
the online-service suggestion, the writing step, the summary and the sending; the agent's answer,
its email, and the member's reply in the same conversation.

Every test creates its own member (fresh NIR, unique email and name) so that runs are independent."""
import random
import re
import uuid
from datetime import date

import pytest

from tests.browser.conftest import PASSWORD, expect, expect_error_summary, unique_email

pytestmark = pytest.mark.browser

NIR_LABEL = re.compile(r"^Identifiant")
PASSWORD_LABEL = re.compile(r"^Mot de passe")
CONFIRMATION_LABEL = re.compile(r"^Confirmation du mot de passe")
NEW_PASSWORD = "Adherent-MSA-2026!"
AGENT_EMAIL = "agent.msa@demo.guichet.fr"
BODY_LABEL = re.compile(r"^Écrivez ici votre message \(minimum 10 caractères\)")
OBJECT_LABEL = "Famille, logement > Allocations familiales > Changement de situation - Famille"
ANSWER_SUBJECT = "MSA – Une réponse vous attend dans « Ma messagerie »"
MEDICAL_WARNING = ("Attention : nous vous conseillons de ne pas communiquer d'information relative à des "
                   "données médicales.")


def fresh_identity():
    """A valid NIR without key (man born in Gironde, commune 063) with its birth date, and a unique name."""
    year, month = random.randint(1950, 2000), random.randint(1, 12)
    nir = f"1{year % 100:02d}{month:02d}33063{random.randint(1, 999):03d}"
    last_name = "Test" + uuid.uuid4().hex[:8].upper().translate(str.maketrans("0123456789", "GHIJKLMNOP"))
    return nir, date(year, month, 15), last_name


def create_member(live_server, password=PASSWORD):
    """A member of MSA Gironde created directly in the live database: (email, nir, last name)."""
    from extensions import db
    from models import Organisation, Role, User
    from models.msa import MsaMember
    email = unique_email("adherent.msa")
    with live_server.app.app_context():
        fund = Organisation.query.filter_by(portal="msa", code="MSA33").one()
        for _ in range(20):
            nir, birth_date, last_name = fresh_identity()
            if MsaMember.query.filter_by(nir=nir).first() is None:
                break
        user = User(email=email, role=Role.CITIZEN.value, first_name="Paul", last_name=last_name,
                    password=password, active=True)
        db.session.add(user)
        db.session.add(MsaMember(user=user, nir=nir, birth_date=birth_date, organisation=fund))
        db.session.commit()
        db.session.remove()
    return email, nir, last_name


def create_conversation(live_server, email, body):
    """A new conversation of the member, as the sending step leaves it; returns its id."""
    from extensions import db
    from models import User
    from models.msa import Conversation
    with live_server.app.app_context():
        user = User.query.filter_by(email=email).one()
        conversation = Conversation(member_id=user.id, organisation_id=user.msa_member.organisation_id,
                                    theme="famille-logement", subject="allocations-familiales",
                                    reason="changement-situation", object_label=OBJECT_LABEL)
        conversation.start(user, body)
        db.session.commit()
        conversation_id = conversation.id
        db.session.remove()
    return conversation_id


def expect_connection_state(page, state):
    expect(page.locator(".portal-person .state")).to_have_text(state)


def msa_log_in(browsing, nir, password=PASSWORD, path="/msa/connexion"):
    page = browsing.page
    browsing.goto(path, shot="msa-connexion")
    expect(browsing.h1()).to_have_text("Se connecter à Mon espace privé")
    expect_connection_state(page, "Déconnecté")
    page.get_by_label(NIR_LABEL).fill(nir)
    page.get_by_label(PASSWORD_LABEL).fill(password)
    page.get_by_role("button", name="Se connecter").click()
    browsing.check()
    expect(page.locator("#messages")).to_contain_text("Vous êtes connecté.")
    expect_connection_state(page, "Connecté")


def log_out(browsing):
    page = browsing.page
    page.get_by_role("navigation", name="Compte").get_by_role("button", name="Se déconnecter").click()
    browsing.check()
    expect(page.get_by_role("navigation", name="Compte").get_by_role("button", name="Se déconnecter")
           ).to_have_count(0)


def mail_body(browsing, to, subject):
    """The text of the newest email to `to` with `subject`, read in the dev mailbox."""
    page = browsing.page
    browsing.goto("/dev/courriels")
    row = page.get_by_role("row").filter(has_text=to).filter(has_text=subject).first
    row.get_by_role("link", name=subject).click()
    browsing.check()
    expect(browsing.h1()).to_have_text(subject)
    expect(page.locator(".summary-list")).to_contain_text(to)
    return page.locator(".mail-body").inner_text()


# --- 1. Sign-up, logout, login by NIR ---------------------------------------------------------

def test_signup_with_emailed_code_then_login_by_nir(browser_page):
    page = browser_page.page
    nir, birth_date, last_name = fresh_identity()
    email = unique_email("inscription.msa")
    browser_page.goto("/msa/connexion")
    page.locator("main").get_by_role("link", name="S’inscrire").click()
    browser_page.check(shot="msa-inscription")
    expect(browser_page.h1()).to_have_text("S’inscrire à Mon espace privé")
    # The NIR typed with spaces, as printed on the card.
    page.get_by_label(NIR_LABEL).fill(
        f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:]}")
    page.get_by_label(re.compile(r"^Nom")).fill(last_name)
    page.get_by_label(re.compile(r"^Prénom")).fill("Gaël")
    page.get_by_label(re.compile(r"^Date de naissance")).fill(birth_date.strftime("%d/%m/%Y"))
    page.get_by_label(re.compile(r"^Adresse e-mail")).fill(email)
    page.get_by_role("button", name="Recevoir mon code").click()
    browser_page.check(shot="msa-inscription-code")
    expect(browser_page.h1()).to_have_text("Saisissez le code reçu par e-mail")
    expect(page.locator("main")).to_contain_text(f"Un code vient de vous être envoyé à {email}.")
    expect(page.locator("#messages")).not_to_contain_text("Un code vient de vous être envoyé")

    body = mail_body(browser_page, email, "Votre code d’inscription à Mon espace privé")
    code = re.search(r"\b(\d{6})\b", body)
    assert code, f"aucun code à 6 chiffres dans le courriel : {body!r}"

    browser_page.goto("/msa/inscription/code")
    expect(browser_page.h1()).to_have_text("Saisissez le code reçu par e-mail")
    page.get_by_label(re.compile(r"^Code reçu par e-mail")).fill(code.group(1))
    page.get_by_label(PASSWORD_LABEL).fill(NEW_PASSWORD)
    page.get_by_label(CONFIRMATION_LABEL).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Valider").click()
    browser_page.check(shot="msa-inscription-terminee")
    expect(page.locator("#messages")).to_contain_text("Votre compte est créé.")
    expect_connection_state(page, "Connecté")
    expect(page.locator(".portal-person")).to_contain_text(re.compile(f"Gaël {last_name}", re.I))
    expect(page).to_have_url(browser_page.server.url + "/msa/")

    log_out(browser_page)
    msa_log_in(browser_page, nir, password=NEW_PASSWORD)
    expect(page).to_have_url(browser_page.server.url + "/msa/")
    expect(page.locator(".portal-person")).to_contain_text(re.compile(f"Gaël {last_name}", re.I))


# --- 2. A new message through the whole cascade ---------------------------------------------------

def choose(browsing, label, option, shot=None):
    """One level of the cascade: pick `option` in the select labelled `label`, « Valider »."""
    page = browsing.page
    if browsing.js:
        page.evaluate("window.samePage = true")
    page.get_by_label(label, exact=True).select_option(label=option)
    page.get_by_role("button", name="Valider").click()
    expect(page.locator(".cascade-choices")).to_contain_text(option)
    if browsing.js:
        assert page.evaluate("window.samePage === true"), "la page a été rechargée"
    browsing.check(shot=shot)


def test_new_message_through_cascade_suggestion_writing_and_summary(browser_page, live_server):
    page = browser_page.page
    email, nir, _ = create_member(live_server)
    msa_log_in(browser_page, nir)
    page.get_by_role("link", name=re.compile("Nous envoyer un message|Mes messages|Accéder à la messagerie")
                     ).first.click()
    browser_page.check(shot="msa-messagerie-vide")
    expect(browser_page.h1()).to_have_text("Ma messagerie")
    expect(page.locator("main")).to_contain_text("Vous n’avez aucune conversation.")
    page.get_by_role("link", name="Rédiger un nouveau message").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Envoyer un message")

    # Theme, then « Modifier » it once: the theme select comes back.
    choose(browser_page, "Mon message concerne", "Santé")
    expect(page.get_by_label("Sujet", exact=True)).to_be_visible()
    if browser_page.js:
        expect(page.get_by_label("Sujet", exact=True)).to_be_focused()
    page.get_by_role("link", name="Modifier : Mon message concerne").click()
    browser_page.check()
    expect(page.get_by_label("Mon message concerne", exact=True)).to_be_visible()
    expect(page.get_by_label("Sujet", exact=True)).to_have_count(0)
    choose(browser_page, "Mon message concerne", "Famille, logement")
    sujet = page.get_by_label("Sujet", exact=True)
    expect(sujet.locator("option", has_text="Allocations familiales")).to_have_count(1)
    expect(sujet.locator("option", has_text="Remboursements de soins")).to_have_count(0)
    choose(browser_page, "Sujet", "Allocations familiales")
    choose(browser_page, "Motif", "Changement de situation - Famille", shot="msa-service-en-ligne")

    # The online-service suggestion and its three choices.
    dialog = page.get_by_role("dialog", name="Un service en ligne correspond à votre demande")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Service en ligne : Déclarer un changement de situation")
    expect(dialog.get_by_role("link", name="J'utilise le service en ligne")).to_be_visible()
    expect(dialog).to_contain_text("pour un gain de temps dans le traitement de votre dossier")
    expect(dialog.get_by_role("link", name="Fermer et rédiger mon message")).to_be_visible()
    expect(dialog.get_by_role("link", name="Fermer et modifier le thème, le sujet ou le motif")).to_be_visible()
    if browser_page.js:  # focus moved into the swapped steps (on the suggestion's title: see the test below)
        assert browser_page.focused("!!el.closest('#msg-etapes')"), "le focus est resté hors des étapes"
    dialog.get_by_role("link", name="Fermer et rédiger mon message").click()
    browser_page.check(shot="msa-redaction")

    # Writing step: header recap, warning, counter.
    choices = page.locator(".cascade-choices")
    for text in ("Famille, logement", "Allocations familiales", "Changement de situation - Famille"):
        expect(choices).to_contain_text(text)
    expect(page.locator("main")).to_contain_text("Service en ligne : Déclarer un changement de situation")
    expect(page.locator(".notice--warning")).to_have_text(MEDICAL_WARNING)
    body = page.get_by_label(BODY_LABEL)
    too_short = "Court é 😀"  # 9 characters: the emoji counts one
    if browser_page.js:
        body.press_sequentially(too_short, delay=20)
        expect(page.locator("#body-compteur")).to_have_text("741 caractères restants.")
    else:
        body.fill(too_short)
    page.get_by_role("button", name="Valider").click()
    browser_page.check(shot="msa-redaction-erreur")
    expect_error_summary(browser_page, "Votre message doit faire au moins 10 caractères (il en fait 9).")
    expect(page.get_by_label(BODY_LABEL)).to_have_value(too_short)

    token = uuid.uuid4().hex[:8]
    text = f"Bonjour, mon fils est né 😀 le mois dernier <b>gras</b> réf. {token}"
    body = page.get_by_label(BODY_LABEL)
    body.fill(text)
    if browser_page.js:
        body.press("End")
        body.press_sequentially("!", delay=20)
        text += "!"
        expect(page.locator("#body-compteur")).to_have_text(f"{750 - len(text)} caractères restants.")
    page.get_by_role("button", name="Valider").click()
    browser_page.check(shot="msa-recapitulatif")
    expect(browser_page.h1()).to_have_text("Récapitulatif de ma demande")
    summary = page.locator("#msg-recapitulatif")
    expect(summary).to_contain_text("Changement de situation - Famille")
    expect(page.locator("#msg-texte")).to_have_text(text)
    expect(page.locator("#msg-texte b")).to_have_count(0)

    page.get_by_role("button", name="Précédent").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Envoyer un message")
    expect(page.get_by_label(BODY_LABEL)).to_have_value(text)
    page.get_by_role("button", name="Valider").click()
    browser_page.check()
    expect(browser_page.h1()).to_have_text("Récapitulatif de ma demande")
    expect(page.locator("#msg-texte")).to_have_text(text)
    page.get_by_role("button", name="Envoyer").click()
    browser_page.check(shot="msa-message-envoye")
    expect(browser_page.h1()).to_have_text("Votre message a bien été envoyé")
    expect(page.locator("main")).to_contain_text(OBJECT_LABEL)

    page.get_by_role("link", name="Revenir à Ma messagerie").click()
    browser_page.check(shot="msa-messagerie")
    expect(page.locator("main").get_by_role("link", name=OBJECT_LABEL)).to_have_count(1)
    page.locator("main").get_by_role("link", name=OBJECT_LABEL).click()
    browser_page.check()
    expect(page.locator("#msg-fil")).to_contain_text(text)
    expect(page.locator("#msg-fil b")).to_have_count(0)
    body_ack = mail_body(browser_page, email, "MSA – Accusé de réception de votre message")
    assert "Changement de situation - Famille" in body_ack


# --- 3. The agent answers, the member reads and replies --------------------------------------------

def test_agent_answers_member_reads_and_replies(browser_page, live_server):
    page = browser_page.page
    email, nir, last_name = create_member(live_server)
    token = uuid.uuid4().hex[:8]
    conversation_id = create_conversation(live_server, email, f"Ma fille est née le 2 mars. Réf. {token}")

    browser_page.log_in(AGENT_EMAIL)
    browser_page.goto("/agent/msa/", shot="msa-agent-boite")
    row = page.locator("#msa-liste tbody tr").filter(has_text=last_name.upper())
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Non lu : message de l’adhérent en attente de réponse")
    row.get_by_role("link", name=OBJECT_LABEL).click()
    browser_page.check(shot="msa-agent-conversation")
    expect(browser_page.h1()).to_have_text(f"Conversation n° {conversation_id}")
    expect(page.locator("#msa-messages")).to_contain_text(token)

    answer = f"Merci, nous avons bien noté la naissance ; votre dossier est mis à jour. Réf. {token}"
    page.get_by_label(re.compile(r"^Votre réponse")).fill(answer)
    page.get_by_role("button", name="Répondre").click()
    browser_page.check(shot="msa-agent-repondu")
    expect(page.locator("#messages")).to_contain_text(
        "Votre réponse a été envoyée. L’adhérent en a été informé par courriel.")
    expect(page.locator("#msa-messages .message--agent")).to_contain_text(answer)

    # The email says an answer waits, without its content, and links to « Ma messagerie ».
    link = browser_page.mail_link(email, ANSWER_SUBJECT)
    expect(page.locator(".mail-body")).not_to_contain_text(token)
    href = link.get_attribute("href")
    assert href.endswith("/msa/messages"), href
    log_out(browser_page)

    # The member follows the link: login by NIR first, then « Ma messagerie » with the unread marker.
    msa_log_in(browser_page, nir, path=href)
    expect(browser_page.h1()).to_have_text("Ma messagerie")
    card = page.locator(f"#conversation-{conversation_id}")
    expect(card.locator(".flagged")).to_have_text("Non lu")
    card.get_by_role("link", name=OBJECT_LABEL).click()
    browser_page.check(shot="msa-conversation-reponse")
    thread = page.locator("#msg-fil")
    expect(thread.locator("li")).to_have_count(2)
    expect(thread.locator("li").nth(1)).to_contain_text("Réponse de votre MSA")
    expect(thread.locator("li").nth(1)).to_contain_text(answer)

    reply = f"Merci beaucoup pour votre réponse rapide ! Réf. {token}"
    page.get_by_label(re.compile(r"^Votre réponse")).fill(reply)
    page.get_by_role("button", name="Envoyer ma réponse").click()
    browser_page.check()
    expect(page.locator("#messages")).to_contain_text("Votre réponse a bien été envoyée.")
    expect(thread.locator("li")).to_have_count(3)
    expect(thread.locator("li").nth(2)).to_contain_text(reply)
    page.get_by_role("link", name="Revenir à Ma messagerie").click()
    browser_page.check()
    expect(page.locator(f"#conversation-{conversation_id} .flagged")).to_have_count(0)


@pytest.mark.parametrize("js", [True], ids=["js"], indirect=False)
def test_online_service_dialog_gets_the_focus(browser_page, live_server):
    page = browser_page.page
    _, nir, _ = create_member(live_server)
    msa_log_in(browser_page, nir)
    browser_page.goto("/msa/messages/nouveau?theme=famille-logement&subject=allocations-familiales")
    choose(browser_page, "Motif", "Changement de situation - Famille")
    expect(page.get_by_role("dialog", name="Un service en ligne correspond à votre demande")).to_be_visible()
    expect(page.locator("#msg-service-titre")).to_be_focused(timeout=2000)
    # With JavaScript the dialog is modal: the page behind is inert, so Tab goes through the three
    # choices and never reaches it (after the last one, the browser's own controls).
    assert page.evaluate("document.getElementById('msg-service').matches(':modal')")
    reached = []
    for _ in range(8):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("(() => { const a = document.activeElement;"
                                     " return !a || a === document.body ? 'navigateur'"
                                     " : a.closest('#msg-service') ? a.textContent.trim()"
                                     " : 'page : ' + a.outerHTML })()"))
    assert not [r for r in reached if r.startswith("page : ")], reached
    assert {"J'utilise le service en ligne", "Fermer et rédiger mon message",
            "Fermer et modifier le thème, le sujet ou le motif"} <= set(reached)
    # Escape = « Fermer et modifier le thème, le sujet ou le motif »: the reason is asked again.
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_label("Motif", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"subject=allocations-familiales"))
    browser_page.check()
