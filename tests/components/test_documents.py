"""Files per named document (core/uploads/named.py, components/documents.html) through the demo
wizard /composants/dossier: « Ajouter » → « Déposé », « Remplacer », « Supprimer », completeness
(each required document has its file), « Porte documents » reusing a file already stored (the
owner's only), without JavaScript (whole posts) and with htmx (components.documents_update)."""
import io

import pytest

from core.uploads import NamedAttachmentSet, NamedDocument
from extensions import db
from models import Attachment, StoredFile, User
from tests.components.test_attachments_content import exe_bytes, pdf_bytes, png_bytes
from tests.components.test_bank import ROW, FRENCH
from tests.helpers import errors_of, fragment, page, submit

DOSSIER = "/composants/dossier/dossier"
RECAP = "/composants/dossier/recapitulatif"
UPDATE = "/composants/justificatifs?champ=justificatifs"
N = "justificatifs"
EMAIL = "citoyen@example.fr"


def lot(soup):
    return soup.select_one(f"input[name={N}-lot]")["value"]


def post(client, soup, url=DOSSIER, **data):
    return client.post(url, data={f"{N}-lot": lot(soup), **data}, content_type="multipart/form-data")


def upload(name, data=None):
    return (io.BytesIO(data if data is not None else pdf_bytes()), name)


def documents(soup):
    """{label: state} of the list, as read on the page."""
    result = {}
    for li in soup.select(f"#{N}-contenu li.document"):
        label = li.select_one(".document-label").get_text(" ", strip=True)
        result[label] = li.select_one("[id$=-etat]").get_text(" ", strip=True)
    return result


def doc_error(soup, code):
    error = soup.select_one(f"#{N}-fichier-{code}-erreur")
    return error.get_text(" ", strip=True).removeprefix("Erreur : ") if error else None


def rows(app, **filters):
    with app.app_context():
        return [(a.document, a.original_name, a.upload_set is not None, a.stored_file_id)
                for a in Attachment.query.filter_by(**filters).order_by(Attachment.id)]


def stored_elsewhere(app, email=EMAIL, name="livret-scanne.pdf", data=None):
    """A file the user already gave (kept in the porte-documents): an attachment with a subject."""
    data = data if data is not None else pdf_bytes(1700)
    with app.app_context():
        user = User.query.filter_by(email=email).one()
        stored = StoredFile(storage_name=f"{user.id:02d}" + "ab" * 15, size=len(data))
        attachment = Attachment(owner_id=user.id, policy="composants_justificatifs", original_name=name,
                                stored_file=stored, content_type="application/pdf", size=len(data),
                                subject_type="armees_porte_documents", subject_id=user.id,
                                document="bulletin-remuneration")
        db.session.add(attachment)
        db.session.commit()
        return attachment.id, stored.id


# --- Without JavaScript ---------------------------------------------------------------------------

def test_list_shows_each_document(citizen_client):
    soup = page(citizen_client, DOSSIER)
    assert documents(soup) == {"RIB * (obligatoire)": "Aucun fichier déposé.",
                               "Livret de famille * (obligatoire)": "Aucun fichier déposé.",
                               "Avis d’imposition": "Aucun fichier déposé."}
    assert soup.select_one(f"#{N}-groupe legend").get_text(strip=True) == "Vos justificatifs"
    assert soup.select_one(f"#{N}-aide").get_text(strip=True) == (
        "Les pièces justificatives obligatoires sont marquées par *. Les formats acceptés sont pdf, doc, docx, "
        "png, jpg et jpeg, 5 Mo maximum par fichier.")
    rib = soup.select_one(f"#{N}-fichier-rib")
    assert rib["accept"] == ".pdf,.doc,.docx,.png,.jpg,.jpeg" and rib["type"] == "file"
    assert soup.select_one(f"label[for={N}-fichier-rib]").get_text(" ", strip=True) == "Ajouter un fichier : RIB"
    button = soup.select_one(f"button[name={N}-ajouter][value=rib]")
    assert button.get_text(" ", strip=True) == "Ajouter : RIB" and "no-js-only" in button["class"]
    assert soup.select_one(f"#{N}-statut")["aria-live"] == "polite"
    assert soup.select_one("#dossier-formulaire")["enctype"] == "multipart/form-data"


