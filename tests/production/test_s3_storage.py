"""Attachments on both storage backends: the local folder (default) and an S3-compatible bucket
(STORAGE_BACKEND=s3) served by moto's standalone server, started by the tests. The key flows of
tests/components/test_attachments*.py and test_uploads_store_once.py run on both: add, send,
download (and nobody else), refused files, bytes stored once, lost files, purge, memory budget."""
import hashlib
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from core.uploads import (MB, UploadPolicy, delete_stored, purge_abandoned, read_stored, remove_attachments,
                          store_upload)
from core.uploads.backends import S3Backend, backend
from extensions import db
from models import Attachment, StoredFile
from tests.components.test_attachments import (FIELD, URL, add, client_for, files_field, lot_of, post, rows,
                                               with_essai)
from tests.components.test_attachments_content import exe_bytes, pdf_bytes
from tests.conftest import _sqlite_app, _teardown
from tests.helpers import errors_of, page

BIG = UploadPolicy("essai_gros", 1, 50 * MB, ("csv",))


@pytest.fixture(params=["local", "s3"])
def essai(request, tmp_path, template_db, s3_server):
    overrides = {"UPLOAD_STAGING_FOLDER": str(tmp_path / "staging")}
    bucket = None
    if request.param == "s3":
        bucket = s3_server.new_bucket()
        overrides.update(s3_server.settings(bucket))
    app = with_essai(_sqlite_app(tmp_path, template_db, **overrides))
    app.bucket = bucket
    app.s3 = s3_server
    yield app
    _teardown(app)


@pytest.fixture
def owner(essai, login):
    return client_for(essai, "proprietaire@example.fr", login)


def stored(app) -> list[str]:
    """The storage names held by the app's backend; on S3, nothing ever stays on the server's disk."""
    folder = Path(app.config["UPLOAD_FOLDER"])
    if app.bucket is None:
        return sorted(p.name for p in folder.iterdir())
    assert list(folder.iterdir()) == [], "S3 : rien ne doit rester dans UPLOAD_FOLDER"
    staging = Path(app.config["UPLOAD_STAGING_FOLDER"])
    assert not staging.exists() or list(staging.iterdir()) == [], "S3 : fichier temporaire oublié"
    return app.s3.keys(app.bucket)


def lose(app, storage_name):
    if app.bucket is None:
        (Path(app.config["UPLOAD_FOLDER"]) / storage_name).unlink()
    else:
        app.s3.client().delete_object(Bucket=app.bucket, Key=storage_name)


def stored_names(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(db.select(StoredFile.storage_name)))


def send(client, *files, subject="Envoi"):
    soup = page(client, URL)
    response = post(client, URL, {"subject": subject, f"{FIELD}-lot": lot_of(soup), FIELD: files_field(*files)})
    assert response.status_code == 302, response.get_data(as_text=True)


def ids(app, **filters):
    with app.app_context():
        return [a.id for a in Attachment.query.filter_by(**filters).order_by(Attachment.id)]


def test_the_backend_is_the_one_configured(essai):
    with essai.app_context():
        assert isinstance(backend(), S3Backend) == (essai.bucket is not None)


