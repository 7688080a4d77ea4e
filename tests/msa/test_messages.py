"""« Ma messagerie », member side: home, theme → subject → reason, online-service suggestion,
writing (10–750 characters), summary, sending, conversation page, replies, scoping."""
import io
from datetime import datetime, timezone

import pytest

from extensions import db
from models import AuditEvent, Conversation, ConversationMessage, MsaMember
from tests import factories
from tests.helpers import errors_of, fragment, page, submit

NEW = "/msa/messages/nouveau"
CODES_CHANGE = {"theme": "famille-logement", "subject": "allocations-familiales", "reason": "changement-situation"}
CODES_PLAIN = {"theme": "famille-logement", "subject": "allocations-familiales", "reason": "dossier"}
TEXT = "Bonjour,\nje souhaite signaler la naissance de mon enfant."
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def members(app):
    with app.app_context():
        org = factories.organisation(portal="msa", code="MSA33", name="MSA Gironde")
        a = factories.user(email="membre@example.fr")
        b = factories.user(email="autre@example.fr", first_name="Paul")
        db.session.add(MsaMember(user=a, nir="1850733063001", organisation=org, mobile="06.12.34.56.78"))
        db.session.add(MsaMember(user=b, nir="2850733063002", organisation=org))
        db.session.commit()
        return {"a": a.id, "b": b.id, "org": org.id}


@pytest.fixture
def member_client(app, members, login):
    client = app.test_client()
    assert login(client, "membre@example.fr").status_code == 302
    return client


@pytest.fixture
def other_client(app, members, login):
    client = app.test_client()
    assert login(client, "autre@example.fr").status_code == 302
    return client


def textarea_text(soup):
    """The textarea's value as a browser reads it (the newline right after <textarea> is dropped)."""
    return soup.select_one("textarea#body").get_text().removeprefix("\r\n").removeprefix("\n")


def write_step(codes, body, **extra):
    return {**codes, "body": body, **extra}


def send(client, codes=CODES_PLAIN, body=TEXT):
    summary = submit(client, NEW, write_step(codes, body), follow_redirects=True)
    lot = summary.select_one("#msg-envoi input[name=pieces_jointes-lot]")["value"]
    token = summary.select_one("#msg-envoi input[name=submission]")["value"]
    return client.post("/msa/messages/recapitulatif", data={**codes, "body": body, "pieces_jointes-lot": lot,
                                                            "submission": token})


# --- Cascade ----------------------------------------------------------------------------------

def test_cascade_steps_without_javascript(member_client):
    soup = page(member_client, NEW)
    assert soup.h1.get_text(strip=True) == "Envoyer un message"
    assert soup.select_one("label[for=msg-objet-theme]").get_text(strip=True) == "Mon message concerne"
    assert len(soup.select("#msg-objet-theme option")) == 8
    cancel = soup.select_one("form[method=post][action='/msa/messages/nouveau'] button[name=annuler]")
    assert cancel.get_text(strip=True) == "Annuler"

    soup = page(member_client, NEW + "?theme=famille-logement")
    assert [o.get_text() for o in soup.select("#msg-objet-subject option")][1:] == [
        'Paiements et décomptes "famille"', 'Attestations "famille"', "Allocations familiales", "Aides au logement",
        "Aides Sociales (secours, prêts)"]
    assert "Famille, logement" in soup.select_one("#msg-objet-choix").get_text()

    soup = page(member_client, NEW + "?theme=famille-logement&subject=allocations-familiales")
    options = [o.get_text() for o in soup.select("#msg-objet-reason option")]
    assert options[-1] == "Autre question Allocations familiales"
    modifier = [a["href"] for a in soup.select("#msg-objet-choix a")]
    assert modifier == [NEW, NEW + "?theme=famille-logement"]


def test_cascade_valider_without_choice_is_a_french_error(member_client):
    soup = page(member_client, NEW + "?theme=")
    assert errors_of(soup) == ["Sélectionnez le thème de votre message."]
    assert soup.title.get_text().startswith("Erreur : ")


def test_cascade_fragments(member_client):
    soup = fragment(member_client, NEW + "?theme=sante")
    assert soup.select_one("#msg-etapes select#msg-objet-subject")
    assert soup.select_one("form[hx-get]")["hx-target"] == "#msg-etapes"
    soup = fragment(member_client, NEW + "?" + "&".join(f"{k}={v}" for k, v in CODES_PLAIN.items()))
    assert soup.select_one("textarea#body")
    assert len(soup.response.get_data()) < 5 * 1024


