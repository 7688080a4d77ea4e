"""« Mes données personnelles » and the DITs (seed 003 §3): every change needs a supporting
document and creates a DIT; nothing changes before a manager's « Valider »; « Refuser » (reason
required) leaves the data untouched; both outcomes are mailed to the insured."""
import pytest

from extensions import db
from models import User
from models.apgis import ApgisCard, ApgisInsured, ApgisRequest
from tests.apgis.conftest import IBAN, pdf_file
from tests.helpers import errors_of, page, submit

ADDRESS = "/apgis/mes-donnees/adresse-postale"
EMAIL = "/apgis/mes-donnees/adresse-mail"
BANK = "/apgis/mes-donnees/coordonnees-bancaires"
METHOD = "/apgis/mes-donnees/mode-de-reglement-des-cotisations"
NEW_IBAN = "FR7610107001011234567890129"

CHANGES = {
    "adresse": (ADDRESS, {"place": "france", "address_line1": "12 rue des Lilas", "commune-recherche": "33000",
                          "commune": "33063-33000", "country": "FR"}),
    "email": (EMAIL, {"email": "nouvelle.adresse@example.fr"}),
    "banque-sante": (BANK, {"account_holder": "Éloïse Lefèvre", "iban": NEW_IBAN, "bic": ""}),
    "reglement-cotisations": (METHOD, {"method": "prelevement", "account_holder": "Paul Durand", "iban": NEW_IBAN}),
}


def who_for(kind):
    return "insured2" if kind == "reglement-cotisations" else "insured"


