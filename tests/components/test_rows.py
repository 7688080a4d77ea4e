"""Table rows editor (core/rows.py, components/rows.html) through the demo wizard /composants/dossier:
add, edit, remove rows without JavaScript (whole posts) and with htmx (the table taken from the
answer), min and max rows, French errors next to the cell's field, rows kept in the draft across
« Précédent » / « Suivant », and the armees catalogue's tables mapped in one line."""
import pytest
from bs4 import BeautifulSoup

from blueprints.armees import catalogue
from core import drafts
from core.rows import OPEN_ROW_ERROR, Column, RowsField, Table
from forms.base import Form
from models import User
from tests.components.test_bank import FRENCH, give_documents
from tests.helpers import errors_of, fragment, page, submit

DOSSIER = "/composants/dossier/dossier"
RECAP = "/composants/dossier/recapitulatif"
KIND = "composants.dossier"
BANK = {"account_holder": "Léa Dupont", "iban": FRENCH}
LEA = {"famille-ligne-nom": "Dupont", "famille-ligne-prenom": "Léa", "famille-ligne-naissance": "14/07/1985",
       "famille-ligne-lien": "Conjoint", "famille-ligne-revenus": "1 234,5"}


def draft_data(app, email="citoyen@example.fr"):
    with app.app_context():
        draft = drafts.load(User.query.filter_by(email=email).one(), KIND)
        return None if draft is None else {"data": draft.data, "step": draft.step}


def stored_row(i, nom="Dupont", prenom="Léa", naissance="1985-07-14", lien="Conjoint", revenus=""):
    """A row as drafts saved before `famille-lignes` hold it (one input per cell): still read."""
    return {f"famille-{i}-nom": nom, f"famille-{i}-prenom": prenom, f"famille-{i}-naissance": naissance,
            f"famille-{i}-lien": lien, f"famille-{i}-revenus": revenus}


def table_rows(soup):
    return [[cell.get_text(strip=True) for cell in tr.select("th, td")][:-1]
            for tr in soup.select("#famille tbody tr") if tr.select_one("button")]


def hidden(soup):
    return {i["name"]: i["value"] for i in soup.select("#famille input[type=hidden]")}


def status(soup):
    return soup.select_one("#famille-statut").get_text(" ", strip=True)


def location(response):
    return response.headers["Location"].removeprefix("http://guichet.test")


def row_error(soup, name):
    error = soup.select_one(f"#famille-ligne-{name}-erreur")
    return error.get_text(" ", strip=True).removeprefix("Erreur : ") if error else None


# --- Without JavaScript -------------------------------------------------------------------------------

def test_empty_table_is_accessible(citizen_client):
    soup = page(citizen_client, DOSSIER)
    table = soup.select_one("#famille table")
    assert table.select_one("caption").get_text(" ", strip=True) == "Composition de la famille (obligatoire)"
    assert [th.get_text(" ", strip=True) for th in table.select("thead th")] == [
        "Nom", "Prénom", "Date de naissance", "Lien de parenté", "Revenus annuels", "Actions"]
    assert all(th["scope"] == "col" for th in table.select("thead th"))
    assert table.select_one("tbody").get_text(strip=True) == "Aucune ligne pour le moment."
    assert soup.select_one("#famille-limites").get_text(strip=True) == "Au moins 1 ligne, 3 lignes maximum."
    button = soup.select_one("button[name=famille-ajouter]")
    assert button.get_text(" ", strip=True) == "Ajouter une ligne au tableau « Composition de la famille »"
    assert soup.select_one("#famille-statut")["aria-live"] == "polite"


def test_add_opens_the_row_form_then_saves_the_row(app, citizen_client):
    soup = submit(citizen_client, DOSSIER, {"famille-ajouter": "1"})
    form = soup.select_one("#famille-ligne")
    assert form.select_one("legend").get_text(strip=True) == "Ajouter une ligne"
    labels = [label.get_text(" ", strip=True) for label in form.select("label")]
    assert labels == ["Nom (obligatoire)", "Prénom (obligatoire)", "Date de naissance (obligatoire)",
                      "Lien de parenté (obligatoire)", "Revenus annuels"]
    assert soup.select_one("#famille-ligne-nom").has_attr("autofocus")
    assert [o.get_text() for o in soup.select("#famille-ligne-lien option")][:2] == ["Sélectionnez", "Conjoint"]
    assert soup.select_one("button[name=famille-ajouter]") is None
    assert hidden(soup) == {"famille-lignes": "", "famille-ouvert": "nouvelle"}

    soup = submit(citizen_client, DOSSIER, {**hidden(soup), **LEA, "famille-enregistrer": "1"})
    assert table_rows(soup) == [["Dupont", "Léa", "14/07/1985", "Conjoint", "1\u00a0234,50\u00a0€"]]
    assert hidden(soup) == {"famille-lignes": "Dupont\tLéa\t1985-07-14\tConjoint\t1234.50"}
    assert soup.select_one("#famille-ligne") is None
    assert status(soup) == "La ligne 1 a été ajoutée au tableau « Composition de la famille »."
    assert soup.select_one("#famille").has_attr("autofocus")
    # The draft holds it: the step shown again has the row, without announcing it again.
    again = page(citizen_client, DOSSIER)
    assert table_rows(again) == table_rows(soup) and status(again) == ""
    assert draft_data(app)["data"]["steps"]["dossier"]["famille-enregistrer"] == ["1"]


