"""Portail Des Aides, Igesa agents' side: the queue, an application's page and its actions
(« Commencer l’instruction », « Demander un complément », « Enregistrer un paiement »,
« Accorder » / « Refuser » with the decision letter), allowed and refused per state and per agent,
the mails (the decision's PDF attached, over real SMTP), « Mes documents reçus », and the benefits
catalogue managed by the agents."""
import io
from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from pypdf import PdfReader

from blueprints.armees import catalogue
from extensions import db
from models import Attachment, AuditEvent, OutboxMessage
from models.armees import (APPLICATION_FILES, COMPLEMENT_WAITING, RECEIVED_FILES, AidApplication, AidPayment,
                           BenefitSetting, ComplementRequest, ReceivedDocument)
from models.case_event import CaseEvent
from tests.core.test_outbox import Recorder, free_port
from tests.helpers import errors_of, fragment, link_in, mail_text, page, submit

QUEUE = "/agent/armees/demandes/"


def url(application_id, tail=""):
    return f"/agent/armees/demandes/{application_id}{tail}"


DATA = {"informations": {"residence": "france", "phone": "06 12 34 56 78", "address_line1": "3 rue de Siam",
                         "postcode": "29200", "city": "Brest", "in_couple": True, "family_situation": "Marié(e)",
                         "category": "militaire-actif", "rank": "officier", "employer": "etablissement",
                         "employer_organisation": "Musée de l’Armée"},
        "dossier": {"mode_garde": "Crèche ou multi-accueil", "date_debut": "2026-09-01", "frais_mensuels": "1234.5",
                    "garde_partagee": False},
        "tables": {"famille": [{"nom": "Lefèvre", "prenom": "Zoé", "naissance": "2024-03-02", "lien": "Enfant"}]},
        "bank": {"abroad": False, "holder": "Éloïse Lefèvre", "iban": "FR7630006000011234567890189",
                 "bic": "AGRIFRPPXXX"}}


@pytest.fixture
def agent(armees_login):
    return armees_login("agent")


def _state(app, application_id):
    with app.app_context():
        a = db.session.get(AidApplication, application_id)
        return a.status, a.decision


def _add_file(app, application_id, owner_id, document="livret-famille", name="livret.pdf",
              subject=APPLICATION_FILES.name):
    from core.uploads import store_bytes, stored_file_for
    with app.app_context():
        data = b"%PDF-1.4 justificatif " + name.encode()
        stored = stored_file_for(store_bytes(data, name, "application/pdf"))
        attachment = Attachment(owner_id=owner_id, policy="armees_test", subject_type=subject,
                                subject_id=application_id, original_name=name, stored_file=stored,
                                content_type="application/pdf", size=len(data), document=document)
        db.session.add(attachment)
        db.session.commit()
        return attachment.id


# --- Queue -------------------------------------------------------------------------------------

def _refs(soup):
    return [a.get_text(strip=True) for a in soup.select("#armees-file tbody td:first-child a")]


def test_queue_opens_on_applications_to_take_in_charge_never_drafts(app, agent, make_application):
    draft = make_application("en-creation")
    taken = make_application("prise-en-charge", data=DATA)
    instructing = make_application("instruction")
    done = make_application("terminee", decision="refusee")
    taken_later = make_application("prise-en-charge", owner="member2")
    with app.app_context():
        ref = {i: db.session.get(AidApplication, i).reference for i in (taken, instructing, done, taken_later)}
    soup = page(agent, QUEUE)
    assert soup.select_one("#statut option[selected]").get_text() == "Prise en charge"
    assert _refs(soup) == [ref[taken], ref[taken_later]]  # the oldest first
    row = soup.select("#armees-file tbody tr")[0]
    assert [td.get_text(strip=True) for td in row.select("td")][1:3] == [
        "Aide à la garde des jeunes enfants", "LEFÈVRE Éloïse"]
    # Every state: by state, then the oldest first; never a draft.
    soup = page(agent, QUEUE + "?statut=tous")
    assert sorted(_refs(soup)) == sorted(ref.values())
    assert {r.select("td")[4].get_text(strip=True) for r in soup.select("#armees-file tbody tr")} == {
        "Prise en charge", "Instruction en cours", "Instruction terminée (refusée)"}
    assert soup.select_one(f"a[href='{url(draft)}']") is None


