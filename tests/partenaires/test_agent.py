"""Espace Partenaires, agent side: queue, request page, « Prendre en charge », « Résoudre »,
organisation settings and conventions (spec partenaires.md §7)."""
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from extensions import db
from models import AuditEvent, Attachment, Convention, PartnerRequest, PartnerSettings, StoredFile, Structure
from models.base import utcnow
from tests import factories
from tests.components.test_attachments_content import pdf_bytes
from tests.helpers import errors_of, fragment, mail_text, page, submit

QUEUE = "/agent/partenaires/"


@pytest.fixture
def world(app):
    """CPAM GIRONDE (331) and CPAM COTE D'OPALE (621), both with a convention with one structure;
    Victor CHAUSSON files requests; an agent of each organisation."""
    with app.app_context():
        org, structure = factories.partner_setup()
        other_org, _ = factories.partner_setup(org_name="CPAM COTE D'OPALE", org_code="621", structure_obj=structure)
        second_structure = factories.structure(name="Association Solidarité")
        db.session.add(Convention(structure=second_structure, organisation=org,
                                  start_date=date.today() - timedelta(days=30)))
        victor = factories.technician(structure, email="victor@example.fr", first_name="Victor", last_name="CHAUSSON")
        martine = factories.technician(second_structure, email="martine@example.fr")
        factories.user(email="agent@example.fr", role="agent", organisation=org)
        factories.user(email="agent-opale@example.fr", role="agent", organisation=other_org)
        msa = factories.organisation(portal="msa", name="MSA Gironde")
        factories.user(email="agent-msa@example.fr", role="agent", organisation=msa)
        factories.user(email="admin@example.fr", role="admin")
        db.session.commit()
        return {"org": org.id, "other_org": other_org.id, "structure": structure.id,
                "second_structure": second_structure.id, "victor": victor.id, "martine": martine.id}


def make_request(app, org_id, requester_id, days_ago=0, **fields):
    with app.app_context():
        from models import Organisation, User
        req = factories.partner_request(db.session.get(Organisation, org_id), db.session.get(User, requester_id),
                                        now=utcnow() - timedelta(days=days_ago), **fields)
        db.session.commit()
        return req.id, req.number


def client_of(app, login, email):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


@pytest.fixture
def agent(app, login, world):
    return client_of(app, login, "agent@example.fr")


def numbers_in(soup):
    return [a.get_text(strip=True) for a in soup.select("table.queue tbody td:first-child a")]


def notices(soup):
    return [p.get_text(strip=True) for p in soup.select("#messages .notice")]


def status_of(app, request_id):
    with app.app_context():
        return db.session.get(PartnerRequest, request_id).status


# --- Queue ------------------------------------------------------------------------------------

def test_queue_lists_the_organisations_requests_by_status_oldest_first(app, agent, world):
    w = world
    resolved = make_request(app, w["org"], w["victor"], days_ago=10, status="resolu")
    recent = make_request(app, w["org"], w["victor"], days_ago=1)
    old = make_request(app, w["org"], w["martine"], days_ago=5, ods=1)
    taken = make_request(app, w["org"], w["victor"], days_ago=3, status="pris-en-charge")
    cancelled = make_request(app, w["org"], w["victor"], days_ago=8, status="annulee")
    elsewhere = make_request(app, w["other_org"], w["victor"], days_ago=9)
    soup = page(agent, QUEUE)
    assert soup.h1.get_text() == "Demandes Espace Partenaires"
    assert numbers_in(soup) == [old[1], recent[1], taken[1], resolved[1]]
    assert cancelled[1] not in numbers_in(soup) and elsewhere[1] not in numbers_in(soup)
    assert soup.select_one(".queue-total").get_text(strip=True) == "4 demandes"
    first = [td.get_text(" ", strip=True) for td in soup.select("table.queue tbody tr")[0].select("td")]
    assert first[1:5] == ["Contacter votre organisme d'assurance Maladie", "Association Solidarité",
                          "LAPIERRE Martine", "—"]
    assert first[6] == "Nouveau"
    second = [td.get_text(" ", strip=True) for td in soup.select("table.queue tbody tr")[1].select("td")]
    assert second[1:5] == ["Soumettre une demande d'étude de dossier", world_structure_name(app, w),
                           "CHAUSSON Victor", "Monsieur PRINCE Marius"]
    assert soup.select("table.queue tbody tr")[0].select_one("a")["href"] == f"/agent/partenaires/demandes/{old[0]}"


