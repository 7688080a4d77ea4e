"""The DIT cycle on SQLite and PostgreSQL: gapless references under their row lock, the JSON
payload, the change applied by « Valider », the card issued, a question answered."""
from extensions import db
from models import User
from models.apgis import ApgisCard, ApgisQuestion, ApgisRequest
from tests.apgis.conftest import build_world, pdf_file
from tests.factories import PASSWORD


def test_dit_cycle(any_db_app):
    app = any_db_app
    world = build_world(app)

    def client_of(email):
        client = app.test_client()
        assert client.post("/compte/connexion", data={"email": email, "password": PASSWORD}).status_code == 302
        return client

    insured, manager = client_of(world["emails"]["insured"]), client_of(world["emails"]["manager"])
    response = insured.post("/apgis/mes-donnees/adresse-postale", data={
        "place": "france", "address_line1": "5 allée de Tourny", "commune-recherche": "33000",
        "commune": "33063-33000", "pieces_jointes": pdf_file()}, content_type="multipart/form-data")
    assert response.status_code == 303
    assert insured.post("/apgis/nous-demander/carte-de-tiers-payant/demande", data={}).status_code == 303
    assert insured.post("/apgis/vous-avez-une-question", data={"theme": "garanties", "text": "Q ?"}).status_code == 303
    with app.app_context():
        references = [r.reference for r in ApgisRequest.query.order_by(ApgisRequest.id)]
        assert [r[-6:] for r in references] == ["000001", "000002"]
        ids = [r.id for r in ApgisRequest.query.order_by(ApgisRequest.id)]
        question_id = ApgisQuestion.query.one().id
    for dit_id in ids:
        assert manager.post(f"/agent/apgis/demandes/{dit_id}/valider").status_code == 303
    assert manager.post(f"/agent/apgis/questions/{question_id}", data={"answer": "Réponse."}).status_code == 303
    with app.app_context():
        user = db.session.get(User, world["insured"])
        assert user.apgis_insured.address_line1 == "5 allée de Tourny"
        assert ApgisCard.query.count() == 1
        assert db.session.get(ApgisQuestion, question_id).answer == "Réponse."
        db.session.remove()