def test_queue_filters_by_state_and_searches_reference_name_and_benefit(app, agent, make_application):
    first = make_application("prise-en-charge")
    second = make_application("instruction", owner="member2", benefit="secours-exceptionnel")
    with app.app_context():
        ref2 = db.session.get(AidApplication, second).reference
        ref1 = db.session.get(AidApplication, first).reference
    assert _refs(page(agent, QUEUE + "?statut=instruction")) == [ref2]
    everything = QUEUE + "?statut=tous&recherche="
    assert _refs(page(agent, everything + "lefevre eloise")) == [ref1]  # no accents, any case
    assert _refs(page(agent, everything + "Durand")) == [ref2]
    assert _refs(page(agent, everything + ref2[-6:])) == [ref2]
    assert _refs(page(agent, everything + "secours")) == [ref2]
    assert _refs(page(agent, QUEUE + "?statut=tous&prestation=garde-jeunes-enfants")) == [ref1]
    soup = page(agent, everything + "introuvable")
    assert "Aucune demande ne correspond à ces critères." in soup.select_one("#armees-demandes").get_text()
    # Unknown values fall back to the defaults, never an error.
    assert _refs(page(agent, QUEUE + "?statut=en-creation&prestation=inconnue&page=99")) == [ref1]


def test_queue_fragment_and_pagination(app, agent, make_application):
    for _ in range(12):
        make_application("prise-en-charge")
    make_application("instruction")
    soup = fragment(agent, QUEUE + "?page=2")
    assert len(soup.select("#armees-file tbody tr")) == 2
    assert soup.select_one("#armees-annonce").get_text() == "12 demandes trouvées."
    soup = page(agent, QUEUE + "?par_page=25")
    assert len(soup.select("#armees-file tbody tr")) == 12


def test_queue_is_for_the_portal_agents_only(app, armees_login, login, make_application):
    make_application("prise-en-charge")
    other = armees_login("other_agent")
    soup = page(other, QUEUE)  # an agent of another organisation of the portal: their own (empty) queue
    assert soup.select("#armees-file tbody tr") == []
    assert armees_login("member").get(QUEUE).status_code == 403
    anonymous = app.test_client().get(QUEUE)
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]


# --- The application's page --------------------------------------------------------------------

def test_page_shows_all_data_full_iban_documents_and_history(app, agent, make_application, armees):
    application_id = make_application("prise-en-charge", data=DATA)
    file_id = _add_file(app, application_id, armees["member"])
    soup = page(agent, url(application_id))
    text = soup.get_text(" ", strip=True)
    assert "FR76 3000 6000 0112 3456 7890 189" in text  # the agent sees the whole IBAN
    assert "3 rue de Siam, 29200 Brest" in text
    assert "1. Nom : Lefèvre · Prénom : Zoé" in text
    link = soup.select_one(f"a[href='{url(application_id, f'/documents/{file_id}')}']")
    assert link.get_text() == "livret.pdf"
    assert link.parent.get_text().startswith("Livret de famille")
    history = [li.get_text(" ", strip=True) for li in soup.select("#armees-suivi .case-timeline li")]
    assert history[0].endswith("Création de la demande (LEFÈVRE Éloïse)")
    assert history[1].endswith("Prise en charge (LEFÈVRE Éloïse)")
    download = agent.get(url(application_id, f"/documents/{file_id}"))
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert "attachment" in download.headers["Content-Disposition"]


def test_actions_offered_per_state(app, agent, make_application):
    expected = {
        ("prise-en-charge", None): {"Commencer l’instruction", "Demander un complément"},
        ("instruction", None): {"Demander un complément", "Accorder", "Refuser"},
        ("terminee", "accordee"): {"Enregistrer un paiement"},
        ("terminee", "refusee"): set(),
    }
    for (state, decision), buttons in expected.items():
        application_id = make_application(state, decision=decision)
        soup = page(agent, url(application_id))
        assert {b.get_text(strip=True) for b in soup.select("#armees-actions button")} == buttons, state


