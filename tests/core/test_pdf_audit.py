"""PDF helper renders every French character; audit trail records who did what."""
import io

from pypdf import PdfReader

from core import audit
from core.pdf import render_document
from extensions import db
from models import AuditEvent, User

FRENCH = ("Éléonore Œuvrard, né à Saint-Étienne, reçoit 1 234,56 € ; « très bien » — l’été à Noël : "
          "ça, où, â ê î ô û ë ï ü ÿ æ Ç")


def test_pdf_renders_every_french_character():
    pdf = render_document("Accusé de réception", [
        ("Votre demande", [("Objet", FRENCH), "Paragraphe libre : « guillemets » et apostrophe ’."]),
    ], organisation="CPAM GIRONDE")
    assert pdf.startswith(b"%PDF-")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for word in FRENCH.split():
        assert word in text, word
    assert "Accusé de réception" in text
    assert "« guillemets »" in text and "’" in text
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "Accusé de réception"


def test_long_documents_break_pages():
    pdf = render_document("Récapitulatif", [("Section", ["Ligne numéro %d avec des accents éàù." % i
                                                          for i in range(200)])])
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 1
    assert "Ligne numéro 199" in reader.pages[-1].extract_text()


def test_audit_event_is_recorded_with_the_change(app):
    with app.app_context():
        user = User(email="agent@example.fr", role="agent", password="Motdepasse-1")
        db.session.add(user)
        db.session.flush()
        audit.record(user, "take_in_charge", user, status_from="Nouveau", status_to="En cours")
        db.session.commit()
        event = AuditEvent.query.one()
        assert (event.actor_id, event.action, event.object_type, event.object_id) == \
               (user.id, "take_in_charge", "User", str(user.id))
        assert event.detail == {"status_from": "Nouveau", "status_to": "En cours"}
        assert event.at is not None


def test_audit_event_rolls_back_with_the_change(app):
    with app.app_context():
        audit.record(None, "something")
        db.session.rollback()
        assert AuditEvent.query.count() == 0
