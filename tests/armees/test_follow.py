"""« Suivre mes demandes » (seed 000, part D): the list and the actions each state allows, deleting a
draft, « Ajouter un document complémentaire », « Dupliquer », « Suivi de la demande d'aide » and
its « Documents » tab, the payments, and who may see what."""
from datetime import date

import pytest

from core import drafts
from extensions import db
from models import AidApplication, Attachment, Draft, User
from models.armees import (APPLICATION_WORKFLOW, AidPayment, ComplementRequest, ReceivedDocument,
                           application_draft_kind)
from models.case_event import CaseEvent
from tests import factories
from tests.helpers import check_page, fragment, page

PDF = b"%PDF-1.4\n%%EOF\n"

STEPS = {"criteres": {"ressortissant": ["oui"], "age_enfant": ["oui"], "autre_aide": ["non"]},
         "informations": {"phone": ["06 12 34 56 78"], "address_line1": ["3 rue de Siam"]},
         "dossier": {"mode_garde": ["Crèche ou multi-accueil"], "date_debut": ["01/09/2026"]},
         "recapitulatif": {"sworn": ["y"]}}
DATA = {"steps": STEPS,
        "informations": {"residence": "france", "phone": "06 12 34 56 78", "address_line1": "3 rue de Siam",
                         "postcode": "29200", "city": "Brest", "in_couple": False, "family_situation": "Célibataire"},
        "dossier": {"mode_garde": "Crèche ou multi-accueil", "date_debut": "2026-09-01",
                    "frais_mensuels": "420", "garde_partagee": False},
        "tables": {"famille": [{"nom": "Lefèvre", "prenom": "Zoé", "naissance": "2024-03-02", "lien": "Enfant"}]},
        "bank": {"abroad": False, "holder": "Éloïse Lefèvre", "iban": "FR7630006000011234567890189",
                 "bic": "AGRIFRPPXXX"},
        "sworn": True}

ROW_ACTIONS = {
    "Accéder à la demande": "open", "Supprimer": "delete", "Ajouter un document complémentaire": "document",
    "Suivi de la demande d’aide": "follow", "Paiements effectués": "payments", "Dupliquer": "duplicate"}


def row_actions(soup, application_id):
    row = soup.select_one(f"#demande-{application_id}")
    assert row is not None, f"pas de ligne pour la demande {application_id}"
    controls = row.select(".follow-actions a, .follow-actions button")
    labels = [el.find(string=True, recursive=False) or "" for el in controls]
    return {ROW_ACTIONS[label.strip()] for label in labels if label.strip() in ROW_ACTIONS}


def upload_form(client, url):
    """GET the page of a form with the upload component: its hidden fields."""
    soup = page(client, url)
    form = soup.select_one("form[enctype='multipart/form-data']")
    return {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}


def post_files(client, url, fields, files=(("piece.pdf", PDF),), **kwargs):
    from io import BytesIO
    data = dict(fields)
    data["pieces_jointes"] = [(BytesIO(content), name) for name, content in files]
    return client.post(url, data=data, content_type="multipart/form-data", **kwargs)


# --- The list ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("state, decision, actions", [
    ("en-creation", None, {"open", "delete"}),
    ("prise-en-charge", None, {"document", "follow"}),
    ("instruction", None, {"document", "follow", "duplicate"}),
    ("terminee", "accordee", {"follow", "duplicate", "payments"}),
    ("terminee", "refusee", {"follow", "duplicate"}),
])
def test_each_row_offers_only_what_its_state_allows(armees_login, make_application, state, decision, actions):
    application_id = make_application(state, decision=decision)
    soup = page(armees_login("member"), "/armees/demandes/")
    assert row_actions(soup, application_id) == actions
    status = soup.select_one(f"#demande-{application_id} td:nth-of-type(2)").get_text(" ", strip=True)
    expected = {"en-creation": "En cours de création", "prise-en-charge": "Prise en charge",
                "instruction": "Instruction en cours", "terminee": "Instruction terminée"}[state]
    assert status == expected + {"accordee": " – accordée", "refusee": " – refusée", None: ""}[decision]


def test_list_is_the_users_own_newest_first_and_filters_by_state(app, armees_login, make_application):
    first, second = make_application("prise-en-charge"), make_application()
    make_application("instruction", owner="member2")
    client = armees_login("member")
    soup = page(client, "/armees/demandes/")
    assert [tr["id"] for tr in soup.select("tbody tr")] == [f"demande-{second}", f"demande-{first}"]
    soup = page(client, "/armees/demandes/?etat=en-creation")
    assert [tr["id"] for tr in soup.select("tbody tr")] == [f"demande-{second}"]
    assert soup.select_one("#etat option[selected]")["value"] == "en-creation"
    soup = page(client, "/armees/demandes/?etat=n-importe-quoi")  # an unknown state lists everything
    assert len(soup.select("tbody tr")) == 2


