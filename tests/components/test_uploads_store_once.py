"""Files stored once: the same bytes uploaded again, or linked to another subject with `link_copy`,
share one file on disk, which goes with the last attachment using it. Through the test portal of
test_attachments (real uploads, real files, real database), on SQLite and PostgreSQL."""
import hashlib
import os
from datetime import timedelta
from pathlib import Path

import pytest

from core.uploads import (MB, UploadRejected, delete_stored, link_copy, purge_abandoned, register_policy,
                          remove_attachments, storage_path)
from extensions import db
from models import Attachment, StoredFile, User
from models.base import utcnow
from tests.components.test_attachments import (FIELD, URL, add, client_for, files_field, listed, lot_of, page,
                                               post, with_essai)
from tests.components.test_attachments_content import jpeg_bytes, pdf_bytes
from tests.helpers import check_page

register_policy("essai_photos_seules", max_count=1, max_size=MB, extensions=("jpg", "jpeg"))

RELEVE = pdf_bytes(4000)


@pytest.fixture
def essai(any_db_app):
    return with_essai(any_db_app)


@pytest.fixture
def anne(essai, login):
    return client_for(essai, "anne@example.fr", login)


@pytest.fixture
def bruno(essai, login):
    return client_for(essai, "bruno@example.fr", login)


def send(client, *files, subject="Envoi"):
    """Fill the test portal's form with `files` and « Valider »: the files are linked to the user."""
    soup = page(client, URL)
    response = post(client, URL, {"subject": subject, f"{FIELD}-lot": lot_of(soup), FIELD: files_field(*files)})
    assert response.status_code == 302, response.get_data(as_text=True)


def on_disk(app):
    return sorted(p.name for p in Path(app.config["UPLOAD_FOLDER"]).iterdir())


def attachment_ids(app, **filters):
    with app.app_context():
        return [a.id for a in Attachment.query.filter_by(**filters).order_by(Attachment.id)]


def download(client, attachment_id, status=200):
    response = client.get(f"/composants/pieces-jointes/{attachment_id}")
    assert response.status_code == status
    return response


def test_the_same_file_sent_by_two_users_is_stored_once(essai, anne, bruno):
    send(anne, ("relevé.pdf", RELEVE))
    send(bruno, ("copie du relevé.pdf", RELEVE))
    with essai.app_context():
        stored = StoredFile.query.one()
        assert stored.sha256 == hashlib.sha256(RELEVE).hexdigest() and stored.size == len(RELEVE)
        attachments = Attachment.query.order_by(Attachment.id).all()
        assert [a.stored_file_id for a in attachments] == [stored.id, stored.id]
        assert [a.original_name for a in attachments] == ["relevé.pdf", "copie du relevé.pdf"]
        assert on_disk(essai) == [stored.storage_name]
        first, second = (a.id for a in attachments)
    # Each downloads the same bytes under their own name; sharing bytes shares no access.
    assert download(anne, first).data == RELEVE
    response = download(bruno, second)
    assert response.data == RELEVE and "copie" in response.headers["Content-Disposition"]
    download(anne, second, status=404)
    download(bruno, first, status=404)


def test_removing_a_shared_file_keeps_it_until_the_last_attachment_goes(essai, anne):
    soup = check_page(add(anne, page(anne, URL), ("a.pdf", RELEVE), ("b.pdf", RELEVE)).get_data(as_text=True))
    assert listed(soup) == ["a.pdf", "b.pdf"]
    assert len(on_disk(essai)) == 1
    kept_name = on_disk(essai)[0]
    first, second = attachment_ids(essai)

    def retirer(soup, attachment_id):
        data = {"subject": "", f"{FIELD}-lot": lot_of(soup), f"{FIELD}-retirer": str(attachment_id)}
        response = post(anne, URL, data)
        return check_page(response.get_data(as_text=True))

    soup = retirer(soup, first)
    assert listed(soup) == ["b.pdf"]
    assert on_disk(essai) == [kept_name]  # b.pdf still uses it
    assert download(anne, second).data == RELEVE
    soup = retirer(soup, second)
    assert listed(soup) == [] and on_disk(essai) == []
    with essai.app_context():
        assert StoredFile.query.count() == 0 and Attachment.query.count() == 0