def test_add_replace_and_remove(app, citizen_client):
    soup = page(citizen_client, DOSSIER)
    soup = submit(citizen_client, DOSSIER, {f"{N}-lot": lot(soup), f"{N}-ajouter": "rib",
                                            f"{N}-fichier-rib": upload("rib.pdf")}, content_type="multipart/form-data")
    assert documents(soup)["RIB * (obligatoire)"].startswith("Déposé : rib.pdf")
    replace = soup.select_one(f"label[for={N}-fichier-rib]").get_text(" ", strip=True)
    assert replace == "Remplacer par un autre fichier : RIB"
    assert soup.select_one(f"#{N}-statut").get_text(" ", strip=True) == "Le fichier « rib.pdf » a été déposé (RIB)."
    assert soup.select_one(f"#{N}-fichier-rib").has_attr("autofocus")
    assert [(r[0], r[1], r[2]) for r in rows(app)] == [("rib", "rib.pdf", True)]

    soup = submit(citizen_client, DOSSIER, {f"{N}-lot": lot(soup), f"{N}-ajouter": "rib",
                                            f"{N}-fichier-rib": upload("nouveau-rib.png", png_bytes())},
                  content_type="multipart/form-data")
    assert documents(soup)["RIB * (obligatoire)"].startswith("Déposé : nouveau-rib.png")
    assert soup.select_one(f"#{N}-statut").get_text(" ", strip=True) == (
        "Le fichier « nouveau-rib.png » a remplacé « rib.pdf » (RIB).")
    assert [(r[0], r[1]) for r in rows(app)] == [("rib", "nouveau-rib.png")]

    # A refused replacement keeps the file given before; the reason is next to the document.
    soup = submit(citizen_client, DOSSIER, {f"{N}-lot": lot(soup), f"{N}-ajouter": "rib",
                                            f"{N}-fichier-rib": upload("virus.pdf", exe_bytes())},
                  content_type="multipart/form-data")
    assert "virus.pdf" in doc_error(soup, "rib")
    assert documents(soup)["RIB * (obligatoire)"].startswith("Déposé : nouveau-rib.png")
    assert [(r[0], r[1]) for r in rows(app)] == [("rib", "nouveau-rib.png")]

    soup = submit(citizen_client, DOSSIER, {f"{N}-lot": lot(soup), f"{N}-supprimer": "rib"},
                  content_type="multipart/form-data")
    assert documents(soup)["RIB * (obligatoire)"] == "Aucun fichier déposé."
    assert soup.select_one(f"#{N}-statut").get_text(" ", strip=True) == (
        "Le fichier « nouveau-rib.png » a été supprimé (RIB).")
    assert rows(app) == []


def test_add_without_a_file(citizen_client):
    soup = page(citizen_client, DOSSIER)
    soup = submit(citizen_client, DOSSIER, {f"{N}-lot": lot(soup), f"{N}-ajouter": "avis-imposition"},
                  content_type="multipart/form-data")
    assert doc_error(soup, "avis-imposition") == "Sélectionnez le fichier à déposer pour « Avis d’imposition »."
    assert soup.select_one(f"#{N}-fichier-avis-imposition")["aria-invalid"] == "true"


def test_several_files_at_once_and_what_was_typed_is_kept(app, citizen_client):
    soup = page(citizen_client, DOSSIER)
    soup = submit(citizen_client, DOSSIER, {
        f"{N}-lot": lot(soup), f"{N}-ajouter": "rib", "account_holder": "Léa Dupont",
        f"{N}-fichier-rib": upload("rib.pdf"), f"{N}-fichier-avis-imposition": upload("avis.pdf", pdf_bytes(1800))},
        content_type="multipart/form-data")
    assert sorted(r[0] for r in rows(app)) == ["avis-imposition", "rib"]
    assert soup.select_one("#account_holder")["value"] == "Léa Dupont"


