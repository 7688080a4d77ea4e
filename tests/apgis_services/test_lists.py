"""« Mes remboursements » and « Mes décomptes »: newest first, filtered by period (GET, htmx swaps
the list only), paginated; « Historique des cotisations » for individual contracts only."""
from datetime import date

from tests.apgis_services import factories_services as fs
from tests.helpers import fragment, page


def _rows(soup, table_id):
    return [[td.get_text(" ", strip=True).replace("\u00a0", " ") for td in tr.select("td")]
            for tr in soup.select(f"#{table_id} tbody tr")]


def test_reimbursements_are_listed_newest_first_with_their_amounts(apgis_login, seed):
    seed(lambda c: [fs.reimbursement(c["insured"], date(2025, 11, 3), label="Pharmacie"),
                    fs.reimbursement(c["insured"], date(2026, 2, 10), care_date=date(2026, 2, 1),
                                     label="Verres correcteurs", beneficiary="Noël LEFÈVRE", expense=123456,
                                     social_security=1250, apgis=98765, payee="Optique Lumière"),
                    fs.reimbursement(c["insured"], date(2026, 1, 15), label="Kinésithérapie"),
                    fs.reimbursement(c["insured2"], date(2026, 3, 1), label="Consultation de Paul")])
    soup = page(apgis_login("insured"), "/apgis/remboursements")
    rows = _rows(soup, "remboursements")
    assert [r[2] for r in rows] == ["Verres correcteurs", "Kinésithérapie", "Pharmacie"]
    assert rows[0] == ["10/02/2026", "Noël LEFÈVRE", "Verres correcteurs", "01/02/2026", "1 234,56 €", "12,50 €",
                       "987,65 €", "Optique Lumière"]
    headings = [th.get_text(strip=True) for th in soup.select("#remboursements thead th")]
    assert headings == ["Date du règlement", "Bénéficiaire", "Soin", "Date du soin", "Dépense", "Sécurité sociale",
                        "Apgis", "Payé à"]
    assert soup.select_one("#remboursements .history-total").get_text(strip=True) == "3 règlements"


def test_the_period_filters_reimbursements_and_htmx_gets_the_list_only(apgis_login, seed):
    seed(lambda c: [fs.reimbursement(c["insured"], date(2026, m, 10), label=f"Soin {m}") for m in range(1, 7)])
    client = apgis_login("insured")
    soup = page(client, "/apgis/remboursements?du=01/02/2026&au=31/03/2026")
    assert [r[2] for r in _rows(soup, "remboursements")] == ["Soin 3", "Soin 2"]
    assert soup.select_one("#du")["value"] == "01/02/2026"
    assert soup.select_one("#remboursements .history-total").get_text(" ", strip=True) == \
        "2 règlements du 01/02/2026 au 31/03/2026"
    part = fragment(client, "/apgis/remboursements?du=01/05/2026")
    assert part.select_one("form") is None and part.select_one("h1") is None
    assert [r[2] for r in _rows(part, "remboursements")] == ["Soin 6", "Soin 5"]
    assert part.select_one("#remboursements-annonce").get_text(strip=True) == "2 règlements sur la période."


def test_a_bad_period_is_said_next_to_its_field_and_not_applied(apgis_login, seed):
    seed(lambda c: [fs.reimbursement(c["insured"], date(2026, m, 10), label=f"Soin {m}") for m in range(1, 4)])
    client = apgis_login("insured")
    soup = page(client, "/apgis/remboursements?du=31/02/2026")
    error = soup.select_one("#du-erreur").get_text(strip=True)
    assert error.endswith("Saisissez une date valide au format JJ/MM/AAAA.")
    assert soup.select_one("#du")["value"] == "31/02/2026"  # what was typed is kept
    assert len(_rows(soup, "remboursements")) == 3
    soup = page(client, "/apgis/remboursements?du=01/03/2026&au=01/01/2026")
    assert "postérieure ou égale" in soup.select_one("#au-erreur").get_text()
    assert [r[2] for r in _rows(soup, "remboursements")] == ["Soin 3"]


