"""The portal home, « Mon espace », the PDA personal space and « Mes documents reçus » (slice
SPACE): what each shows before and after a first transmitted application, the tabs, the account
menu, landing back where one started after login or sign-up, the unread-documents notice and the
authorisation of every page and download."""
import pytest

from extensions import db
from models.armees import ReceivedDocument
from tests import factories
from tests.helpers import fragment, page

SPACE, ACCOUNT, RECEIVED = "/armees/espace/", "/armees/mon-espace/", "/armees/espace/documents-recus"


@pytest.fixture
def received(app, armees, make_application):
    """received(who="member", read=False, title=…) -> (document id, application id)."""
    def _make(who="member", read=False, title="Décision d’attribution"):
        application_id = make_application("terminee", owner=who)
        with app.app_context():
            from models.armees import AidApplication
            document = factories.armees_received(db.session.get(AidApplication, application_id), title=title,
                                                 read=read)
            db.session.commit()
            return document.id, application_id
    return _make


def links(soup, selector="main"):
    return {a.get_text(" ", strip=True): a["href"] for a in soup.select(f"{selector} a")}


# --- Portal home ---------------------------------------------------------------------------------

def test_home_presents_the_portal_and_sends_back_after_login(app, armees, login):
    client = app.test_client()
    soup = page(client, "/armees/")
    assert links(soup)["Déposer une demande"] == "/armees/prestations/"
    login_url = links(soup)["Se connecter/S’inscrire"]
    assert login_url == "/compte/connexion?next=/armees/"
    login_page = page(client, login_url)
    assert login_page.select_one("main").find("a", string="S’inscrire")["href"] == "/compte/inscription?next=/armees/"
    response = client.post(login_url, data={"email": armees["emails"]["member"], "password": factories.PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/armees/"


def test_login_from_a_benefit_sheet_lands_back_on_it_and_a_foreign_next_is_ignored(app, armees, login):
    client = app.test_client()
    response = client.post("/compte/connexion?next=/armees/prestations/pret-social",
                           data={"email": armees["emails"]["member"], "password": factories.PASSWORD})
    assert response.headers["Location"] == "/armees/prestations/pret-social"
    other = app.test_client()
    response = other.post("/compte/connexion?next=//evil.example/armees/",
                          data={"email": armees["emails"]["member"], "password": factories.PASSWORD})
    assert response.status_code == 302 and "evil" not in response.headers["Location"]


def test_header_menu_opens_mon_espace_and_deconnexion(armees_login):
    soup = page(armees_login("member"), "/armees/")
    menu = soup.select_one("header details.armees-menu")
    assert menu.summary.get_text(" ", strip=True).startswith("Éloïse")
    assert menu.find("a", string="Mon espace")["href"] == ACCOUNT
    logout = menu.find("button", string="Déconnexion").find_parent("form")
    assert logout["action"] == "/compte/deconnexion" and logout["method"] == "post"


# --- PDA personal space ------------------------------------------------------------------------

def test_first_visit_shows_the_two_links(armees_login, profile):
    profile(transmitted=False)
    soup = page(armees_login("member"), SPACE)
    assert links(soup, "#premiere-visite") == {
        "Déposer une demande de prestation": "/armees/prestations/",
        "Suivre mes demandes de prestation « En cours de création »": "/armees/demandes/?etat=en-creation"}
    assert soup.select_one("#mes-informations") is None


def test_after_a_first_transmission_the_space_has_its_sections(armees_login, profile):
    profile()
    soup = page(armees_login("member"), SPACE)
    assert [h.get_text(strip=True) for h in soup.select("main h2")] == [
        "Mes informations", "Mes services", "Mes documents reçus"]
    found = links(soup)
    assert found["Consulter mes informations"] == "/armees/espace/mes-informations"
    assert found["Mon porte-documents"] == "/armees/espace/porte-documents"
    assert found["Déposer une demande"] == "/armees/prestations/"
    assert found["Suivre mes demandes de prestation"] == "/armees/demandes/"
    assert found["Accéder à mes documents reçus"] == RECEIVED
    assert soup.select_one("#nouveaux-documents") is None


def test_the_notice_of_new_documents_goes_once_they_are_downloaded(armees_login, profile, received):
    profile()
    first, _ = received()
    received(title="Décision de refus")
    received(read=True, title="Ancienne décision")
    client = armees_login("member")
    assert page(client, SPACE).select_one("#nouveaux-documents").get_text(strip=True) == (
        "2 nouveaux documents sont disponibles.")
    assert client.post(f"{RECEIVED}/{first}").status_code == 200
    assert page(client, SPACE).select_one("#nouveaux-documents").get_text(strip=True) == (
        "Un nouveau document est disponible.")


# --- « Mes documents reçus » ----------------------------------------------------------------------

def test_received_documents_newest_first_with_download_and_link(app, armees, armees_login, received):
    old_id, _ = received(title="Première décision")
    new_id, application_id = received(title="Seconde décision")
    client = armees_login("member")
    soup = page(client, RECEIVED)
    rows = soup.select("tbody tr")
    assert [r["id"] for r in rows] == [f"document-{new_id}", f"document-{old_id}"]
    assert "Nouveau" in rows[0].get_text()
    form = rows[0].select_one("form")
    assert form["method"] == "post" and form.button.get_text(" ", strip=True).startswith("Télécharger le document")
    assert rows[0].find("a")["href"] == f"/armees/demandes/{application_id}"
    assert "Télécharger le document « Seconde décision » et accéder à la demande" in rows[0].get_text(" ", strip=True)
    response = client.post(form["action"])
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("attachment")
    with app.app_context():
        assert db.session.get(ReceivedDocument, new_id).read_at is not None
        assert db.session.get(ReceivedDocument, old_id).read_at is None
    assert "Nouveau" not in page(client, RECEIVED).select("tbody tr")[0].get_text()


def test_a_get_never_marks_a_document_read(app, armees_login, received):
    document_id, _ = received()
    client = armees_login("member")
    assert client.get(f"{RECEIVED}/{document_id}").status_code == 405
    with app.app_context():
        assert db.session.get(ReceivedDocument, document_id).read_at is None


def test_nobody_else_downloads_a_received_document(app, armees, armees_login, received):
    document_id, _ = received()
    other = armees_login("member2")
    assert other.post(f"{RECEIVED}/{document_id}").status_code == 404
    assert page(other, RECEIVED).select("tbody tr") == []
    for who in ("agent", "other_agent"):
        assert armees_login(who).post(f"{RECEIVED}/{document_id}").status_code == 404
    response = app.test_client().post(f"{RECEIVED}/{document_id}")
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
    with app.app_context():
        assert db.session.get(ReceivedDocument, document_id).read_at is None


# --- « Mon espace » ----------------------------------------------------------------------------------

def test_mon_compte_tab_shows_the_identity_and_the_email_change(armees_login):
    soup = page(armees_login("member"), ACCOUNT)
    assert soup.select_one(".armees-tabs [aria-current=page]").get_text(strip=True) == "Mon compte"
    rows = {dt.get_text(strip=True): dt.find_next("dd").get_text(strip=True) for dt in soup.select("#onglet dt")}
    assert (rows["Nom"], rows["Prénom"], rows["Adresse mail"]) == ("Lefèvre", "Éloïse", "ressortissant@example.fr")
    assert "Date de naissance" in rows and "Lieu de naissance" in rows
    assert links(soup, "#onglet")["Modifier l’adresse mail"] == "/compte/adresse-mail?next=/armees/mon-espace/"


def test_the_email_change_comes_back_to_mon_espace(armees_login, outbox):
    client = armees_login("member")
    url = "/compte/adresse-mail?next=/armees/mon-espace/"
    form = page(client, url).select_one("main form")
    assert form["action"] == url
    response = client.post(url, data={"email": "nouvelle@example.fr", "email_confirm": "nouvelle@example.fr"})
    assert response.status_code == 302 and response.headers["Location"] == ACCOUNT
    assert [m["to"] for m in outbox("email")][-1] == "nouvelle@example.fr"


def test_mes_demandes_tab_lists_every_application_with_its_state_and_link(armees_login, make_application):
    draft = make_application("en-creation")
    taken = make_application("prise-en-charge")
    done = make_application("terminee", decision="refusee")
    make_application("instruction", owner="member2")
    client = armees_login("member")
    soup = page(client, ACCOUNT + "?onglet=demandes")
    assert soup.select_one(".armees-tabs [aria-current=page]").get_text(strip=True) == (
        "Mes demandes de prestation d’action sociale")
    rows = soup.select("#onglet tbody tr")
    assert len(rows) == 3
    by_link = {r.a["href"]: r.select("td")[2].get_text(strip=True) for r in rows}
    assert by_link == {f"/armees/demandes/{draft}/saisie/": "En cours de création",
                       f"/armees/demandes/{taken}": "Prise en charge",
                       f"/armees/demandes/{done}": "Instruction terminée (refusée)"}
    # with htmx, only the tabs and their panel come back
    part = fragment(client, ACCOUNT + "?onglet=demandes")
    assert part.select_one("#onglets #onglet") and part.select_one("h1") is None
    assert len(part.select("tbody tr")) == 3


def test_space_pages_need_a_ressortissant(app, armees, armees_login):
    for url in (SPACE, ACCOUNT, RECEIVED, "/armees/espace/mes-informations", "/armees/espace/porte-documents"):
        response = app.test_client().get(url)
        assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"], url
        assert armees_login("agent").get(url).status_code == 404, url