def world_structure_name(app, w):
    with app.app_context():
        return db.session.get(Structure, w["structure"]).name


def test_queue_filters_by_status_ods_structure_and_searches(app, agent, world):
    w = world
    a = make_request(app, w["org"], w["victor"], days_ago=4, person_last_name="DUPONT", person_first_name="Jeanne")
    b = make_request(app, w["org"], w["victor"], days_ago=3, status="pris-en-charge")
    c = make_request(app, w["org"], w["martine"], days_ago=2, ods=1)
    assert numbers_in(page(agent, QUEUE + "?statut=pris-en-charge")) == [b[1]]
    assert numbers_in(page(agent, QUEUE + "?ods=1")) == [c[1]]
    assert numbers_in(page(agent, QUEUE + f"?structure={w['second_structure']}")) == [c[1]]
    assert numbers_in(page(agent, QUEUE + f"?recherche={b[1]}")) == [b[1]]
    assert numbers_in(page(agent, QUEUE + "?recherche=dupont")) == [a[1]]
    assert numbers_in(page(agent, QUEUE + "?recherche=Jeanne+Dupont")) == [a[1]]
    soup = page(agent, QUEUE + "?recherche=personne")
    assert numbers_in(soup) == [] and "Aucune demande ne correspond" in soup.select_one("#file-demandes").get_text()
    # Unknown values are ignored, never an error; the form shows what is applied.
    soup = page(agent, QUEUE + "?statut=Annulée&ods=9&structure=abc&page=x")
    assert len(numbers_in(soup)) == 3
    soup = page(agent, QUEUE + "?statut=nouveau&ods=4")
    assert soup.select_one("#statut option[selected]")["value"] == "nouveau"
    assert soup.select_one("#ods option[selected]")["value"] == "4"
    # With htmx only the list comes back, and the live region is told the count.
    frag = fragment(agent, QUEUE + "?statut=nouveau")
    assert frag.select_one("#file-demandes") and not frag.select_one("form.queue-filters")
    assert frag.select_one("#file-annonce").get_text(strip=True) == "2 demandes trouvées."
    assert sorted(numbers_in(frag)) == sorted([a[1], c[1]])


def test_queue_search_folds_accents_like_the_technicians_history(app, agent, world):
    w = world
    eloise = make_request(app, w["org"], w["victor"], days_ago=3, person_last_name="DURAND", person_first_name="Éloïse")
    shouted = make_request(app, w["org"], w["victor"], days_ago=2, person_last_name="ÉLOÏSE", person_first_name="Anne")
    make_request(app, w["org"], w["victor"], days_ago=1, person_last_name="DUPONT", person_first_name="Eloi")
    assert numbers_in(page(agent, QUEUE + "?recherche=eloise")) == [eloise[1], shouted[1]]
    assert numbers_in(page(agent, QUEUE + "?recherche=ELOÏSE+durand")) == [eloise[1]]
    frag = fragment(agent, QUEUE + "?recherche=%C3%A9lo%C3%AFse")  # « éloïse »
    assert numbers_in(frag) == [eloise[1], shouted[1]]
    assert frag.select_one("#file-annonce").get_text(strip=True) == "2 demandes trouvées."


def test_queue_paginates(app, agent, world):
    numbers = [make_request(app, world["org"], world["victor"], days_ago=20 - i)[1] for i in range(12)]
    soup = page(agent, QUEUE)
    assert numbers_in(soup) == numbers[:10]  # 10 per page by default
    assert "Page 1 sur 2" in soup.select_one("nav.pagination").get_text()
    next_link = soup.select_one("nav.pagination a")
    assert next_link.get_text() == "Page suivante"
    soup = page(agent, next_link["href"])
    assert numbers_in(soup) == numbers[10:]
    assert soup.select_one("nav.pagination a").get_text() == "Page précédente"
    assert numbers_in(page(agent, QUEUE + "?page=99")) == numbers[10:]
    soup = page(agent, QUEUE + "?par_page=25")
    assert numbers_in(soup) == numbers and soup.select_one("nav.pagination") is None
    assert soup.select_one("#par_page option[selected]")["value"] == "25"


