"""The generated documents read back from their PDFs: the statement, the tiers-payant card (recto
and verso), the certificate of affiliation and the hospital cover (names, numbers, amounts,
dates, every accent)."""
import io
from datetime import date, timedelta

from pypdf import PdfReader

from models.base import utcnow
from tests.apgis_services import factories_services as fs
from tests.helpers import page


def _pages(response):
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    return [p.extract_text().replace("\u00a0", " ") for p in PdfReader(io.BytesIO(response.data)).pages]


def test_the_statement_pdf_lists_its_cares_and_totals(apgis_login, seed):
    def make(c):
        first = fs.reimbursement(c["insured"], date(2026, 3, 12), care_date=date(2026, 3, 2),
                                 label="Consultation spécialiste", beneficiary="Noël LEFÈVRE", expense=6000,
                                 social_security=3500, apgis=2500, payee="Assuré")
        second = fs.reimbursement(c["insured"], date(2026, 3, 20), care_date=date(2026, 3, 18),
                                  label="Kinésithérapie", expense=123456, social_security=10000, apgis=100000,
                                  payee="Cabinet Kiné")
        return fs.statement(c["insured"], "DEC-2026-000007", date(2026, 3, 31), [first, second])
    statement_id = seed(make)
    text = "\n".join(_pages(apgis_login("insured").get(f"/apgis/decomptes/{statement_id}/decompte.pdf")))
    assert text.startswith("Apgis\nDécompte mensuel n° DEC-2026-000007")
    for expected in ("Assuré\nÉloïse LEFÈVRE", "N° d’adhérent\n100234", "Date d’émission\n31/03/2026",
                     "Période\ndu 12/03/2026 au 20/03/2026", "Consultation spécialiste", "Noël LEFÈVRE", "02/03/2026",
                     "60,00 €", "35,00 €", "25,00 €", "1 234,56 €", "1 000,00 €", "Cabinet Kiné",
                     "Total des dépenses\n1 294,56 €", "Total remboursé par la Sécurité sociale\n135,00 €",
                     "Total réglé par l’Apgis\n1 025,00 €"):
        assert expected in text, expected


def test_the_card_pdf_has_a_recto_and_a_verso(apgis_login, seed):
    today = utcnow().date()
    seed(lambda c: fs.card(c["insured"], today - timedelta(days=10), today + timedelta(days=100),
                                     number="100234-2026-01"))
    client = apgis_login("insured")
    soup = page(client, "/apgis/nous-demander/carte-de-tiers-payant")
    link = soup.select_one("#cartes a")
    assert link.get_text(strip=True) == "Télécharger la carte n° 100234-2026-01 (PDF)"
    recto, verso = _pages(client.get(link["href"]))
    assert recto.startswith("Apgis\nCarte de tiers payant\nRecto – carte n° 100234-2026-01")
    start, end = today - timedelta(days=10), today + timedelta(days=100)
    for expected in ("Assuré\nÉloïse LEFÈVRE", "N° d’adhérent\n100234",
                     "N° de sécurité sociale (NIR)\n1 85 07 75 123 456 78",
                     "Contrat\nSanté Individuelle – Contrat à adhésion individuelle",
                     f"Validité\ndu {start:%d/%m/%Y} au {end:%d/%m/%Y}"):
        assert expected in recto, expected
    assert verso.startswith("Verso – carte n° 100234-2026-01")
    assert "Conjoint(e)\nJérôme LEFÈVRE (né(e) le 04/05/1980)" in verso
    assert "Enfant\nNoël LEFÈVRE (né(e) le 25/12/2009)" in verso


def test_only_valid_cards_are_offered_else_a_card_request(apgis_login, seed):
    today = utcnow().date()
    seed(lambda c: fs.card(c["insured"], today - timedelta(days=400), today - timedelta(days=1)))
    soup = page(apgis_login("insured"), "/apgis/nous-demander/carte-de-tiers-payant")
    assert soup.select_one("#cartes") is None
    assert soup.select_one("#aucune-carte").get_text(strip=True) == \
        "Vous n’avez aucune carte de tiers payant valide à ce jour."
    assert soup.find("a", string="Demander une carte de tiers payant")["href"] == \
        "/apgis/nous-demander/carte-de-tiers-payant/demande"


def test_the_certificate_of_affiliation_is_downloaded_at_once(apgis_login):
    (text,) = _pages(apgis_login("insured").get("/apgis/nous-demander/certificat-d-affiliation"))
    assert text.startswith("Apgis\nCertificat d’affiliation")
    for expected in ("Assuré\nÉloïse LEFÈVRE", "N° d’adhérent\n100234", "1 85 07 75 123 456 78",
                     "Affilié(e) depuis le\n01/01/2020", "Bénéficiaires\nJérôme LEFÈVRE, Noël LEFÈVRE",
                     f"Certificat établi le {utcnow().date():%d/%m/%Y}"):
        assert expected in text, expected


def test_the_hospital_cover_pdf_says_who_where_and_when(apgis_login):
    client = apgis_login("insured")
    form = page(client, "/apgis/nous-demander/prise-en-charge-hospitaliere")
    token = form.select_one("input[name=submission]")["value"]
    response = client.post("/apgis/nous-demander/prise-en-charge-hospitaliere", data={
        "csrf_token": "", "submission": token, "beneficiary": "Noël LEFÈVRE", "hospital": "Clinique Sainte-Thérèse",
        "finess": "340 780 477", "city": "Béziers", "admission_on": "02/03/2026", "discharge_on": "09/03/2026"})
    assert response.status_code == 303
    history = page(client, response.headers["Location"])
    link = history.select_one("#historique-legende").find_parent("table").select_one("tbody a")
    (text,) = _pages(client.get(link["href"]))
    assert text.startswith("Apgis\nPrise en charge hospitalière n° PEC-")
    for expected in ("Bénéficiaire hospitalisé\nNoël LEFÈVRE", "Assuré\nÉloïse LEFÈVRE", "N° d’adhérent\n100234",
                     "Établissement\nClinique Sainte-Thérèse", "N° FINESS\n340780477", "Ville\nBéziers",
                     "Date d’entrée\n02/03/2026", "Date de sortie\n09/03/2026"):
        assert expected in text, expected
