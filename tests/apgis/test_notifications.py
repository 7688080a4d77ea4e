"""Notifications (seed 003 §7): each appears with its cause, links to its fix, shows « Demande en
cours » while the DIT made from it is pending, and goes once the DIT is validated."""
from datetime import date
from types import SimpleNamespace

from blueprints.apgis.notifications import notifications_for
from extensions import db
from models.apgis import ApgisBeneficiary, ApgisInsured, ApgisRequest
from tests.apgis.conftest import pdf_file
from tests.helpers import page

TODAY = date(2026, 11, 30)


def insured(**kw):
    values = dict(address_returned=False, health_iban="FR76…", health_insurance_link=True, individual=False,
                  contribution_method=None, beneficiaries=[])
    values.update(kw)
    return SimpleNamespace(**values)


def child(age_years, until=None, id=1):
    return SimpleNamespace(id=id, relation="enfant", first_name="Léa", last_name="Durand",
                           birth_date=date(TODAY.year - age_years, 1, 15), school_certificate_until=until)


def codes(file, pending=()):
    return [n.code for n in notifications_for(file, TODAY, pending)]


def test_nothing_to_say():
    assert codes(insured()) == []


def test_each_rule_appears_with_its_cause():
    assert codes(insured(address_returned=True)) == ["adresse-erronee"]
    assert codes(insured(health_iban=None)) == ["reglement-sante"]
    assert codes(insured(health_insurance_link=False)) == ["echanges-assurance-maladie"]
    assert codes(insured(individual=True)) == ["reglement-cotisations"]
    assert codes(insured(individual=True, contribution_method="cheque")) == []
    assert codes(insured(individual=False)) == []  # collective contract: the employer pays


def test_school_certificate_from_16_to_25():
    assert codes(insured(beneficiaries=[child(17)])) == ["justificatif-scolarite"]
    assert codes(insured(beneficiaries=[child(15)])) == []
    assert codes(insured(beneficiaries=[child(26)])) == []
    assert codes(insured(beneficiaries=[child(20, until=date(2027, 8, 31))])) == []
    assert codes(insured(beneficiaries=[child(20, until=date(2026, 8, 31))])) == ["justificatif-scolarite"]
    spouse = SimpleNamespace(id=2, relation="conjoint", first_name="A", last_name="B", birth_date=date(2008, 1, 1),
                             school_certificate_until=None)
    assert codes(insured(beneficiaries=[spouse])) == []


def test_links_and_pending():
    [n] = notifications_for(insured(beneficiaries=[child(17, id=7)]), TODAY)
    assert n.endpoint == "apgis.transmit" and n.args["nature"] == "Certificat de scolarité" and n.args["enfant"] == 7
    pending = SimpleNamespace(kind="document", document_nature="Certificat de scolarité",
                              payload={"beneficiary_id": 7}, notification="justificatif-scolarite", reference="DIT-1")
    [n] = notifications_for(insured(beneficiaries=[child(17, id=7)]), TODAY, [pending])
    assert n.pending is pending
    [n] = notifications_for(insured(address_returned=True), TODAY)
    assert n.endpoint == "apgis.change_address" and n.pending is None
    pending = SimpleNamespace(kind="adresse", document_nature=None, payload={}, notification=None, reference="DIT-2")
    [n] = notifications_for(insured(address_returned=True), TODAY, [pending])
    assert n.pending is pending


def _set(app, file_id, **values):
    with app.app_context():
        f = db.session.get(ApgisInsured, file_id)
        for k, v in values.items():
            setattr(f, k, v)
        db.session.commit()


def _notified(client):
    soup = page(client, "/apgis/notifications")
    return {card.h2.get_text(strip=True): card for card in soup.select("#notifications .card")}


def test_address_notification_until_the_dit_is_validated(app, apgis, apgis_login):
    _set(app, apgis["insured_file"], address_returned=True)
    client = apgis_login("insured")
    cards = _notified(client)
    card = cards["Adresse erronée (NPD ou NPAI)"]
    link = card.find("a", string="Modifier mon adresse postale")["href"]
    assert "notification=adresse-erronee" in link
    home = page(client, "/apgis/")
    assert "1 notification" in home.select_one("#nombre-notifications").text
    response = client.post(link, data={"place": "france", "address_line1": "1 rue Neuve", "commune-recherche": "33000",
                                       "commune": "33063-33000", "notification": "adresse-erronee",
                                       "pieces_jointes": pdf_file()}, content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        dit = ApgisRequest.query.one()
        assert dit.notification == "adresse-erronee"
        dit_id, reference = dit.id, dit.reference
    card = _notified(client)["Adresse erronée (NPD ou NPAI)"]
    assert "Demande en cours" in card.text and reference in card.text
    apgis_login("manager").post(f"/agent/apgis/demandes/{dit_id}/valider")
    assert "Adresse erronée (NPD ou NPAI)" not in _notified(client)
    soup = page(client, "/apgis/suivi")
    assert "Suite à la notification « Adresse erronée (NPD ou NPAI) »" in soup.select_one("#suivi").text


def test_school_certificate_notification_and_transmission(app, apgis, apgis_login):
    client = apgis_login("insured2")
    card = _notified(client)["Attente justificatif de scolarité"]
    link = card.find("a")["href"]
    soup = page(client, link)
    assert soup.select_one("#nature option[selected]")["value"] == "Certificat de scolarité"
    assert soup.select_one("#beneficiary option[selected]")["value"] == str(apgis["child"])
    response = client.post("/apgis/nous-transmettre", data={
        "nature": "Certificat de scolarité", "beneficiary": str(apgis["child"]),
        "notification": "justificatif-scolarite",
        "pieces_jointes": pdf_file()}, content_type="multipart/form-data")
    assert response.status_code == 303
    assert "Demande en cours" in _notified(client)["Attente justificatif de scolarité"].text
    with app.app_context():
        dit_id = ApgisRequest.query.one().id
    apgis_login("manager").post(f"/agent/apgis/demandes/{dit_id}/valider")
    assert "Attente justificatif de scolarité" not in _notified(client)
    with app.app_context():
        assert db.session.get(ApgisBeneficiary, apgis["child"]).school_certificate_until is not None


def test_health_insurance_and_bank_and_contribution_notifications(app, apgis, apgis_login):
    _set(app, apgis["insured2_file"], health_insurance_link=False, health_iban=None, contribution_method=None)
    client = apgis_login("insured2")
    cards = _notified(client)
    assert {"Mise en place d’échanges informatiques avec l’organisme d’assurance maladie",
            "Mode de règlement des prestations santé",
            "Mode de règlement des cotisations dans le cadre d’un contrat à adhésion individuelle"} <= set(cards)
    link = cards["Mise en place d’échanges informatiques avec l’organisme d’assurance maladie"].find("a")["href"]
    assert "/apgis/nous-transmettre" in link
    client.post("/apgis/nous-transmettre", data={"nature": "Attestation d’assurance maladie",
                                                 "pieces_jointes": pdf_file()}, content_type="multipart/form-data")
    with app.app_context():
        dit_id = ApgisRequest.query.one().id
    apgis_login("manager").post(f"/agent/apgis/demandes/{dit_id}/valider")
    assert "Mise en place d’échanges informatiques avec l’organisme d’assurance maladie" not in _notified(client)
    _set(app, apgis["insured2_file"], health_iban="FR1420041010050500013M02606", contribution_method="cheque")
    assert "Mode de règlement des prestations santé" not in _notified(client)
    contribution = "Mode de règlement des cotisations dans le cadre d’un contrat à adhésion individuelle"
    assert contribution not in _notified(client)