def test_invalid_date_is_shown_next_to_the_cell(citizen_client):
    data = {"famille-ouvert": "nouvelle", **LEA, "famille-ligne-naissance": "31/02/1985", "famille-enregistrer": "1"}
    soup = submit(citizen_client, DOSSIER, data)
    assert row_error(soup, "naissance") == "Saisissez une date valide au format JJ/MM/AAAA."
    assert soup.select_one("#famille-ligne-naissance")["value"] == "31/02/1985"
    assert soup.select_one("#famille-ligne-naissance")["aria-invalid"] == "true"
    assert soup.select_one("#famille-ligne-naissance").has_attr("autofocus")
    assert soup.select_one("#famille-ligne-nom")["value"] == "Dupont", "rien de ce qui est saisi n’est perdu"
    assert table_rows(soup) == []
    assert errors_of(soup) == ["Saisissez une date valide au format JJ/MM/AAAA."]


@pytest.mark.parametrize("name, value, message", [
    ("nom", "", "Saisissez « Nom »."),
    ("lien", "", "Sélectionnez « Lien de parenté »."),
    ("revenus", "beaucoup", "« Revenus annuels » doit être un montant en euros, par exemple 1250,50."),
])
def test_required_and_typed_cells(citizen_client, name, value, message):
    data = {"famille-ouvert": "nouvelle", **LEA, f"famille-ligne-{name}": value, "famille-enregistrer": "1"}
    assert row_error(submit(citizen_client, DOSSIER, data), name) == message


def test_edit_and_remove(citizen_client):
    rows = {**stored_row(0), **stored_row(1, prenom="Jules", naissance="2015-03-02", lien="Enfant")}
    soup = submit(citizen_client, DOSSIER, {**rows, "famille-modifier": "1"})
    assert soup.select_one("#famille-ligne legend").get_text(strip=True) == "Modifier la ligne 2"
    assert soup.select_one("#famille-ligne-prenom")["value"] == "Jules"
    assert soup.select_one("#famille-ligne-naissance")["value"] == "02/03/2015"
    assert soup.select_one("#famille-ligne-lien option[selected]")["value"] == "Enfant"
    assert "rows-editing" in soup.select("#famille tbody tr")[1]["class"]
    modify = soup.select("button[name=famille-modifier]")[1]
    assert modify.get_text(strip=True) == "Modifier" and modify["aria-label"] == "Modifier la ligne 2"

    data = hidden(soup)
    for control in soup.select("#famille-ligne input, #famille-ligne select"):
        chosen = control if control.name == "input" else control.select_one("option[selected]")
        data[control["name"]] = chosen.get("value", "")
    data.update({"famille-ligne-prenom": "Jules-Henri", "famille-enregistrer": "1"})
    soup = submit(citizen_client, DOSSIER, data)
    assert [r[1] for r in table_rows(soup)] == ["Léa", "Jules-Henri"]
    assert status(soup) == "La ligne 2 du tableau « Composition de la famille » a été modifiée."

    soup = submit(citizen_client, DOSSIER, {**hidden(soup), "famille-supprimer": "0"})
    assert [r[1] for r in table_rows(soup)] == ["Jules-Henri"]
    assert hidden(soup)["famille-lignes"].split("\t")[:2] == ["Dupont", "Jules-Henri"]
    assert status(soup) == "La ligne 1 a été supprimée du tableau « Composition de la famille »."


def test_cancel_closes_the_row_form(citizen_client):
    data = {**stored_row(0), "famille-ouvert": "nouvelle", **LEA, "famille-annuler": "1"}
    soup = submit(citizen_client, DOSSIER, data)
    assert soup.select_one("#famille-ligne") is None and len(table_rows(soup)) == 1
    assert status(soup) == "La saisie de la ligne a été annulée."


