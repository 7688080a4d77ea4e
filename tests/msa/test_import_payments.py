"""`flask msa import-payments FILE.csv`: the whole file is checked, every bad line reported with its
number, and nothing imported from a bad file (one transaction); a good file imports every line.
And the agents' « Enregistrer un paiement » (a member of their fund, found by NIR)."""
from datetime import date

from extensions import db
from models.msa_services import MsaPayment
from tests.helpers import errors_of, page, submit
from tests.msa.services_world import clients, seed_payments, world  # noqa: F401

HEADER = "nir;date;branche;libelle;montant\n"


def run(app, tmp_path, content, encoding="utf-8"):
    path = tmp_path / "paiements.csv"
    path.write_bytes(content.encode(encoding))
    return app.test_cli_runner().invoke(args=["msa", "import-payments", str(path)])


def payments(app):
    with app.app_context():
        return [(p.member.nir, p.paid_on, p.branch, p.label, p.amount_cents)
                for p in MsaPayment.query.order_by(MsaPayment.id)]


def test_good_file_imports_every_line(app, world, tmp_path):
    result = run(app, tmp_path, HEADER + "2850733063001;05/03/2025;famille;Allocations familiales;1 234,56\n"
                                         "\n"
                                         "1 85 07 33 063 002;06/03/2025;Santé;Remboursement d’été;23.5\n")
    assert result.exit_code == 0, result.output
    assert "2 payment(s) imported." in result.output
    assert payments(app) == [("2850733063001", date(2025, 3, 5), "famille", "Allocations familiales", 123456),
                             ("1850733063002", date(2025, 3, 6), "sante", "Remboursement d’été", 2350)]


def test_bad_file_imports_nothing_and_reports_each_line(app, world, tmp_path):
    seed_payments(app, world["jeanne"], [(date(2024, 1, 1), "sante", "Déjà là", 100)])
    result = run(app, tmp_path, HEADER + "2850733063001;05/03/2025;famille;Allocations familiales;10,00\n"
                                         "2850733063999;05/03/2025;famille;Inconnu;10,00\n"
                                         "2850733063001;31/02/2025;famille;Date fausse;10,00\n"
                                         "2850733063001;05/03/2025;chasse;Branche fausse;10,00\n"
                                         "2850733063001;05/03/2025;sante;;10,00\n"
                                         "2850733063001;05/03/2025;sante;Montant faux;-3\n"
                                         "2850733063001;05/03/2025;sante\n"
                                         "ABC;05/03/2025;sante;NIR faux;1\n")
    assert result.exit_code != 0
    output = result.output
    assert "line 3: no MSA member with this NIR" in output
    assert "line 4: invalid date « 31/02/2025 »" in output
    assert "line 5: unknown branch « chasse »" in output
    assert "line 6: the label is required" in output
    assert "line 7: invalid amount « -3 »" in output
    assert "line 8: 3 columns instead of 5" in output
    assert "line 9: invalid NIR" in output
    assert "line 2" not in output
    assert "7 bad line(s): nothing was imported." in output
    assert [p[3] for p in payments(app)] == ["Déjà là"]


def test_bad_header_or_encoding(app, world, tmp_path):
    result = run(app, tmp_path, "numero;date\n2850733063001;05/03/2025\n")
    header = "line 1: the first line must be the header nir;date;branche;libelle;montant"
    assert result.exit_code != 0 and header in result.output
    result = run(app, tmp_path, HEADER + "2850733063001;05/03/2025;sante;Forfait été;10\n", encoding="latin-1")
    assert result.exit_code != 0 and "not UTF-8 text" in result.output
    assert payments(app) == []


def test_agent_records_a_payment_for_a_member_of_the_fund(app, world, clients):
    url = "/agent/msa/paiements/nouveau"
    soup = page(clients["agent"], url)
    assert soup.h1.get_text() == "Enregistrer un paiement"
    data = {"nir": "2 85 07 33 063 001", "paid_on": "05/03/2025", "branch": "retraite",
            "label": "Pension de retraite", "amount": "1 234,56"}
    submit(clients["agent"], url, data, status=303)
    assert payments(app) == [("2850733063001", date(2025, 3, 5), "retraite", "Pension de retraite", 123456)]
    soup = page(clients["agent"], url)
    assert "Le paiement de 1\u00a0234,56\u00a0€ a été enregistré pour Jeanne LACOSTE." in soup.get_text()
    # The member sees it.
    row = page(clients["jeanne"], "/msa/paiements").select_one("#paiements tbody tr")
    assert [td.get_text() for td in row.select("td")][1:] == ["Retraite", "Pension de retraite", "1\u00a0234,56\u00a0€"]
    # A member of another fund is not found; errors keep what was typed.
    soup = submit(clients["agent"], url, dict(data, nir="1700159350003", amount="0"), status=422)
    assert errors_of(soup) == ["Saisissez un montant positif en euros, par exemple 1 234,56."]
    soup = submit(clients["agent"], url, dict(data, nir="1700159350003"), status=422)
    assert errors_of(soup) == ["Aucun adhérent de votre MSA n’a ce numéro de sécurité sociale."]
    assert soup.select_one("#label")["value"] == "Pension de retraite"
    assert len(payments(app)) == 1
    # Only MSA agents.
    assert clients["jeanne"].get(url).status_code == 403
    with app.app_context():
        assert db.session.query(MsaPayment).count() == 1


def test_amounts_as_typed_in_france():
    from models.msa_services import parse_amount
    assert parse_amount("1 234,56") == parse_amount("1\u00a0234,56 €") == parse_amount("1234.56") == 123456
    assert parse_amount("12") == 1200
    for bad in ("0", "-1", "1,234", "abc", "", "NaN", "Infinity", "1e309", "10000000", "²"):
        assert parse_amount(bad) is None, bad