def test_link_copy_links_a_stored_file_to_another_subject_without_a_second_copy(essai, anne):
    send(anne, ("justificatif.pdf", RELEVE))
    with essai.app_context():
        anne_user = User.query.filter_by(email="anne@example.fr").one()
        original = Attachment.query.one()
        copy = link_copy(original, owner=anne_user, subject_type="essai", subject_id=anne_user.id + 1000,
                         organisation_id=None)
        db.session.commit()
        assert copy.id != original.id and copy.stored_file_id == original.stored_file_id
        assert (copy.original_name, copy.content_type, copy.size, copy.policy) == (
            "justificatif.pdf", "application/pdf", len(RELEVE), original.policy)
        assert copy.subject_id == anne_user.id + 1000 and copy.upload_set is None
        original_id, copy_id = original.id, copy.id
    assert len(on_disk(essai)) == 1
    assert download(anne, copy_id).data == RELEVE
    # The original goes, the copy keeps the file; then the copy goes, and the file with it.
    with essai.app_context():
        names = remove_attachments([db.session.get(Attachment, original_id)])
        db.session.commit()
        assert names == [] and delete_stored(names) == 0
    assert download(anne, copy_id).data == RELEVE
    with essai.app_context():
        names = remove_attachments([db.session.get(Attachment, copy_id)])
        db.session.commit()
        assert len(names) == 1 and delete_stored(names) == 1
        assert StoredFile.query.count() == 0
    assert on_disk(essai) == []


def test_link_copy_needs_a_readable_file_that_fits_the_new_policy(essai, anne, bruno):
    send(anne, ("releve.pdf", RELEVE))
    with essai.app_context():
        original = Attachment.query.one()
        bruno_user = User.query.filter_by(email="bruno@example.fr").one()
        anne_user = User.query.filter_by(email="anne@example.fr").one()
        with pytest.raises(PermissionError):
            link_copy(original, owner=bruno_user, subject_type="essai", subject_id=bruno_user.id)
        with pytest.raises(UploadRejected, match="pas d’un format accepté"):
            link_copy(original, owner=anne_user, subject_type="essai", subject_id=1, policy="essai_photos_seules")
        with pytest.raises(ValueError, match="attachment_subject"):
            link_copy(original, owner=anne_user, subject_type="Inconnu", subject_id=1)
        db.session.commit()
        assert Attachment.query.count() == 1


def test_link_copy_checks_the_size_limit_of_the_new_policy(essai, anne):
    big_photo = jpeg_bytes() + b"\0" * MB
    send(anne, ("photo.jpg", big_photo))
    with essai.app_context():
        anne_user = User.query.filter_by(email="anne@example.fr").one()
        with pytest.raises(UploadRejected, match="dépasse la taille maximale de 1 Mo"):
            link_copy(Attachment.query.one(), owner=anne_user, subject_type="essai", subject_id=1,
                      policy="essai_photos_seules")


def test_purge_keeps_files_still_used_and_deletes_unused_ones(essai, anne):
    send(anne, ("envoye.pdf", RELEVE))
    add(anne, page(anne, URL), ("abandonne.pdf", RELEVE), ("seul.pdf", pdf_bytes(5000)))
    old = utcnow() - timedelta(days=3)
    with essai.app_context():
        for attachment in Attachment.query.filter(Attachment.subject_id.is_(None)):
            attachment.created_at = old
        # Bytes whose attachments were deleted with their owner's account (database cascade).
        orphan = StoredFile(storage_name="cd" * 16, size=3, created_at=old)
        recent = StoredFile(storage_name="ef" * 16, size=3)  # an upload being attached right now
        db.session.add_all([orphan, recent])
        db.session.commit()
        sent_id = Attachment.query.filter_by(original_name="envoye.pdf").one().id
        alone = Attachment.query.filter_by(original_name="seul.pdf").one().storage_name
        shared = Attachment.query.filter_by(original_name="envoye.pdf").one().storage_name
        for name in ("cd" * 16, "ef" * 16):
            storage_path(name).write_bytes(b"abc")
            os.utime(storage_path(name), (0, 0))
        assert purge_abandoned(timedelta(days=2)) == 2  # seul.pdf's file and the orphan
        assert [a.original_name for a in Attachment.query.order_by(Attachment.id)] == ["envoye.pdf"]
        assert sorted(s.storage_name for s in StoredFile.query) == sorted([shared, "ef" * 16])
        assert alone not in on_disk(essai)
    assert sorted(on_disk(essai)) == sorted([shared, "ef" * 16])
    assert download(anne, sent_id).data == RELEVE


