"""« Demander un rendez-vous »: the member's request and its states (« En attente », « Confirmé »,
« Autre date proposée », « Annulé », declared once in APPOINTMENT_WORKFLOW); the agents of the
member's MSA fund confirm a date and time (the member is mailed) or propose another, which the
member accepts; everyone else gets 404 (or 403 for the wrong kind of user)."""
from datetime import date, timedelta

import pytest

from core.workflow import IllegalTransition
from extensions import db
from models.msa_services import MsaAppointment
from tests.helpers import errors_of, fragment, page, submit
from tests.msa.services_world import clients, world  # noqa: F401

URL = "/msa/rendez-vous"
REQUEST = {"subject": "retraite", "modality": "agence", "slots": ["mardi-matin", "lundi-apres-midi"],
           "comment": "Je souhaite faire le point\nsur ma future retraite.", "submission": "a" * 32}
DAY = (date.today() + timedelta(days=10)).strftime("%d/%m/%Y")


def appointments_of(app, member_id):
    with app.app_context():
        return [(a.subject, a.modality, a.slots, a.comment, a.status)
                for a in MsaAppointment.query.filter_by(member_id=member_id).order_by(MsaAppointment.id)]


def ask(app, clients, world, who="jeanne", **changes):
    submit(clients[who], URL, dict(REQUEST, **changes), status=303)
    with app.app_context():
        return MsaAppointment.query.filter_by(member_id=world[who]).order_by(MsaAppointment.id.desc()).first().id


def test_member_asks_for_an_appointment(app, world, clients):
    soup = page(clients["jeanne"], URL)
    assert soup.h1.get_text() == "Demander un rendez-vous"
    assert [lab.get_text() for lab in soup.select("#modality-groupe label")] == ["En agence", "Par téléphone"]
    assert len(soup.select("input[name=slots]")) == 10
    assert soup.select_one("#comment-compteur[data-max='500']") is not None
    response = submit(clients["jeanne"], URL, REQUEST, status=303)
    assert response.headers["Location"].endswith("/msa/rendez-vous#mes-rendez-vous")
    # Slots kept in the week's order, line breaks kept.
    assert appointments_of(app, world["jeanne"]) == [
        ("retraite", "agence", ["lundi-apres-midi", "mardi-matin"],
         "Je souhaite faire le point\nsur ma future retraite.", "en-attente")]
    soup = page(clients["jeanne"], URL)
    assert "Votre demande de rendez-vous a été envoyée" in soup.select_one("#messages").get_text()
    card = soup.select_one("#mes-rendez-vous + ul .card")
    assert card.select_one(".appointment-status").get_text() == "En attente"
    assert "Lundi après-midi, Mardi matin" in card.get_text()
    # The same form posted twice asks once.
    submit(clients["jeanne"], URL, REQUEST, status=303)
    assert len(appointments_of(app, world["jeanne"])) == 1
    assert appointments_of(app, world["paul"]) == []


def test_errors_keep_what_was_typed(app, world, clients):
    soup = submit(clients["jeanne"], URL, {"subject": "", "comment": "é" * 501, "submission": "b" * 32}, status=422)
    assert errors_of(soup) == ["Sélectionnez l’objet du rendez-vous.",
                               "Indiquez si vous souhaitez être reçu en agence ou appelé par téléphone.",
                               "Cochez au moins une demi-journée qui vous convient.",
                               "Le texte doit faire 500 caractères maximum (il en fait 501)."]
    assert soup.select_one("#comment").get_text().strip() == "é" * 501
    soup = submit(clients["jeanne"], URL, dict(REQUEST, slots=["dimanche-soir"]), status=422)
    assert errors_of(soup) == ["Sélectionnez uniquement des valeurs de la liste."]
    assert appointments_of(app, world["jeanne"]) == []


def test_agent_confirms_and_member_is_mailed(app, world, clients, outbox):
    appointment_id = ask(app, clients, world)
    soup = page(clients["agent"], "/agent/msa/rendez-vous/")
    assert [a.get_text() for a in soup.select("#msa-rendez-vous-liste td a")] == [
        f"Rendez-vous n° {appointment_id} – Retraite"]
    soup = page(clients["agent"], f"/agent/msa/rendez-vous/{appointment_id}")
    assert "Mardi matin" in soup.get_text()
    soup = submit(clients["agent"], f"/agent/msa/rendez-vous/{appointment_id}/decision",
                  {"decision": "confirm", "day": "01/01/2000", "hour": "25h"}, status=422)
    assert errors_of(soup) == ["La date du rendez-vous ne peut pas être dans le passé.",
                               "Saisissez une heure valide, par exemple 09:30 ou 14h00."]
    response = submit(clients["agent"], f"/agent/msa/rendez-vous/{appointment_id}/decision",
                      {"decision": "confirm", "day": DAY, "hour": "9h30", "note": "Agence de Bordeaux, 1er étage"},
                      status=303)
    assert response.headers["Location"].endswith(f"/agent/msa/rendez-vous/{appointment_id}")
    mail = outbox()[-1]
    assert mail["to"] == "jeanne@example.fr" and mail["subject"] == "Votre rendez-vous est confirmé"
    assert f"est confirmé le {DAY} 09h30min" in mail["body"]
    soup = page(clients["jeanne"], URL)
    status = soup.select_one(f"#rendez-vous-{appointment_id} .appointment-status").get_text()
    assert status == f"Confirmé : le {DAY} 09h30min"
    assert "Agence de Bordeaux, 1er étage" in soup.select_one(f"#rendez-vous-{appointment_id}").get_text()
    # Confirmed: no second decision (409, nothing changed, no mail).
    count = len(outbox())
    part = fragment(clients["agent"], f"/agent/msa/rendez-vous/{appointment_id}/decision", method="post",
                    data={"decision": "propose", "day": DAY, "hour": "10:00"}, status=409)
    assert "rien n’a été modifié" in part.get_text()
    assert len(outbox()) == count


