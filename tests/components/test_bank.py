"""Bank details (forms/bank.py, components/bank.html, components.bank_check): the IBAN normalised
and checked, the BIC derived from the bank registry (French and foreign banks), typed and required
when the bank is unknown; without JavaScript through the demo wizard /composants/dossier, with
htmx through the check endpoint."""
import io

import pytest
from werkzeug.datastructures import MultiDict

from forms.bank import (INVALID_BIC, INVALID_IBAN, MISSING_BIC, MISSING_HOLDER, MISSING_IBAN, NOT_FRENCH_IBAN,
                        BankDetailsForm, check_iban, normalize_iban)
from tests.components.test_attachments_content import pdf_bytes
from tests.helpers import errors_of, fragment, page, submit

DOSSIER = "/composants/dossier/dossier"
RECAP = "/composants/dossier/recapitulatif"
CHECK = "/composants/iban"
FRENCH = "FR76 3000 6000 0112 3456 7890 189"      # Crédit Agricole SA
GERMAN = "DE89 3704 0044 0532 0130 00"            # Commerzbank
WRONG_KEY = "FR76 3000 6000 0112 3456 7890 188"   # last digit changed: the national key fails
MALTA = "MT84MALT011000012345MTLCAST001S"          # valid, but a bank the registry does not know
# The demo step also asks for one row of its family table (tests/components/test_rows.py).
ROW = {"famille-0-nom": "Dupont", "famille-0-prenom": "Léa", "famille-0-naissance": "1985-07-14",
       "famille-0-lien": "Conjoint"}