def test_agent_area_of_partenaires_is_reserved(app, login, world):
    req_id, _ = make_request(app, world["org"], world["victor"])
    technician = client_of(app, login, "victor@example.fr")
    assert technician.get(QUEUE).status_code == 403
    assert technician.get(f"/agent/partenaires/demandes/{req_id}").status_code == 403
    assert technician.post(f"/agent/partenaires/demandes/{req_id}/prise-en-charge").status_code == 403
    assert status_of(app, req_id) == "nouveau"
    login_citizen = app.test_client()
    with app.app_context():
        factories.user(email="citoyen@example.fr")
        db.session.commit()
    login(login_citizen, "citoyen@example.fr")
    assert page(login_citizen, QUEUE, status=403).h1.get_text() == "Accès refusé"
    # An agent of an organisation that does not run Espace Partenaires has no queue.
    assert client_of(app, login, "agent-msa@example.fr").get(QUEUE).status_code == 403
    assert app.test_client().get(QUEUE).status_code == 302


def test_another_organisations_request_is_not_found(app, login, world, outbox):
    req_id, _ = make_request(app, world["org"], world["victor"], ods=1)
    taken_id, _ = make_request(app, world["org"], world["victor"], status="pris-en-charge")
    cancelled_id, _ = make_request(app, world["org"], world["victor"], status="annulee")
    with app.app_context():
        from models import User
        victor = db.session.get(User, world["victor"])
        attachment = Attachment(owner_id=victor.id, organisation_id=world["org"], policy="partenaires_demande",
                                subject_type="PartnerRequest", subject_id=req_id, original_name="justificatif.pdf",
                                stored_file=StoredFile(storage_name="a" * 32, size=len(pdf_bytes())),
                                content_type="application/pdf", size=len(pdf_bytes()))
        db.session.add(attachment)
        db.session.commit()
        attachment_id = attachment.id
    Path(app.config["UPLOAD_FOLDER"], "a" * 32).write_bytes(pdf_bytes())
    stranger = client_of(app, login, "agent-opale@example.fr")
    assert page(stranger, f"/agent/partenaires/demandes/{req_id}", status=404).h1.get_text() == "Page introuvable"
    assert stranger.post(f"/agent/partenaires/demandes/{req_id}/prise-en-charge").status_code == 404
    assert stranger.post(f"/agent/partenaires/demandes/{taken_id}/resolution",
                         data={"answer": "Réponse"}).status_code == 404
    assert stranger.get(f"/composants/pieces-jointes/{attachment_id}").status_code == 404
    assert status_of(app, req_id) == "nouveau" and status_of(app, taken_id) == "pris-en-charge"
    assert outbox() == []
    own = client_of(app, login, "agent@example.fr")
    assert own.get(f"/agent/partenaires/demandes/{cancelled_id}").status_code == 404
    assert own.get("/agent/partenaires/demandes/999999").status_code == 404
    # The agent of the organisation reads the file the technician sent.
    soup = page(own, f"/agent/partenaires/demandes/{req_id}")
    link = soup.select_one("#demande-pj a")
    assert link.get_text() == "justificatif.pdf"
    response = own.get(link["href"])
    assert response.status_code == 200 and response.data == pdf_bytes()


# --- Request page and actions -------------------------------------------------------------------

def test_request_page_shows_everything_the_technician_gave(app, agent, world):
    saisine = {"consent": True, "frameworks": ["Renoncement ou difficultés d'accès à des soins"],
               "care": ["Pharmacie", "Chirurgie"], "duration": "Plus d'1 an", "causes": ["De transport"]}
    req_id, number = make_request(app, world["org"], world["victor"], ods=2,
                                  motive="Saisine mission accompagnement santé", saisine=saisine,
                                  person_civility="Mme", person_last_name="DURAND", person_first_name="Léa",
                                  person_birth_date=date(1980, 5, 17), person_birth_place="33",
                                  person_phone="06.12.34.56.78", comments="Première ligne\nDeuxième ligne")
    soup = page(agent, f"/agent/partenaires/demandes/{req_id}")
    assert soup.h1.get_text() == f"Demande N°{number}"
    offer = {d.select_one("dt").get_text(strip=True): d.select_one("dd").get_text(strip=True)
             for d in soup.select("#demande-offre > div")}
    assert offer["Offre de service"] == "Signaler une situation de difficulté d'accès aux droits et aux soins"
    assert offer["Motif de la demande"] == "Saisine mission accompagnement santé"
    assert offer["Accompagnement santé sollicité dans le cadre de"] == "Renoncement ou difficultés d'accès à des soins"
    assert offer["Quels soins ne sont pas réalisés ?"] == "Pharmacie ; Chirurgie"
    assert offer["Depuis quand dure le renoncement ?"] == "Plus d'1 an"
    assert offer["Quelles en sont les causes ? Un problème :"] == "De transport"
    assert offer["Consentement de l'assuré"].startswith("Oui")
    person = [d.get_text(strip=True) for d in soup.select("#demande-personne dd")]
    assert person == ["Madame", "DURAND", "Léa", "17/05/1980", "33", "06.12.34.56.78"]
    assert soup.select_one("#demande-commentaires").get_text() == "Première ligne\nDeuxième ligne"
    assert soup.select_one("#demande-suivi .status").get_text() == "Nouveau"
    assert soup.select_one("#prise-en-charge button").get_text() == "Prendre en charge"
    assert soup.select_one("#resolution") is None