def test_start_instruction_without_js_then_refused_when_repeated(app, agent, make_application):
    application_id = make_application("prise-en-charge")
    response = submit(agent, url(application_id, "/instruction"), {}, status=303)
    assert response.headers["Location"].endswith(url(application_id))
    soup = page(agent, url(application_id))
    assert "L’instruction de la demande PDA-" in soup.select_one("#messages").get_text()
    assert _state(app, application_id) == ("instruction", None)
    with app.app_context():
        assert db.session.get(AidApplication, application_id).agent.email == "agent@igesa.fr"
        assert AuditEvent.query.filter_by(action="armees_instruction_started").count() == 1
    again = agent.post(url(application_id, "/instruction"))
    assert again.status_code == 409
    assert "Instruction en cours" in again.get_data(as_text=True)
    assert _state(app, application_id) == ("instruction", None)


def test_start_instruction_with_htmx_swaps_the_actions(app, agent, make_application):
    application_id = make_application("prise-en-charge")
    soup = fragment(agent, url(application_id, "/instruction"), method="post")
    assert soup.select_one("#armees-suivi[hx-swap-oob] .status").get_text(strip=True) == "Instruction en cours"
    assert "est commencée" in soup.select_one("#messages").get_text()
    assert {b.get_text(strip=True) for b in soup.select("#armees-actions button")} == {
        "Demander un complément", "Accorder", "Refuser"}


COMPLEMENT = {"subject": "Pièces manquantes", "document_1": "livret-famille", "reason_1": "illisible",
              "document_2": "autre", "reason_2": "manquant", "detail_2": "Attestation de la crèche",
              "message": "Merci de renvoyer une copie lisible.", "submission": "a" * 32}


def test_ask_complement_emails_the_link_and_is_given_once(app, agent, make_application, outbox):
    application_id = make_application("instruction")
    submit(agent, url(application_id, "/complements"), COMPLEMENT, status=303)
    submit(agent, url(application_id, "/complements"), COMPLEMENT, status=303)  # the double click
    with app.app_context():
        complement = ComplementRequest.query.one()
        assert complement.state == COMPLEMENT_WAITING and complement.subject == "Pièces manquantes"
        assert complement.documents == [
            {"code": "livret-famille", "label": "Livret de famille", "reason": "illisible"},
            {"code": "autre", "label": "Attestation de la crèche", "reason": "manquant"}]
        assert db.session.get(AidApplication, application_id).unanswered_complements() == 1
        entry = CaseEvent.query.filter_by(kind="complement").one()
        assert "Livret de famille (Document illisible)" in entry.text
        complement_id = complement.id
    mails = outbox()
    assert len(mails) == 1
    mail = mails[0]
    assert mail["to"] == "ressortissant@example.fr" and mail["subject"] == "Demande de complément"
    text = mail_text(mail["body"])
    assert "- Livret de famille (Document illisible)" in text
    assert "- Attestation de la crèche (Document manquant)" in text
    assert link_in(text).endswith(f"/armees/demandes/{application_id}/complements/{complement_id}")
    soup = page(agent, url(application_id))
    row = soup.select_one("#armees-complements tbody tr")
    assert "Pièces manquantes" in row.get_text() and "En attente de réponse" in row.get_text()


