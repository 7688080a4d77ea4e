"""The MSA services' storage on SQLite and PostgreSQL: an import is one transaction (a bad file
leaves nothing), the amount constraint, the preferred slots (JSON) and the appointment's time
(stored in UTC, shown in Paris time) read back as written."""
from datetime import date, datetime, time

import pytest
from sqlalchemy.exc import IntegrityError

from blueprints.msa import member_service
from core.formatting import fr_datetime
from extensions import db
from models import MsaMember
from models.msa_services import MsaAppointment, MsaPayment
from tests import factories


def test_storage(any_db_app):
    app = any_db_app
    with app.app_context():
        org = factories.organisation(portal="msa", code="MSA33", name="MSA Gironde")
        agent = factories.user(email="agent@example.fr", role="agent", organisation=org)
        user = factories.user(email="jeanne@example.fr")
        member = MsaMember(user=user, nir="2850733063001", organisation=org)
        db.session.add(member)
        db.session.commit()

        good = "nir;date;branche;libelle;montant\n2850733063001;05/03/2025;famille;Allocations;12,50\n"
        report = member_service.import_payments(good.encode())
        assert report.ok and report.imported == 1
        db.session.commit()
        bad = good + "2850733063001;05/03/2025;famille;Allocations;zéro\n"
        report = member_service.import_payments(bad.encode())
        assert report.errors == [(3, "invalid amount « zéro » (a positive amount such as 1234,56)")]
        db.session.rollback()
        assert MsaPayment.query.count() == 1

        db.session.add(MsaPayment(member=member, paid_on=date(2025, 1, 1), branch="sante", label="Nul",
                                  amount_cents=0))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()

        appointment = member_service.request_appointment(member, user, "retraite", "telephone",
                                                         ["lundi-matin", "vendredi-apres-midi"], "Bonjour", "d" * 32)
        db.session.commit()
        at = member_service.local_datetime(date(2030, 7, 1), time(9, 30))
        member_service.decide_appointment(appointment, agent, "confirm", at, "Appel au 05 00 00 00 00")
        db.session.commit()
        appointment_id = appointment.id
        db.session.expunge_all()
        stored = db.session.get(MsaAppointment, appointment_id)
        assert stored.slots == ["lundi-matin", "vendredi-apres-midi"]
        assert stored.status == "confirme" and stored.status_label == "Confirmé"
        assert isinstance(stored.scheduled_at, datetime) and fr_datetime(stored.scheduled_at) == "01/07/2030 09h30min"
