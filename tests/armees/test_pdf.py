"""The recap PDF of an application (blueprints/armees/service.py recap_pdf): generated for real
with fpdf2 and read back with pypdf — names with accents, the benefit, amounts, dates, tables."""
import io
import re

from pypdf import PdfReader

DATA = {"eligibility": {"ressortissant": "oui", "age_enfant": "oui", "autre_aide": "non"},
        "informations": {"residence": "france", "birth_name": "Müller-Lefèvre", "phone": "06 12 34 56 78",
                         "address_abroad": False, "address_line1": "3 place de la Bourse", "postcode": "33000",
                         "city": "Bordeaux", "country": "FR", "in_couple": False, "family_situation": "Célibataire",
                         "category": "militaire-actif", "rank": "sous-officier", "employer": "marine"},
        "dossier": {"mode_garde": "Crèche ou multi-accueil", "date_debut": "2026-09-01", "frais_mensuels": "1234.50",
                    "garde_partagee": True},
        "tables": {"famille": [{"nom": "Lefèvre", "prenom": "Zoé", "naissance": "2024-03-01", "lien": "Enfant"}]},
        "bank": {"abroad": False, "holder": "Éloïse Lefèvre", "iban": "FR7630006000011234567890189",
                 "bic": "AGRIFRPPXXX"},
        "sworn": True}


def text_of(data):
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"[\u00a0\u202f]", " ", text)


def test_the_recap_pdf_reads_back(app, armees, armees_login, make_application):
    application_id = make_application("prise-en-charge", owner="member", data=DATA)
    response = armees_login("member").get(f"/armees/demandes/{application_id}/recapitulatif.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    text = text_of(response.data)
    for expected in ("Récapitulatif de la demande – Aide à la garde des jeunes enfants", "PDA-", "Igesa",
                     "Éloïse", "Lefèvre", "Müller-Lefèvre", "ressortissant@example.fr", "1 234,50 €",
                     "01/09/2026", "Crèche ou multi-accueil", "Prénom : Zoé", "Date de naissance : 01/03/2024",
                     "Bordeaux", "Sous-officier", "Marine nationale", "FR76 •••• 0189", "Attestation sur l’honneur"):
        assert expected in text, expected
    assert "FR7630006000011234567890189" not in text.replace(" ", ""), "the IBAN is masked"


def test_the_recap_pdf_is_its_owners_only(armees_login, make_application, client):
    application_id = make_application("prise-en-charge", owner="member", data=DATA)
    url = f"/armees/demandes/{application_id}/recapitulatif.pdf"
    assert armees_login("member2").get(url).status_code == 404
    assert client.get(url).status_code == 302