def test_the_envelope_counts_unanswered_requests_and_stays_once_answered(app, armees_login, make_application):
    application_id = make_application("instruction")
    with app.app_context():
        a = db.session.get(AidApplication, application_id)
        one = factories.armees_complement(a, "Avis d’imposition")
        factories.armees_complement(a, "RIB")
        db.session.commit()
        one_id = one.id
    client = armees_login("member")
    envelope = page(client, "/armees/demandes/").select_one(f"#demande-{application_id} a.envelope")
    assert envelope.select_one(".envelope-count").get_text() == "2"
    assert envelope.select_one(".visually-hidden").get_text() == "2 demandes de complément sans réponse"
    assert envelope["href"].endswith(f"/armees/demandes/{application_id}#complements")
    with app.app_context():
        db.session.get(ComplementRequest, one_id).mark_sent()
        db.session.commit()
    envelope = page(client, "/armees/demandes/").select_one(f"#demande-{application_id} a.envelope")
    assert envelope.select_one(".visually-hidden").get_text() == "1 demande de complément sans réponse"
    assert envelope["href"].endswith(f"/complements/{one_id + 1}")
    with app.app_context():
        db.session.get(ComplementRequest, one_id + 1).mark_sent()
        db.session.commit()
    envelope = page(client, "/armees/demandes/").select_one(f"#demande-{application_id} a.envelope")
    assert envelope.select_one(".envelope-count") is None  # the envelope stays, its number goes
    assert envelope.select_one(".visually-hidden").get_text() == "Demandes de complément, répondues"


# --- Supprimer --------------------------------------------------------------------------------------

def test_deleting_a_draft_removes_it_its_wizard_draft_and_files(app, armees, armees_login, make_application):
    application_id = make_application()
    with app.app_context():
        a = db.session.get(AidApplication, application_id)
        member = db.session.get(User, armees["member"])
        drafts.save(member, application_draft_kind(application_id), {"steps": STEPS, "passed": ["criteres"]})
        factories.armees_file(a, name="livret.pdf")
        db.session.commit()
    client = armees_login("member")
    soup = page(client, f"/armees/demandes/{application_id}/supprimer")
    assert soup.h1.get_text() == "Supprimer la demande"
    form = soup.select_one(".request-action form[method=post]")
    assert form.select_one("button").get_text() == "Supprimer la demande"
    response = client.post(form["action"])
    assert response.status_code == 303 and response.location.endswith("/armees/demandes/")
    soup = page(client, "/armees/demandes/")
    assert soup.select_one(".notice--success").get_text() == \
        "La demande « Aide à la garde des jeunes enfants » a été supprimée."
    with app.app_context():
        assert db.session.get(AidApplication, application_id) is None
        assert Draft.query.filter_by(kind=application_draft_kind(application_id)).count() == 0
        assert Attachment.query.filter_by(subject_id=application_id).count() == 0
        assert CaseEvent.query.filter_by(case_type=APPLICATION_WORKFLOW.kind, case_id=application_id).count() == 0


def test_deleting_inline_with_htmx(app, armees_login, make_application):
    application_id = make_application()
    client = armees_login("member")
    soup = fragment(client, f"/armees/demandes/{application_id}/supprimer")
    assert soup.select_one("h2").get_text(" ", strip=True).startswith("Supprimer la demande « Aide à la garde")
    soup = fragment(client, f"/armees/demandes/{application_id}/supprimer", method="post")
    assert soup.response.headers["HX-Retarget"] == "#demandes"
    assert soup.select_one(".notice--success") and not soup.select("tbody tr")


@pytest.mark.parametrize("state", ["prise-en-charge", "instruction", "terminee"])
def test_a_transmitted_application_cannot_be_deleted(app, armees_login, make_application, state):
    application_id = make_application(state)
    client = armees_login("member")
    soup = page(client, f"/armees/demandes/{application_id}/supprimer", status=409)
    assert "ne peut plus être supprimée" in soup.select_one(".notice--error").get_text()
    response = client.post(f"/armees/demandes/{application_id}/supprimer")
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(AidApplication, application_id) is not None


# --- Ajouter un document complémentaire ---------------------------------------------------------------