def test_agent_proposes_another_date_the_member_accepts(app, world, clients, outbox):
    appointment_id = ask(app, clients, world)
    part = fragment(clients["agent"], f"/agent/msa/rendez-vous/{appointment_id}/decision", method="post",
                    data={"decision": "propose", "day": DAY, "hour": "14:00"})
    assert part.select_one("#msa-etat").get_text() == f"Autre date proposée : le {DAY} 14h00min"
    assert outbox()[-1]["subject"] == "Une autre date vous est proposée pour votre rendez-vous"
    soup = page(clients["jeanne"], URL)
    card = soup.select_one(f"#rendez-vous-{appointment_id}")
    assert card.select_one(".appointment-status").get_text() == f"Autre date proposée : le {DAY} 14h00min"
    assert clients["paul"].post(f"/msa/rendez-vous/{appointment_id}/accepter").status_code == 404
    submit(clients["jeanne"], f"/msa/rendez-vous/{appointment_id}/accepter", {}, status=303)
    assert appointments_of(app, world["jeanne"])[0][4] == "confirme"
    soup = page(clients["jeanne"], URL)
    assert "La date proposée est acceptée" in soup.select_one("#messages").get_text()
    submit(clients["jeanne"], f"/msa/rendez-vous/{appointment_id}/annuler", {}, status=303)
    assert appointments_of(app, world["jeanne"])[0][4] == "annule"


def test_workflow_refuses_illegal_moves(app, world, clients):
    appointment_id = ask(app, clients, world)
    with app.app_context():
        appointment = db.session.get(MsaAppointment, appointment_id)
        member_user = appointment.member.user
        with pytest.raises(IllegalTransition):
            appointment.accept(member_user)  # nothing proposed yet
        with pytest.raises(IllegalTransition):
            appointment.confirm(member_user, None)  # a member cannot confirm
        assert appointment.status == "en-attente"


def test_authorization_matrix(app, world, clients):
    appointment_id = ask(app, clients, world)
    decision = {"decision": "confirm", "day": DAY, "hour": "10:00"}
    # Another member, an agent of another fund: 404 everywhere, nothing changed.
    for action in ("accepter", "annuler"):
        assert clients["paul"].post(f"/msa/rendez-vous/{appointment_id}/{action}").status_code == 404
        assert clients["agent"].post(f"/msa/rendez-vous/{appointment_id}/{action}").status_code == 403
    assert clients["agent_nord"].get(f"/agent/msa/rendez-vous/{appointment_id}").status_code == 404
    assert clients["agent_nord"].post(f"/agent/msa/rendez-vous/{appointment_id}/decision",
                                      data=decision).status_code == 404
    assert fragment(clients["agent_nord"], f"/agent/msa/rendez-vous/{appointment_id}", status=404)
    assert "Rendez-vous n°" not in page(clients["agent_nord"], "/agent/msa/rendez-vous/?statut=tous").get_text()
    # Members are not agents; anonymous users log in first.
    assert clients["jeanne"].get(f"/agent/msa/rendez-vous/{appointment_id}").status_code == 403
    assert clients["jeanne"].get("/agent/msa/rendez-vous/").status_code == 403
    assert clients["anonymous"].get(f"/agent/msa/rendez-vous/{appointment_id}").status_code == 302
    assert clients["anonymous"].post(f"/msa/rendez-vous/{appointment_id}/annuler").status_code == 302
    assert appointments_of(app, world["jeanne"])[0][4] == "en-attente"
    # Paul does not see Jeanne's request.
    assert page(clients["paul"], URL).select(".card") == []


def test_a_request_posted_on_an_expired_session_comes_back_after_the_login(app, world, clients):
    from models import UserSession
    with app.app_context():
        for row in UserSession.query.all():
            row.last_seen_at -= timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
        db.session.commit()
    response = clients["jeanne"].post(URL, data=dict(REQUEST, comment="Texte conservé"))
    assert response.status_code == 302 and response.headers["Location"].startswith("/msa/connexion")
    back = clients["jeanne"].post(response.headers["Location"], data={"nir": "2850733063001",
                                                                      "password": "Motdepasse-1"})
    assert back.status_code == 302
    soup = page(clients["jeanne"], URL)
    assert soup.select_one("#subject option[selected]")["value"] == "retraite"
    assert soup.select_one("#comment").get_text().strip() == "Texte conservé"
    assert {i["value"] for i in soup.select("input[name=slots][checked]")} == {"mardi-matin", "lundi-apres-midi"}
    assert appointments_of(app, world["jeanne"]) == []