# --- Online service ---------------------------------------------------------------------------

def test_online_service_suggestion_has_three_choices(member_client):
    url = NEW + "?theme=famille-logement&subject=allocations-familiales&reason=changement-situation"
    soup = page(member_client, url)
    # An open <dialog> in the page (JavaScript makes it modal: see the browser tests).
    dialog = soup.select_one("dialog#msg-service[open][data-modal][aria-labelledby=msg-service-titre]")
    assert "Service en ligne : Déclarer un changement de situation" in dialog.get_text()
    links = dialog.select("a")
    assert [a.get_text(strip=True) for a in links] == [
        "J'utilise le service en ligne", "Fermer et rédiger mon message",
        "Fermer et modifier le thème, le sujet ou le motif"]
    assert "gain de temps dans le traitement de votre dossier" in dialog.get_text()
    assert not soup.select("textarea")
    # Use the service: the portal's page for it.
    response = member_client.get(links[0]["href"])
    assert response.status_code == 302 and "/msa/" in response.headers["Location"]
    # Write the message anyway: the writing step with « Service en ligne : … ».
    soup = page(member_client, links[1]["href"])
    assert soup.select_one("textarea#body")
    assert "Service en ligne : Déclarer un changement de situation" in soup.select_one("#msg-formulaire").get_text()
    # Change: back to the reason, theme and subject kept.
    soup = page(member_client, links[2]["href"])
    assert soup.select_one("select#msg-objet-reason")
    # As a fragment (JavaScript on) the same region comes in place.
    soup = fragment(member_client, url)
    assert soup.select_one("dialog#msg-service h2[autofocus]")
    # Escape (JavaScript) follows « Fermer et modifier… »: the link marked data-cancel.
    assert soup.select_one("#msg-service a[data-cancel]").get_text() == \
        "Fermer et modifier le thème, le sujet ou le motif"


def test_unknown_online_service_is_404(member_client):
    assert member_client.get("/msa/messages/service-en-ligne/inconnu").status_code == 404


# --- Writing ----------------------------------------------------------------------------------

def test_writing_step_wording(member_client):
    soup = page(member_client, NEW + "?theme=famille-logement&subject=allocations-familiales&reason=dossier")
    form = soup.select_one("#msg-formulaire")
    assert "Attention : nous vous conseillons de ne pas communiquer d'information relative à des données " \
           "médicales." in form.get_text()
    assert soup.select_one("label[for=body]").get_text(" ", strip=True) == \
        "Écrivez ici votre message (minimum 10 caractères) (obligatoire)"
    assert soup.select_one("#body-compteur")["data-max"] == "750"
    assert soup.select_one("#pieces_jointes")["accept"] == ".pdf,.jpg,.jpeg,.png"
    assert [b.get_text(strip=True) for b in form.select(".actions button")] == ["Annuler", "Valider"]


@pytest.mark.parametrize("body, ok", [
    ("é" * 9, False), ("é" * 10, True), ("😀" * 10, True), ("a" * 9, False),
    ("é" * 750, True), ("😀" * 750, True), ("é" * 751, False), ("          ", False)])
def test_message_length_in_code_points(member_client, body, ok):
    response = member_client.post(NEW, data=write_step(CODES_PLAIN, body))
    if ok:
        assert response.status_code == 303 and response.headers["Location"] == "/msa/messages/recapitulatif"
        soup = submit(member_client, NEW, write_step(CODES_PLAIN, body), follow_redirects=True)
        assert soup.h1.get_text(strip=True) == "Récapitulatif de ma demande"
    else:
        soup = submit(member_client, NEW, write_step(CODES_PLAIN, body), status=422)
        errors = errors_of(soup)
        assert len(errors) == 1
        if len(body) == 9:
            assert errors[0] == "Votre message doit faire au moins 10 caractères (il en fait 9)."
        elif len(body) == 751:
            assert errors[0] == "Votre message doit faire 750 caractères maximum (il en fait 751)."
        else:
            assert errors[0] == "Saisissez votre message."
        assert textarea_text(soup) == body


def test_crlf_counts_as_one_character(member_client):
    body = "a" * 748 + "\r\nb"  # 750 once CRLF is stored as LF
    soup = submit(member_client, NEW, write_step(CODES_PLAIN, body), follow_redirects=True)
    assert soup.select_one("#msg-texte").get_text() == "a" * 748 + "\nb"


# --- Summary ----------------------------------------------------------------------------------

HOSTILE = '<script>alert(1)</script> <b>gras</b> <a hx-get="/msa/messages" hx-trigger="load">x</a>\nligne 2'


