"""The decision letter, read back from the PDF: organisation, reference, the ressortissant's name
and address, the benefit, the decision, the amount or the reason, the dates, every accent."""
import io
from datetime import datetime, timezone

from pypdf import PdfReader

from blueprints.armees import service
from blueprints.armees.decision_letter import address_lines, decision_letter, letter_filename
from extensions import db
from models import Organisation, User
from models.armees import AidApplication, RessortissantProfile
from tests import factories
from tests.armees.test_agent import DATA

DECIDED = datetime(2026, 11, 30, 23, 30, tzinfo=timezone.utc)  # 1 December in Paris


def _text(pdf):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\u00a0", " ")


def _application(armees, data=DATA, state="instruction"):
    member = db.session.get(User, armees["member"])
    member.civility = "Mme"
    return factories.armees_application(member, db.session.get(Organisation, armees["org"]), state=state,
                                        agent=db.session.get(User, armees["agent"]), data=data,
                                        now=datetime(2026, 10, 5, 9, 0, tzinfo=timezone.utc))


def test_grant_letter_says_who_what_how_much_and_when(app, armees):
    with app.app_context():
        application = _application(armees)
        agent = db.session.get(User, armees["agent"])
        application.decision, application.granted_cents = "accordee", 123456
        text = _text(decision_letter(application, agent, DECIDED))
        assert text.startswith("Igesa\nDécision d’accord – demande PDA-2026-000001")
        for expected in ("Madame Éloïse LEFÈVRE", "3 rue de Siam", "29200 Brest", "Le 01/12/2026",
                         "Référence de la demande\nPDA-2026-000001", "Prestation\nAide à la garde des jeunes enfants",
                         "Date de transmission\n05/10/2026", "Décision\nAccordée", "Montant accordé\n1 234,56 €",
                         "Pour Igesa,",
                         "Agnès INSTRUCTRICE, chargé(e) de l’instruction", "Signature :", "« Mes documents reçus »"):
            assert expected in text, expected
        assert "Motif du refus" not in text
        flat = " ".join(text.split())  # the paragraphs wrap
        assert ("votre demande de prestation « Aide à la garde des jeunes enfants », transmise le 05/10/2026 sous "
                "la référence PDA-2026-000001, a été accordée pour un montant de 1 234,56 €.") in flat
        assert letter_filename(application) == "decision-accord-PDA-2026-000001.pdf"


def test_refusal_letter_gives_the_reason(app, armees):
    with app.app_context():
        application = _application(armees)
        agent = db.session.get(User, armees["agent"])
        application.decision = "refusee"
        application.decision_reason = "Quotient familial supérieur au barème – dossier incomplet."
        text = _text(decision_letter(application, agent, DECIDED))
        assert "Décision de refus" in text and "Décision\nRefusée" in text
        assert "Motif du refus\nQuotient familial supérieur au barème – dossier incomplet." in text
        assert "a été refusée" in " ".join(text.split()) and "Montant accordé" not in text


def test_address_abroad_and_from_the_profile(app, armees):
    with app.app_context():
        abroad = _application(armees, data={"informations": {
            "address_abroad": True, "address_line1": "12 Unter den Linden", "city": "Berlin", "country": "DE"}})
        assert address_lines(abroad) == ["12 Unter den Linden", "Berlin", "Germany"]
        profile = RessortissantProfile.of(db.session.get(User, armees["member"]))
        profile.address_line1, profile.postcode, profile.city = "1 place Étienne Pernet", "75015", "Paris"
        without = _application(armees, data={})
        assert address_lines(without) == ["1 place Étienne Pernet", "75015 Paris"]


def test_decide_through_the_service_on_each_database(any_db_app):
    """The whole decision (letter stored once, received document, mail queued) on SQLite and
    PostgreSQL, and the search key kept up to date."""
    app = any_db_app
    with app.app_context():
        org = factories.organisation(portal="armees", code="IGESA", name="Igesa")
        agent = factories.user(email="agent@igesa.fr", role="agent", organisation=org, first_name="Agnès",
                               last_name="Instructrice")
        member = factories.user(email="m@example.fr", first_name="Éloïse", last_name="Lefèvre")
        application = factories.armees_application(member, org, state="instruction", agent=agent, data=DATA)
        db.session.commit()
        # Kept by a listener from the reference, the names and the benefit, folded.
        assert application.search_key == f"{application.reference} LEFEVRE ELOISE AIDE A LA GARDE DES JEUNES ENFANTS"
        service.decide(application, agent, "accordee", amount_cents=50000, hooks=False)
        db.session.commit()
        application = db.session.get(AidApplication, application.id)
        assert (application.status, application.decision, application.granted_cents) == ("terminee", "accordee", 50000)
        received = application.received_documents[0]
        assert "500,00 €" in _text(open_letter(received.attachment))


def open_letter(attachment):
    from core.uploads import storage_path
    return storage_path(attachment.storage_name).read_bytes()
