"""« Mon porte-documents » (slice SPACE): list, « Ajouter » a bulletin de rémunération or a titre de
pension (checked formats), delete with the bin button (confirmation page without JS, inline with
htmx), downloads scoped to the owner, and `service.porte_documents(user)` for the wizard."""
import io

import pytest

from blueprints.armees import service
from core.uploads import storage_path
from extensions import db
from models import User
from models.armees import PORTE_DOCUMENTS
from models.attachment import Attachment
from tests import factories
from tests.helpers import errors_of, fragment, page, submit

URL = "/armees/espace/porte-documents"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(name="bulletin-mars.pdf", content=PDF):
    return (io.BytesIO(content), name)


@pytest.fixture
def stored(app, armees):
    """stored(who="member", name=…, document=…) -> the id of a file in that user's porte-documents."""
    def _make(who="member", name="titre.pdf", document="titre-pension"):
        with app.app_context():
            owner = db.session.get(User, armees[who])
            attachment = factories.stored_attachment(owner, PORTE_DOCUMENTS.name, owner.id, name=name,
                                                     document=document)
            db.session.commit()
            return attachment.id
    return _make


def names(soup):
    return [a.get_text(strip=True) for a in soup.select("#justificatifs .armees-document-name a")]


def test_empty_porte_documents_offers_to_add(armees_login):
    soup = page(armees_login("member"), URL)
    assert soup.h1.get_text(strip=True) == "Mon porte-documents"
    assert soup.select_one("#justificatifs").get_text(strip=True) == "Votre porte-documents est vide."
    kinds = [o.get_text(strip=True) for o in soup.select("#kind option") if o["value"]]
    assert kinds == ["Bulletin de rémunération", "Titre de pension"]
    assert soup.select_one("form[enctype='multipart/form-data'] #file")["accept"] == ".pdf,.doc,.docx,.png,.jpg,.jpeg"


def test_add_a_bulletin_then_it_is_listed_newest_first(app, armees, armees_login, stored):
    stored(name="ancien.pdf")
    client = armees_login("member")
    response = client.post(URL, data={"kind": "bulletin-remuneration", "file": upload()},
                           content_type="multipart/form-data")
    assert response.status_code == 303 and response.headers["Location"] == URL
    soup = page(client, URL)
    assert "Le fichier « bulletin-mars.pdf » a été ajouté à votre porte-documents." in soup.select_one(
        "#messages").get_text()
    assert names(soup) == ["bulletin-mars.pdf", "ancien.pdf"]
    with app.app_context():
        files = service.porte_documents(db.session.get(User, armees["member"]))
        assert [(f.original_name, f.document) for f in files] == [("bulletin-mars.pdf", "bulletin-remuneration"),
                                                                 ("ancien.pdf", "titre-pension")]
        assert storage_path(files[0].storage_name).read_bytes() == PDF


@pytest.mark.parametrize("data, error", [
    ({"kind": "", "file": None}, ["Sélectionnez le type de justificatif.", "Sélectionnez le fichier à ajouter."]),
    ({"kind": "rib", "file": "pdf"}, ["Sélectionnez le type de justificatif dans la liste."]),
    ({"kind": "titre-pension", "file": ("script.exe", b"MZ")},
     ["Le fichier « script.exe » n’est pas d’un format accepté (formats acceptés : PDF, DOC, DOCX, PNG, JPG)."]),
    ({"kind": "titre-pension", "file": ("faux.pdf", b"pas un pdf")},
     ["Le contenu du fichier « faux.pdf » ne correspond pas à un fichier PDF."]),
])
def test_a_bad_addition_is_refused_in_french(app, armees_login, data, error):
    client = armees_login("member")
    posted = {"kind": data["kind"]}
    if data["file"] == "pdf":
        posted["file"] = upload()
    elif data["file"]:
        posted["file"] = upload(data["file"][0], data["file"][1])
    soup = submit(client, URL, posted, status=422, content_type="multipart/form-data")
    assert errors_of(soup) == error
    with app.app_context():
        assert Attachment.query.filter_by(subject_type=PORTE_DOCUMENTS.name).count() == 0


def test_delete_without_javascript_asks_then_deletes(app, armees_login, stored):
    attachment_id = stored()
    client = armees_login("member")
    soup = page(client, URL)
    button = soup.select_one(f"#justificatif-{attachment_id} button.armees-bin")
    assert button.get_text(strip=True) == "Supprimer titre.pdf"
    action = button.find_parent("form")["action"]
    confirm = submit(client, action, {})
    assert confirm.h1.get_text(strip=True) == "Supprimer un justificatif"
    with app.app_context():
        assert db.session.get(Attachment, attachment_id) is not None  # only asked
        storage_name = db.session.get(Attachment, attachment_id).storage_name
    form = confirm.select_one("main form")
    response = submit(client, form["action"], {"confirme": "1"}, status=303)
    assert response.headers["Location"] == URL
    soup = page(client, URL)
    assert "Le fichier « titre.pdf » a été supprimé de votre porte-documents." in soup.select_one(
        "#messages").get_text()
    assert names(soup) == []
    with app.app_context():
        assert db.session.get(Attachment, attachment_id) is None
        assert not storage_path(storage_name).exists()