def test_max_rows(citizen_client):
    rows = {**stored_row(0), **stored_row(1, prenom="Jules"), **stored_row(2, prenom="Zoé")}
    soup = submit(citizen_client, DOSSIER, {**rows, "famille-annuler": "1"})
    assert len(table_rows(soup)) == 3 and soup.select_one("button[name=famille-ajouter]") is None
    assert soup.select_one("#famille-limites").get_text(strip=True) == "Au moins 1 ligne, 3 lignes maximum."
    # A forged « Ajouter » (or a fourth row saved) is refused.
    soup = submit(citizen_client, DOSSIER, {**rows, "famille-ajouter": "1"})
    assert soup.select_one("#famille-ligne") is None
    assert soup.select_one("#famille-erreur").get_text(" ", strip=True) == (
        "Erreur : Le tableau « Composition de la famille » ne peut pas avoir plus de 3 lignes.")
    soup = submit(citizen_client, DOSSIER, {**rows, "famille-ouvert": "nouvelle", **LEA, "famille-enregistrer": "1"})
    assert len(table_rows(soup)) == 3


def test_min_rows_refuses_next(citizen_client):
    give_documents(citizen_client)
    soup = submit(citizen_client, DOSSIER, {**BANK, "suivant": "1"}, status=422)
    message = "Ajoutez au moins 1 ligne au tableau « Composition de la famille » avec le bouton « Ajouter »."
    assert errors_of(soup) == [message]
    assert soup.select_one(".error-summary a")["href"] == "#famille"
    assert soup.select_one("#famille-erreur").get_text(" ", strip=True) == "Erreur : " + message


def test_open_row_form_refuses_next_but_an_empty_one_does_not(citizen_client):
    give_documents(citizen_client)
    soup = submit(citizen_client, DOSSIER, {**BANK, **stored_row(0), "famille-ouvert": "nouvelle",
                                            "famille-ligne-nom": "Martin", "suivant": "1"}, status=422)
    assert errors_of(soup) == [OPEN_ROW_ERROR.format(label="Composition de la famille")]
    assert soup.select_one("#famille-ligne-nom")["value"] == "Martin"
    response = citizen_client.post(DOSSIER, data={**BANK, **stored_row(0), "famille-ouvert": "nouvelle",
                                                  "famille-ligne-nom": " ", "suivant": "1"})
    assert response.status_code == 303 and location(response) == RECAP


def test_forged_row_is_refused_on_next(citizen_client):
    give_documents(citizen_client)
    soup = submit(citizen_client, DOSSIER, {**BANK, **stored_row(0, naissance="hier"), "suivant": "1"}, status=422)
    assert errors_of(soup) == ["La ligne 1 du tableau « Composition de la famille » n’est pas complète : modifiez-la."]


def test_rows_survive_previous_and_next(citizen_client):
    give_documents(citizen_client)
    response = citizen_client.post(DOSSIER, data={**BANK, **stored_row(0), **stored_row(1, prenom="Jules"),
                                                  "suivant": "1"})
    assert response.status_code == 303 and location(response) == RECAP
    recap = page(citizen_client, RECAP)
    lines = [dd.get_text(strip=True) for dd in recap.select(".summary-list dd:not(.recap-change)")][:2]
    assert lines == ["Dupont, Léa, 14/07/1985, Conjoint, —", "Dupont, Jules, 14/07/1985, Conjoint, —"]
    response = citizen_client.post(RECAP, data={"precedent": "1"})
    assert location(response) == DOSSIER
    assert [r[1] for r in table_rows(page(citizen_client, DOSSIER))] == ["Léa", "Jules"]


def test_open_row_form_survives_saving_the_draft(citizen_client):
    citizen_client.post(DOSSIER, data={**stored_row(0), "famille-ouvert": "0", **LEA,
                                       "famille-ligne-prenom": "Léonie", "enregistrer": "1"})
    soup = page(citizen_client, DOSSIER)
    assert soup.select_one("#famille-ligne legend").get_text(strip=True) == "Modifier la ligne 1"
    assert soup.select_one("#famille-ligne-prenom")["value"] == "Léonie"
    assert table_rows(soup)[0][1] == "Léa", "la ligne n’est changée qu’avec « Enregistrer » de la ligne"


# --- With htmx -----------------------------------------------------------------------------------------

def test_table_buttons_post_the_form_around_them(citizen_client):
    """The table's buttons carry nothing of their own (a row costs a few bytes): htmx posts the step's
    form, its hx-post, with the button pressed; the form has novalidate, so they need no formnovalidate."""
    soup = page(citizen_client, DOSSIER)
    form = soup.select_one("#famille").find_parent("form")
    assert form["hx-post"] == DOSSIER and form.has_attr("novalidate")
    add = soup.select_one("button[name=famille-ajouter]")
    assert not [a for a in add.attrs if a.startswith("hx-") or a == "formnovalidate"]
    assert not [a for a in soup.select_one("#famille").attrs if a.startswith("hx-")]


