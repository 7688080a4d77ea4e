"""Demo data of Apgis « Mes services » (slice SERVICES), for one insured: reimbursements over the
last two years grouped in monthly statements (the last month's still waiting for one), the
contributions of an individual contract, a tiers-payant card valid this year, a hospital cover;
and, once per institution, its frequently asked questions and two documents of the
documentation space. The Espace Assuré's demo (core/demo_apgis.py) calls `seed_apgis_services`
for each of its insured when this module exists. Running it twice changes nothing."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone

from blueprints.apgis import documents, operations
from core.pdf import render_document
from core.uploads import attach_generated
from extensions import db
from models import Role, User
from models.apgis import (PUBLICATION_FILES, ApgisCard, ApgisContribution, ApgisFaq, ApgisHospitalCover,
                          ApgisInsured, ApgisPublication, ApgisReimbursement)
from models.base import utcnow

# (care, expense, Sécurité sociale, Apgis, paid to) in cents.
CARES = [
    ("Consultation généraliste", 3000, 2000, 700, "Assuré"),
    ("Consultation spécialiste", 6000, 3150, 2250, "Assuré"),
    ("Pharmacie", 4280, 2780, 1500, "Pharmacie du Marché"),
    ("Kinésithérapie", 16000, 9600, 6400, "Assuré"),
    ("Radiologie", 8500, 5100, 3400, "Centre d’imagerie Pasteur"),
    ("Soins dentaires", 12000, 5040, 6960, "Assuré"),
    ("Verres correcteurs", 42000, 1800, 30000, "Optique Lumière"),
    ("Analyses de laboratoire", 5400, 3780, 1620, "Laboratoire Biopôle"),
]
FAQ = [
    ("Sous quel délai suis-je remboursé ?",
     "Lorsque les échanges informatiques avec votre caisse d’assurance maladie sont en place, l’Apgis vous rembourse "
     "sous 48 heures après le remboursement de la Sécurité sociale. Sinon, transmettez-nous votre décompte Améli "
     "depuis « Nous transmettre »."),
    ("Comment obtenir ma carte de tiers payant ?",
     "Téléchargez-la depuis « Mes services » : la dernière carte à jour, recto et verso. Si vous n’en avez pas, "
     "demandez-en une : un gestionnaire l’établit après analyse."),
    ("Comment déclarer un nouveau bénéficiaire ?",
     "Transmettez l’acte de naissance, de mariage ou le justificatif de vie commune depuis « Nous transmettre » : "
     "un gestionnaire met votre contrat à jour après validation."),
    ("Que faire avant une hospitalisation ?",
     "Générez une prise en charge hospitalière depuis « Nous demander » et remettez-la au service des admissions "
     "de l’établissement : elle est téléchargeable directement."),
]


def _months_back(today: date, count: int) -> list[date]:
    """The first day of each of the last `count` months, oldest first (this month last)."""
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _organisation_content(insured: ApgisInsured) -> list[str]:
    """The institution's FAQ and two documents (once per institution)."""
    lines: list[str] = []
    org_id = insured.organisation_id
    if ApgisFaq.query.filter_by(organisation_id=org_id).first() is None:
        for position, (question, answer) in enumerate(FAQ, start=1):
            db.session.add(ApgisFaq(organisation_id=org_id, position=position, question=question, answer=answer))
        lines.append(f"Questions fréquentes créées : {len(FAQ)}")
    if ApgisPublication.query.filter_by(organisation_id=org_id).first() is None:
        owner = (User.query.filter_by(role=Role.AGENT.value, organisation_id=org_id).order_by(User.id).first()
                 or insured.user)
        organisation = insured.organisation.name if insured.organisation is not None else "Apgis"
        guide = ApgisPublication(organisation_id=org_id, title="Guide de l’assuré",
                                 description="Vos démarches, vos remboursements et vos contacts, pas à pas.")
        guarantees = ApgisPublication(organisation_id=org_id,
                                      title=f"Tableau des garanties – {insured.contract_name or 'votre contrat'}",
                                      description="Vos garanties santé, poste par poste.",
                                      contract_name=insured.contract_name or None)
        db.session.add_all([guide, guarantees])
        db.session.flush()
        pdf = render_document("Guide de l’assuré", [
            ("Vos remboursements", ["Consultez vos remboursements et téléchargez vos décomptes dans "
                                    "« Mes services »."]),
            ("Vos démarches", ["Vos changements de coordonnées se font en ligne, avec un justificatif : un "
                               "gestionnaire les valide."])], organisation=organisation)
        attach_generated(pdf, "guide-de-l-assure.pdf", guide, owner=owner, subject_type=PUBLICATION_FILES.name)
        pdf = render_document(guarantees.title, [
            ("Soins courants", [("Consultations", "100 % de la base de remboursement"),
                                ("Pharmacie", "100 % du ticket modérateur")]),
            ("Optique", [("Verres et monture", "300,00 € par an")]),
            ("Hospitalisation", [("Forfait journalier", "100 % des frais réels")])], organisation=organisation)
        attach_generated(pdf, "tableau-des-garanties.pdf", guarantees, owner=owner,
                         subject_type=PUBLICATION_FILES.name)
        lines.append("Espace documentation : 2 documents publiés")
    return lines