def test_adding_a_complementary_document_once(app, armees_login, make_application):
    application_id = make_application("prise-en-charge")
    client = armees_login("member")
    url = f"/armees/demandes/{application_id}/document-complementaire"
    fields = upload_form(client, url)
    response = post_files(client, url, fields, files=[("bulletin.pdf", PDF)])
    assert response.status_code == 303
    assert response.location.endswith(f"/armees/demandes/{application_id}?onglet=documents")
    again = client.post(url, data=fields)  # the same form posted again (Back + resend): nothing more
    assert again.status_code == 303
    with app.app_context():
        files = Attachment.query.filter_by(subject_type="armees_application", subject_id=application_id).all()
        assert [(f.original_name, f.document) for f in files] == [("bulletin.pdf", "complementaire")]
        entries = APPLICATION_WORKFLOW.history(db.session.get(AidApplication, application_id), kinds=["document"])
        assert [e.text for e in entries] == ["bulletin.pdf"]
    soup = page(client, response.location)
    assert soup.select_one(".notice--success").get_text() == \
        "Votre document complémentaire a bien été transmis à Igesa."
    assert soup.select_one("#onglet tbody th").get_text() == "Document complémentaire"


def test_adding_without_a_file_says_so(app, armees_login, make_application):
    application_id = make_application("instruction")
    client = armees_login("member")
    url = f"/armees/demandes/{application_id}/document-complementaire"
    response = client.post(url, data=upload_form(client, url))
    assert response.status_code == 422
    soup = check_page(response.get_data(as_text=True))
    assert soup.title.get_text().startswith("Erreur : ")
    assert [a.get_text() for a in soup.select(".error-summary a")] == ["Sélectionnez au moins un fichier."]


@pytest.mark.parametrize("state", ["en-creation", "terminee"])
def test_no_document_can_be_added_outside_prise_en_charge_and_instruction(app, armees_login, make_application,
                                                                          state):
    application_id = make_application(state)
    client = armees_login("member")
    url = f"/armees/demandes/{application_id}/document-complementaire"
    assert client.get(url).status_code == 409
    response = post_files(client, url, {"submission": "0" * 32})
    assert response.status_code == 409
    with app.app_context():
        assert Attachment.query.filter_by(subject_type="armees_application", subject_id=application_id).count() == 0


# --- Dupliquer ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("state", ["instruction", "terminee"])
def test_duplicating_prefills_a_new_draft_once(app, armees, armees_login, make_application, state):
    application_id = make_application(state, data=DATA)
    client = armees_login("member")
    soup = page(client, "/armees/demandes/")
    button = soup.select_one(f"#demande-{application_id} button[formaction$='/dupliquer']")
    form = button.find_parent("form")
    fields = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    response = client.post(button["formaction"], data=fields)
    assert response.status_code == 303
    with app.app_context():
        copy = AidApplication.query.filter_by(duplicated_from_id=application_id).one()
        assert (copy.status, copy.user_id, copy.benefit_code, copy.reference, copy.data) == (
            "en-creation", armees["member"], "garde-jeunes-enfants", None, {})
        assert response.location.endswith(f"/armees/demandes/{copy.id}/saisie/")
        draft = drafts.load(db.session.get(User, armees["member"]), application_draft_kind(copy.id))
        assert draft.data["steps"] == {k: v for k, v in STEPS.items() if k != "recapitulatif"}
        assert draft.data["passed"] == ["preambule", "criteres"] and draft.step == "informations"
        copy_id = copy.id
    assert client.post(button["formaction"], data=fields).location.endswith(f"/armees/demandes/{copy_id}/saisie/")
    with app.app_context():
        assert AidApplication.query.filter_by(duplicated_from_id=application_id).count() == 1


@pytest.mark.parametrize("state", ["en-creation", "prise-en-charge"])
def test_a_draft_or_a_just_transmitted_application_cannot_be_duplicated(app, armees_login, make_application, state):
    application_id = make_application(state)
    response = armees_login("member").post(f"/armees/demandes/{application_id}/dupliquer",
                                           data={"submission": "a" * 32})
    assert response.status_code == 409
    with app.app_context():
        assert AidApplication.query.count() == 1


# --- Suivi de la demande d'aide, Documents, Paiements -------------------------------------------------