def test_take_in_charge_emails_the_technician_word_for_word(app, agent, world, outbox):
    req_id, number = make_request(app, world["org"], world["victor"])
    response = agent.post(f"/agent/partenaires/demandes/{req_id}/prise-en-charge")
    assert response.status_code == 303
    soup = page(agent, response.headers["Location"])
    assert (f"La demande N°{number} est prise en charge. Le demandeur en a été informé par courriel."
            in notices(soup))
    assert soup.select_one("#demande-suivi .status").get_text() == "Pris en charge"
    assert soup.select_one("#prise-en-charge") is None and soup.select_one("#resolution")
    (mail,) = outbox("email")
    assert mail["to"] == "victor@example.fr"
    assert mail["body"].startswith(f"Référence : demande N°{number} – ")
    assert mail_text(mail["body"]) == (f"Bonjour Victor CHAUSSON,\n"
                            f"Je vous informe que votre demande N°{number} a été prise en charge.\n"
                            "Vous recevrez une réponse dans les meilleurs délais.\n"
                            "Bien cordialement.\n"
                            "Votre conseiller Assurance Maladie")
    with app.app_context():
        req = db.session.get(PartnerRequest, req_id)
        assert req.status == "pris-en-charge" and req.taken_by_id is not None
        event = AuditEvent.query.filter_by(action="partner_request_taken").one()
        assert event.object_id == str(req_id) and event.actor_id == req.taken_by_id


def test_take_in_charge_with_htmx_swaps_the_request_in_place(app, agent, world, outbox):
    req_id, number = make_request(app, world["org"], world["victor"])
    frag = fragment(agent, f"/agent/partenaires/demandes/{req_id}/prise-en-charge", method="post")
    assert frag.select_one("#demande-suivi[hx-swap-oob] .status").get_text() == "Pris en charge"
    assert frag.select_one("#messages[hx-swap-oob]").get_text(strip=True).startswith(f"La demande N°{number}")
    assert frag.select_one("#demande-actions #resolution textarea#answer")
    assert frag.select_one("#prise-en-charge") is None and frag.select_one("#demande-offre") is None
    assert len(outbox("email")) == 1


