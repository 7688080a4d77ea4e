"""Apgis Espace Assuré test setup (slice DIT): the Apgis organisation and another one of the
portal, a manager of each, two insured (`insured`: collective contract; `insured2`: individual
contract, with a child of 17 without school certificate), a citizen without an Apgis file;
`apgis_login(client_or_none, who)` logs one of them in."""
from datetime import date

import pytest

from extensions import db
from models import Role
from models.apgis import CONTRACT_INDIVIDUAL, ApgisBeneficiary, ApgisInsured
from tests import factories

IBAN = "FR7630006000011234567890189"
IBAN2 = "FR1420041010050500013M02606"


def make_insured(user, org, number, **kwargs):
    values = {"address_line1": "3 place de la Bourse", "postcode": "33000", "insee": "33063", "city": "Bordeaux",
              "country": "FR", "health_account_holder": f"{user.first_name} {user.last_name}", "health_iban": IBAN,
              "health_bic": "AGRIFRPP", "health_insurance_link": True, "contract_name": "Santé Essentiel",
              "affiliated_since": date(2020, 1, 1)}
    values.update(kwargs)
    insured = ApgisInsured(user=user, organisation_id=org.id, member_number=number, **values)
    db.session.add(insured)
    return insured


@pytest.fixture
def apgis(app):
    """Ids and emails: org, other_org, manager, other_manager, insured, insured2 (individual
    contract), stranger (a citizen without an Apgis file), insured_file, insured2_file, child."""
    return build_world(app)


def build_world(app):
    with app.app_context():
        org = factories.organisation(portal="apgis", code="APGIS", name="Apgis")
        other = factories.organisation(portal="apgis", code="AUTRE", name="Autre institution")
        manager = factories.user(email="gestionnaire@apgis.fr", role=Role.AGENT, organisation=org,
                                 first_name="Gaëlle", last_name="Gestion")
        other_manager = factories.user(email="gestionnaire@autre.fr", role=Role.AGENT, organisation=other)
        user1 = factories.user(email="assure@example.fr", first_name="Éloïse", last_name="Lefèvre")
        user2 = factories.user(email="assure2@example.fr", first_name="Paul", last_name="Durand")
        stranger = factories.user(email="sans.dossier@example.fr")
        db.session.flush()
        file1 = make_insured(user1, org, "A0000001")
        file2 = make_insured(user2, org, "A0000002", contract_kind=CONTRACT_INDIVIDUAL, contribution_method="cheque",
                             health_iban=IBAN2, health_bic="PSSTFRPPXXX")
        db.session.flush()
        today = date.today()
        child = ApgisBeneficiary(insured=file2, relation="enfant", first_name="Léa", last_name="Durand",
                                 birth_date=date(today.year - 17, 1, 1))
        db.session.add(child)
        db.session.commit()
        return {"org": org.id, "other_org": other.id, "manager": manager.id, "other_manager": other_manager.id,
                "insured": user1.id, "insured2": user2.id, "stranger": stranger.id, "insured_file": file1.id,
                "insured2_file": file2.id, "child": child.id,
                "emails": {"manager": manager.email, "other_manager": other_manager.email, "insured": user1.email,
                           "insured2": user2.email, "stranger": stranger.email}}


@pytest.fixture
def apgis_login(app, login, apgis):
    def _login(who):
        client = app.test_client()
        assert login(client, apgis["emails"][who]).status_code == 302
        return client
    return _login


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_file(name="justificatif.pdf"):
    import io
    import secrets
    return (io.BytesIO(PDF[:-6] + secrets.token_hex(8).encode() + b"\n%%EOF\n"), name)