def test_rows_posted_back_in_one_input(citizen_client):
    """A line per row (CRLF as browsers send it), a tab between cells; blank lines ignored."""
    rows = "Dupont\tLéa\t1985-07-14\tConjoint\t\r\n\r\nMartin\tJules\t2015-03-02\tEnfant\t12.5"
    soup = submit(citizen_client, DOSSIER, {"famille-lignes": rows, "famille-ajouter": "1"})
    assert table_rows(soup) == [["Dupont", "Léa", "14/07/1985", "Conjoint", "—"],
                                ["Martin", "Jules", "02/03/2015", "Enfant", "12,50\u00a0€"]]
    assert hidden(soup)["famille-lignes"] == rows.replace("\r\n\r\n", "\n")


def test_htmx_add_and_save(app, citizen_client):
    soup = fragment(citizen_client, DOSSIER, method="post", data={"famille-ajouter": "1"})
    assert soup.select_one("#famille #famille-ligne-nom").has_attr("autofocus")
    soup = fragment(citizen_client, DOSSIER, method="post",
                    data={"famille-ouvert": "nouvelle", **LEA, "famille-enregistrer": "1"})
    assert table_rows(soup)[0][:2] == ["Dupont", "Léa"]
    assert status(soup) == "La ligne 1 a été ajoutée au tableau « Composition de la famille »."
    assert draft_data(app)["step"] == "dossier"
    soup = fragment(citizen_client, DOSSIER, method="post", data={**stored_row(0), "famille-supprimer": "0"})
    assert table_rows(soup) == [] and soup.response.status_code == 200


# --- The spec --------------------------------------------------------------------------------------------

def test_every_catalogue_table_maps_in_one_line(app):
    with app.app_context():
        tables = [Table.from_spec(spec) for benefit in catalogue.published() for spec in benefit.tables]
    assert tables and {t.name for t in tables} >= {"famille", "enfants"}
    family = next(t for t in tables if t.name == "famille")
    assert family.least == 1 and family.max_rows == 10
    assert [c.type for c in family.columns] == ["text", "text", "date", "select"]


def test_prefilled_from_stored_rows(app):
    class F(Form):
        famille = RowsField(Table("famille", "Famille", (Column("nom", "Nom", required=True),
                                                         Column("nombre", "Nombre", "number", max=9))))
    with app.test_request_context():
        form = F(data={"famille": [{"nom": "Dupont", "nombre": "3"}]}, meta={"csrf": False})
        assert form.famille.data == [{"nom": "Dupont", "nombre": "3"}]
        assert str(form.famille()) == '<input type="hidden" name="famille-lignes" value="Dupont\t3">'


def test_bad_specs_are_refused():
    with pytest.raises(ValueError):
        Column("Nom", "Nom")
    with pytest.raises(ValueError):
        Column("lien", "Lien", "select")
    with pytest.raises(ValueError):
        Table("t", "T", (Column("a", "A"),), min_rows=3, max_rows=2)


def test_htmx_gets_the_table_alone(citizen_client):
    """A table's own button, with htmx, is answered with that table (and its live region, out of band)
    only, sent to its place by response headers: not the bank details, the documents or the wizard
    around it — a few kilobytes whatever the form."""
    headers = {"HX-Request": "true", "HX-Target": "dossier"}
    rows = {"famille-lignes": "Dupont\tLéa\t1985-07-14\tConjoint\t\nDupont\tJules\t1985-07-14\tConjoint\t"}
    response = citizen_client.post(DOSSIER, data={**rows, "famille-ajouter": "1"}, headers=headers)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<form" not in body and 'name="iban"' not in body
    assert 'id="famille"' in body and 'id="famille-ligne-nom"' in body
    assert (response.headers["HX-Retarget"], response.headers["HX-Reselect"],
            response.headers["HX-Reswap"]) == ("#famille", "#famille", "outerHTML")
    soup = BeautifulSoup(body, "html.parser")
    assert soup.select_one("#famille-statut")["hx-swap-oob"] == "innerHTML"
    # Any other button of the step (« Suivant » refused while a row is being typed) gets the whole
    # step, more than twice as heavy here.
    whole = citizen_client.post(DOSSIER, data={**rows, "famille-ouvert": "nouvelle", "famille-ligne-nom": "Léo",
                                               "suivant": "1"}, headers=headers)
    assert 'name="iban"' in whole.get_data(as_text=True) and "HX-Retarget" not in whole.headers
    assert len(response.data) * 2 < len(whole.data)
