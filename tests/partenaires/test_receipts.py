"""The dated PDF receipt of a request (issue 13.6): from the confirmation and the detail pages,
read back, and 404 for anything the technician may not see."""
import io
from datetime import date

from pypdf import PdfReader

from tests.helpers import page
from tests.partenaires.test_detail import foreign, tech, url  # noqa: F401 (fixtures)
from tests.partenaires.test_history import make_request, world  # noqa: F401 (fixture)


def pdf_text(response):
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.get_data())).pages)


def test_receipt_from_the_confirmation_and_the_detail(app, world, tech):  # noqa: F811
    number = make_request(app, world["martine"], world["org"], ods=4, motive="Demande d'aide financière",
                          person_birth_date=date(1960, 5, 5))
    receipt = f"/partenaires/demandes/{number}/accuse-de-reception.pdf"
    for soup in (page(tech, f"/partenaires/demandes/confirmation/{number}"), page(tech, url(number))):
        link = soup.select_one("#accuse-de-reception")
        assert link.get_text(strip=True) == "Télécharger l’accusé de réception (PDF)"
        assert link["href"] == receipt
    response = tech.get(receipt)
    assert f'filename="accuse-de-reception-{number}.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response)
    assert f"Accusé de réception de la demande N°{number}" in text
    assert "15/02/2022 14h11min" in text  # filed at 13h11 UTC: Paris time
    assert "CPAM GIRONDE" in text
    assert "Soumettre une demande d'étude de dossier" in text
    assert "Monsieur PRINCE Marius" in text
    assert "LAPIERRE Martine" in text


def test_a_colleagues_request_has_its_receipt_too(app, world, tech):  # noqa: F811
    """As the detail: any technician of the structure (the one who filed it is named)."""
    number = make_request(app, world["victor"], world["org"])
    assert "CHAUSSON Victor" in pdf_text(tech.get(f"/partenaires/demandes/{number}/accuse-de-reception.pdf"))


def test_no_receipt_of_what_is_out_of_reach(app, tech, foreign):  # noqa: F811
    numbers_, _files = foreign
    for number in (*numbers_.values(), "2299999999", "abc"):
        assert tech.get(f"/partenaires/demandes/{number}/accuse-de-reception.pdf").status_code == 404