def test_delete_with_htmx_confirms_in_the_row_then_answers_the_list(app, armees_login, stored):
    keep, gone = stored(name="garde.pdf"), stored(name="jeter.pdf")
    client = armees_login("member")
    url = f"{URL}/{gone}/supprimer"
    row = fragment(client, url, method="post")
    assert row.select_one(f"li#justificatif-{gone}") and "jeter.pdf" in row.select_one("p").get_text()
    listing = fragment(client, url, method="post", data={"confirme": "1"})
    assert names(listing) == ["garde.pdf"]
    assert listing.select_one("[role=status]").get_text(strip=True) == (
        "Le fichier « jeter.pdf » a été supprimé de votre porte-documents.")
    with app.app_context():
        assert db.session.get(Attachment, keep) and db.session.get(Attachment, gone) is None


def test_download_of_the_owner(armees_login, stored):
    attachment_id = stored()
    response = armees_login("member").get(f"{URL}/{attachment_id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_nobody_else_reaches_a_file_nor_deletes_it(app, armees, armees_login, stored):
    attachment_id = stored()
    other = armees_login("member2")
    assert other.get(f"{URL}/{attachment_id}").status_code == 404
    assert other.get(f"{URL}/{attachment_id}/supprimer").status_code == 404
    assert other.post(f"{URL}/{attachment_id}/supprimer", data={"confirme": "1"}).status_code == 404
    assert other.post(f"{URL}/{attachment_id}/supprimer", data={"confirme": "1"},
                      headers={"HX-Request": "true"}).status_code == 404
    assert names(page(other, URL)) == []
    for who in ("agent", "other_agent"):
        client = armees_login(who)
        assert client.get(f"{URL}/{attachment_id}").status_code == 404
        assert client.post(f"{URL}/{attachment_id}/supprimer", data={"confirme": "1"}).status_code == 404
    anonymous = app.test_client()
    for response in (anonymous.get(f"{URL}/{attachment_id}"),
                     anonymous.post(f"{URL}/{attachment_id}/supprimer", data={"confirme": "1"})):
        assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
    with app.app_context():
        assert db.session.get(Attachment, attachment_id) is not None


def test_an_application_file_is_not_a_porte_documents_file(app, armees, armees_login, make_application):
    application_id = make_application("prise-en-charge")
    with app.app_context():
        owner = db.session.get(User, armees["member"])
        attachment = factories.stored_attachment(owner, "armees_application", application_id, name="rib.pdf")
        db.session.commit()
        attachment_id = attachment.id
    client = armees_login("member")
    assert client.get(f"{URL}/{attachment_id}").status_code == 404
    assert client.post(f"{URL}/{attachment_id}/supprimer", data={"confirme": "1"}).status_code == 404


def test_the_proof_given_with_an_application_is_kept_once_and_listed(app, armees, armees_login, make_application):
    application_id = make_application("prise-en-charge")
    with app.app_context():
        owner = db.session.get(User, armees["member"])
        proof = factories.stored_attachment(owner, "armees_application", application_id, name="carte-militaire.pdf",
                                            document="qualite-ressortissant", organisation_id=armees["org"])
        kept = service.keep_in_porte_documents(owner, proof)
        db.session.commit()
        assert (kept.subject_type, kept.subject_id, kept.document, kept.organisation_id) == (
            PORTE_DOCUMENTS.name, owner.id, "qualite-ressortissant", None)
        assert kept.stored_file_id == proof.stored_file_id and kept.id != proof.id  # same bytes, no copy
        assert service.keep_in_porte_documents(owner, proof).id == kept.id  # once
        assert [a.id for a in service.porte_documents(owner)] == [kept.id]
        kept_id = kept.id
    client = armees_login("member")
    soup = page(client, URL)
    row = soup.select_one(f"#justificatif-{kept_id}")
    assert "Justificatif de la qualité de ressortissant" in row.get_text()
    # deleting it from the porte-documents leaves the application's file and its bytes
    submit(client, f"{URL}/{kept_id}/supprimer", {"confirme": "1"}, status=303)
    with app.app_context():
        remaining = Attachment.query.filter_by(subject_type="armees_application", subject_id=application_id).one()
        assert storage_path(remaining.storage_name).exists()


def test_add_share_and_delete_on_every_database(any_db_app):
    """Stored once, shared with a kept proof, deleted last: the locks of core.uploads on PostgreSQL too."""
    from werkzeug.datastructures import FileStorage
    with any_db_app.test_request_context():
        owner = factories.user(email="porte@example.fr")
        db.session.flush()
        added = service.add_porte_document(owner, FileStorage(io.BytesIO(PDF), "titre.pdf"), "titre-pension")
        db.session.commit()
        same = service.add_porte_document(owner, FileStorage(io.BytesIO(PDF), "copie.pdf"), "titre-pension")
        db.session.commit()
        assert same.stored_file_id == added.stored_file_id  # the same bytes are kept once
        assert [a.original_name for a in service.porte_documents(owner)] == ["copie.pdf", "titre.pdf"]
        storage_name = added.storage_name
        assert service.delete_porte_document(owner, added) == []  # still used by the copy
        db.session.commit()
        assert storage_path(storage_name).exists()
        unused = service.delete_porte_document(owner, same)
        db.session.commit()
        assert unused == [storage_name]
        from core.uploads import delete_stored
        assert delete_stored(unused) == 1 and not storage_path(storage_name).exists()
        assert service.porte_documents(owner) == []
