"""Factories of the Apgis services tests: insured files, reimbursements, statements, cards,
hospital covers, FAQ entries, publications."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timezone

from extensions import db
from models.apgis import (CONTRACT_COLLECTIVE, CONTRACT_INDIVIDUAL, PUBLICATION_FILES, ApgisBeneficiary, ApgisCard,
                          ApgisContribution, ApgisFaq, ApgisHospitalCover, ApgisInsured, ApgisPublication,
                          ApgisReimbursement, ApgisStatement)

_seq = itertools.count(1)


def insured(user, org, member_number=None, individual=False, nir="185077512345678", contract_name=None,
            beneficiaries=()):
    row = ApgisInsured(user=user, organisation_id=org.id, member_number=member_number or f"9{next(_seq):05d}",
                       nir=nir, contract_kind=CONTRACT_INDIVIDUAL if individual else CONTRACT_COLLECTIVE,
                       contract_name=contract_name or ("Santé Individuelle" if individual else "Santé Entreprise"),
                       employer=None if individual else "Société Exemple", affiliated_since=date(2020, 1, 1))
    db.session.add(row)
    for relation, first, last, born in beneficiaries:
        row.beneficiaries.append(ApgisBeneficiary(relation=relation, first_name=first, last_name=last, birth_date=born))
    db.session.flush()
    return row


def reimbursement(insured_row, paid_on, care_date=None, label="Consultation généraliste", beneficiary=None,
                  expense=3000, social_security=2000, apgis=700, payee="Assuré", statement=None):
    row = ApgisReimbursement(insured_id=insured_row.id, paid_on=paid_on, care_date=care_date or paid_on,
                             beneficiary=beneficiary or f"{insured_row.user.first_name} "
                                                        f"{insured_row.user.last_name.upper()}",
                             label=label, expense_cents=expense, social_security_cents=social_security,
                             apgis_cents=apgis, payee=payee, statement=statement)
    db.session.add(row)
    db.session.flush()
    return row


def statement(insured_row, number, issued_on, reimbursements=(), kind="mensuel"):
    dates = [r.paid_on for r in reimbursements] or [issued_on]
    row = ApgisStatement(insured_id=insured_row.id, number=number, kind=kind, issued_on=issued_on,
                         period_start=min(dates), period_end=max(dates))
    db.session.add(row)
    db.session.flush()
    for r in reimbursements:
        r.statement_id = row.id
    db.session.flush()
    return row


def card(insured_row, valid_from, valid_until, number=None, issued_at=None):
    row = ApgisCard(insured_id=insured_row.id, number=number or f"{insured_row.member_number}-{next(_seq):02d}",
                    valid_from=valid_from, valid_until=valid_until,
                    issued_at=issued_at or datetime.combine(valid_from, datetime.min.time(), tzinfo=timezone.utc))
    db.session.add(row)
    db.session.flush()
    return row


def contribution(insured_row, period, amount=4550, paid_on=None, method="prelevement"):
    row = ApgisContribution(insured_id=insured_row.id, period=period, amount_cents=amount, paid_on=paid_on,
                            method=method)
    db.session.add(row)
    return row


def hospital_cover(insured_row, reference, hospital="Hôpital Saint-Éloi", city="Montpellier",
                   admission_on=date(2026, 3, 2)):
    row = ApgisHospitalCover(reference=reference, insured_id=insured_row.id,
                             beneficiary=f"{insured_row.user.first_name} {insured_row.user.last_name.upper()}",
                             hospital=hospital, city=city, admission_on=admission_on)
    db.session.add(row)
    db.session.flush()
    return row


def faq(org, question, answer="Réponse.", position=1):
    row = ApgisFaq(organisation_id=org.id, question=question, answer=answer, position=position)
    db.session.add(row)
    db.session.flush()
    return row


def publication(org, owner, title, contract_name=None, published=True, content=b"%PDF-1.4\n% garanties\n"):
    from core.uploads import attach_generated
    row = ApgisPublication(organisation_id=org.id, title=title, contract_name=contract_name, published=published)
    db.session.add(row)
    db.session.flush()
    attach_generated(content, f"{title}.pdf", row, owner=owner, subject_type=PUBLICATION_FILES.name)
    return row