def test_complement_fields_offer_each_benefit_its_documents(app, agent, make_application):
    """The fields of a form not posted yet are rendered once per benefit (core.queue.prerendered):
    an application of another benefit offers its own documents, and a page with errors the same
    fields, with what was typed."""
    def documents(soup):
        return [o["value"] for o in soup.select("#document_1 option")]

    childcare = make_application("prise-en-charge")
    studies = make_application("prise-en-charge", benefit="etudes-scolarite")
    for _ in range(2):
        assert documents(page(agent, url(childcare))) == [
            "", "qualite-ressortissant", "avis-imposition", "justificatif-garde", "livret-famille", "rib", "autre"]
        assert documents(page(agent, url(studies))) == [
            "", "qualite-ressortissant", "avis-imposition", "certificat-scolarite", "notification-bourse", "rib",
            "autre"]
    clean = page(agent, url(childcare)).select_one("#armees-complement")
    soup = submit(agent, url(childcare, "/complements"),
                  {"subject": "Objet tapé", "document_2": "autre", "submission": "b" * 32}, status=422)
    typed = soup.select_one("#armees-complement")
    assert typed.select_one("#subject")["value"] == "Objet tapé"
    assert typed.select_one("#document_2 option[selected]")["value"] == "autre"
    assert [f["name"] for f in typed.select("input, select, textarea")] == [
        f["name"] for f in clean.select("input, select, textarea")]


def test_ask_complement_errors_next_to_fields(app, agent, make_application, outbox):
    application_id = make_application("prise-en-charge")
    soup = submit(agent, url(application_id, "/complements"),
                  {"subject": "", "document_2": "autre", "reason_2": "", "submission": "b" * 32}, status=422)
    assert errors_of(soup) == ["Saisissez l’objet de la demande de complément.",
                               "Sélectionnez le motif de la demande pour ce document.",
                               "Précisez le document demandé."]
    assert soup.title.get_text().startswith("Erreur : ")
    assert soup.select_one("#reason_2-erreur") and soup.select_one("#detail_2-erreur")
    soup = submit(agent, url(application_id, "/complements"), {"subject": "Objet", "submission": "b" * 32},
                  status=422)
    assert errors_of(soup) == ["Sélectionnez au moins un document à demander."]
    assert soup.select_one("#document_1-erreur")
    with app.app_context():
        assert ComplementRequest.query.count() == 0
    assert outbox() == []
    # With htmx: the block (in 200, as every htmx answer with errors), the summary.
    soup = fragment(agent, url(application_id, "/complements"), method="post", status=200,
                    data={"subject": "Objet", "document_1": "inconnu", "submission": "c" * 32})
    assert soup.select_one(".error-summary")
    assert soup.select_one("title").get_text().startswith("Erreur : ")


def test_complement_refused_once_done(app, agent, make_application, outbox):
    application_id = make_application("terminee")
    response = agent.post(url(application_id, "/complements"), data=COMPLEMENT)
    assert response.status_code == 409
    assert "Instruction terminée" in response.get_data(as_text=True)
    with app.app_context():
        assert ComplementRequest.query.count() == 0
    assert outbox() == []


PAYMENT = {"paid_on": "15/10/2026", "amount": "1 250,50", "label": "Premier versement", "submission": "d" * 32}


def test_record_payment_once_on_granted_application(app, agent, make_application):
    application_id = make_application("terminee", decision="accordee")
    payment = dict(PAYMENT, paid_on=(date.today() - timedelta(days=1)).strftime("%d/%m/%Y"))
    submit(agent, url(application_id, "/paiements"), payment, status=303)
    submit(agent, url(application_id, "/paiements"), payment, status=303)
    with app.app_context():
        p = AidPayment.query.one()
        assert (p.amount_cents, p.label, p.paid_on) == (125050, "Premier versement", date.today() - timedelta(days=1))
    soup = page(agent, url(application_id))
    assert "1\u00a0250,50\u00a0€" in soup.select_one("#armees-paiements").get_text()
    assert "Le paiement est enregistré." in soup.select_one("#messages").get_text()


def test_a_token_used_on_another_application_still_records_the_payment(app, agent, make_application):
    first = make_application("terminee", decision="accordee")
    second = make_application("terminee", decision="accordee")
    payment = dict(PAYMENT, paid_on="01/10/2026")
    submit(agent, url(first, "/paiements"), payment, status=303)
    submit(agent, url(second, "/paiements"), payment, status=303)  # the same form, replayed elsewhere
    with app.app_context():
        assert sorted(p.application_id for p in AidPayment.query) == [first, second]


@pytest.mark.parametrize("state,decision", [("prise-en-charge", None), ("instruction", None),
                                            ("terminee", "refusee")])
