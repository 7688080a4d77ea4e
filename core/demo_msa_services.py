"""Demo data of the MSA member services: two years of payments in every branch for the demo member
« Élise FONTAINE », her contact details and a pending appointment request. Running it twice
changes nothing (the payments and the request are only added when she has none)."""
from __future__ import annotations

from datetime import date, timedelta

from extensions import db
from models.msa import MsaMember
from models.msa_services import MsaAppointment, MsaContactDetails, MsaPayment

DEMO_NIR = "2850733063123"

# (months before this month, day, branch, label, cents): monthly family allowances and a retirement
# pension on the 5th, health reimbursements now and then, and social action aid.
_MONTHLY = [("famille", "Allocations familiales", 14878), ("retraite", "Pension de réversion", 31250)]
_OCCASIONAL = [
    (1, 12, "sante", "Remboursement consultation médecin généraliste", 1850),
    (2, 20, "sante", "Remboursement pharmacie", 3462),
    (4, 9, "sante", "Remboursement soins dentaires", 12075),
    (6, 3, "action-sociale", "Aide aux vacances familiales", 25000),
    (9, 17, "sante", "Remboursement analyses de laboratoire", 2716),
    (13, 14, "sante", "Remboursement consultation spécialiste", 3500),
    (15, 22, "action-sociale", "Aide à l’équipement ménager", 40000),
    (19, 8, "sante", "Remboursement kinésithérapie", 9630),
]


def _month_start(months_back: int, today: date) -> date:
    year, month = today.year, today.month - months_back
    while month <= 0:
        month += 12
        year -= 1
    return date(year, month, 1)


def seed_msa_services(today: date | None = None) -> list[str]:
    today = today or date.today()
    member = MsaMember.query.filter_by(nir=DEMO_NIR).first()
    if member is None:
        return []
    lines = []
    if not MsaPayment.query.filter_by(member_id=member.id).first():
        rows = []
        for months_back in range(24):
            start = _month_start(months_back, today)
            paid_on = start + timedelta(days=4)
            if paid_on <= today:
                rows += [(paid_on, branch, f"{label} – {paid_on:%m/%Y}", cents) for branch, label, cents in _MONTHLY]
        for months_back, day, branch, label, cents in _OCCASIONAL:
            rows.append((_month_start(months_back, today) + timedelta(days=day - 1), branch, label, cents))
        db.session.add_all(MsaPayment(member=member, organisation_id=member.organisation_id, paid_on=paid_on,
                                      branch=branch, label=label, amount_cents=cents)
                           for paid_on, branch, label, cents in rows)
        lines.append(f"Paiements MSA créés : {len(rows)} pour {member.user.email}")
    if MsaContactDetails.query.filter_by(member_id=member.id).first() is None:
        db.session.add(MsaContactDetails(member=member, address_line1="14 chemin des Vignes", postcode="33330",
                                         insee="33394", city="Saint-Émilion", country="FR", phone="05 57 00 00 00"))
    if MsaAppointment.query.filter_by(member_id=member.id).first() is None:
        appointment = MsaAppointment(member=member, organisation_id=member.organisation_id, subject="retraite",
                                     modality="agence", slots=["mardi-matin", "jeudi-apres-midi"],
                                     comment="Je voudrais préparer mon départ à la retraite.")
        appointment.start(member.user)
        lines.append("Demande de rendez-vous MSA créée (en attente)")
    db.session.commit()
    return lines