def test_resolve_requires_an_answer_then_sends_files_and_email(app, agent, world, outbox, login):
    req_id, number = make_request(app, world["org"], world["victor"], status="pris-en-charge")
    url = f"/agent/partenaires/demandes/{req_id}/resolution"
    soup = submit(agent, url, {"answer": "  "}, status=422)
    assert errors_of(soup) == ["Saisissez la réponse apportée à la demande."]
    assert soup.title.get_text().startswith("Erreur : ")
    assert soup.select_one("#answer-limite").get_text() == "5000 caractères maximum"
    soup = submit(agent, url, {"answer": "é" * 5001}, status=422)
    assert errors_of(soup) == ["La réponse doit faire 5000 caractères maximum : elle en fait 5001. Raccourcissez-la."]
    assert status_of(app, req_id) == "pris-en-charge"
    # Without JavaScript, « Ajouter » posts the form and comes back with the file and the text.
    soup = page(agent, f"/agent/partenaires/demandes/{req_id}")
    token = soup.select_one("input[name=pieces_jointes-lot]")["value"]
    soup = submit(agent, url, {"answer": "Voici la réponse.", "pieces_jointes-lot": token,
                               "pieces_jointes-ajouter": "1",
                               "pieces_jointes": (io.BytesIO(pdf_bytes()), "attestation.pdf")},
                  content_type="multipart/form-data")
    assert [a.get_text() for a in soup.select("#pieces_jointes-contenu .attachment-list a")] == ["attestation.pdf"]
    assert soup.select_one("#answer").get_text().strip() == "Voici la réponse."
    assert status_of(app, req_id) == "pris-en-charge"
    token = soup.select_one("input[name=pieces_jointes-lot]")["value"]
    response = agent.post(url, data={"answer": "Voici la réponse.\r\nCordialement.", "pieces_jointes-lot": token},
                          content_type="multipart/form-data")
    assert response.status_code == 303
    soup = page(agent, response.headers["Location"])
    assert soup.select_one("#demande-suivi .status").get_text() == "Résolu"
    assert soup.select_one("#demande-reponse").get_text() == "Voici la réponse.\nCordialement."
    link = soup.select_one("#demande-reponse-pj a")
    assert link.get_text() == "attestation.pdf"
    assert agent.get(link["href"]).data == pdf_bytes()
    assert soup.select_one("#resolution") is None and soup.select_one("#prise-en-charge") is None
    with app.app_context():
        (attachment,) = Attachment.query.filter_by(subject_type="partner_request_answer").all()
        assert attachment.subject_id == req_id and attachment.organisation_id == world["org"]
        assert attachment.upload_set is None
        req = db.session.get(PartnerRequest, req_id)
        assert req.answer == "Voici la réponse.\nCordialement." and req.resolved_at is not None
        assert AuditEvent.query.filter_by(action="partner_request_resolved").count() == 1
    stranger = client_of(app, login, "agent-opale@example.fr")
    assert stranger.get(link["href"]).status_code == 404
    (mail,) = outbox("email")
    assert mail["to"] == "victor@example.fr"
    lines = mail_text(mail["body"]).split("\n")
    assert lines[0] == "Bonjour Victor CHAUSSON,"
    assert lines[1] == f"Une réponse a été apportée à votre demande N°{number}."
    assert "« Historique des demandes » d'Espace Partenaires" in lines[2] and "CPAM GIRONDE" in lines[2]
    assert lines[3] == "http://guichet.test/partenaires/demandes"
    assert lines[-2:] == ["Bien cordialement.", "Votre conseiller Assurance Maladie"]


def test_resolve_with_htmx_shows_errors_in_place(app, agent, world):
    req_id, _ = make_request(app, world["org"], world["victor"], status="pris-en-charge")
    frag = fragment(agent, f"/agent/partenaires/demandes/{req_id}/resolution", method="post",
                    data={"answer": ""}, status=422)
    assert [li.get_text(strip=True) for li in frag.select("#demande-actions .error-summary li")] == [
        "Saisissez la réponse apportée à la demande."]
    assert frag.select_one("title").get_text().startswith("Erreur : ")
    assert frag.select_one("#answer[aria-invalid=true]")


def test_illegal_transitions_change_nothing_and_say_so(app, agent, world, outbox):
    new_id, _ = make_request(app, world["org"], world["victor"])
    resolved_id, _ = make_request(app, world["org"], world["victor"], status="resolu")
    soup = submit(agent, f"/agent/partenaires/demandes/{new_id}/resolution", {"answer": "Trop tôt"}, status=409)
    assert soup.select_one("#demande-refus").get_text() == (
        "Cette demande ne peut pas être résolue : elle doit d’abord être prise en charge.")
    assert status_of(app, new_id) == "nouveau"
    soup = submit(agent, f"/agent/partenaires/demandes/{resolved_id}/prise-en-charge", {}, status=409)
    assert soup.select_one("#demande-refus").get_text() == "Cette demande est déjà résolue : rien n’a été modifié."
    soup = submit(agent, f"/agent/partenaires/demandes/{resolved_id}/resolution", {"answer": "Encore"}, status=409)
    assert status_of(app, resolved_id) == "resolu"
    # The same « Prendre en charge » posted twice: the second one is refused, one email only.
    assert agent.post(f"/agent/partenaires/demandes/{new_id}/prise-en-charge").status_code == 303
    soup = submit(agent, f"/agent/partenaires/demandes/{new_id}/prise-en-charge", {}, status=409)
    assert soup.select_one("#demande-refus").get_text() == (
        "Cette demande a déjà été prise en charge : rien n’a été modifié.")
    assert len(outbox("email")) == 1
    with app.app_context():
        assert AuditEvent.query.filter_by(action="partner_request_taken").count() == 1
        assert db.session.get(PartnerRequest, resolved_id).answer is None