def test_completeness(citizen_client):
    soup = page(citizen_client, DOSSIER)
    soup = submit(citizen_client, DOSSIER, {
        f"{N}-lot": lot(soup), **ROW, "account_holder": "Léa Dupont", "iban": FRENCH, "suivant": "1",
        f"{N}-fichier-rib": upload("rib.pdf")}, content_type="multipart/form-data", status=422)
    assert errors_of(soup) == ["Ajoutez le justificatif « Livret de famille »."]
    assert soup.select_one(".error-summary a")["href"] == f"#{N}-fichier-livret-famille"
    assert doc_error(soup, "livret-famille") == "Ajoutez le justificatif « Livret de famille »."
    assert doc_error(soup, "avis-imposition") is None, "un justificatif facultatif n’est pas exigé"
    response = post(citizen_client, soup, **ROW, account_holder="Léa Dupont", iban=FRENCH, suivant="1",
                    **{f"{N}-fichier-livret-famille": upload("livret.pdf", pdf_bytes(1600))})
    assert response.status_code == 303 and response.headers["Location"].endswith(RECAP)
    recap = page(citizen_client, RECAP).select(".summary-list dd:not(.recap-change)")
    recap = [dd.get_text(strip=True) for dd in recap]
    assert recap[-3:] == ["rib.pdf", "livret.pdf", "Aucun fichier"]


def test_reuse_from_the_porte_documents(app, citizen_client):
    attachment_id, stored_id = stored_elsewhere(app)
    soup = page(citizen_client, DOSSIER)
    reuse = soup.select_one(f"#{N}-fichier-livret-famille-groupe .document-reuse")
    assert reuse.select_one(".hint").get_text(strip=True) == "Déjà dans votre porte-documents : livret-scanne.pdf"
    assert reuse.select_one("button").get_text(" ", strip=True) == (
        "Porte documents : utiliser ce fichier pour Livret de famille")
    assert soup.select_one(f"#{N}-fichier-rib-groupe .document-reuse") is None, "proposé pour le seul livret"
    soup = submit(citizen_client, DOSSIER, {f"{N}-lot": lot(soup), f"{N}-reutiliser": "livret-famille",
                                            f"{N}-porte-livret-famille": str(attachment_id)},
                  content_type="multipart/form-data")
    assert documents(soup)["Livret de famille * (obligatoire)"].startswith("Déposé : livret-scanne.pdf")
    assert soup.select_one(f"#{N}-statut").get_text(" ", strip=True) == (
        "Le fichier « livret-scanne.pdf » du porte-documents a été déposé (Livret de famille).")
    copies = rows(app, document="livret-famille")
    assert copies == [("livret-famille", "livret-scanne.pdf", True, stored_id)], "même fichier stocké, sans envoi"
    assert rows(app, id=attachment_id) == [("bulletin-remuneration", "livret-scanne.pdf", False, stored_id)]


def test_reuse_refuses_what_was_not_offered(app, citizen_client, make_user):
    make_user(email="autre@example.fr")
    others_id, _ = stored_elsewhere(app, email="autre@example.fr", name="autre.pdf")
    soup = page(citizen_client, DOSSIER)
    soup = submit(citizen_client, DOSSIER, {f"{N}-lot": lot(soup), f"{N}-reutiliser": "livret-famille",
                                            f"{N}-porte-livret-famille": str(others_id)},
                  content_type="multipart/form-data")
    assert doc_error(soup, "livret-famille") == "Ce fichier ne peut pas être utilisé pour « Livret de famille »."
    assert rows(app, document="livret-famille") == []