def give_documents(client, url=DOSSIER):
    """The demo step's required documents (tests/components/test_documents.py), given first."""
    lot = page(client, url).select_one("input[name=justificatifs-lot]")["value"]
    response = client.post(url, data={
        "justificatifs-lot": lot, "justificatifs-ajouter": "rib",
        "justificatifs-fichier-rib": (io.BytesIO(pdf_bytes()), "rib.pdf"),
        "justificatifs-fichier-livret-famille": (io.BytesIO(pdf_bytes(1600)), "livret.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 200


def location(response):
    return response.headers["Location"].removeprefix("http://guichet.test")


# --- The plain check ---------------------------------------------------------------------------

def test_normalize_removes_spaces_and_upper_cases():
    assert normalize_iban(" fr76 3000\u00a06000-0112 3456 7890 189 ") == "FR7630006000011234567890189"


def test_french_iban_gives_its_bic_and_bank():
    check = check_iban(FRENCH.lower(), abroad=False)
    assert check.valid and check.iban == "FR7630006000011234567890189"
    assert check.bic.startswith("AGRIFRPP") and check.bank_name == "CREDIT AGRICOLE SA"
    assert check.formatted == "FR76 3000 6000 0112 3456 7890 189"


def test_foreign_iban_gives_its_bic_when_abroad():
    check = check_iban(GERMAN, abroad=True)
    assert check.valid and check.bic.startswith("COBADEFF")
    assert check_iban(GERMAN, abroad=False).error == NOT_FRENCH_IBAN


@pytest.mark.parametrize("typed", [WRONG_KEY, "FR00 3000 6000 0112 3456 7890 189", "FR76 3000", "XX12 3456 7890",
                                   "1234567890"])
def test_invalid_iban_has_the_french_error(typed):
    check = check_iban(typed)
    assert not check.valid and check.error == INVALID_IBAN and check.bic is None


def test_unknown_bank_has_no_bic():
    check = check_iban(MALTA)
    assert check.valid and check.bic is None


# --- The form ----------------------------------------------------------------------------------

def form_of(app, **values):
    with app.test_request_context():
        form = BankDetailsForm(formdata=MultiDict(values), meta={"csrf": False})
        form.validate()
        return form


def test_form_derives_the_bic_when_processed(app):
    form = form_of(app, account_holder="Léa Dupont", iban=FRENCH.lower(), bic="WRONGBIC")
    assert form.errors == {}
    assert form.bic.derived and form.bic.data.startswith("AGRIFRPP")
    assert form.bank_data() == {"abroad": False, "holder": "Léa Dupont", "iban": "FR7630006000011234567890189",
                                "bic": form.bic.data}
    assert form.iban._value() == "FR76 3000 6000 0112 3456 7890 189"


def test_form_errors(app):
    assert form_of(app).errors == {"account_holder": [MISSING_HOLDER], "iban": [MISSING_IBAN]}
    form = form_of(app, account_holder="Léa Dupont", iban=WRONG_KEY)
    assert form.errors == {"iban": [INVALID_IBAN]}
    assert form.iban._value() == WRONG_KEY, "l’IBAN erroné est réaffiché tel que saisi"
    assert form_of(app, account_holder="A", iban=GERMAN).errors == {"iban": [NOT_FRENCH_IBAN]}
    assert form_of(app, account_holder="A", iban=GERMAN, bank_abroad="y").errors == {}


def test_unknown_bank_bic_is_required_and_checked(app):
    form = form_of(app, account_holder="A", iban=MALTA, bank_abroad="y")
    assert form.errors == {"bic": [MISSING_BIC]} and form.bic.flags.required and not form.bic.derived
    assert form_of(app, account_holder="A", iban=MALTA, bank_abroad="y", bic="ZZZZ").errors == {"bic": [INVALID_BIC]}
    form = form_of(app, account_holder="A", iban=MALTA, bank_abroad="y", bic="malt mt mt")
    assert form.errors == {} and form.bank_data()["bic"] == "MALTMTMT"


# --- Without JavaScript: the demo wizard --------------------------------------------------------

def test_step_shows_the_seed_labels(citizen_client):
    soup = page(citizen_client, DOSSIER)
    group = soup.select_one("#iban-domiciliation")
    assert group.select_one("legend").get_text(strip=True) == "Domiciliation bancaire"
    labels = [label.get_text(" ", strip=True) for label in group.select("label")]
    assert labels == ["Domiciliation bancaire à l’étranger", "Titulaire du compte (obligatoire)",
                      "IBAN (obligatoire)", "BIC"]
    assert soup.select_one("#iban-statut")["aria-live"] == "polite"
    button = group.select_one("button[name=verifier-iban]")
    assert button.get_text(strip=True) == "Vérifier l’IBAN" and button.has_attr("formnovalidate")
    assert not soup.select_one("#bic").has_attr("readonly")


def test_check_button_fills_the_bic_without_validating(citizen_client):
    soup = submit(citizen_client, DOSSIER, {"iban": FRENCH, "verifier-iban": "1"})
    assert soup.select_one("#iban")["value"] == FRENCH
    bic = soup.select_one("#bic")
    assert bic["value"].startswith("AGRIFRPP") and bic.has_attr("readonly")
    assert soup.select_one("#iban-banque").get_text(strip=True) == "Banque : CREDIT AGRICOLE SA"
    assert errors_of(soup) == [], "rien n’est vérifié hors « Suivant »"


def test_next_with_wrong_iban_shows_the_error_next_to_the_field(citizen_client):
    give_documents(citizen_client)
    soup = submit(citizen_client, DOSSIER, {**ROW, "account_holder": "Léa Dupont", "iban": WRONG_KEY, "suivant": "1"},
                  status=422)
    assert errors_of(soup) == [INVALID_IBAN]
    assert soup.select_one("#iban-erreur").get_text(" ", strip=True) == "Erreur : " + INVALID_IBAN
    assert soup.select_one("#iban")["aria-invalid"] == "true"
    assert soup.select_one("#iban")["value"] == WRONG_KEY


def test_next_fills_the_bic_and_the_recap_shows_it(citizen_client):
    give_documents(citizen_client)
    response = citizen_client.post(DOSSIER, data={**ROW, "account_holder": "Léa Dupont", "iban": GERMAN.lower(),
                                                  "bank_abroad": "y", "suivant": "1"})
    assert response.status_code == 303 and location(response) == RECAP
    recap = page(citizen_client, RECAP)
    values = [dd.get_text(strip=True) for dd in recap.select(".summary-list dd:not(.recap-change)")]
    assert values[0] == "Dupont, Léa, 14/07/1985, Conjoint, —"
    assert values[1] == "Léa Dupont" and values[2] == "DE89 •••• 3000" and values[3].startswith("COBADEFF")
    # « Précédent » and back: the draft still holds what was typed, the BIC derived again.
    soup = page(citizen_client, DOSSIER)
    assert soup.select_one("#iban")["value"] == GERMAN and soup.select_one("#bank_abroad").has_attr("checked")
    assert soup.select_one("#bic")["value"].startswith("COBADEFF")


def test_unknown_bank_asks_for_the_bic(citizen_client):
    give_documents(citizen_client)
    data = {**ROW, "account_holder": "Léa Dupont", "iban": MALTA, "bank_abroad": "y", "suivant": "1"}
    soup = submit(citizen_client, DOSSIER, data, status=422)
    assert errors_of(soup) == [MISSING_BIC]
    bic = soup.select_one("#bic")
    assert not bic.has_attr("readonly") and bic["aria-invalid"] == "true"
    assert soup.select_one("label[for=bic]").get_text(" ", strip=True) == "BIC (obligatoire)"
    response = citizen_client.post(DOSSIER, data={**data, "bic": "MALTMTMT"})
    assert response.status_code == 303 and location(response) == RECAP


# --- With htmx: the check endpoint ----------------------------------------------------------------

def test_check_fragment_fills_the_bic(client):
    soup = fragment(client, CHECK, method="post", data={"iban": FRENCH, "bic": ""})
    assert soup.select_one("#iban-verification") is not None
    assert soup.select_one("#bic")["value"].startswith("AGRIFRPP") and soup.select_one("#bic").has_attr("readonly")
    status = soup.select_one("#iban-statut")
    assert status["hx-swap-oob"] == "innerHTML"
    assert status.get_text(strip=True).startswith("Banque : CREDIT AGRICOLE SA. BIC ajouté automatiquement : AGRIFRPP")
    assert soup.select_one("#iban-erreur") is None


def test_check_fragment_shows_the_error(client):
    soup = fragment(client, CHECK, method="post", data={"iban": WRONG_KEY})
    assert soup.select_one("#iban-erreur").get_text(" ", strip=True) == "Erreur : " + INVALID_IBAN
    assert soup.select_one("#iban-statut").get_text(strip=True) == INVALID_IBAN
    assert soup.select_one("#bic").get("value", "") == ""
    # Nothing typed yet (the field was only crossed): no error.
    soup = fragment(client, CHECK, method="post", data={"iban": ""})
    assert soup.select_one("#iban-erreur") is None and soup.select_one("#iban-statut").get_text(strip=True) == ""


def test_check_fragment_with_a_prefix_and_abroad(client):
    soup = fragment(client, CHECK + "?prefixe=banque-", method="post",
                    data={"banque-iban": GERMAN, "banque-bank_abroad": "y"})
    assert soup.select_one("#banque-bic")["value"].startswith("COBADEFF")
    soup = fragment(client, CHECK + "?prefixe=banque-", method="post", data={"banque-iban": GERMAN})
    assert soup.select_one("#banque-iban-erreur").get_text(" ", strip=True) == "Erreur : " + NOT_FRENCH_IBAN
    assert client.post(CHECK + "?prefixe=<script>", data={}).status_code == 400


def test_check_is_throttled_per_address(app, client):
    app.config["IBAN_CHECKS_PER_HOUR"] = 2
    for _ in range(2):
        assert fragment(client, CHECK, method="post", data={"iban": FRENCH}).select_one("#bic") is not None
    soup = fragment(client, CHECK, method="post", data={"iban": FRENCH})
    assert soup.response.headers["HX-Reswap"] == "none" and soup.select_one("#bic") is None
    assert "Trop de vérifications" in soup.select_one("#iban-statut").get_text()


def test_iban_never_in_the_url(citizen_client):
    soup = page(citizen_client, DOSSIER)
    iban = soup.select_one("#iban")
    assert iban["hx-post"] == CHECK + "?prefixe=" and "hx-get" not in iban.attrs
    assert iban["hx-include"] == "#iban-domiciliation" and iban["hx-trigger"] == "change"
    abroad = soup.select_one("#bank_abroad")
    assert abroad["hx-post"] == iban["hx-post"] and abroad["hx-target"] == "#iban-verification"


def test_check_needs_the_csrf_token(csrf_app):
    client = csrf_app.test_client()
    assert client.post(CHECK, data={"iban": FRENCH}, headers={"HX-Request": "true"}).status_code == 400
