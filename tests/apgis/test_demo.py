"""The Apgis demo (core/demo_apgis.py): accounts, a pending DIT of each kind with its document,
questions, at least three notifications for the individual contract; twice changes nothing."""
from core.demo import seed_demo
from extensions import db
from models import User
from models.apgis import REQUEST_KIND_LABELS, ApgisQuestion, ApgisRequest


def test_demo(app):
    from blueprints.apgis.notifications import notifications_for
    from blueprints.apgis.service import pending_requests, request_files
    from models.base import utcnow
    with app.app_context():
        seed_demo()
        seed_demo()
        assert {r.kind for r in ApgisRequest.query.filter_by(status="en-attente")} == set(REQUEST_KIND_LABELS)
        assert ApgisRequest.query.count() == len(REQUEST_KIND_LABELS)
        assert all(request_files(r) for r in ApgisRequest.query if r.kind != "carte-tiers-payant")
        assert ApgisQuestion.query.filter_by(status="repondue").count() == 1
        paul = User.query.filter_by(email="assure.apgis@demo.guichet.fr").one()
        assert paul.apgis_insured.individual
        notes = notifications_for(paul.apgis_insured, utcnow().date(), pending_requests(paul.apgis_insured))
        assert len(notes) >= 3
        manager = User.query.filter_by(email="gestionnaire.apgis@demo.guichet.fr").one()
        assert manager.role == "agent" and manager.organisation.portal == "apgis"
        assert User.query.filter_by(email="assuree.apgis@demo.guichet.fr").one().apgis_insured is not None
        db.session.remove()