def test_reimbursements_are_paginated_keeping_the_period(apgis_login, seed):
    seed(lambda c: [fs.reimbursement(c["insured"], date(2026, 1, day), label=f"Soin {day:02d}")
                    for day in range(1, 26)])
    client = apgis_login("insured")
    first = page(client, "/apgis/remboursements?du=01/01/2026")
    assert [r[2] for r in _rows(first, "remboursements")][:2] == ["Soin 25", "Soin 24"]
    assert len(_rows(first, "remboursements")) == 10
    nav = first.select_one("nav.pagination")
    assert nav.get_text(" ", strip=True) == "Page 1 sur 3 Page suivante"
    next_url = nav.find("a", string="Page suivante")["href"]
    assert next_url == "/apgis/remboursements?du=01/01/2026&page=2"
    second = page(client, next_url)
    assert [r[2] for r in _rows(second, "remboursements")][0] == "Soin 15"
    last = page(client, "/apgis/remboursements?page=9")  # past the end: the last page
    assert [r[2] for r in _rows(last, "remboursements")] == ["Soin 05", "Soin 04", "Soin 03", "Soin 02", "Soin 01"]


def test_statements_are_listed_newest_first_each_with_its_download(apgis_login, seed):
    def make(c):
        for number, issued in (("DEC-2025-000010", date(2025, 12, 31)), ("DEC-2026-000003", date(2026, 3, 31)),
                               ("DEC-2026-000001", date(2026, 1, 31))):
            r = fs.reimbursement(c["insured"], issued, apgis=1500)
            fs.statement(c["insured"], number, issued, [r])
        fs.statement(c["insured2"], "DEC-2026-000099", date(2026, 4, 30))
    seed(make)
    soup = page(apgis_login("insured"), "/apgis/decomptes")
    rows = _rows(soup, "decomptes")
    assert [r[1] for r in rows] == ["Décompte mensuel n° DEC-2026-000003", "Décompte mensuel n° DEC-2026-000001",
                                    "Décompte mensuel n° DEC-2025-000010"]
    assert rows[0][3] == "15,00 €"
    links = soup.select("#decomptes tbody a")
    assert links[0].get_text(" ", strip=True).startswith("Télécharger et imprimer")
    assert links[0]["href"].endswith("/decompte.pdf")
    filtered = page(apgis_login("insured"), "/apgis/decomptes?du=01/01/2026&au=28/02/2026")
    assert [r[1] for r in _rows(filtered, "decomptes")] == ["Décompte mensuel n° DEC-2026-000001"]


def test_no_reimbursement_yet_says_so(apgis_login):
    soup = page(apgis_login("insured2"), "/apgis/remboursements")
    assert "Aucun règlement n’a encore été effectué" in soup.select_one("#remboursements").get_text()


def test_contributions_are_shown_for_an_individual_contract(apgis_login, seed):
    seed(lambda c: [fs.contribution(c["insured"], date(2026, 1, 1), amount=4550, paid_on=date(2026, 1, 5)),
                    fs.contribution(c["insured"], date(2026, 2, 1), amount=4550, paid_on=None, method="cheque")])
    soup = page(apgis_login("insured"), "/apgis/cotisations")
    rows = _rows(soup, "contenu")
    assert rows == [["février 2026", "45,50 €", "Chèque", "Non réglée"],
                    ["janvier 2026", "45,50 €", "Prélèvement automatique", "05/01/2026"]]


def test_contributions_are_explained_away_for_a_collective_contract(apgis_login, seed):
    seed(lambda c: fs.contribution(c["insured2"], date(2026, 1, 1)))
    soup = page(apgis_login("insured2"), "/apgis/cotisations")
    assert soup.select_one("table") is None
    assert "contrat à adhésion individuelle" in soup.select_one("#cotisations-collectif").get_text()
    assert "Société Exemple" in soup.select_one("#cotisations-collectif").get_text()


def test_a_citizen_without_an_apgis_file_gets_a_page_that_says_so(apgis_login):
    soup = page(apgis_login("citizen"), "/apgis/mes-services", status=404)
    assert soup.h1.get_text(strip=True) == "Aucun dossier d’assuré"
