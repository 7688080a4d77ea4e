"""« Obtenir mes attestations »: « Attestation de paiement ou de non paiement » for a period, a PDF
read back (names, NIR, period, amounts, accents); a period without payments gives the « non
paiement » wording; errors next to the fields."""
import io
from datetime import date

from pypdf import PdfReader

from tests.helpers import errors_of, page, submit
from tests.msa.services_world import clients, seed_payments, world  # noqa: F401

YEAR = date.today().year


def pdf_text(response):
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response.headers["Cache-Control"]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.get_data())).pages)
    # Justified lines come back with doubled spaces; amounts carry no-break spaces.
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def test_form_proposes_last_year(world, clients):
    soup = page(clients["jeanne"], "/msa/attestations")
    assert soup.h1.get_text() == "Obtenir mes attestations"
    assert soup.select_one("input#start")["value"] == f"01/01/{YEAR - 1}"
    assert soup.select_one("input#end")["value"] == f"31/12/{YEAR - 1}"


def test_payment_attestation_lists_the_period_payments(app, world, clients):
    seed_payments(app, world["jeanne"], [
        (date(YEAR - 1, 3, 5), "famille", "Allocations familiales été", 123456),
        (date(YEAR - 1, 11, 2), "sante", "Remboursement soins dentaires", 4550),
        (date(YEAR - 2, 12, 31), "sante", "Hors période", 999),
    ])
    seed_payments(app, world["paul"], [(date(YEAR - 1, 5, 5), "retraite", "Pension de Paul", 50000)])
    response = clients["jeanne"].post("/msa/attestations", data={"start": f"01/01/{YEAR - 1}",
                                                                  "end": f"31/12/{YEAR - 1}"})
    assert response.status_code == 200
    assert f"attestation-paiement-{YEAR - 1}0101-{YEAR - 1}1231.pdf" in response.headers["Content-Disposition"]
    text = pdf_text(response)
    assert "Attestation de paiement" in text and "non paiement" not in text
    assert "MSA Gironde" in text
    assert "Mme Jeanne LACOSTE" in text
    assert "2850733063001" in text
    assert f"du 01/01/{YEAR - 1} au 31/12/{YEAR - 1}" in text
    assert "Allocations familiales été" in text
    assert "1 234,56 €" in text
    assert "45,50 €" in text
    assert "Total : 1 280,06 €" in text
    assert "Hors période" not in text and "Pension de Paul" not in text


def test_period_without_payment_gives_non_payment(app, world, clients):
    seed_payments(app, world["jeanne"], [(date(YEAR - 1, 3, 5), "famille", "Allocations", 1000)])
    response = clients["jeanne"].post("/msa/attestations", data={"start": f"01/01/{YEAR - 3}",
                                                                  "end": f"31/12/{YEAR - 3}"})
    assert "attestation-non-paiement" in response.headers["Content-Disposition"]
    text = pdf_text(response)
    assert "Attestation de non paiement" in text
    assert "n’avoir effectué aucun paiement à Mme Jeanne LACOSTE" in text
    assert f"du 01/01/{YEAR - 3} au 31/12/{YEAR - 3}" in text


def test_errors_keep_what_was_typed(world, clients):
    soup = submit(clients["jeanne"], "/msa/attestations", {"start": "31/12/2024", "end": "01/01/2024"}, status=422)
    assert errors_of(soup) == ["La date de fin doit être postérieure ou égale à la date de début."]
    assert soup.title.get_text().startswith("Erreur : ")
    assert soup.select_one("input#start")["value"] == "31/12/2024"
    soup = submit(clients["jeanne"], "/msa/attestations", {"start": "32/13/2024", "end": ""}, status=422)
    assert errors_of(soup) == ["Saisissez une date valide au format JJ/MM/AAAA.",
                               "Saisissez la date de fin de la période."]
    assert soup.select_one("input#start")["value"] == "32/13/2024"


def test_only_members(world, clients):
    assert clients["agent"].get("/msa/attestations").status_code == 403
    response = clients["anonymous"].post("/msa/attestations", data={"start": "01/01/2024", "end": "31/12/2024"})
    assert response.status_code == 302