def test_payment_refused_unless_granted(app, agent, make_application, state, decision):
    application_id = make_application(state, decision=decision)
    response = agent.post(url(application_id, "/paiements"), data=PAYMENT)
    assert response.status_code == 409
    with app.app_context():
        assert AidPayment.query.count() == 0


def test_payment_errors(app, agent, make_application):
    application_id = make_application("terminee", decision="accordee")
    soup = submit(agent, url(application_id, "/paiements"),
                  {"paid_on": "31/02/2026", "amount": "douze", "label": "", "submission": "e" * 32}, status=422)
    assert errors_of(soup) == ["Saisissez une date valide au format JJ/MM/AAAA.",
                               "Saisissez un montant en euros, par exemple 1 250,50.",
                               "Saisissez le libellé du paiement."]
    assert soup.select_one("#amount")["value"] == "douze"  # what was typed is kept


@pytest.fixture
def smtp(app):
    from aiosmtpd.controller import Controller
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, DEV_MAILBOX=False, MAIL_SUPPRESS_SEND=False)
    from extensions import mail
    mail.init_app(app)
    yield handler
    controller.stop()


def _pdf_text(data):
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace("\u00a0", " ")


def test_grant_makes_the_letter_mails_it_attached_and_files_it(app, agent, make_application, smtp, armees):
    application_id = make_application("instruction", data=DATA)
    response = submit(agent, url(application_id, "/decision/accord"), {"accord-amount": "1 500"}, status=303)
    assert response.headers["Location"].endswith(url(application_id))
    assert _state(app, application_id) == ("terminee", "accordee")
    assert smtp.messages == []  # never sent inside the request: the job worker sends it
    from core.jobs import run_pending
    assert run_pending(app) == 1
    with app.app_context():
        application = db.session.get(AidApplication, application_id)
        assert application.granted_cents == 150000
        received = ReceivedDocument.query.one()
        assert received.user_id == armees["member"] and received.application_id == application_id
        assert received.title == "Décision d’accord – Aide à la garde des jeunes enfants"
        letter = received.attachment
        assert (letter.subject_type, letter.subject_id, letter.owner_id) == (
            RECEIVED_FILES.name, application_id, armees["member"])
        assert letter.original_name == f"decision-accord-{application.reference}.pdf"
        reference = application.reference
        message = OutboxMessage.query.one()
        assert message.status == OutboxMessage.STATUS_SENT and message.attachment_ids == [letter.id]
    # The agents of Igesa download it from the application's page; its owner is the member.
    download = agent.get(url(application_id, f"/documents/{letter.id}"))
    assert download.status_code == 200 and "Décision d’accord" in _pdf_text(download.data)
    # The mail, as the SMTP server received it: text, and the PDF attached.
    assert len(smtp.messages) == 1
    mail = message_from_bytes(smtp.messages[0].content, policy=policy.default)
    assert mail["To"] == "ressortissant@example.fr"
    assert mail["Subject"] == "Décision d’accord – Aide à la garde des jeunes enfants"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "accordée" in body and reference in body
    attachments = list(mail.iter_attachments())
    assert [a.get_filename() for a in attachments] == [f"decision-accord-{reference}.pdf"]
    assert attachments[0].get_content_type() == "application/pdf"
    text = _pdf_text(attachments[0].get_content())
    assert "1 500,00 €" in text and reference in text and "Éloïse LEFÈVRE" in text


