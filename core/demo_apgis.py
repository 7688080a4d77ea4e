"""Demo data of the Apgis Espace Assuré (slice DIT; called by `flask demo`, core.demo): the manager
« gestionnaire.apgis@demo.guichet.fr », the insured « assure.apgis@demo.guichet.fr » (individual
contract: no payment method of contributions yet, a child of 17 without school certificate, no
exchanges with the health insurance fund — three notifications) and « assuree.apgis@demo.guichet.fr »
(collective contract), a pending DIT of each kind with its supporting document, a question answered
and one waiting. When the « Mes services » slice is there (core.demo_apgis_services), its
`seed_apgis_services(insured)` adds reimbursements, statements, contributions and the rest.
Running it twice changes nothing."""
from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from datetime import date, timedelta

from blueprints.apgis import service
from core.pdf import render_document
from core.uploads import attach_generated
from extensions import db
from models import Organisation, Role, User
from models.apgis import (CONTRACT_COLLECTIVE, CONTRACT_INDIVIDUAL, KIND_ADDRESS, KIND_CARD,
                          KIND_CONTRIBUTION_METHOD, KIND_DOCUMENT, KIND_EMAIL, KIND_HEALTH_BANK, QUESTION_SENT,
                          REQUEST_FILES,
                          REQUEST_WORKFLOW, ApgisBeneficiary, ApgisInsured, ApgisQuestion, ApgisRequest,
                          next_reference)
from models.base import utcnow

PASSWORD = "Guichet-Demo-2026"
MANAGER = "gestionnaire.apgis@demo.guichet.fr"
INDIVIDUAL = "assure.apgis@demo.guichet.fr"
COLLECTIVE = "assuree.apgis@demo.guichet.fr"


def _user(email: str, first: str, last: str, role: Role = Role.CITIZEN, org: Organisation | None = None,
          civility: str = "M.") -> tuple[User, bool]:
    user = User.query.filter_by(email=email).first()
    if user is not None:
        return user, False
    user = User(email=email, role=role.value, first_name=first, last_name=last, password=PASSWORD,
                organisation=org, civility=civility)
    db.session.add(user)
    return user, True


def _proof(title: str) -> bytes:
    return render_document(title, [("Justificatif de démonstration", [
        "Document fourni par l’assuré à l’appui de sa demande (données fictives)."])], "Apgis")


def _dit(insured: ApgisInsured, kind: str, payload: dict, days_ago: int, nature: str | None = None,
         notification: str | None = None, proof: str | None = None) -> ApgisRequest:
    moment = utcnow() - timedelta(days=days_ago)
    reference = next_reference("DIT", moment)
    user = insured.user
    dit = ApgisRequest(reference=reference, user_id=user.id, insured_id=insured.id,
                       organisation_id=insured.organisation_id, kind=kind, payload=payload, document_nature=nature,
                       notification=notification, created_at=moment, search_key=service.search_key(reference, user))
    REQUEST_WORKFLOW.start(dit, user, now=moment)
    if proof:
        attach_generated(_proof(proof), f"{proof.lower().replace(' ', '-')}.pdf", owner=user,
                         subject_type=REQUEST_FILES.name, subject_id=dit.id, organisation_id=insured.organisation_id)
    return dit


