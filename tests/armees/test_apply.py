"""The application wizard of the Portail Des Aides (blueprints/armees/apply.py): the eligibility
gate before the application exists, its creation when the step is passed, the steps' rules, the
draft (saved incomplete, never transmitted incomplete), « Transmettre » once, what it writes (the
data contract, files, profile, porte-documents) and its mail with the recap PDF; another user's
application is 404."""
import io

import pytest
from pypdf import PdfReader

from extensions import db
from models import Attachment, Draft, OutboxMessage, User
from models.armees import (PORTE_DOCUMENTS, AidApplication, RessortissantProfile, application_draft_kind)
from tests.helpers import errors_of, fragment, page, submit

BENEFIT = "garde-jeunes-enfants"
START = f"/armees/prestations/{BENEFIT}/demande"
ELIGIBLE = {"ressortissant": "oui", "age_enfant": "oui", "autre_aide": "non"}
INFORMATIONS = {"residence": "france", "birth_name": "Martin", "phone": "06 12 34 56 78"}
DOSSIER = {"f_mode_garde": "Crèche ou multi-accueil", "f_date_debut": "01/09/2026", "f_frais_mensuels": "1 234,5",
           "f_garde_partagee": "y", "account_holder": "Éloïse Lefèvre", "iban": "FR76 3000 6000 0112 3456 7890 189"}


def location(response):
    return response.headers["Location"].removeprefix("http://guichet.test")


def wizard_url(application_id, step=""):
    return f"/armees/demandes/{application_id}/saisie/{step}"


def pass_eligibility(client, answers=ELIGIBLE):
    response = client.post(f"{START}/preambule", data={"suivant": "1"})
    assert response.status_code == 303 and location(response) == f"{START}/criteres"
    response = client.post(f"{START}/criteres", data={**answers, "suivant": "1"})
    assert response.status_code == 303
    target = location(response)
    assert target.startswith("/armees/demandes/") and target.endswith("/saisie/informations")
    return int(target.split("/")[3])


def fill_until_recap(client, application_id):
    response = client.post(wizard_url(application_id, "informations"), data={**INFORMATIONS, "suivant": "1"})
    assert response.status_code == 303 and location(response) == wizard_url(application_id, "dossier")
    response = client.post(wizard_url(application_id, "dossier"), data={**DOSSIER, "suivant": "1"})
    assert response.status_code == 303 and location(response) == wizard_url(application_id, "recapitulatif")


def transmit(client, application_id, **extra):
    soup = page(client, wizard_url(application_id, "recapitulatif"))
    token = soup.select_one("input[name=submission]")["value"]
    return client.post(wizard_url(application_id, "recapitulatif"),
                       data={"sworn": "y", "submission": token, "suivant": "1", **extra},
                       content_type="multipart/form-data"), token


def test_eligibility_then_creation_then_transmission(app, armees, armees_login, outbox):
    client = armees_login("member")
    soup = page(client, f"{START}/preambule")
    assert "Prestation soumise à condition de ressources" in soup.get_text()
    assert [li.get_text(" ", strip=True) for li in soup.select("nav[aria-label=Étapes] li")][-1].startswith(
        "Confirmation")
    with app.app_context():
        assert AidApplication.query.count() == 0
    application_id = pass_eligibility(client)
    with app.app_context():
        application = db.session.get(AidApplication, application_id)
        assert application.status == "en-creation" and application.organisation_id == armees["org"]
        assert Draft.query.filter_by(kind=f"armees.eligibilite.{BENEFIT}").count() == 0
    fill_until_recap(client, application_id)
    response, token = transmit(client, application_id)
    assert response.status_code == 303
    assert location(response) == f"/armees/demandes/{application_id}/confirmation"
    soup = page(client, location(response))
    assert "Votre demande a bien été transmise." in soup.get_text()
    with app.app_context():
        application = db.session.get(AidApplication, application_id)
        assert application.status == "prise-en-charge" and application.reference.startswith("PDA-")
        data = application.data
        assert data["eligibility"] == ELIGIBLE
        assert data["dossier"] == {"mode_garde": "Crèche ou multi-accueil", "date_debut": "2026-09-01",
                                   "frais_mensuels": "1234.50", "garde_partagee": True}
        assert data["informations"]["phone"] == "06 12 34 56 78" and data["sworn"] is True
        assert data["bank"] == {"abroad": False, "holder": "Éloïse Lefèvre", "iban": "FR7630006000011234567890189",
                                "bic": data["bank"]["bic"]} and data["bank"]["bic"].startswith("AGRIFRPP")
        assert data["steps"]["criteres"] == {k: [v] for k, v in ELIGIBLE.items()}
        profile = RessortissantProfile.query.filter_by(user_id=armees["member"]).one()
        assert profile.first_transmitted_at is not None and profile.birth_name == "Martin"
        assert Draft.query.filter_by(kind=application_draft_kind(application_id)).count() == 0
        message = OutboxMessage.query.one()
        assert message.recipient == armees["emails"]["member"] and application.reference in message.subject
        recap = db.session.get(Attachment, message.attachment_ids[0])
        assert recap.document == "recapitulatif" and recap.content_type == "application/pdf"
    # Posted again (double click, Back then resend): the same confirmation, nothing more.
    response = client.post(wizard_url(application_id, "recapitulatif"),
                           data={"sworn": "y", "submission": token, "suivant": "1"})
    assert response.status_code == 303 and location(response).endswith("/confirmation")
    assert len(outbox("email")) == 1
    pdf = client.get(f"/armees/demandes/{application_id}/recapitulatif.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Aide à la garde des jeunes enfants" in text and "Lefèvre" in text