def test_refuse_needs_a_reason_which_the_letter_gives(app, agent, make_application, outbox):
    application_id = make_application("instruction", data=DATA)
    soup = submit(agent, url(application_id, "/decision/refus"), {"refus-reason": "  "}, status=422)
    assert errors_of(soup) == ["Saisissez le motif du refus."]
    assert _state(app, application_id) == ("instruction", None)
    soup = fragment(agent, url(application_id, "/decision/refus"), method="post",
                    data={"refus-reason": "Revenus supérieurs au plafond de ressources."})
    assert "est refusée" in soup.select_one("#messages").get_text()
    assert soup.select_one("#armees-suivi .status").get_text(strip=True) == "Instruction terminée – Refusée"
    letters = soup.select("#armees-documents a")
    assert [a.get_text() for a in letters][-1].startswith("decision-refus-PDA-")
    assert _state(app, application_id) == ("terminee", "refusee")
    mails = outbox()
    assert len(mails) == 1 and mails[0]["subject"].startswith("Décision de refus")
    with app.app_context():
        assert ReceivedDocument.query.count() == 1
        assert db.session.get(AidApplication, application_id).decision_reason == (
            "Revenus supérieurs au plafond de ressources.")


@pytest.mark.parametrize("state", ["prise-en-charge", "terminee"])
def test_decision_refused_out_of_instruction(app, agent, make_application, outbox, state):
    application_id = make_application(state)
    before = _state(app, application_id)
    for choice, data in (("accord", {"accord-amount": "100"}), ("refus", {"refus-reason": "Non"})):
        response = agent.post(url(application_id, f"/decision/{choice}"), data=data)
        assert response.status_code == 409
        assert "rien n’a été modifié" in response.get_data(as_text=True)
    assert _state(app, application_id) == before
    with app.app_context():
        assert ReceivedDocument.query.count() == 0
    assert outbox() == []


def test_grant_amount_is_checked(app, agent, make_application):
    application_id = make_application("instruction")
    for typed, error in (("", "Saisissez le montant accordé."), ("0", "Le montant doit être supérieur à 0 €."),
                         ("12,345", "Saisissez un montant en euros, par exemple 1 250,50.")):
        soup = submit(agent, url(application_id, "/decision/accord"), {"accord-amount": typed}, status=422)
        assert errors_of(soup) == [error]
    assert _state(app, application_id) == ("instruction", None)


# --- Authorisation -----------------------------------------------------------------------------

def _routes(application_id, file_id):
    return [("get", url(application_id)), ("get", url(application_id, f"/documents/{file_id}")),
            ("post", url(application_id, "/instruction")), ("post", url(application_id, "/complements")),
            ("post", url(application_id, "/paiements")), ("post", url(application_id, "/decision/accord")),
            ("post", url(application_id, "/decision/refus"))]


@pytest.mark.parametrize("who", ["other_agent", "member", "member2"])
def test_everything_is_404_to_anyone_but_the_organisations_agents(app, armees_login, make_application, armees, who):
    client = armees_login(who)
    for state in ("prise-en-charge", "instruction", "terminee"):
        application_id = make_application(state, data=DATA)
        file_id = _add_file(app, application_id, armees["member"], name=f"{state}.pdf")
        for method, target in _routes(application_id, file_id):
            for headers in ({}, {"HX-Request": "true"}):
                status = getattr(client, method)(target, data=COMPLEMENT, headers=headers).status_code
                # Ressortissants are not agents: the whole agent side is closed to them (403).
                assert status == (404 if who == "other_agent" else 403), (who, target)
        assert _state(app, application_id)[0] == state
    with app.app_context():
        assert ComplementRequest.query.count() == 0 and AidPayment.query.count() == 0


def test_drafts_and_other_files_are_404_to_the_agent(app, agent, make_application, armees):
    draft = make_application("en-creation")
    for method, target in _routes(draft, 1):
        assert getattr(agent, method)(target).status_code == 404
    application_id = make_application("prise-en-charge")
    other = make_application("prise-en-charge")
    foreign_file = _add_file(app, other, armees["member"])
    assert agent.get(url(application_id, f"/documents/{foreign_file}")).status_code == 404
    proof = _add_file(app, armees["member"], armees["member"], subject="armees_porte_documents")
    assert agent.get(url(application_id, f"/documents/{proof}")).status_code == 404


def test_anonymous_is_sent_to_login(app, make_application):
    application_id = make_application("prise-en-charge")
    client = app.test_client()
    for method, target in _routes(application_id, 1):
        response = getattr(client, method)(target)
        assert response.status_code in (302, 303) and "/connexion" in response.headers["Location"]