def test_take_in_charge_requires_the_csrf_token(csrf_app, login):
    with csrf_app.app_context():
        org, structure = factories.partner_setup()
        victor = factories.technician(structure, email="victor@example.fr", first_name="Victor", last_name="CHAUSSON")
        factories.user(email="agent@example.fr", role="agent", organisation=org)
        db.session.flush()
        req = factories.partner_request(org, victor)
        db.session.commit()
        req_id = req.id
    client = csrf_app.test_client()
    soup = page(client, "/compte/connexion")
    token = soup.select_one("input[name=csrf_token]")["value"]
    client.post("/compte/connexion", data={"email": "agent@example.fr", "password": factories.PASSWORD,
                                           "csrf_token": token})
    url = f"/agent/partenaires/demandes/{req_id}/prise-en-charge"
    assert client.post(url).status_code == 400
    with csrf_app.app_context():
        assert db.session.get(PartnerRequest, req_id).status == "nouveau"
    soup = page(client, f"/agent/partenaires/demandes/{req_id}")
    token = soup.select_one("#prise-en-charge input[name=csrf_token]")["value"]
    assert client.post(url, data={"csrf_token": token}).status_code == 303
    with csrf_app.app_context():
        assert db.session.get(PartnerRequest, req_id).status == "pris-en-charge"


# --- Settings ---------------------------------------------------------------------------------------

def settings_url(org_id):
    return f"/agent/partenaires/organismes/{org_id}/parametres"


