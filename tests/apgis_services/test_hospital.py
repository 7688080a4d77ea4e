"""« Une prise en charge hospitalière »: the form's checks (beneficiary among the insured's, dates,
FINESS), the cover generated at once and numbered, posted twice but made once, and the history."""
import pytest

from tests.helpers import errors_of, fragment, page, submit

URL = "/apgis/nous-demander/prise-en-charge-hospitaliere"
GOOD = {"beneficiary": "Éloïse LEFÈVRE", "hospital": "CHU de Montpellier", "finess": "", "city": "Montpellier",
        "admission_on": "02/03/2026", "discharge_on": ""}


@pytest.fixture
def app(any_db_app):
    """These tests run on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL (numbering,
    one transaction per import)."""
    return any_db_app


def _token(client):
    return page(client, URL).select_one("input[name=submission]")["value"]


def test_the_beneficiaries_offered_are_the_insured_and_theirs(apgis_login):
    soup = page(apgis_login("insured"), URL)
    assert [o.get_text() for o in soup.select("#beneficiary option")] == [
        "Sélectionnez le bénéficiaire", "Éloïse LEFÈVRE", "Jérôme LEFÈVRE", "Noël LEFÈVRE"]
    assert soup.select_one("label[for=finess]").get_text(strip=True) == "N° FINESS de l’établissement (facultatif)"


def test_a_cover_is_generated_at_once_then_listed_and_downloadable(apgis_login):
    client = apgis_login("insured")
    response = submit(client, URL, {**GOOD, "submission": _token(client)}, status=303)
    soup = page(client, response.headers["Location"])
    notice = soup.select_one("#messages .notice--success").get_text(strip=True)
    assert notice.startswith("Votre prise en charge hospitalière n° PEC-") and "est générée" in notice
    rows = soup.select("#historique-legende")[0].find_parent("table").select("tbody tr")
    assert len(rows) == 1
    cells = [td.get_text(" ", strip=True) for td in rows[0].select("td")]
    assert cells[0].startswith("PEC-") and cells[0].endswith("-000001")
    assert cells[1:5] == ["Éloïse LEFÈVRE", "CHU de Montpellier (Montpellier)", "02/03/2026", "—"]
    assert client.get(rows[0].select_one("a")["href"]).status_code == 200


def test_the_same_form_posted_twice_generates_one_cover(apgis_login):
    client = apgis_login("insured")
    token = _token(client)
    first = submit(client, URL, {**GOOD, "submission": token}, status=303)
    second = submit(client, URL, {**GOOD, "submission": token}, status=303)
    assert first.headers["Location"] == second.headers["Location"]
    soup = page(client, URL)
    assert len(soup.select("#historique-legende")[0].find_parent("table").select("tbody tr")) == 1


def test_the_checks_keep_everything_typed(apgis_login):
    client = apgis_login("insured")
    data = {**GOOD, "submission": _token(client), "beneficiary": "Quelqu’un d’autre", "hospital": "",
            "finess": "12345", "admission_on": "10/03/2026", "discharge_on": "09/03/2026", "city": "Sète"}
    soup = submit(client, URL, data, status=422)
    assert soup.title.get_text().startswith("Erreur : ")
    assert errors_of(soup) == ["Sélectionnez le bénéficiaire hospitalisé.",
                               "Saisissez le nom de l’établissement hospitalier.",
                               "Le numéro FINESS doit comporter 9 chiffres.",
                               "La date de sortie ne peut pas être antérieure à la date d’entrée."]
    assert soup.select_one("#finess")["value"] == "12345"
    assert soup.select_one("#city")["value"] == "Sète"
    assert soup.select_one("#discharge_on")["value"] == "09/03/2026"
    assert "Vous n’avez encore généré aucune prise en charge" in soup.get_text()


def test_a_bad_admission_date_is_refused(apgis_login):
    client = apgis_login("insured")
    soup = submit(client, URL, {**GOOD, "submission": _token(client), "admission_on": "32/01/2026"}, status=422)
    assert errors_of(soup) == ["Saisissez une date valide au format JJ/MM/AAAA."]


def test_with_htmx_the_block_comes_back_with_the_cover_to_download(apgis_login):
    client = apgis_login("insured")
    data = {**GOOD, "submission": _token(client), "discharge_on": "05/03/2026"}
    part = fragment(client, URL, method="post", data=data)
    link = part.select_one("#nouvelle-prise-en-charge a")
    assert link.get_text(strip=True).startswith("Télécharger la prise en charge n° PEC-")
    assert part.select_one("#messages").get_text(strip=True).startswith("Votre prise en charge hospitalière n°")
    assert part.select_one("#beneficiary option[selected]") is None  # a fresh form
    errors = fragment(client, URL, method="post", data={**GOOD, "submission": _token(client), "city": ""})
    assert errors.select_one("title").get_text().startswith("Erreur : ")
    assert errors.select_one("#city-erreur").get_text(strip=True).endswith("Saisissez la ville de l’établissement.")