# --- Catalogue -------------------------------------------------------------------------------

def test_catalogue_unpublish_hides_the_benefit_then_publish_again(app, agent):
    soup = page(agent, "/agent/armees/catalogue")
    rows = soup.select("#armees-catalogue tbody tr")
    assert len(rows) == 7
    row = soup.select_one("#prestation-secours-exceptionnel")
    assert row.select_one(".status").get_text() == "Publiée"
    assert row.select_one("button").get_text(" ", strip=True).startswith("Retirer de la publication")
    response = submit(agent, "/agent/armees/catalogue/secours-exceptionnel/publication", {"publier": "0"}, status=303)
    assert response.headers["Location"].endswith("/agent/armees/catalogue#prestation-secours-exceptionnel")
    with app.app_context():
        assert catalogue.get("secours-exceptionnel") is None  # cannot be started
        assert "secours-exceptionnel" not in [b.code for b in catalogue.published()]
        assert catalogue.search("secours") == []
    soup = fragment(agent, "/agent/armees/catalogue/secours-exceptionnel/publication", method="post",
                    data={"publier": "1"})
    assert soup.select_one("#prestation-secours-exceptionnel .status").get_text() == "Publiée"
    assert "est publiée" in soup.select_one("#messages").get_text()
    with app.app_context():
        assert catalogue.get("secours-exceptionnel") is not None


def test_catalogue_edit_label_and_summary(app, agent):
    soup = page(agent, "/agent/armees/catalogue/pret-social")
    assert soup.select_one("#published").has_attr("checked")
    soup = submit(agent, "/agent/armees/catalogue/pret-social", {"label": "", "summary": "x"}, status=422)
    assert errors_of(soup) == ["Saisissez le libellé de la prestation."]
    submit(agent, "/agent/armees/catalogue/pret-social",
           {"published": "y", "label": "Prêt social à taux zéro", "summary": "Un prêt sans intérêts."}, status=303)
    with app.app_context():
        benefit = catalogue.get("pret-social")
        assert (benefit.label, benefit.summary) == ("Prêt social à taux zéro", "Un prêt sans intérêts.")
        assert db.session.get(BenefitSetting, "pret-social").published is True
    soup = page(agent, "/agent/armees/catalogue")
    assert "Prêt social à taux zéro" in soup.select_one("#prestation-pret-social").get_text()


def test_catalogue_is_the_portal_agents_only(app, armees_login):
    assert armees_login("member").get("/agent/armees/catalogue").status_code == 403
    assert app.test_client().get("/agent/armees/catalogue").status_code == 302
    agent = armees_login("agent")
    assert agent.get("/agent/armees/catalogue/inconnue").status_code == 404
    assert agent.post("/agent/armees/catalogue/inconnue/publication", data={"publier": "0"}).status_code == 404


def test_agent_index_links_to_the_queue_and_the_catalogue(app, agent):
    soup = page(agent, "/agent/")
    links = {a.get_text(strip=True): a["href"] for a in soup.select("main a")}
    assert links["Demandes de prestation"] == QUEUE
    assert links["Catalogue des prestations"] == "/agent/armees/catalogue"


def test_an_answered_complement_shows_sent_with_its_date_and_file(app, agent, make_application, armees):
    from datetime import datetime, timezone
    application_id = make_application("instruction")
    submit(agent, url(application_id, "/complements"), COMPLEMENT, status=303)
    answered = datetime(2026, 11, 20, 13, 5, tzinfo=timezone.utc)
    with app.app_context():
        ComplementRequest.query.one().mark_sent(answered)  # what the ressortissant's « Valider » does
        db.session.commit()
    file_id = _add_file(app, application_id, armees["member"], document="livret-famille", name="livret-lisible.pdf")
    soup = page(agent, url(application_id))
    row = soup.select_one("#armees-complements tbody tr").get_text(" ", strip=True)
    assert row.startswith("20/11/2026 14h05min") and row.endswith("Envoyé")
    assert soup.select_one(f"#armees-documents a[href$='/documents/{file_id}']").get_text() == "livret-lisible.pdf"