def settings_data(**changes):
    data = {"ods_offered": ["1", "2", "3", "4", "5"],
            "motives_1": ["Autre motif de contact"], "motives_2": ["Situation d'urgence"],
            "motives_3": ["AME", "C2S"], "motives_4": ["Etude de C2S"],
            "documents": ["Attestation de droits"], "max_active_technicians": "3"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_settings_page_shows_the_stored_settings(app, agent, world):
    soup = page(agent, settings_url(world["org"]))
    assert soup.h1.get_text() == "Paramètres Espace Partenaires"
    assert len(soup.select("input[name=ods_offered][checked]")) == 5
    assert len(soup.select("input[name=motives_3][checked]")) == 9
    assert soup.select_one("#max_active_technicians")["value"] == "5"
    assert soup.select_one("fieldset legend").get_text(strip=True) == "Offres de service proposées"


def test_settings_validation(app, agent, world):
    url = settings_url(world["org"])
    soup = submit(agent, url, settings_data(ods_offered=None), status=422)
    assert errors_of(soup) == ["Sélectionnez au moins une offre de service."]
    soup = submit(agent, url, settings_data(motives_2=None, documents=None, max_active_technicians="dix"), status=422)
    assert errors_of(soup) == [
        "Sélectionnez au moins un motif pour l’offre « Signaler une situation de difficulté d'accès aux droits et "
        "aux soins ».",
        "Sélectionnez au moins un document pour l’offre « Demander un document ».",
        "Saisissez un nombre entier, par exemple 10.",
    ]
    # What was typed is kept.
    assert soup.select_one("#max_active_technicians")["value"] == "dix"
    assert {i["value"] for i in soup.select("input[name=motives_3][checked]")} == {"AME", "C2S"}
    soup = submit(agent, url, settings_data(max_active_technicians="0", motives_4=["Inventé"]), status=422)
    assert errors_of(soup) == ["Sélectionnez uniquement des valeurs de la liste.",
                               "Saisissez un nombre compris entre 1 et 999."]
    soup = submit(agent, url, settings_data(ods_offered=["1", "x"]), status=422)
    assert errors_of(soup) == ["Sélectionnez uniquement des valeurs de la liste."]
    # An ODS not offered needs no motive.
    response = agent.post(url, data=settings_data(ods_offered=["1", "3"], motives_2=None, motives_4=None,
                                                  documents=None))
    assert response.status_code == 303
    with app.app_context():
        settings = db.session.get(PartnerSettings, world["org"])
        assert settings.ods_offered == [1, 3]
        assert settings.motives_for(3) == ["AME", "C2S"]
        assert settings.motives["2"] == []
        assert settings.max_active_technicians == 3
        assert AuditEvent.query.filter_by(action="partner_settings_updated").count() == 1


def test_settings_take_effect_on_the_technicians_side(app, agent, world, login):
    technician = client_of(app, login, "victor@example.fr")
    technician.post("/partenaires/organisme", data={"organisation": str(world["org"])})
    home = page(technician, "/partenaires/accueil")
    assert len(home.select(".cards .card")) == 5
    assert technician.get("/partenaires/demandes/nouvelle/2").status_code == 200
    response = agent.post(settings_url(world["org"]), data=settings_data(ods_offered=["1", "3", "4", "5"],
                                                                         motives_4=["AME", "Etude de C2S"]))
    assert response.status_code == 303
    home = page(technician, "/partenaires/accueil")
    labels = [h.get_text(strip=True) for h in home.select(".cards .card h2")]
    assert "Signaler une situation de difficulté d'accès aux droits et aux soins" not in labels
    assert len(labels) == 4
    assert technician.get("/partenaires/demandes/nouvelle/2").status_code == 404
    form = page(technician, "/partenaires/demandes/nouvelle/4")
    offered = [o.get("value") for o in form.select("#motive option, input[name=motive]") if o.get("value")]
    assert offered == ["AME", "Etude de C2S"]


def test_settings_are_for_the_organisations_agents_and_administrators(app, login, world):
    stranger = client_of(app, login, "agent-opale@example.fr")
    assert stranger.get(settings_url(world["org"])).status_code == 404
    assert stranger.post(settings_url(world["org"]), data=settings_data()).status_code == 404
    assert stranger.get(f"/agent/partenaires/organismes/{world['org']}/conventions/nouvelle").status_code == 404
    with app.app_context():
        assert db.session.get(PartnerSettings, world["org"]).max_active_technicians == 5
    admin = client_of(app, login, "admin@example.fr")
    soup = page(admin, "/agent/partenaires/organismes")
    assert [a.get_text() for a in soup.select(".links a")] == ["CPAM COTE D'OPALE (621)", "CPAM GIRONDE (331)"]
    assert admin.post(settings_url(world["org"]), data=settings_data()).status_code == 303
    with app.app_context():
        assert db.session.get(PartnerSettings, world["org"]).max_active_technicians == 3
    assert admin.get(QUEUE).status_code == 403  # no queue of their own
    own = client_of(app, login, "agent@example.fr")
    response = own.get("/agent/partenaires/organismes")
    assert response.status_code == 302 and response.headers["Location"].endswith(settings_url(world["org"]))
    index = page(own, "/agent/")
    assert [a["href"] for a in index.select("#agent-partenaires a")] == [QUEUE, settings_url(world["org"])]


# --- Conventions --------------------------------------------------------------------------------------

def test_conventions_create_edit_delete(app, agent, world):
    org = world["org"]
    new_url = f"/agent/partenaires/organismes/{org}/conventions/nouvelle"
    soup = page(agent, new_url)
    assert soup.h1.get_text() == "Ajouter une convention"
    soup = submit(agent, new_url, {"structure": "", "new_structure": "", "start_date": ""}, status=422)
    assert errors_of(soup) == ["Sélectionnez une structure ou saisissez le nom d’une nouvelle structure.",
                               "Saisissez la date de début de la convention."]
    soup = submit(agent, new_url, {"new_structure": "CCAS de Pessac", "start_date": "01/04/2025",
                                   "end_date": "01/04/2025"}, status=422)
    assert errors_of(soup) == ["La date de fin doit être postérieure à la date de début."]
    assert soup.select_one("#new_structure")["value"] == "CCAS de Pessac"
    soup = submit(agent, new_url, {"structure": str(world["second_structure"]), "start_date": "01/01/2024"},
                  status=422)
    assert errors_of(soup)[0].startswith("Cette structure a déjà une convention avec CPAM GIRONDE")
    soup = submit(agent, new_url, {"new_structure": "association solidarité", "start_date": "01/01/2024"},
                  status=422)
    assert errors_of(soup) == ["Une structure porte déjà ce nom : sélectionnez-la dans la liste."]
    response = agent.post(new_url, data={"new_structure": "CCAS de Pessac", "start_date": "01/04/2025",
                                         "end_date": "31/03/2026"})
    assert response.status_code == 303
    soup = page(agent, response.headers["Location"])
    assert "La convention avec la structure CCAS de Pessac a été enregistrée." in notices(soup)
    row = next(tr for tr in soup.select("#conventions + table tbody tr") if "CCAS de Pessac" in tr.get_text())
    assert [td.get_text(strip=True) for td in row.select("td")[1:3]] == ["01/04/2025", "31/03/2026"]
    with app.app_context():
        convention = Convention.query.join(Structure).filter(Structure.name == "CCAS de Pessac").one()
        convention_id = convention.id
    # Existing structure without a convention with this organisation.
    with app.app_context():
        third = factories.structure(name="Hôpital Nord")
        db.session.commit()
        third_id = third.id
    assert agent.post(new_url, data={"structure": str(third_id), "start_date": "01/01/2024"}).status_code == 303
    edit_url = f"/agent/partenaires/organismes/{org}/conventions/{convention_id}"
    soup = page(agent, edit_url)
    assert soup.select_one("#start_date")["value"] == "01/04/2025"
    soup = submit(agent, edit_url, {"start_date": "01/04/2025", "end_date": "01/01/2025"}, status=422)
    assert errors_of(soup) == ["La date de fin doit être postérieure à la date de début."]
    assert agent.post(edit_url, data={"start_date": "01/05/2025", "end_date": ""}).status_code == 303
    with app.app_context():
        convention = db.session.get(Convention, convention_id)
        assert convention.start_date == date(2025, 5, 1) and convention.end_date is None
        assert AuditEvent.query.filter(AuditEvent.action.like("partner_convention_%")).count() == 3
    # Delete: refused while the structure has requests with the organisation.
    make_request(app, org, world["victor"])
    with app.app_context():
        victor_convention = Convention.query.filter_by(structure_id=world["structure"], organisation_id=org).one().id
    response = agent.post(f"/agent/partenaires/organismes/{org}/conventions/{victor_convention}/suppression")
    assert response.status_code == 303
    soup = page(agent, response.headers["Location"])
    assert "ne peut pas être supprimée" in soup.select_one("#messages").get_text()
    response = agent.post(f"{edit_url}/suppression")
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Convention, convention_id) is None
        assert Convention.query.filter_by(id=victor_convention).count() == 1
    # Another organisation's convention is not found.
    with app.app_context():
        other = Convention.query.filter_by(organisation_id=world["other_org"]).first().id
    assert agent.get(f"/agent/partenaires/organismes/{org}/conventions/{other}").status_code == 404
    assert agent.post(f"/agent/partenaires/organismes/{org}/conventions/{other}/suppression").status_code == 404