def test_summary_shows_the_text_escaped(member_client):
    soup = submit(member_client, NEW, write_step(CODES_CHANGE, HOSTILE), follow_redirects=True)
    recap = soup.select_one("#msg-recapitulatif")
    assert [dd.get_text() for dd in recap.select("dd")][:3] == [
        "Famille, logement", "Allocations familiales", "Changement de situation - Famille"]
    text = recap.select_one("#msg-texte")
    assert "user-text" in text["class"]
    assert text.get_text() == HOSTILE
    assert not text.find_all(True)
    assert not soup.select("main script, main b, main [hx-trigger=load]")
    actions = [b.get_text(strip=True) for b in soup.select("#msg-envoi button")]
    assert actions == ["Annuler", "Précédent", "Envoyer"]


def test_precedent_keeps_the_text(member_client):
    summary = submit(member_client, NEW, write_step(CODES_PLAIN, HOSTILE), follow_redirects=True)
    data = {i["name"]: i.get("value", "") for i in summary.select("#msg-envoi input")}
    assert data["body"] == HOSTILE
    soup = submit(member_client, NEW, {**data, "precedent": "1"})
    assert textarea_text(soup) == HOSTILE
    assert not errors_of(soup)
    # The writing step's GET (refresh, back) finds it again too.
    soup = page(member_client, NEW + "?theme=famille-logement&subject=allocations-familiales&reason=dossier")
    assert textarea_text(soup) == HOSTILE


