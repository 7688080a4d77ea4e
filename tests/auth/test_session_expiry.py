"""After a session expires, nothing typed is lost (quality.md, sessions): a form posted on the
expired session is kept server-side for its owner, the login page says why it is shown, and after
the login the user is back on the same page with the text and the files (core.replay)."""
import io
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from extensions import db
from models import Attachment, Conversation, Draft, MsaMember, PartnerRequest, UserSession
from models.partenaires import ANSWER_FILES, REQUEST_FILES
from tests import factories
from tests.components.test_attachments_content import pdf_bytes
from tests.helpers import check_page, page, submit
from tests.msa.test_messages import (CODES_PLAIN, NEW, TEXT, make_conversation, member_client,  # noqa: F401
                                     members, other_client, textarea_text, write_step)
from tests.partenaires.test_history import enter, make_request, world  # noqa: F401 (fixtures)
from tests.partenaires.test_new_request import valid as valid_request

EXPIRED = "Votre session a expiré après 30 minutes sans activité."
KEPT = "Reconnectez-vous : ce que vous aviez saisi a été conservé."
BACK = "Reconnectez-vous pour revenir à la page où vous étiez."
RESTORED = "Votre saisie a été conservée : vérifiez-la puis validez."
NIR_A, NIR_B = "1850733063001", "2850733063002"


def expire(app, **delta):
    """Every session idle for longer than the limit (or older than the absolute lifetime)."""
    delta = delta or {"minutes": app.config["SESSION_IDLE_MINUTES"] + 1}
    with app.app_context():
        for row in UserSession.query.all():
            row.last_seen_at -= timedelta(**delta)
            row.created_at -= timedelta(**delta)
        db.session.commit()


def notices(soup):
    return [p.get_text(" ", strip=True) for p in soup.select("#messages .notice")]


def next_of(location):
    return parse_qs(urlsplit(location).query).get("next", [None])[0]


def replays(app):
    with app.app_context():
        return {(d.owner_id, d.kind): d.data for d in Draft.query.filter(Draft.kind.startswith("replay:"))}


def msa_login(client, location, nir=NIR_A):
    """Log in on the MSA login page the expiry redirected to, and follow to the page."""
    return client.post(location, data={"nir": nir, "password": factories.PASSWORD}, follow_redirects=True)


# --- MSA: the writing step ------------------------------------------------------------------