def test_settings_of_an_organisation_not_configured_yet(app, login, world):
    with app.app_context():
        org = factories.organisation(portal="partenaires", code="240", name="CPAM DORDOGNE")
        factories.user(email="agent-dordogne@example.fr", role="agent", organisation=org)
        db.session.commit()
        org_id = org.id
    agent = client_of(app, login, "agent-dordogne@example.fr")
    soup = page(agent, settings_url(org_id))
    assert soup.select("input[type=checkbox][checked]") == []
    assert soup.select_one("#max_active_technicians")["value"] == "10"
    assert agent.post(settings_url(org_id), data=settings_data(ods_offered=["5"], motives_1=None, motives_2=None,
                                                               motives_3=None, motives_4=None)).status_code == 303
    with app.app_context():
        settings = db.session.get(PartnerSettings, org_id)
        assert settings.ods_offered == [5] and settings.documents_offered() == ["Attestation de droits"]


def test_the_agent_sees_the_dated_history_of_the_request(app, login, world):
    """Filed, completed, taken in charge: each line dated with who did it (core.workflow timeline),
    redrawn with the status after an action."""
    req_id, _ = make_request(app, world["org"], world["victor"])
    with app.app_context():
        from models import User
        req = db.session.get(PartnerRequest, req_id)
        req.complete(db.session.get(User, world["victor"]), "Voici la facture.")
        db.session.commit()
    agent = client_of(app, login, "agent@example.fr")
    lines = [li.get_text(" ", strip=True) for li in page(agent, f"/agent/partenaires/demandes/{req_id}")
             .select("#demande-suivi .case-timeline li")]
    assert [line.split(" : ", 1)[1] for line in lines] == [
        "Dépôt de la demande (CHAUSSON Victor)", "Demande complétée (CHAUSSON Victor)"]
    assert all(re.match(r"^\d\d/\d\d/\d{4} \d\dh\d\dmin : ", line) for line in lines)
    done = fragment(agent, f"/agent/partenaires/demandes/{req_id}/prise-en-charge", method="post")
    last = done.select("#demande-suivi[hx-swap-oob] .case-timeline li")[-1].get_text(" ", strip=True)
    assert last.endswith(" : Pris en charge (MARTIN Camille)")