def test_annuler_forgets_the_draft(member_client):
    submit(member_client, NEW, write_step(CODES_PLAIN, TEXT), follow_redirects=True)
    response = member_client.post(NEW, data={**CODES_PLAIN, "body": TEXT, "annuler": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/msa/messages")
    soup = page(member_client, NEW + "?theme=famille-logement&subject=allocations-familiales&reason=dossier")
    assert textarea_text(soup) == ""


def test_annuler_in_the_cascade_forgets_the_draft_too(member_client):
    """« Précédent » kept the text; then « Modifier » back to the cascade and « Annuler » there: the
    next message starts empty."""
    submit(member_client, NEW, write_step(CODES_PLAIN, TEXT), follow_redirects=True)
    soup = page(member_client, NEW + "?theme=famille-logement")
    cancel = soup.select_one("button[name=annuler]").find_parent("form")
    response = member_client.post(NEW, data={"annuler": "1"})
    assert cancel["action"] == NEW and response.status_code == 302
    soup = page(member_client, NEW + "?theme=famille-logement&subject=allocations-familiales&reason=dossier")
    assert textarea_text(soup) == ""


# --- Sending ----------------------------------------------------------------------------------

def test_send_creates_conversation_message_audit_email_and_sms(app, member_client, members, outbox):
    response = send(member_client, CODES_CHANGE, HOSTILE)
    assert response.status_code == 303
    with app.app_context():
        conversation = Conversation.query.one()
        assert conversation.member_id == members["a"]
        assert conversation.organisation_id == members["org"]
        assert (conversation.theme, conversation.subject, conversation.reason) == (
            "famille-logement", "allocations-familiales", "changement-situation")
        assert conversation.object_label == "Famille, logement > Allocations familiales > " \
                                            "Changement de situation - Famille"
        assert [m.body for m in conversation.messages] == [HOSTILE]
        assert AuditEvent.query.filter_by(action="msa.conversation.created").count() == 1
        cid = conversation.id
    assert response.headers["Location"].endswith(f"/msa/messages/{cid}/envoye")
    soup = page(member_client, response.headers["Location"])
    assert soup.h1.get_text(strip=True) == "Votre message a bien été envoyé"
    [email] = outbox("email")
    assert email["to"] == "membre@example.fr" and "Accusé de réception" in email["subject"]
    assert "Changement de situation - Famille" in email["body"]
    [sms] = outbox("sms")
    assert sms["to"] == "06.12.34.56.78"
    home = page(member_client, "/msa/messages")
    assert home.select_one(f"#conversation-{cid} a").get_text(strip=True).startswith(
        f"Conversation n° {cid} – Famille, logement")


def test_no_sms_without_mobile(other_client, outbox):
    assert send(other_client).status_code == 303
    assert len(outbox("email")) == 1 and outbox("sms") == []


def test_send_with_attachment(app, member_client, members):
    soup = submit(member_client, NEW, {**write_step(CODES_PLAIN, TEXT),
                                       "pieces_jointes": (io.BytesIO(PDF), "avis.pdf")},
                  content_type="multipart/form-data", follow_redirects=True)
    assert "avis.pdf" in soup.select_one("#msg-recapitulatif").get_text()
    data = {i["name"]: i.get("value", "") for i in soup.select("#msg-envoi input")}
    assert member_client.post("/msa/messages/recapitulatif", data=data).status_code == 303
    with app.app_context():
        from models import Attachment
        [attachment] = Attachment.query.all()
        message = ConversationMessage.query.one()
        assert (attachment.subject_type, attachment.subject_id) == ("ConversationMessage", message.id)
        assert attachment.organisation_id == members["org"]
        cid = message.conversation_id
    soup = page(member_client, f"/msa/messages/{cid}")
    assert soup.select_one("#msg-fil a").get_text(strip=True) == "avis.pdf"


def test_send_refuses_tampered_short_text(app, member_client):
    summary = submit(member_client, NEW, write_step(CODES_PLAIN, TEXT), follow_redirects=True)
    data = {i["name"]: i.get("value", "") for i in summary.select("#msg-envoi input")}
    data["body"] = "court"
    response = member_client.post("/msa/messages/recapitulatif", data=data)
    assert response.status_code == 422
    with app.app_context():
        assert Conversation.query.count() == 0


def summary_form(client, codes=CODES_PLAIN, body=TEXT):
    summary = submit(client, NEW, write_step(codes, body), follow_redirects=True)
    return {i["name"]: i.get("value", "") for i in summary.select("#msg-envoi input")}


def test_the_summary_posted_twice_sends_once(app, member_client, members, outbox):
    """A double tap, or Back then « Renvoyer le formulaire »: one conversation, one mail, one SMS,
    and both answers lead to the same « envoyé » page."""
    data = summary_form(member_client)
    first = member_client.post("/msa/messages/recapitulatif", data=data)
    second = member_client.post("/msa/messages/recapitulatif", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        conversation = Conversation.query.one()
        assert ConversationMessage.query.count() == 1
        assert conversation.submission_token == data["submission"]
        assert first.headers["Location"] == f"/msa/messages/{conversation.id}/envoye"
    assert len(outbox("email")) == 1 and len(outbox("sms")) == 1


def test_back_to_the_summary_after_sending_never_posts_again(app, member_client, members, outbox):
    """The summary is a GET page (post/redirect/get): Back from « envoyé » fetches it again, finds
    no draft any more, and shows the messaging home where the message is listed."""
    data = summary_form(member_client)
    assert member_client.get("/msa/messages/recapitulatif").status_code == 200
    member_client.post("/msa/messages/recapitulatif", data=data)
    response = member_client.get("/msa/messages/recapitulatif")
    assert response.status_code == 302 and response.headers["Location"] == "/msa/messages"
    # A new message gets a new token: it is sent as well.
    again = summary_form(member_client)
    assert again["submission"] != data["submission"]
    member_client.post("/msa/messages/recapitulatif", data=again)
    with app.app_context():
        assert Conversation.query.count() == 2
    assert len(outbox("email")) == 2


def test_another_members_submission_token_sends_nothing(app, member_client, other_client, members, outbox):
    data = summary_form(member_client)
    member_client.post("/msa/messages/recapitulatif", data=data)
    theirs = summary_form(other_client, body="Un autre message, pour une autre raison.")
    soup = submit(other_client, "/msa/messages/recapitulatif", dict(theirs, submission=data["submission"]),
                  status=409)
    assert soup.title.get_text().startswith("Erreur : ")
    assert "rien n’a été envoyé" in soup.select_one("#msg-envoi-refuse[role=alert]").get_text()
    assert soup.select_one("#msg-texte").get_text() == "Un autre message, pour une autre raison."
    fresh = soup.select_one("#msg-envoi input[name=submission]")["value"]
    assert fresh != data["submission"]
    with app.app_context():
        assert Conversation.query.count() == 1
    assert len(outbox("email")) == 1
    # « Envoyer » again, with the new token: sent once.
    assert other_client.post("/msa/messages/recapitulatif", data=dict(theirs, submission=fresh)).status_code == 303
    with app.app_context():
        assert Conversation.query.filter_by(member_id=members["b"]).count() == 1


# --- Conversation -----------------------------------------------------------------------------

def make_conversation(app, members, member="a", unread=False, hidden=False, label="Santé > RSA > Motif"):
    with app.app_context():
        c = Conversation(member_id=members[member], organisation_id=members["org"], theme="sante",
                         subject="remboursements", reason="delai", object_label=label, unread_by_member=unread,
                         hidden=hidden)
        db.session.add(c)
        db.session.add(ConversationMessage(conversation=c, author_id=members[member], body=HOSTILE))
        db.session.commit()
        return c.id


def test_conversation_page_escapes_and_marks_read(app, member_client, members):
    cid = make_conversation(app, members, unread=True)
    home = page(member_client, "/msa/messages")
    assert "Non lu" in home.select_one(f"#conversation-{cid}").get_text()
    soup = page(member_client, f"/msa/messages/{cid}")
    body = soup.select_one("#msg-fil .user-text")
    assert body.get_text() == HOSTILE and not body.find_all(True)
    assert soup.select_one("#msg-fil strong").get_text() == "Vous"
    with app.app_context():
        assert db.session.get(Conversation, cid).unread_by_member is False
    assert "Non lu" not in page(member_client, "/msa/messages").select_one(f"#conversation-{cid}").get_text()
    soup = fragment(member_client, f"/msa/messages/{cid}")
    assert soup.select_one("#msg-fil") and not soup.select("h1")


@pytest.mark.parametrize("utc, paris", [((2026, 1, 15, 12, 5), "15/01/2026 13h05min"),
                                         ((2026, 7, 15, 22, 30), "16/07/2026 00h30min")])
def test_dates_are_shown_in_french_time(app, member_client, members, utc, paris):
    cid = make_conversation(app, members)
    with app.app_context():
        conversation = db.session.get(Conversation, cid)
        conversation.updated_at = conversation.messages[0].created_at = datetime(*utc, tzinfo=timezone.utc)
        db.session.commit()
    card = page(member_client, "/msa/messages").select_one(f"#conversation-{cid} .hint")
    assert card.get_text(strip=True).endswith(f"dernier échange le {paris}")
    message = page(member_client, f"/msa/messages/{cid}").select_one("#msg-fil li p")
    assert message.get_text(" ", strip=True) == f"Vous – le {paris}"


def test_conversations_with_the_same_object_are_told_apart_by_number_and_date(app, member_client, members):
    first, second = make_conversation(app, members), make_conversation(app, members)
    with app.app_context():
        for cid, day in ((first, 3), (second, 4)):
            conversation = db.session.get(Conversation, cid)
            conversation.created_at = conversation.updated_at = datetime(2026, 3, day, 9, 15, tzinfo=timezone.utc)
        db.session.commit()
    soup = page(member_client, "/msa/messages")
    links = [soup.select_one(f"#conversation-{cid} a").get_text(strip=True) for cid in (first, second)]
    assert links == [f"Conversation n° {cid} – Santé > RSA > Motif" for cid in (first, second)]
    dates = [soup.select_one(f"#conversation-{cid} .hint").get_text(strip=True) for cid in (first, second)]
    assert dates[0].startswith("Envoyée le 03/03/2026 10h15min")
    assert dates[1].startswith("Envoyée le 04/03/2026 10h15min")
    hide = soup.select_one(f"#conversation-{first} button[value=masquer]").get_text(" ", strip=True)
    assert hide == f"Masquer la conversation n° {first}"
    # The conversation page names it as the agent does (their page is titled « Conversation n° … »).
    conversation = page(member_client, f"/msa/messages/{first}")
    assert conversation.find("p", string=f"Conversation n° {first}, envoyée le 03/03/2026 10h15min")


def test_other_members_conversation_is_404(app, other_client, members):
    cid = make_conversation(app, members)
    page(other_client, f"/msa/messages/{cid}", status=404)
    fragment(other_client, f"/msa/messages/{cid}", status=404)
    page(other_client, f"/msa/messages/{cid}/envoye", status=404)
    assert other_client.post(f"/msa/messages/{cid}", data={"body": TEXT}).status_code == 404
    assert other_client.post(f"/msa/messages/{cid}/visibilite", data={"action": "masquer"}).status_code == 404
    with app.app_context():
        assert len(db.session.get(Conversation, cid).messages) == 1
        assert db.session.get(Conversation, cid).hidden is False


def test_hide_and_show(app, member_client, members):
    cid = make_conversation(app, members)
    response = member_client.post(f"/msa/messages/{cid}/visibilite", data={"action": "masquer"})
    assert response.status_code == 302
    home = page(member_client, "/msa/messages")
    assert not home.select(f"#conversation-{cid}")
    toggle = home.select_one("a[href='/msa/messages?masquees=1']")
    assert toggle.get_text(strip=True).startswith("Afficher les conversations masquées")
    shown = page(member_client, toggle["href"])
    assert "masquée" in shown.select_one(f"#conversation-{cid}").get_text()
    member_client.post(f"/msa/messages/{cid}/visibilite", data={"action": "afficher", "masquees": "1"})
    assert page(member_client, "/msa/messages").select(f"#conversation-{cid}")


def test_reply(app, member_client, members):
    cid = make_conversation(app, members)
    soup = submit(member_client, f"/msa/messages/{cid}", {"body": "trop court"[:9]}, status=422)
    assert errors_of(soup) == ["Votre message doit faire au moins 10 caractères (il en fait 9)."]
    response = member_client.post(f"/msa/messages/{cid}", data={"body": "Voici ma réponse complète."})
    assert response.status_code == 303
    soup = page(member_client, f"/msa/messages/{cid}")
    assert [p.get_text() for p in soup.select("#msg-fil .user-text")] == [HOSTILE, "Voici ma réponse complète."]


def test_a_reply_posted_twice_is_added_once(app, member_client, other_client, members):
    cid = make_conversation(app, members)
    token = page(member_client, f"/msa/messages/{cid}").select_one("#msg-reponse input[name=submission]")["value"]
    data = {"body": "Voici ma réponse complète.", "submission": token}
    first = member_client.post(f"/msa/messages/{cid}", data=data)
    second = member_client.post(f"/msa/messages/{cid}", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"] == f"/msa/messages/{cid}"
    with app.app_context():
        assert ConversationMessage.query.filter_by(conversation_id=cid).count() == 2  # the first and the reply
    # Another member cannot replay it in their own conversation.
    other = make_conversation(app, members, member="b")
    assert other_client.post(f"/msa/messages/{other}", data=data).status_code == 409
    with app.app_context():
        assert ConversationMessage.query.filter_by(conversation_id=other).count() == 1


def test_a_reply_to_an_answered_conversation_waits_for_an_answer_again(app, member_client, members):
    cid = make_conversation(app, members)
    with app.app_context():
        db.session.get(Conversation, cid).status = "en-cours"  # answered by an agent
        db.session.commit()
    member_client.post(f"/msa/messages/{cid}", data={"body": "Une question de plus, merci."})
    with app.app_context():
        assert db.session.get(Conversation, cid).status == "nouveau"  # the agents' default list


def test_no_reply_once_closed(app, member_client, members):
    cid = make_conversation(app, members)
    with app.app_context():
        db.session.get(Conversation, cid).status = "cloture"
        db.session.commit()
    soup = page(member_client, f"/msa/messages/{cid}")
    assert not soup.select("textarea")
    # A reply written before the agent closed it: refused, said so, and the text is given back.
    soup = submit(member_client, f"/msa/messages/{cid}", {"body": TEXT}, status=409)
    assert soup.title.get_text().startswith("Erreur : ")
    refusal = soup.select_one("#msg-non-envoye")
    assert refusal["role"] == "alert"
    assert refusal.p.get_text(strip=True) == "Votre réponse n’a pas été envoyée : cette conversation a été clôturée."
    assert refusal.select_one(".user-text").get_text() == TEXT
    assert not soup.select("textarea")
    with app.app_context():
        assert ConversationMessage.query.filter_by(conversation_id=cid).count() == 1


def test_home_links(member_client):
    soup = page(member_client, "/msa/messages")
    assert soup.h1.get_text(strip=True) == "Ma messagerie"
    assert soup.select_one("a[href='/msa/messages/nouveau']").get_text(strip=True) == "Rédiger un nouveau message"
    assert soup.select_one("a[href='/msa/messages/envoyer-un-document']").get_text(strip=True) == \
        "Envoyer un document"
    assert "aucune conversation" in soup.get_text()


def test_anonymous_is_sent_to_login(client):
    response = client.get("/msa/messages")
    assert response.status_code == 302 and "/msa/" in response.headers["Location"]


# --- Receipts (issue 13.6) ----------------------------------------------------------------------

def receipt_text(response):
    from pypdf import PdfReader
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.get_data())).pages)


def test_receipt_from_the_sent_and_conversation_pages(app, member_client, members, outbox):
    from core.formatting import PARIS as paris
    location = send(member_client, CODES_CHANGE, TEXT).headers["Location"]
    with app.app_context():
        conversation = Conversation.query.one()
        cid, sent_at = conversation.id, conversation.created_at
    receipt = f"/msa/messages/{cid}/accuse-de-reception.pdf"
    for soup in (page(member_client, location), page(member_client, f"/msa/messages/{cid}")):
        link = soup.select_one("#accuse-de-reception")
        assert link.get_text(strip=True) == "Télécharger l’accusé de réception (PDF)" and link["href"] == receipt
    text = receipt_text(member_client.get(receipt))
    assert f"message N°{cid}" in text
    assert sent_at.astimezone(paris).strftime("%d/%m/%Y %Hh%Mmin") in text
    assert "Changement de situation - Famille" in text
    assert "MSA Gironde" in text
    with app.app_context():
        from models import User
        member = db.session.get(User, members["a"])
        assert f"{member.first_name} {member.last_name}" in text
    # The acknowledgement mail: reference, date and a link to the conversation.
    [email] = outbox("email")
    assert f"message N°{cid}" in email["body"]
    assert sent_at.astimezone(paris).strftime("%d/%m/%Y %Hh%Mmin") in email["body"]
    assert f"/msa/messages/{cid}" in email["body"]


def test_no_receipt_of_another_members_message(app, other_client, members):
    cid = make_conversation(app, members)
    assert other_client.get(f"/msa/messages/{cid}/accuse-de-reception.pdf").status_code == 404
    assert other_client.get("/msa/messages/999999/accuse-de-reception.pdf").status_code == 404


# --- Work per request -------------------------------------------------------------------------

def _selects(app, client, url, **kwargs):
    from tests.core.test_request_path import selects, statements
    client.get(url, **kwargs)  # the login's touch, if due, is behind us
    with statements(app) as seen:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return response, selects(seen)


@pytest.mark.parametrize("attached", [False, True])
def test_writing_step_and_summary_read_the_draft_and_its_files_in_one_statement(app, member_client, attached):
    files = {"pieces_jointes": (io.BytesIO(PDF), "avis.pdf")} if attached else {}
    submit(member_client, NEW, {**write_step(CODES_PLAIN, TEXT), **files}, content_type="multipart/form-data",
           follow_redirects=True)
    writing = NEW + "?" + "&".join(f"{k}={v}" for k, v in CODES_PLAIN.items())
    for url, headers in ((writing, {"HX-Request": "true"}), ("/msa/messages/recapitulatif", {})):
        response, queries = _selects(app, member_client, url, headers=headers)
        assert len(queries) == 2, queries  # the session's row, then the draft with its files
        assert "user_session" in queries[0] and "draft" in queries[1] and "attachment" in queries[1]
        html = response.get_data(as_text=True)
        assert ("avis.pdf" in html) == attached
        assert "Bonjour," in html


def test_an_expired_draft_is_not_read(app, member_client):
    from datetime import timedelta

    from models import Draft
    submit(member_client, NEW, write_step(CODES_PLAIN, TEXT), follow_redirects=True)
    with app.app_context():
        draft = Draft.query.one()
        draft.updated_at = draft.updated_at - timedelta(days=app.config["DRAFT_RETENTION_DAYS"] + 1)
        db.session.commit()
    response = member_client.get("/msa/messages/recapitulatif")
    assert response.status_code == 302 and response.headers["Location"].endswith("/msa/messages")
    soup = fragment(member_client, NEW + "?" + "&".join(f"{k}={v}" for k, v in CODES_PLAIN.items()))
    assert textarea_text(soup) == ""


@pytest.mark.parametrize("query", ["", "theme=", "theme=sante", "theme=famille-logement&subject=",
                                   "theme=famille-logement&subject=allocations-familiales",
                                   "theme=famille-logement&subject=allocations-familiales&reason=dossier",
                                   "theme=famille-logement&subject=allocations-familiales&reason=changement-situation"])
@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}, {"HX-Request": "true", "HX-Boosted": "true"}])
def test_the_cascade_rendered_once_is_the_macros(app, members, query, headers):
    from flask import get_template_attribute
    from werkzeug.datastructures import MultiDict

    from blueprints.msa.messages import cascade_html, catalogue
    with app.test_request_context(NEW + "?" + query, headers=headers):
        state = catalogue().resolve(MultiDict([p.split("=") for p in query.split("&") if p]))
        for focus in (True, False):
            fresh = get_template_attribute("components/cascade.html", "cascade")(
                state, NEW, id="msg-objet", target="msg-etapes", focus_choices=focus)
            assert cascade_html(state, focus) == fresh  # rendered now
            assert cascade_html(state, focus) == fresh  # from the app's store