def test_another_users_attachment_is_never_offered_nor_reused(app, make_user):
    make_user(email="proprio@example.fr")
    make_user(email="autre@example.fr")
    others_id, _ = stored_elsewhere(app, email="autre@example.fr", name="autre.pdf")
    posted = {f"{N}-reutiliser": "rib", f"{N}-porte-rib": str(others_id)}
    with app.test_request_context("/", method="POST", data=posted):
        owner = User.query.filter_by(email="proprio@example.fr").one()
        other = db.session.get(Attachment, others_id)
        files = NamedAttachmentSet("composants_justificatifs", owner, documents=[NamedDocument("rib", "RIB", True)],
                                   reusable={"rib": [other]})
        assert files.offered("rib") == []
        files.apply_request()
        assert files.document_errors == {"rib": "Ce fichier ne peut pas être utilisé pour « RIB »."}
        assert files.items == [] and not files.is_complete


# --- With htmx ------------------------------------------------------------------------------------

def test_htmx_upload_and_remove_in_place(app, citizen_client):
    soup = page(citizen_client, DOSSIER)
    assert soup.select_one(f"#{N}-fichier-rib")["hx-post"] == UPDATE
    part = fragment(citizen_client, UPDATE, method="post", content_type="multipart/form-data",
                    data={f"{N}-lot": lot(soup), f"{N}-fichier-rib": upload("rib.pdf")})
    assert part.select_one(f"#{N}-contenu") is not None
    assert documents(part)["RIB * (obligatoire)"].startswith("Déposé : rib.pdf")
    status = part.select_one(f"#{N}-statut")
    assert status["hx-swap-oob"] == "innerHTML" and "a été déposé (RIB)" in status.get_text()
    part = fragment(citizen_client, UPDATE, method="post", content_type="multipart/form-data",
                    data={f"{N}-lot": lot(part), f"{N}-supprimer": "rib"})
    assert documents(part)["RIB * (obligatoire)"] == "Aucun fichier déposé." and rows(app) == []


def test_htmx_reuse_keeps_the_offer_in_the_token(app, citizen_client):
    attachment_id, stored_id = stored_elsewhere(app)
    soup = page(citizen_client, DOSSIER)
    part = fragment(citizen_client, UPDATE, method="post", content_type="multipart/form-data",
                    data={f"{N}-lot": lot(soup), f"{N}-reutiliser": "livret-famille",
                          f"{N}-porte-livret-famille": str(attachment_id)})
    assert documents(part)["Livret de famille * (obligatoire)"].startswith("Déposé : livret-scanne.pdf")
    assert rows(app, document="livret-famille")[0][3] == stored_id


@pytest.mark.parametrize("forged", ["", "pas-un-jeton"])
def test_endpoint_refuses_a_forged_token(citizen_client, forged):
    assert citizen_client.post(UPDATE, data={f"{N}-lot": forged}, headers={"HX-Request": "true"}).status_code == 400


def test_endpoint_refuses_another_users_token(app, citizen_client, make_user, login):
    soup = page(citizen_client, DOSSIER)
    make_user(email="autre@example.fr")
    other = app.test_client()
    login(other, "autre@example.fr")
    response = other.post(UPDATE, data={f"{N}-lot": lot(soup), f"{N}-fichier-rib": upload("rib.pdf")},
                          content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert response.status_code == 400 and rows(app) == []


def test_endpoint_needs_login(client):
    response = client.post(UPDATE, data={})
    assert response.status_code in (302, 401)


def test_files_are_not_downloadable_by_another_user(app, citizen_client, make_user, login):
    soup = page(citizen_client, DOSSIER)
    soup = submit(citizen_client, DOSSIER, {f"{N}-lot": lot(soup), f"{N}-ajouter": "rib",
                                            f"{N}-fichier-rib": upload("rib.pdf")}, content_type="multipart/form-data")
    link = soup.select_one(f"#{N}-fichier-rib-etat a")["href"]
    assert citizen_client.get(link).status_code == 200
    make_user(email="autre@example.fr")
    other = app.test_client()
    login(other, "autre@example.fr")
    assert other.get(link).status_code == 404