def seed_apgis_services(insured: ApgisInsured) -> list[str]:
    """Everything « Mes services » shows `insured`; the caller commits (committed here too, so that
    it can be called on its own)."""
    lines = _organisation_content(insured)
    if ApgisReimbursement.query.filter_by(insured_id=insured.id).first() is not None:
        db.session.commit()
        return lines
    rng = random.Random(insured.member_number)
    now = utcnow()
    today = now.date()
    names = [name for name, _ in documents.beneficiary_names(insured)]
    months = _months_back(today, 24)
    for index, first_day in enumerate(months):
        paid = []
        for _ in range(rng.randint(1, 3)):
            care, expense, social, apgis, payee = rng.choice(CARES)
            last_day = today.day if first_day.month == today.month and first_day.year == today.year else 28
            paid_on = first_day.replace(day=rng.randint(1, max(last_day, 1)))
            care_date = max(first_day, paid_on - timedelta(days=rng.randint(2, 12)))
            paid.append(operations.record_reimbursement(insured, None, {
                "paid_on": paid_on, "care_date": care_date, "beneficiary": rng.choice(names), "label": care,
                "expense_cents": expense, "social_security_cents": social, "apgis_cents": apgis, "payee": payee}))
        if index < len(months) - 1:  # this month's payments wait for their statement
            month_end = (first_day + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            operations.create_statement(insured, None, paid,
                                        now=datetime.combine(month_end, time(18), tzinfo=timezone.utc))
    lines.append(f"Remboursements et décomptes créés pour l’adhérent {insured.member_number}")
    if insured.individual:
        for first_day in months:
            current = first_day.year == today.year and first_day.month == today.month
            db.session.add(ApgisContribution(insured_id=insured.id, period=first_day, amount_cents=6850,
                                             paid_on=None if current else first_day.replace(day=5),
                                             method=insured.contribution_method or "prelevement"))
        lines.append(f"Cotisations créées pour l’adhérent {insured.member_number}")
    if ApgisCard.query.filter_by(insured_id=insured.id).first() is None:
        db.session.add(ApgisCard(insured_id=insured.id, number=f"{insured.member_number}-{today.year}-01",
                                 valid_from=date(today.year, 1, 1), valid_until=date(today.year, 12, 31),
                                 issued_at=datetime(today.year, 1, 2, 9, tzinfo=timezone.utc)))
    if ApgisHospitalCover.query.filter_by(insured_id=insured.id).first() is None:
        admission = today - timedelta(days=40)
        operations.create_hospital_cover(insured, {
            "beneficiary": names[0], "hospital": "Clinique du Parc", "finess": "690780218", "city": "Lyon",
            "admission_on": admission, "discharge_on": admission + timedelta(days=3)}, now=now - timedelta(days=41))
    db.session.commit()
    return lines