def _normalised(html):
    import re
    html = re.sub(r'(name="csrf_token" value=")[^"]+', r"\1", html)
    return re.sub(r'("X-CSRFToken": ")[^"]+', r"\1", html)


@pytest.mark.parametrize("codes, body", [(CODES_PLAIN, TEXT), (CODES_CHANGE, HOSTILE + ' "quoted" & \'single\'')])
def test_the_summary_rendered_once_is_the_block(app, monkeypatch, member_client, other_client, codes, body):
    import re

    from blueprints.msa import messages
    for client, text in ((member_client, body), (other_client, body + " (autre)")):
        client.get("/msa/messages")  # the login's message, flashed once
        submit(client, NEW, write_step(codes, text), follow_redirects=True)
    seen = {}
    for client in (member_client, other_client):
        seen[client] = [_normalised(client.get("/msa/messages/recapitulatif").get_data(as_text=True))
                        for _ in range(2)]
    assert any(key[0] == "msa.messages.summary" for key in app.extensions["guichet_prerendered"])
    with monkeypatch.context() as patched:
        patched.setattr(messages, "pristine_summary", lambda context: None)
        for client in (member_client, other_client):
            fresh = _normalised(client.get("/msa/messages/recapitulatif").get_data(as_text=True))
            assert seen[client] == [fresh, fresh]
    soup = page(other_client, "/msa/messages/recapitulatif")
    assert soup.select_one("#msg-texte").get_text() == body + " (autre)"
    assert soup.select_one("#msg-envoi input[name=body]")["value"] == body + " (autre)"
    tokens = {re.search(r'name="submission" value="([^"]+)"', seen[c][0]).group(1)
              for c in (member_client, other_client)}
    assert len(tokens) == 2  # each member's own draft token