def data_of(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        f = user.apgis_insured
        return {"email": user.email, "address": (f.address_line1, f.postcode, f.city, f.country),
                "iban": f.health_iban, "holder": f.health_account_holder, "method": f.contribution_method,
                "contribution_iban": f.contribution_iban}


def last_request(app):
    with app.app_context():
        dit = ApgisRequest.query.order_by(ApgisRequest.id.desc()).first()
        return None if dit is None else {"id": dit.id, "reference": dit.reference, "status": dit.status,
                                         "kind": dit.kind, "payload": dit.payload}


def ask(client, kind, **extra):
    url, data = CHANGES[kind]
    return client.post(url, data={**data, "pieces_jointes": pdf_file(), **extra},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("kind", list(CHANGES))
def test_a_change_needs_a_document_and_changes_nothing(app, apgis, apgis_login, kind):
    who = who_for(kind)
    client = apgis_login(who)
    before = data_of(app, apgis[who])
    url, data = CHANGES[kind]
    soup = submit(client, url, data, status=422)
    assert "Sélectionnez au moins un fichier." in " ".join(errors_of(soup))
    assert last_request(app) is None
    response = ask(client, kind)
    assert response.status_code == 303
    dit = last_request(app)
    assert dit["kind"] == kind and dit["status"] == "en-attente" and dit["reference"].startswith("DIT-")
    assert data_of(app, apgis[who]) == before  # not applied before validation
    soup = page(client, "/apgis/mes-donnees")
    assert soup.select_one(f"#en-attente-{kind}") and dit["reference"] in soup.select_one(f"#en-attente-{kind}").text
    # No second « Modifier » for that item while the DIT is pending.
    soup = page(client, url)
    assert soup.select_one("#demande-en-cours") and not soup.select("form[enctype]")


@pytest.mark.parametrize("kind", list(CHANGES))
def test_validation_applies_the_change(app, apgis, apgis_login, outbox, kind):
    who = who_for(kind)
    assert ask(apgis_login(who), kind).status_code == 303
    dit = last_request(app)
    manager = apgis_login("manager")
    soup = page(manager, f"/agent/apgis/demandes/{dit['id']}")
    assert soup.select_one("#demande-contenu") and soup.select_one(".attachment-list a")
    response = manager.post(f"/agent/apgis/demandes/{dit['id']}/valider")
    assert response.status_code == 303
    after = data_of(app, apgis[who])
    if kind == "adresse":
        assert after["address"] == ("12 rue des Lilas", "33000", "Bordeaux", "FR")
    elif kind == "email":
        assert after["email"] == "nouvelle.adresse@example.fr"
    elif kind == "banque-sante":
        assert after["iban"] == NEW_IBAN and after["holder"] == "Éloïse Lefèvre"
    else:
        assert after["method"] == "prelevement" and after["contribution_iban"] == NEW_IBAN
    assert last_request(app)["status"] == "validee"
    mails = [m for m in outbox() if "validée" in m["subject"]]
    assert len(mails) == 1 and dit["reference"] in mails[0]["body"]


@pytest.mark.parametrize("kind", list(CHANGES))
def test_refusal_needs_a_reason_and_leaves_the_data(app, apgis, apgis_login, outbox, kind):
    who = who_for(kind)
    before = data_of(app, apgis[who])
    assert ask(apgis_login(who), kind).status_code == 303
    dit = last_request(app)
    manager = apgis_login("manager")
    soup = submit(manager, f"/agent/apgis/demandes/{dit['id']}/refuser", {"refus-reason": "  "}, status=422)
    assert "Saisissez le motif du refus." in errors_of(soup)
    assert last_request(app)["status"] == "en-attente"
    response = manager.post(f"/agent/apgis/demandes/{dit['id']}/refuser",
                            data={"refus-reason": "Le justificatif est illisible."})
    assert response.status_code == 303
    assert last_request(app)["status"] == "refusee"
    assert data_of(app, apgis[who]) == before
    mails = [m for m in outbox() if "refusée" in m["subject"]]
    assert len(mails) == 1 and "Le justificatif est illisible." in mails[0]["body"]
    soup = page(apgis_login(who), f"/apgis/suivi/demandes/{dit['id']}")
    assert soup.select_one("#etat-demande").text == "Refusée"
    assert soup.select_one("#motif-refus").text == "Le justificatif est illisible."
    # Decided: a second decision changes nothing (409).
    assert manager.post(f"/agent/apgis/demandes/{dit['id']}/valider").status_code == 409
    assert data_of(app, apgis[who]) == before


def test_the_same_form_posted_twice_makes_one_dit(app, apgis, apgis_login):
    client = apgis_login("insured")
    token = "a" * 32
    assert ask(client, "email", submission=token).status_code == 303
    assert ask(client, "email", submission=token).status_code in (200, 303)
    with app.app_context():
        assert ApgisRequest.query.count() == 1


def test_address_abroad_and_bad_inputs(app, apgis, apgis_login):
    client = apgis_login("insured")
    soup = submit(client, ADDRESS, {"place": "etranger", "address_line1": "Via Roma 1", "country": "FR",
                                    "pieces_jointes": pdf_file()}, status=422,
                  content_type="multipart/form-data")
    assert "Saisissez la ville." in errors_of(soup)
    assert "Sélectionnez le pays de votre adresse à l’étranger." in errors_of(soup)
    # What was typed is kept, and the file added too.
    assert soup.select_one("#address_line1")["value"] == "Via Roma 1"
    assert soup.select(".attachment-list li")
    response = client.post(ADDRESS, data={"place": "etranger", "address_line1": "Via Roma 1", "city_abroad": "Roma",
                                          "postcode_abroad": "00100", "country": "IT",
                                          "pieces_jointes-lot": soup.select_one("[name=pieces_jointes-lot]")["value"],
                                          "submission": soup.select_one("[name=submission]")["value"]})
    assert response.status_code == 303
    assert last_request(app)["payload"]["country"] == "IT"


def test_bank_change_checks_the_iban(app, apgis, apgis_login):
    client = apgis_login("insured")
    soup = submit(client, BANK, {"account_holder": "Éloïse Lefèvre", "iban": "FR7630006000011234567890188",
                                 "pieces_jointes": pdf_file()}, status=422, content_type="multipart/form-data")
    assert "L’IBAN saisi n’est pas valide : vérifiez-le." in errors_of(soup)
    # « Vérifier l’IBAN » without JavaScript: the BIC derived, nothing created.
    soup = submit(client, BANK, {"account_holder": "Éloïse Lefèvre", "iban": NEW_IBAN, "verifier-iban": "1"})
    assert soup.select_one("#bic")["value"]
    assert last_request(app) is None


def test_the_personal_data_page_masks_the_iban(app, apgis, apgis_login):
    soup = page(apgis_login("insured"), "/apgis/mes-donnees")
    text = soup.get_text().replace(" ", "")
    assert IBAN not in text and "FR76*******************0189" in text


def test_contribution_method_only_for_individual_contracts(app, apgis, apgis_login):
    assert apgis_login("insured").get(METHOD).status_code == 404
    client = apgis_login("insured2")
    soup = submit(client, METHOD, {"method": "prelevement", "pieces_jointes": pdf_file()}, status=422,
                  content_type="multipart/form-data")
    assert "Saisissez l’IBAN." in errors_of(soup)
    response = client.post(METHOD, data={"method": "virement", "pieces_jointes": pdf_file()},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    assert last_request(app)["payload"]["method"] == "virement"


def test_payment_alert_is_switched_directly(app, apgis, apgis_login):
    client = apgis_login("insured")
    response = client.post("/apgis/mes-donnees/alerte-reglement", data={"alert": "oui"}, follow_redirects=True)
    assert "L’alerte par mail lors du règlement d’une prestation est activée." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ApgisInsured, apgis["insured_file"]).payment_alert is True
        assert ApgisRequest.query.count() == 0
    client.post("/apgis/mes-donnees/alerte-reglement", data={"alert": "non"})
    with app.app_context():
        assert db.session.get(ApgisInsured, apgis["insured_file"]).payment_alert is False


def test_card_request(app, apgis, apgis_login, outbox):
    client = apgis_login("insured")
    assert client.post("/apgis/nous-demander/carte-de-tiers-payant/demande", data={}).status_code == 303
    # One pending at a time.
    soup = page(client, "/apgis/nous-demander/carte-de-tiers-payant/demande")
    assert soup.select_one("#demande-en-cours")
    assert client.post("/apgis/nous-demander/carte-de-tiers-payant/demande", data={}).status_code == 409
    dit = last_request(app)
    manager = apgis_login("manager")
    with app.app_context():
        assert ApgisCard.query.count() == 0
    manager.post(f"/agent/apgis/demandes/{dit['id']}/valider")
    with app.app_context():
        card = ApgisCard.query.one()
        assert card.insured_id == apgis["insured_file"] and card.request_id == dit["id"]


def test_card_refused_issues_no_card(app, apgis, apgis_login):
    apgis_login("insured").post("/apgis/nous-demander/carte-de-tiers-payant/demande", data={})
    dit = last_request(app)
    apgis_login("manager").post(f"/agent/apgis/demandes/{dit['id']}/refuser", data={"refus-reason": "Déjà envoyée."})
    with app.app_context():
        assert ApgisCard.query.count() == 0


def test_an_email_taken_meanwhile_cannot_be_validated(app, apgis, apgis_login):
    assert ask(apgis_login("insured"), "email").status_code == 303
    dit = last_request(app)
    with app.app_context():
        db.session.get(User, apgis["stranger"]).email = "nouvelle.adresse@example.fr"
        db.session.commit()
    soup = submit(apgis_login("manager"), f"/agent/apgis/demandes/{dit['id']}/valider", {}, status=409)
    assert "déjà celle d’un autre compte" in soup.select_one("#apgis-refus").text
    assert last_request(app)["status"] == "en-attente"
    assert data_of(app, apgis["insured"])["email"] == "assure@example.fr"


def test_decisions_with_htmx_answer_the_actions_block(app, apgis, apgis_login):
    from tests.helpers import fragment
    assert ask(apgis_login("insured"), "email").status_code == 303
    dit = last_request(app)
    manager = apgis_login("manager")
    url = f"/agent/apgis/demandes/{dit['id']}"
    soup = fragment(manager, f"{url}/refuser", method="post", data={"refus-reason": ""})
    assert soup.select_one("#apgis-actions .error-summary") and "Saisissez le motif du refus." in soup.text
    soup = fragment(manager, f"{url}/valider", method="post")
    assert soup.select_one("#etat-demande").text == "Validée"
    assert "est validée" in soup.select_one("#messages").text
    soup = fragment(manager, f"{url}/refuser", method="post", data={"refus-reason": "Trop tard"}, status=409)
    assert soup.select_one("#apgis-refus")
    assert last_request(app)["status"] == "validee"


def test_pending_dits_come_with_the_file_and_leave_it_once_decided(app, apgis, apgis_login):
    """ApgisInsured.pending_requests (loaded with the file by the home and « Mes données
    personnelles »): the DITs awaiting a manager only, newest first."""
    client = apgis_login("insured")
    assert ask(client, "adresse").status_code == 303
    assert ask(client, "email").status_code == 303
    with app.app_context():
        insured = db.session.get(User, apgis["insured"]).apgis_insured
        assert [d.kind for d in insured.pending_requests] == ["email", "adresse"]
    dit = last_request(app)
    assert apgis_login("manager").post(f"/agent/apgis/demandes/{dit['id']}/valider").status_code == 303
    soup = page(client, "/apgis/mes-donnees")
    assert soup.select_one("#en-attente-adresse") and not soup.select_one("#en-attente-email")
    with app.app_context():
        insured = db.session.get(User, apgis["insured"]).apgis_insured
        assert [d.kind for d in insured.pending_requests] == ["adresse"]