def test_follow_up_shows_the_data_the_history_and_the_requests(app, armees_login, make_application):
    application_id = make_application("instruction", data=DATA)
    with app.app_context():
        complement = factories.armees_complement(db.session.get(AidApplication, application_id), "RIB")
        db.session.commit()
        complement_id = complement.id
    soup = page(armees_login("member"), f"/armees/demandes/{application_id}")
    assert soup.h1.get_text() == "Suivi de la demande d’aide"
    assert soup.select_one("#onglet-suivi")["aria-current"] == "page"
    headings = [h.get_text() for h in soup.select("#onglet h2")]
    assert headings[:2] == ["Demandes de compléments de pièces", "Historique"]
    assert {"Prestation", "Vos informations", "Détail de la demande", "Domiciliation bancaire"} <= set(headings)
    history = [li.get_text(" ", strip=True) for li in soup.select(".case-timeline li")]
    assert [h.split(" : ", 1)[1] for h in history] == ["Création de la demande", "Prise en charge",
                                                        "Instruction en cours"]
    assert "Instructrice" not in soup.select_one(".case-timeline").get_text()  # no agent's name
    link = soup.select_one("#complements ~ ul a")
    assert link["href"].endswith(f"/complements/{complement_id}") and link.get_text() == "RIB"
    assert "FR76 •••• 0189" in soup.select_one("#onglet").get_text()


def test_documents_tab_lists_every_file_downloadable_by_the_owner_only(app, armees, armees_login, login,
                                                                        make_application):
    application_id = make_application("terminee", data=DATA)
    with app.app_context():
        a = db.session.get(AidApplication, application_id)
        sent = factories.armees_file(a, name="avis.pdf", document="avis-imposition")
        extra = factories.armees_file(a, name="extra.pdf", document="complementaire")
        letter = factories.armees_file(a, subject_type="armees_received", name="decision.pdf",
                                       data=b"%PDF-1.4 decision")
        db.session.add(ReceivedDocument(user_id=a.user_id, application_id=a.id, title="Décision d’accord",
                                        attachment_id=letter.id))
        db.session.commit()
        ids = {"sent": sent.id, "extra": extra.id, "letter": letter.id}
    client = armees_login("member")
    soup = page(client, f"/armees/demandes/{application_id}?onglet=documents")
    rows = [[c.get_text(" ", strip=True) for c in tr.select("th, td")] for tr in soup.select("#onglet tbody tr")]
    assert [r[0] for r in rows] == ["Dernier avis d’imposition ou de non-imposition", "Document complémentaire",
                                 "Décision d’accord"]
    tab = fragment(client, f"/armees/demandes/{application_id}?onglet=documents")
    assert len(tab.select("tbody tr")) == 3
    url = f"/armees/demandes/{application_id}/documents/{ids['letter']}"
    response = client.get(url)
    assert response.status_code == 200 and response.data == b"%PDF-1.4 decision"
    assert "attachment" in response.headers["Content-Disposition"]
    with app.app_context():  # a GET changes nothing: « Mes documents reçus » marks it read (by POST)
        assert ReceivedDocument.query.one().read_at is None
    for who in ("member2", "other_agent"):
        other = armees_login(who)
        for key in ids:
            assert other.get(f"/armees/demandes/{application_id}/documents/{ids[key]}").status_code == 404
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/compte/connexion" in anonymous.location
    # Another application's file through this application's URL: 404.
    own_other = make_application("instruction")
    assert client.get(f"/armees/demandes/{own_other}/documents/{ids['sent']}").status_code == 404


def test_payments_of_a_granted_application(app, armees_login, make_application):
    application_id = make_application("terminee", decision="accordee")
    with app.app_context():
        for day, cents in ((date(2026, 10, 5), 123456), (date(2026, 11, 5), 4200)):
            db.session.add(AidPayment(application_id=application_id, paid_on=day, amount_cents=cents,
                                      label="Versement"))
        db.session.commit()
    soup = page(armees_login("member"), f"/armees/demandes/{application_id}/paiements")
    cells = [[td.get_text() for td in tr.select("td")] for tr in soup.select("tbody tr")]
    assert cells == [["05/10/2026", "Versement", "1\u00a0234,56\u00a0€"], ["05/11/2026", "Versement", "42,00\u00a0€"]]
    assert soup.select_one("tfoot td").get_text() == "1\u00a0276,56\u00a0€"


@pytest.mark.parametrize("state, decision", [("instruction", None), ("terminee", "refusee")])
def test_no_payments_page_unless_granted(armees_login, make_application, state, decision):
    application_id = make_application(state, decision=decision)
    assert armees_login("member").get(f"/armees/demandes/{application_id}/paiements").status_code == 404


# --- Authorisation ---------------------------------------------------------------------------------------

def _urls(application_id, complement_id):
    base = f"/armees/demandes/{application_id}"
    return [base, f"{base}?onglet=documents", f"{base}/paiements", f"{base}/document-complementaire",
            f"{base}/supprimer", f"{base}/complements/{complement_id}",
            f"{base}/complements/{complement_id}?repondre=1"]