def test_files_added_sent_and_downloaded_by_their_owner_only(essai, owner, login):
    soup = page(owner, URL)
    add(owner, soup, ("relevé d’identité.pdf", pdf_bytes(2000)), ("avis.pdf", pdf_bytes(3000)))
    assert len(stored(essai)) == 2 and stored(essai) == stored_names(essai)
    response = post(owner, URL, {"subject": "Objet", f"{FIELD}-lot": lot_of(soup)})
    assert response.status_code == 302
    first, second = ids(essai)
    response = owner.get(f"/composants/pieces-jointes/{first}")
    assert response.status_code == 200 and response.data == pdf_bytes(2000)
    assert response.headers["Content-Length"] == "2000"
    assert response.headers["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''relev%C3%A9%20d%E2%80%99identit%C3%A9.pdf" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert owner.get(f"/composants/pieces-jointes/{second}").data == pdf_bytes(3000)
    intruder = client_for(essai, "intrus@example.fr", login)
    assert intruder.get(f"/composants/pieces-jointes/{first}").status_code == 404
    with essai.app_context():  # what the outbox attaches to a mail
        assert read_stored(db.session.get(Attachment, second).storage_name) == pdf_bytes(3000)


def test_a_refused_file_leaves_nothing_stored(essai, owner):
    soup = page(owner, URL)
    response = add(owner, soup, ("faux.pdf", exe_bytes()))
    assert "Le contenu du fichier « faux.pdf » ne correspond pas à un fichier PDF." in errors_of(page_of(response))
    assert stored(essai) == [] and rows(essai) == []


def page_of(response):
    from bs4 import BeautifulSoup
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_the_same_bytes_are_stored_once_and_deleted_with_the_last_attachment(essai, owner, login):
    other = client_for(essai, "autre@example.fr", login)
    send(owner, ("releve.pdf", pdf_bytes(4000)))
    send(other, ("copie.pdf", pdf_bytes(4000)))
    assert len(stored(essai)) == 1 and len(ids(essai)) == 2
    with essai.app_context():
        names = remove_attachments([Attachment.query.order_by(Attachment.id).first()])
        db.session.commit()
        assert names == [] and delete_stored(names) == 0
    assert len(stored(essai)) == 1
    with essai.app_context():
        names = remove_attachments(Attachment.query.all())
        db.session.commit()
        assert delete_stored(names) == 1
    assert stored(essai) == []


def test_a_lost_file_is_not_found_then_restored_by_the_next_upload_of_the_same_bytes(essai, owner, login):
    send(owner, ("releve.pdf", pdf_bytes(4000)))
    (name,) = stored(essai)
    (first,) = ids(essai)
    lose(essai, name)
    assert owner.get(f"/composants/pieces-jointes/{first}").status_code == 404
    send(client_for(essai, "autre@example.fr", login), ("copie.pdf", pdf_bytes(4000)))
    assert stored(essai) == [name]  # the new copy took the lost file's name
    assert owner.get(f"/composants/pieces-jointes/{first}").data == pdf_bytes(4000)


def test_purge_deletes_abandoned_files_and_orphans_and_keeps_sent_ones(essai, owner):
    send(owner, ("garde.pdf", pdf_bytes(2000)))
    kept = stored(essai)
    soup = page(owner, URL)
    add(owner, soup, ("abandonne.pdf", pdf_bytes(3000)))  # added, never sent
    orphan = "ab" * 16  # written, then the worker died before its commit
    if essai.bucket is None:
        (Path(essai.config["UPLOAD_FOLDER"]) / orphan).write_bytes(b"orphelin")
    else:
        essai.s3.client().put_object(Bucket=essai.bucket, Key=orphan, Body=b"orphelin")
    assert len(stored(essai)) == 3
    time.sleep(1.1)  # S3 dates objects to the second: let the cut-off below be after all three
    with essai.app_context():
        assert purge_abandoned(timedelta(0)) == 2
    assert stored(essai) == kept
    assert [r[0] for r in rows(essai)] == ["garde.pdf"]


def test_eight_files_of_5_mb_grow_memory_by_less_than_10_mb(essai, owner, tmp_path):
    soup = page(owner, URL)
    sources = []
    for i in range(8):
        path = tmp_path / f"source{i}.pdf"
        path.write_bytes(pdf_bytes(5 * MB - i))
        sources.append(path)
    handles = [path.open("rb") for path in sources]
    try:
        tracemalloc.start()
        response = post(owner, f"/composants/pieces-jointes/ajouter?champ={FIELD}", headers={"HX-Request": "true"},
                        data={f"{FIELD}-lot": lot_of(soup), FIELD: [(h, f"{i}.pdf") for i, h in enumerate(handles)]})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        for h in handles:
            h.close()
    assert response.status_code == 200
    assert len(rows(essai)) == 8
    assert peak < 10 * MB, f"pic de {peak / MB:.1f} Mo"
    with essai.app_context():
        digests = sorted(hashlib.sha256(read_stored(name)).hexdigest() for name in stored(essai))
    assert digests == sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in sources)


@pytest.mark.parametrize("essai", ["s3"], indirect=True)
def test_a_large_file_is_sent_to_the_bucket_in_parts_and_read_back_streamed(essai, tmp_path):
    source = tmp_path / "gros.csv"
    line = "nom;prénom;montant\n".encode()
    with source.open("wb") as out:
        for _ in range(20 * MB // len(line)):
            out.write(line)
    size = source.stat().st_size
    with essai.test_request_context(), source.open("rb") as stream:
        tracemalloc.start()
        try:
            received = store_upload(FileStorage(stream=stream, filename="gros.csv"), BIG)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        # Less than half of one 8 MB part: parts are read from the file as they are sent.
        assert peak < 4 * MB, f"{peak / MB:.1f} Mo alloués pour envoyer 20 Mo"
        head = essai.s3.client().head_object(Bucket=essai.bucket, Key=received.storage_name)
        assert head["ContentLength"] == size
        assert head["ETag"].strip('"').endswith("-3"), head["ETag"]  # 8 + 8 + 4 MB: a multipart upload
        body, length = backend().open_sized(received.storage_name)
        digest, chunks = hashlib.sha256(), 0
        with body:
            while chunk := body.read(64 * 1024):
                digest.update(chunk)
                chunks += 1
        assert length == size and chunks > 1 and digest.hexdigest() == received.sha256
    assert list(Path(essai.config["UPLOAD_STAGING_FOLDER"]).iterdir()) == []


@pytest.mark.parametrize("settings,message", [({"STORAGE_BACKEND": "s3"}, "S3_BUCKET"),
                                              ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND inconnu")])
def test_a_wrong_storage_setting_stops_the_app_from_starting(tmp_path, template_db, settings, message):
    with pytest.raises(RuntimeError, match=message):
        _sqlite_app(tmp_path, template_db, **settings)


