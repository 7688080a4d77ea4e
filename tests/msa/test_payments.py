"""« Mes paiements et mes remboursements »: newest first, amounts in French, filters by branch and
period (GET form; with htmx the table alone), pagination, and only the member's own payments."""
from datetime import date, timedelta

from tests.helpers import fragment, page
from tests.msa.services_world import clients, seed_payments, world  # noqa: F401

YEAR = date.today().year


def rows_of(soup):
    return [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in soup.select("#paiements tbody tr")]


def test_payments_newest_first_with_french_amounts(app, world, clients):
    seed_payments(app, world["jeanne"], [
        (date(YEAR - 1, 3, 5), "famille", "Allocations familiales", 123456),
        (date(YEAR - 1, 6, 1), "sante", "Remboursement consultation", 2500),
        (date(YEAR - 1, 1, 15), "action-sociale", "Aide aux vacances", 15000),
    ])
    seed_payments(app, world["paul"], [(date(YEAR - 1, 7, 1), "retraite", "Pension de Paul", 99999)])
    soup = page(clients["jeanne"], "/msa/paiements")
    assert soup.h1.get_text() == "Mes paiements et mes remboursements"
    assert rows_of(soup) == [
        [f"01/06/{YEAR - 1}", "Santé", "Remboursement consultation", "25,00\u00a0€"],
        [f"05/03/{YEAR - 1}", "Famille", "Allocations familiales", "1\u00a0234,56\u00a0€"],
        [f"15/01/{YEAR - 1}", "Action sanitaire et sociale", "Aide aux vacances", "150,00\u00a0€"],
    ]
    assert "Pension de Paul" not in soup.get_text()
    assert soup.select_one(".queue-total").get_text() == "3 paiements"


def test_filter_by_branch_and_period_page_and_fragment(app, world, clients):
    seed_payments(app, world["jeanne"], [
        (date(YEAR - 1, 3, 5), "famille", "Allocations familiales mars", 10000),
        (date(YEAR - 2, 3, 5), "famille", "Allocations familiales ancien", 10000),
        (date(YEAR - 1, 6, 1), "sante", "Remboursement", 2500),
    ])
    soup = page(clients["jeanne"], f"/msa/paiements?branche=famille&periode={YEAR - 1}")
    assert [r[2] for r in rows_of(soup)] == ["Allocations familiales mars"]
    # The period select offers the years the member was paid in.
    options = [o["value"] for o in soup.select("select#periode option")]
    assert options == ["", "12-mois", str(YEAR - 1), str(YEAR - 2)]
    assert soup.select_one("select#branche option[selected]")["value"] == "famille"
    part = fragment(clients["jeanne"], "/msa/paiements?branche=famille")
    assert part.select_one("#msa-paiements") is not None
    assert len(part.select("#paiements tbody tr")) == 2
    assert part.select_one("#msa-paiements-annonce").get_text() == "2 paiements trouvés."
    # Unknown values are ignored, never an error.
    assert len(rows_of(page(clients["jeanne"], "/msa/paiements?branche=xx&periode=1066&page=zz"))) == 3


def test_last_twelve_months(app, world, clients):
    today = date.today()
    seed_payments(app, world["jeanne"], [(today - timedelta(days=30), "sante", "Récent", 1000),
                                         (today - timedelta(days=400), "sante", "Ancien", 1000)])
    soup = page(clients["jeanne"], "/msa/paiements?periode=12-mois")
    assert [r[2] for r in rows_of(soup)] == ["Récent"]


def test_pagination(app, world, clients):
    seed_payments(app, world["jeanne"], [(date(YEAR - 1, 1, 1) + timedelta(days=i), "sante", f"Paiement {i:02d}",
                                          100 + i) for i in range(13)])
    first = page(clients["jeanne"], "/msa/paiements")
    assert [r[2] for r in rows_of(first)][:2] == ["Paiement 12", "Paiement 11"]
    assert len(rows_of(first)) == 10
    assert first.select_one("nav.pagination a")["href"].endswith("page=2")
    second = page(clients["jeanne"], "/msa/paiements?page=2")
    assert [r[2] for r in rows_of(second)] == ["Paiement 02", "Paiement 01", "Paiement 00"]


def test_empty_list_and_access(app, world, clients):
    soup = page(clients["jeanne"], "/msa/paiements")
    assert "Aucun paiement n’a encore été enregistré." in soup.select_one("#msa-paiements").get_text()
    anonymous = clients["anonymous"].get("/msa/paiements")
    assert anonymous.status_code == 302 and "/msa/connexion" in anonymous.headers["Location"]
    assert clients["agent"].get("/msa/paiements").status_code == 403


def test_fragment_budget(app, world, clients):
    """quality.md §2: a list fragment ≤ 5 KB at the default page size, ≤ 350 bytes per extra row."""
    seed_payments(app, world["jeanne"], [(date(YEAR - 1, 1, 1), "action-sociale",
                                          "Aide à l’équipement ménager – dossier 2025", 123456)])
    one = len(fragment(clients["jeanne"], "/msa/paiements?branche=action-sociale").response.get_data())
    seed_payments(app, world["jeanne"], [(date(YEAR - 1, 1, 2) + timedelta(days=i), "action-sociale",
                                          "Aide à l’équipement ménager – dossier 2025", 123456) for i in range(12)])
    ten = fragment(clients["jeanne"], "/msa/paiements?branche=action-sociale").response.get_data()
    assert len(ten) <= 5 * 1024
    assert (len(ten) - one) / 9 <= 350