def test_a_summary_with_files_is_rendered_by_the_block(app, member_client):
    from blueprints.msa.messages import pristine_summary
    files = {"pieces_jointes": (io.BytesIO(PDF), "avis.pdf")}
    soup = submit(member_client, NEW, {**write_step(CODES_PLAIN, TEXT), **files},
                  content_type="multipart/form-data", follow_redirects=True)
    assert "avis.pdf (" in soup.select_one("#msg-recapitulatif").get_text()
    assert pristine_summary({"state": None, "form": None, "service": None, "files": type("F", (), {"items": [1]})}) \
        is None


@pytest.mark.parametrize("codes, body", [(CODES_PLAIN, TEXT), (CODES_CHANGE, HOSTILE + ' "quoted" & \'single\'')])
def test_the_writing_step_rendered_once_is_the_block(app, monkeypatch, member_client, other_client, codes, body):
    import re

    from blueprints.msa import messages
    url = NEW + "?" + "&".join(f"{k}={v}" for k, v in codes.items()) + "&ecrire=1"
    kinds = ({}, {"HX-Request": "true"}, {"HX-Request": "true", "HX-Boosted": "true"})
    for client, text in ((member_client, body), (other_client, body + " (autre)")):
        client.get("/msa/messages")  # the login's message, flashed once
        submit(client, NEW, write_step(codes, text), follow_redirects=True)
    seen = {(client, i): [_normalised(client.get(url, headers=h).get_data(as_text=True)) for _ in range(2)]
            for client in (member_client, other_client) for i, h in enumerate(kinds)}
    assert sum(1 for key in app.extensions["guichet_prerendered"] if key[0] == "msa.messages.writing") == 2
    with monkeypatch.context() as patched:
        patched.setattr(messages, "pristine_writing_step", lambda context: None)
        for (client, i), pages in seen.items():
            fresh = _normalised(client.get(url, headers=kinds[i]).get_data(as_text=True))
            assert pages == [fresh, fresh]
    soup = page(other_client, url)
    assert textarea_text(soup) == body + " (autre)"
    lots = {re.search(r'name="pieces_jointes-lot" value="([^"]+)"', seen[c, 0][0]).group(1)
            for c in (member_client, other_client)}
    assert len(lots) == 2  # each member's own upload set


def test_a_writing_step_with_files_is_rendered_by_the_block(app, member_client):
    files = {"pieces_jointes": (io.BytesIO(PDF), "avis.pdf"), "pieces_jointes-ajouter": "1"}
    soup = submit(member_client, NEW, {**write_step(CODES_PLAIN, TEXT), **files}, content_type="multipart/form-data")
    assert "avis.pdf" in soup.select_one("#msg-formulaire").get_text()
    soup = fragment(member_client, NEW + "?" + "&".join(f"{k}={v}" for k, v in CODES_PLAIN.items()))
    assert "avis.pdf" in soup.select_one("#msg-formulaire").get_text()
    assert textarea_text(soup) == TEXT
