"""Demo data of the MSA member services: payments in every branch over two years, contact details,
a pending appointment; seeding twice adds nothing."""
from datetime import date

from core.demo_msa import seed_msa
from extensions import db
from models import Organisation
from models.msa_services import BRANCHES, MsaAppointment, MsaContactDetails, MsaPayment


def test_demo_payments_and_pending_appointment(app):
    with app.app_context():
        fund = Organisation(portal="msa", code="MSA33", name="MSA Gironde")
        db.session.add(fund)
        db.session.commit()
        seed_msa({"MSA33": fund})
        payments = MsaPayment.query.all()
        counts = (len(payments), MsaAppointment.query.count(), MsaContactDetails.query.count())
        assert {p.branch for p in payments} == set(BRANCHES)
        years = {p.paid_on.year for p in payments}
        assert {date.today().year, date.today().year - 1} <= years
        assert all(p.paid_on <= date.today() for p in payments)
        appointment = MsaAppointment.query.one()
        assert appointment.status_label == "En attente"
        assert appointment.member.nir == "2850733063123"
        seed_msa({"MSA33": fund})
        assert (MsaPayment.query.count(), MsaAppointment.query.count(), MsaContactDetails.query.count()) == counts