def seed_apgis(orgs: Mapping[str, Organisation]) -> list[str]:
    org = orgs.get("APGIS")
    if org is None or User.query.filter_by(email=INDIVIDUAL).first() is not None:
        return []
    lines = []
    manager, _ = _user(MANAGER, "Gaëlle", "MOREL", Role.AGENT, org, civility="Mme")
    paul, _ = _user(INDIVIDUAL, "Paul", "LAMBERT")
    lucie, _ = _user(COLLECTIVE, "Lucie", "FONTAINE", civility="Mme")
    db.session.flush()
    today = date.today()
    individual = ApgisInsured(
        user=paul, organisation_id=org.id, member_number="AP0012345", nir="185057511812345",
        contract_kind=CONTRACT_INDIVIDUAL, contract_name="Santé Essentiel – adhésion individuelle",
        affiliated_since=date(today.year - 6, 1, 1), address_line1="14 rue Sainte-Catherine", postcode="33000",
        insee="33063", city="Bordeaux", country="FR", health_account_holder="Paul LAMBERT",
        health_iban="FR7630006000011234567890189", health_bic="AGRIFRPPXXX", health_insurance_link=False,
        contribution_method=None, payment_alert=True)
    collective = ApgisInsured(
        user=lucie, organisation_id=org.id, member_number="AP0067890", nir="290036912345678",
        contract_kind=CONTRACT_COLLECTIVE, contract_name="Santé Entreprise", employer="Transports Garonne SA",
        affiliated_since=date(today.year - 3, 9, 1), address_line1="8 cours Pasteur", postcode="33000",
        insee="33063", city="Bordeaux", country="FR", health_account_holder="Lucie FONTAINE",
        health_iban="FR1420041010050500013M02606", health_bic="PSSTFRPPBOR", health_insurance_link=True)
    db.session.add_all([individual, collective])
    db.session.add_all([
        ApgisBeneficiary(insured=individual, relation="conjoint", first_name="Claire", last_name="LAMBERT",
                         birth_date=date(today.year - 44, 3, 2)),
        ApgisBeneficiary(insured=individual, relation="enfant", first_name="Hugo", last_name="LAMBERT",
                         birth_date=date(today.year - 17, 5, 20)),
        ApgisBeneficiary(insured=individual, relation="enfant", first_name="Zoé", last_name="LAMBERT",
                         birth_date=date(today.year - 12, 10, 8)),
        ApgisBeneficiary(insured=collective, relation="enfant", first_name="Nina", last_name="FONTAINE",
                         birth_date=date(today.year - 19, 1, 15), school_certificate_until=date(today.year + 1, 8, 31)),
    ])
    db.session.flush()
    # A pending DIT of each kind.
    _dit(collective, KIND_ADDRESS, {"address_line1": "27 quai des Chartrons", "address_line2": None,
                                    "postcode": "33000", "insee": "33063", "city": "Bordeaux", "country": "FR"},
         4, proof="Justificatif de domicile")
    _dit(collective, KIND_EMAIL, {"email": "lucie.fontaine@demo.guichet.fr"}, 3, proof="Attestation")
    _dit(collective, KIND_HEALTH_BANK, {"account_holder": "Lucie FONTAINE", "iban": "FR7610107001011234567890129",
                                        "bic": "BREDFRPPXXX", "abroad": False}, 2, proof="RIB")
    _dit(individual, KIND_CONTRIBUTION_METHOD, {"method": "cheque", "iban": None, "bic": None}, 1,
         proof="Courrier", notification="reglement-cotisations")
    _dit(individual, KIND_CARD, {}, 2)
    _dit(individual, KIND_DOCUMENT, {"comment": "Devis pour une couronne céramique."}, 5, nature="Devis dentaire",
         proof="Devis dentaire")
    # A question answered, one waiting.
    moment = utcnow() - timedelta(days=9)
    answered = ApgisQuestion(reference=next_reference("QST", moment), user_id=paul.id, organisation_id=org.id,
                             theme="remboursements", created_at=moment, status=QUESTION_SENT,
                             text="Mon remboursement d’ostéopathie de septembre n’apparaît pas : "
                                  "est-il pris en charge ?")
    answered.search_key = service.search_key(answered.reference, paul)
    db.session.add(answered)
    answered.answer_with("Votre contrat prend en charge 4 séances d’ostéopathie par an. La facture de septembre "
                         "vient d’être réglée : le remboursement apparaîtra sur votre prochain décompte.", manager,
                         moment + timedelta(days=1))
    moment = utcnow() - timedelta(days=1)
    waiting = ApgisQuestion(reference=next_reference("QST", moment), user_id=lucie.id, organisation_id=org.id,
                            theme="adhesion", created_at=moment, status=QUESTION_SENT,
                            text="Comment ajouter mon conjoint comme bénéficiaire de mon contrat ?")
    waiting.search_key = service.search_key(waiting.reference, lucie)
    db.session.add(waiting)
    db.session.commit()
    lines.append(f"Apgis : gestionnaire {MANAGER}, assurés {INDIVIDUAL} (contrat individuel) et {COLLECTIVE} "
                 "(contrat collectif), une demande d’intervention en attente de chaque type, deux questions")
    if importlib.util.find_spec("core.demo_apgis_services") is not None:
        seed_services = importlib.import_module("core.demo_apgis_services").seed_apgis_services
        for insured in (individual, collective):
            seed_services(insured)
        db.session.commit()
        lines.append("Apgis : remboursements, décomptes, cotisations, carte, prise en charge, FAQ et documentation")
    return lines