def test_the_message_posted_on_an_expired_session_comes_back_after_the_login(app, member_client, members):
    page(member_client, NEW + "?theme=famille-logement&subject=allocations-familiales&reason=dossier&ecrire=1")
    expire(app)
    response = member_client.post(NEW, data={**write_step(CODES_PLAIN, TEXT), "csrf_token": "x"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert urlsplit(location).path == "/msa/connexion" and next_of(location) == NEW
    [(key, data)] = replays(app).items()
    assert key == (members["a"], "replay:msa.messages_new")
    assert ["body", TEXT] in data["fields"] and "csrf_token" not in [name for name, _ in data["fields"]]

    login_page = page(member_client, location)
    assert notices(login_page) == [f"{EXPIRED} {KEPT}"]

    back = msa_login(member_client, location)
    soup = page(member_client, back.request.url)  # the writing step, by its own URL (cascade codes)
    assert soup.select_one("#msg-formulaire") is not None and textarea_text(soup) == TEXT
    assert parse_qs(urlsplit(back.request.url).query)["ecrire"] == ["1"]
    assert RESTORED in " ".join(notices(check(back)))
    assert replays(app) == {}  # used once

    # And it sends.
    summary = submit(member_client, NEW, write_step(CODES_PLAIN, textarea_text(soup)), follow_redirects=True)
    data = {i["name"]: i.get("value", "") for i in summary.select("#msg-envoi input")}
    assert member_client.post("/msa/messages/recapitulatif", data=data).status_code == 303
    with app.app_context():
        assert Conversation.query.one().messages[0].body == TEXT


def check(response):
    return check_page(response.get_data(as_text=True))


def test_files_added_before_the_expiry_stay(app, member_client, members):
    added = submit(member_client, NEW, {**write_step(CODES_PLAIN, "court"), "pieces_jointes-ajouter": "1",
                                        "pieces_jointes": (io.BytesIO(pdf_bytes()), "avis.pdf")},
                   content_type="multipart/form-data")
    lot = added.select_one("input[name=pieces_jointes-lot]")["value"]
    expire(app)
    # Without JavaScript, a file chosen and sent with « Valider » (no « Ajouter »): kept too.
    response = member_client.post(NEW, data={**write_step(CODES_PLAIN, TEXT), "pieces_jointes-lot": lot,
                                             "pieces_jointes": (io.BytesIO(pdf_bytes()), "releve.pdf")},
                                  content_type="multipart/form-data")
    back = msa_login(member_client, response.headers["Location"])
    soup = check(back)
    assert textarea_text(soup) == TEXT
    assert [li.a.get_text() for li in soup.select("#pieces_jointes-contenu li")] == ["avis.pdf", "releve.pdf"]


def test_a_set_signed_for_someone_else_keeps_no_file(app, member_client, other_client, members):
    lot = page(other_client, NEW + "?theme=famille-logement&subject=allocations-familiales&reason=dossier&ecrire=1"
               ).select_one("input[name=pieces_jointes-lot]")["value"]
    expire(app)
    member_client.post(NEW, data={**write_step(CODES_PLAIN, TEXT), "pieces_jointes-lot": lot, "Bad name-lot": lot,
                                  "pieces_jointes": (io.BytesIO(pdf_bytes()), "releve.pdf")},
                       content_type="multipart/form-data")
    with app.app_context():
        from models import Attachment
        assert Attachment.query.count() == 0
        draft = Draft.query.filter_by(owner_id=members["a"], kind="replay:msa.messages_new").one()
        assert draft.attachment_token is None


def test_another_user_never_gets_the_first_users_text(app, member_client, members):
    expire(app)
    response = member_client.post(NEW, data=write_step(CODES_PLAIN, TEXT))
    # Someone else logs in on the same browser, with the same `next`.
    back = msa_login(member_client, response.headers["Location"], nir=NIR_B)
    soup = check(back)
    assert TEXT not in soup.get_text() and RESTORED not in notices(soup)
    assert soup.select_one("#msg-formulaire") is None  # the theme step, nothing pre-filled
    assert (members["a"], "replay:msa.messages_new") in replays(app)  # still waiting for its owner


def test_the_reply_posted_on_an_expired_session_comes_back(app, member_client, members):
    cid = make_conversation(app, members)
    other = make_conversation(app, members)
    expire(app)
    reply = "Voici ma réponse, écrite pendant quarante minutes."
    response = member_client.post(f"/msa/messages/{cid}", data={"body": reply})
    assert next_of(response.headers["Location"]) == f"/msa/messages/{cid}"
    msa_login(member_client, "/msa/connexion")  # logged in elsewhere first: only its own page gives it back
    soup = page(member_client, f"/msa/messages/{other}")
    assert soup.select_one("#msg-reponse textarea").get_text().strip() == ""
    soup = page(member_client, f"/msa/messages/{cid}")
    assert soup.select_one("#msg-reponse textarea").get_text().strip() == reply
    assert RESTORED in notices(soup)
    soup = page(member_client, f"/msa/messages/{cid}")  # once
    assert soup.select_one("#msg-reponse textarea").get_text().strip() == ""


# --- GET, htmx, and what is not kept ------------------------------------------------------

def test_a_page_asked_for_on_an_expired_session_comes_back_after_the_login(app, member_client, members):
    expire(app)
    response = member_client.get("/msa/messages?masquees=1")
    location = response.headers["Location"]
    assert response.status_code == 302 and next_of(location) == "/msa/messages?masquees=1"
    assert notices(page(member_client, location)) == [f"{EXPIRED} {BACK}"]
    back = msa_login(member_client, location)
    assert back.request.path == "/msa/messages" and back.request.args["masquees"] == "1"
    assert replays(app) == {}


def test_the_absolute_lifetime_says_so(app, member_client, members):
    expire(app, hours=app.config["SESSION_ABSOLUTE_HOURS"], minutes=1)
    with app.app_context():  # active a minute ago, logged in for too long
        for row in UserSession.query.all():
            row.last_seen_at += timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"])
        db.session.commit()
    location = member_client.get("/msa/messages").headers["Location"]
    assert notices(page(member_client, location)) == [
        f"Votre session a expiré : elle dure au plus {app.config['SESSION_ABSOLUTE_HOURS']} heures. {BACK}"]


def test_htmx_post_on_an_expired_session(app, member_client, members):
    expire(app)
    response = member_client.post(NEW, data=write_step(CODES_PLAIN, TEXT),
                                  headers={"HX-Request": "true", "HX-Current-URL": "http://guichet.test/msa/"})
    assert response.status_code == 401
    assert next_of(response.headers["HX-Redirect"]) == NEW  # the form's own page gives the text back
    assert (members["a"], "replay:msa.messages_new") in replays(app)


def test_a_form_that_keeps_nothing_returns_to_the_page_it_was_on(app, member_client, members):
    cid = make_conversation(app, members)
    expire(app)
    response = member_client.post(f"/msa/messages/{cid}/visibilite", data={"action": "masquer"},
                                  headers={"Referer": f"http://guichet.test/msa/messages/{cid}"})
    assert next_of(response.headers["Location"]) == f"/msa/messages/{cid}"
    assert notices(page(member_client, response.headers["Location"])) == [f"{EXPIRED} {BACK}"]
    assert replays(app) == {}


@pytest.mark.parametrize("referer", ["http://evil.example/msa/messages", "http://guichet.test//evil.example/"])
def test_a_foreign_referer_is_never_the_next_page(app, member_client, members, referer):
    cid = make_conversation(app, members)
    expire(app)
    response = member_client.post(f"/msa/messages/{cid}/visibilite", data={"action": "masquer"},
                                  headers={"Referer": referer})
    assert next_of(response.headers["Location"]) is None


def test_too_much_is_not_kept(app, member_client, members):
    expire(app)
    response = member_client.post(NEW, data=write_step(CODES_PLAIN, "x" * 200_000))
    assert notices(page(member_client, response.headers["Location"])) == [f"{EXPIRED} {BACK}"]
    assert replays(app) == {}


def test_after_logout_a_post_is_not_an_expiry(app, member_client, members):
    member_client.post("/compte/deconnexion")
    response = member_client.post(NEW, data=write_step(CODES_PLAIN, TEXT))
    assert next_of(response.headers["Location"]) is None
    assert replays(app) == {}


# --- Espace Partenaires: « Compléter la demande » -------------------------------------------

def test_the_partner_complement_comes_back_after_the_login(app, world, login):  # noqa: F811
    tech = enter(app.test_client(), login, "martine@example.fr", world["org"])
    number = make_request(app, world["martine"], world["org"])
    url = f"/partenaires/demandes/{number}/completer"
    lot = page(tech, url).select_one("input[name=pieces_jointes-lot]")["value"]
    submit(tech, url, {"comment": "", "pieces_jointes-lot": lot, "pieces_jointes-ajouter": "1",
                       "pieces_jointes": (io.BytesIO(pdf_bytes()), "facture.pdf")}, content_type="multipart/form-data")
    expire(app)
    comment = "Les factures de novembre, et une précision sur la situation du foyer."
    response = tech.post(url, data={"comment": comment, "pieces_jointes-lot": lot},
                         headers={"HX-Request": "true"})
    assert response.status_code == 401 and next_of(response.headers["HX-Redirect"]) == url
    login_url = response.headers["HX-Redirect"]
    assert urlsplit(login_url).path == "/compte/connexion"
    assert notices(page(tech, login_url)) == [f"{EXPIRED} {KEPT}"]

    # After the login, the organisation is chosen again (preselected), then the form is back.
    chosen = tech.post(login_url, data={"email": "martine@example.fr", "password": factories.PASSWORD})
    choice = tech.get(chosen.headers["Location"])
    assert choice.status_code == 302 and next_of(choice.headers["Location"]) == url
    select = page(tech, choice.headers["Location"])
    assert select.select_one("#organisation option[selected]")["value"] == str(world["org"])
    form_url = select.select_one("main form[method=post]")["action"]
    back = tech.post(form_url, data={"organisation": str(world["org"])})
    assert back.headers["Location"] == url
    soup = page(tech, url)
    assert soup.select_one("#comment").get_text().lstrip("\r\n") == comment
    assert [li.a.get_text() for li in soup.select("#pieces_jointes-contenu li")] == ["facture.pdf"]
    assert RESTORED in notices(soup)
    assert replays(app) == {}


def test_another_technician_does_not_get_it(app, world, login):  # noqa: F811
    tech = enter(app.test_client(), login, "martine@example.fr", world["org"])
    number = make_request(app, world["martine"], world["org"])
    url = f"/partenaires/demandes/{number}/completer"
    expire(app)
    tech.post(url, data={"comment": "Texte de Martine."})
    enter(tech, login, "victor@example.fr", world["org"])
    soup = page(tech, url)
    assert soup.select_one("#comment").get_text().strip() == "" and RESTORED not in notices(soup)



def test_the_organisation_choice_never_leads_off_site(app, world, login):  # noqa: F811
    client = app.test_client()
    login(client, "martine@example.fr")
    response = client.post("/partenaires/organisme?next=//evil.example/", data={"organisation": str(world["org"])})
    assert response.headers["Location"] == "/partenaires/accueil"


@pytest.mark.parametrize("genuine", [True, False], ids=["own-form", "forged"])
def test_with_csrf_on_only_a_genuine_form_is_kept(csrf_app, genuine):
    """The expired session's cookie still carries its CSRF token: the member's own form is kept, a
    forged one (no token) is refused before anything is kept."""
    with csrf_app.app_context():
        org = factories.organisation(portal="msa", code="MSA33", name="MSA Gironde")
        db.session.add(MsaMember(user=factories.user(email="membre@example.fr"), nir=NIR_A, organisation=org))
        db.session.commit()
    client = csrf_app.test_client()
    token = page(client, "/msa/connexion").select_one("input[name=csrf_token]")["value"]
    client.post("/msa/connexion", data={"nir": NIR_A, "password": factories.PASSWORD, "csrf_token": token})
    form = page(client, NEW + "?theme=famille-logement&subject=allocations-familiales&reason=dossier&ecrire=1")
    token = form.select_one("#msg-formulaire input[name=csrf_token]")["value"]
    expire(csrf_app)
    response = client.post(NEW, data={**write_step(CODES_PLAIN, TEXT), **({"csrf_token": token} if genuine else {})})
    if genuine:
        assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/msa/connexion"
        assert len(replays(csrf_app)) == 1
    else:
        assert response.status_code == 400 and replays(csrf_app) == {}


# --- Espace Partenaires: a new request (ODS form) --------------------------------------------

def test_the_partner_request_form_comes_back_after_the_login(app, world, login):  # noqa: F811
    tech = enter(app.test_client(), login, "martine@example.fr", world["org"])
    url = "/partenaires/demandes/nouvelle/2"
    soup = page(tech, url)
    lot = soup.select_one("input[name=pieces_jointes-lot]")["value"]
    token = soup.select_one("input[name=submission]")["value"]
    submit(tech, url, {"pieces_jointes-lot": lot, "pieces_jointes-ajouter": "1",
                       "pieces_jointes": (io.BytesIO(pdf_bytes()), "attestation.pdf")},
           content_type="multipart/form-data")
    expire(app)
    comment = "La personne n’a plus de droits ouverts depuis le 1er octobre : merci de la rappeler."
    data = {**valid_request(2), "comments": comment, "pieces_jointes-lot": lot, "submission": token}
    response = tech.post(url, data=data)
    assert response.status_code == 302 and next_of(response.headers["Location"]) == url
    assert notices(page(tech, response.headers["Location"])) == [f"{EXPIRED} {KEPT}"]

    chosen = tech.post(response.headers["Location"], data={"email": "martine@example.fr",
                                                            "password": factories.PASSWORD})
    choice = tech.get(chosen.headers["Location"])
    select = page(tech, choice.headers["Location"])
    back = tech.post(select.select_one("main form[method=post]")["action"], data={"organisation": str(world["org"])})
    assert back.headers["Location"] == url
    soup = page(tech, url)
    assert soup.select_one("#comments").get_text().lstrip("\r\n") == comment
    assert soup.select_one("#last_name")["value"] == "PAIN"  # as typed, written the way the form writes it
    assert [li.a.get_text() for li in soup.select("#pieces_jointes-contenu li")] == ["attestation.pdf"]
    assert RESTORED in notices(soup)
    assert replays(app) == {}

    # And it files, once, with the file.
    sent = submit(tech, url, {**data, "csrf_token": "x"}, status=302)
    assert sent.headers["Location"].startswith("/partenaires/demandes/confirmation/")
    with app.app_context():
        [req] = PartnerRequest.query.filter_by(submission_token=token).all()
        assert req.comments == comment
        assert [a.original_name for a in Attachment.query.filter_by(subject_id=req.id)
                .filter(Attachment.subject_type.in_(REQUEST_FILES.stored_names))] == ["attestation.pdf"]


# --- Agents: an answer typed on the case's page -----------------------------------------------

def test_the_msa_agents_answer_comes_back_on_the_conversation_page(app, login):
    with app.app_context():
        org = factories.organisation(portal="msa", code="MSA33", name="MSA Gironde")
        agent_user = factories.user(email="agent@example.fr", role="agent", organisation=org)
        jeanne = factories.user(email="jeanne@example.fr")
        db.session.add(MsaMember(user=jeanne, nir=NIR_A, organisation=org))
        db.session.flush()
        conversation = Conversation(member_id=jeanne.id, organisation_id=org.id, theme="famille", subject="s",
                                    reason="r", object_label="Famille")
        conversation.start(jeanne, "Bonjour, où en est mon dossier ?")
        db.session.commit()
        cid, agent_id = conversation.id, agent_user.id
    agent = app.test_client()
    login(agent, "agent@example.fr")
    url = f"/agent/msa/conversations/{cid}"
    token = page(agent, url).select_one("#msa-reponse input[name=submission]")["value"]
    expire(app)
    answer = "Bonjour, votre dossier est complet : le paiement interviendra sous quinze jours."
    response = agent.post(url + "/reponse", data={"body": answer, "submission": token})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/compte/connexion"
    assert next_of(response.headers["Location"]) == url  # the page of the form, not the POST-only URL
    assert (agent_id, "replay:agent.msa_answer") in replays(app)
    assert notices(page(agent, response.headers["Location"])) == [f"{EXPIRED} {KEPT}"]

    back = agent.post(response.headers["Location"], data={"email": "agent@example.fr",
                                                          "password": factories.PASSWORD})
    assert back.headers["Location"] == url
    soup = page(agent, url)
    assert soup.select_one("#msa-reponse textarea").get_text().lstrip("\r\n") == answer
    assert soup.select_one("#msa-reponse input[name=submission]")["value"] == token
    assert RESTORED in notices(soup)
    assert replays(app) == {}
    assert RESTORED not in notices(page(agent, url))  # given back once

    submit(agent, url + "/reponse", {"body": answer, "submission": token}, status=303)
    with app.app_context():
        assert [m.body for m in db.session.get(Conversation, cid).messages if m.from_agent] == [answer]


def test_the_partner_agents_answer_comes_back_with_its_file(app, login):
    """« Résoudre » (Espace Partenaires, agent side): the answer and the file added before the
    expiry are on the request's page after the login, and resolve it."""
    with app.app_context():
        org, structure = factories.partner_setup()
        victor = factories.technician(structure, email="victor@example.fr")
        factories.user(email="agent@example.fr", role="agent", organisation=org)
        db.session.flush()
        req = factories.partner_request(org, victor, status="pris-en-charge")
        db.session.commit()
        req_id = req.id
    agent = app.test_client()
    login(agent, "agent@example.fr")
    url = f"/agent/partenaires/demandes/{req_id}"
    lot = page(agent, url).select_one("input[name=pieces_jointes-lot]")["value"]
    submit(agent, url + "/resolution", {"answer": "", "pieces_jointes-lot": lot, "pieces_jointes-ajouter": "1",
                                        "pieces_jointes": (io.BytesIO(pdf_bytes()), "attestation.pdf")},
           content_type="multipart/form-data")
    expire(app)
    answer = "L’attestation de droits est jointe ; la situation est régularisée depuis le 1er novembre."
    response = agent.post(url + "/resolution", data={"answer": answer, "pieces_jointes-lot": lot})
    assert next_of(response.headers["Location"]) == url
    back = agent.post(response.headers["Location"], data={"email": "agent@example.fr",
                                                          "password": factories.PASSWORD})
    assert back.headers["Location"] == url
    soup = page(agent, url)
    assert soup.select_one("#answer").get_text().lstrip("\r\n") == answer
    assert [li.a.get_text() for li in soup.select("#pieces_jointes-contenu li")] == ["attestation.pdf"]
    assert RESTORED in notices(soup)

    lot = soup.select_one("input[name=pieces_jointes-lot]")["value"]
    submit(agent, url + "/resolution", {"answer": answer, "pieces_jointes-lot": lot}, status=303)
    with app.app_context():
        resolved = db.session.get(PartnerRequest, req_id)
        assert resolved.status == "resolu" and resolved.answer == answer
        answered = Attachment.query.filter_by(subject_id=req_id, subject_type=ANSWER_FILES.name)
        assert [a.original_name for a in answered] == ["attestation.pdf"]