def test_nobody_else_reaches_an_application(app, armees_login, make_application):
    granted = make_application("terminee", decision="accordee")
    taken = make_application("prise-en-charge")
    draft = make_application()
    with app.app_context():
        complement_id = factories.armees_complement(db.session.get(AidApplication, taken)).id
        db.session.commit()
    anonymous = app.test_client()
    for who, expected in (("member2", 404), ("other_agent", 404), ("agent", 404)):
        client = armees_login(who)
        for application_id in (granted, taken, draft):
            for url in _urls(application_id, complement_id):
                assert client.get(url).status_code == expected, (who, url)
                assert client.get(url, headers={"HX-Request": "true"}).status_code == expected, (who, url)
            for url in (f"/armees/demandes/{application_id}/supprimer", f"/armees/demandes/{application_id}/dupliquer",
                        f"/armees/demandes/{application_id}/document-complementaire",
                        f"/armees/demandes/{application_id}/complements/{complement_id}"):
                assert client.post(url, data={"submission": "b" * 32}).status_code == expected, (who, url)
        for url in _urls(granted, complement_id):
            response = anonymous.get(url)
            assert response.status_code == 302 and "/compte/connexion" in response.location
    with app.app_context():
        assert AidApplication.query.count() == 3
        assert ComplementRequest.query.one().state == "en-attente"
    # The owner reaches them all (those the state allows).
    owner = armees_login("member")
    assert owner.get(f"/armees/demandes/{taken}/complements/{complement_id}").status_code == 200
    # A complement request through another of the owner's applications: 404.
    assert owner.get(f"/armees/demandes/{granted}/complements/{complement_id}").status_code == 404


def test_one_duplicate_form_for_the_page_duplicates_each_row_once(app, armees_login, make_application):
    first, second = make_application("instruction", data=DATA), make_application("terminee", data=DATA)
    client = armees_login("member")
    soup = page(client, "/armees/demandes/")
    fields = {i["name"]: i["value"] for i in soup.select("form input[name=submission], form input[name=csrf_token]")}
    for application_id in (first, second, first, second):  # Back, then the other row, then resent
        response = client.post(f"/armees/demandes/{application_id}/dupliquer", data=fields)
        assert response.status_code == 303
    with app.app_context():
        copies = sorted(a.duplicated_from_id for a in AidApplication.query.filter(
            AidApplication.duplicated_from_id.isnot(None)))
        assert copies == sorted([first, second])


def test_duplicate_steps_keep_raw_text_values_only():
    from blueprints.armees.service import duplicate_steps
    data = {"steps": {"informations": {"phone": ["06 12 34 56 78", 3], "bad": "x", 4: ["y"]},
                      "recapitulatif": {"sworn": ["y"]}, "dossier": "pas un dictionnaire"}}
    assert duplicate_steps(data) == {"informations": {"phone": ["06 12 34 56 78"]}}
    assert duplicate_steps({}) == {} and duplicate_steps({"steps": ["x"]}) == {}


@pytest.mark.parametrize("state, decision, links", [
    ("prise-en-charge", None, ["Ajouter un document complémentaire"]),
    ("terminee", "accordee", ["Paiements effectués"]),
    ("terminee", "refusee", []),
])
def test_the_follow_up_page_offers_the_same_actions(armees_login, make_application, state, decision, links):
    application_id = make_application(state, decision=decision)
    soup = page(armees_login("member"), f"/armees/demandes/{application_id}")
    assert [a.get_text() for a in soup.select("main > .follow-actions a")] == links


def test_the_envelope_of_several_answered_requests_opens_their_list(app, armees_login, make_application):
    application_id, other_id = make_application("instruction"), make_application("instruction")
    with app.app_context():
        a = db.session.get(AidApplication, application_id)
        for subject in ("RIB", "Avis d’imposition"):
            factories.armees_complement(a, subject).mark_sent()
        only = factories.armees_complement(db.session.get(AidApplication, other_id))
        only.mark_sent()
        db.session.commit()
        only_ids = only.application_id, only.id
    soup = page(armees_login("member"), "/armees/demandes/")
    assert soup.select_one(f"#demande-{application_id} a.envelope")["href"].endswith(
        f"/armees/demandes/{application_id}#complements")
    assert soup.select_one(f"#demande-{only_ids[0]} a.envelope")["href"].endswith(
        f"/armees/demandes/{only_ids[0]}/complements/{only_ids[1]}")