def test_a_lost_file_is_restored_by_the_next_upload_of_the_same_bytes(essai, anne, bruno):
    send(anne, ("releve.pdf", RELEVE))
    (name,) = on_disk(essai)
    with essai.app_context():
        storage_path(name).unlink()
    (first,) = attachment_ids(essai)
    download(anne, first, status=404)
    send(bruno, ("releve.pdf", RELEVE))
    assert on_disk(essai) == [name]
    assert download(anne, first).data == RELEVE


@pytest.mark.postgres
def test_removing_the_last_attachment_of_a_file_waits_for_an_upload_sharing_it(tmp_path):
    """PostgreSQL, two transactions: an upload of the same bytes takes the stored file while the
    only attachment using it is removed. The removal waits, then keeps the file."""
    import secrets
    import threading

    from sqlalchemy import text

    from core.uploads import ReceivedUpload, stored_file_for
    from tests import factories
    from tests.conftest import _postgres_app, _teardown

    app = _postgres_app(tmp_path)
    try:
        with app.app_context():
            owner = factories.user(email="anne@example.fr")
            db.session.flush()
            name = secrets.token_hex(16)
            storage_path(name).parent.mkdir(parents=True, exist_ok=True)
            storage_path(name).write_bytes(RELEVE)
            stored = StoredFile(sha256=hashlib.sha256(RELEVE).hexdigest(), storage_name=name, size=len(RELEVE))
            db.session.add(Attachment(owner_id=owner.id, policy="essai_message", original_name="a.pdf",
                                      stored_file=stored, content_type="application/pdf", size=len(RELEVE)))
            db.session.commit()
            owner_id = owner.id
        upload = app.app_context()
        upload.push()
        try:
            copy_name = secrets.token_hex(16)
            storage_path(copy_name).write_bytes(RELEVE)
            shared = stored_file_for(ReceivedUpload(copy_name, "b.pdf", "application/pdf", len(RELEVE),
                                                    hashlib.sha256(RELEVE).hexdigest()))
            assert shared.storage_name == name and not storage_path(copy_name).exists()
            db.session.add(Attachment(owner_id=owner_id, policy="essai_message", original_name="b.pdf",
                                      stored_file=shared, content_type="application/pdf", size=len(RELEVE)))
            db.session.flush()
            outcome = {}

            def remove_first():
                with app.app_context():
                    try:
                        outcome["pid"] = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
                        names = remove_attachments(Attachment.query.filter_by(original_name="a.pdf").all())
                        db.session.commit()
                        outcome["deleted"] = delete_stored(names)
                    except Exception as error:  # reported below, in the test's thread
                        outcome["error"] = error
                        db.session.rollback()

            remover = threading.Thread(target=remove_first)
            remover.start()
            with db.engine.connect() as watcher:  # until the removal waits for the upload's lock
                for _ in range(400):
                    if "pid" in outcome and watcher.execute(text(
                            "SELECT count(*) FROM pg_locks WHERE pid = :pid AND NOT granted"),
                            {"pid": outcome["pid"]}).scalar():
                        break
                    remover.join(0.025)
                else:
                    raise AssertionError("the removal never waited for the upload")
            db.session.commit()
        finally:
            upload.pop()
        remover.join(10)
        outcome.pop("pid")
        assert outcome == {"deleted": 0}
        with app.app_context():
            assert [a.original_name for a in Attachment.query] == ["b.pdf"]
            assert StoredFile.query.one().storage_name == name
            assert storage_path(name).read_bytes() == RELEVE
    finally:
        _teardown(app)
