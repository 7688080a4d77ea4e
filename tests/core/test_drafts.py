"""Server-side drafts (core.drafts): one per user and kind, saved at once, resumed, discarded,
ignored once older than DRAFT_RETENTION_DAYS and purged; they outlive the login session."""
from datetime import timedelta

from core import drafts
from core.uploads import AttachmentSet
from extensions import db
from models import Draft, User, UserSession
from models.base import utcnow
from tests import factories


def _user(app, email="redac@example.fr"):
    with app.app_context():
        user = factories.user(email=email)
        db.session.commit()
        return user.id


def test_save_then_resume_then_replace(app):
    uid = _user(app)
    with app.app_context():
        user = db.session.get(User, uid)
        drafts.save(user, "essai", {"texte": "premier"}, step="ecrire", attachment_token="lot-1")
        drafts.save(user, "essai", {"texte": "second"}, step="relire")
        draft = drafts.load(user, "essai")
        assert (draft.data, draft.step, draft.attachment_token) == ({"texte": "second"}, "relire", None)
        assert Draft.query.count() == 1  # one per user and kind
        assert drafts.data_of(user, "autre") == {}


def test_drafts_are_the_owners_only(app):
    uid, other = _user(app), _user(app, "autre@example.fr")
    with app.app_context():
        drafts.save(db.session.get(User, uid), "essai", {"texte": "à moi"})
        assert drafts.load(db.session.get(User, other), "essai") is None


def test_discard(app):
    uid = _user(app)
    with app.app_context():
        user = db.session.get(User, uid)
        drafts.save(user, "essai", {"texte": "x"})
        drafts.discard(user, "essai")
        db.session.commit()
        assert drafts.load(user, "essai") is None


def test_expired_drafts_are_ignored_then_purged(app):
    uid = _user(app)
    days = app.config["DRAFT_RETENTION_DAYS"]
    with app.app_context():
        user = db.session.get(User, uid)
        old = drafts.save(user, "vieux", {"texte": "ancien"})
        drafts.save(user, "recent", {"texte": "récent"})
        old.updated_at = utcnow() - timedelta(days=days, minutes=1)
        db.session.commit()
        assert drafts.load(user, "vieux") is None and drafts.load(user, "recent") is not None
        assert drafts.purge_expired() == 1
        assert [d.kind for d in Draft.query.all()] == ["recent"]


def test_a_draft_outlives_the_login_session(app, login):
    uid = _user(app)
    client = app.test_client()
    assert login(client, "redac@example.fr").status_code == 302
    with app.app_context():
        drafts.save(db.session.get(User, uid), "essai", {"texte": "gardé"})
        UserSession.query.delete()  # the session expired, or the user logged out
        db.session.commit()
        assert drafts.data_of(db.session.get(User, uid), "essai") == {"texte": "gardé"}


def test_files_of_a_kept_draft_outlive_the_purge_of_abandoned_uploads(app):
    """A wizard's files wait as long as its draft (30 days), not the 2 days of an abandoned form;
    once the draft is gone (discarded or expired), they are purged like any abandoned file."""
    from core.uploads import purge_abandoned
    from core.uploads.storage import storage_path
    from models import Attachment, StoredFile
    uid = _user(app)
    with app.app_context():
        user = db.session.get(User, uid)
        folder = app.config["UPLOAD_FOLDER"]
        import os
        os.makedirs(folder, exist_ok=True)
        rows = []
        for token, name in (("lot-brouillon", "a" * 32), ("lot-abandonne", "b" * 32)):
            stored = StoredFile(storage_name=name, sha256=name[0] * 64, size=3)
            db.session.add(stored)
            db.session.flush()
            storage_path(name).write_bytes(b"pdf")
            rows.append(Attachment(owner_id=uid, upload_set=token, policy="essai", original_name=f"{token}.pdf",
                                   stored_file_id=stored.id, content_type="application/pdf", size=3,
                                   created_at=utcnow() - timedelta(days=3)))
        db.session.add_all(rows)
        db.session.commit()
        drafts.save(user, "essai", {"texte": "x"}, attachment_token="lot-brouillon")
        assert purge_abandoned(timedelta(days=2)) == 1
        assert [a.original_name for a in Attachment.query] == ["lot-brouillon.pdf"]
        assert storage_path("a" * 32).exists() and not storage_path("b" * 32).exists()
        drafts.discard(user, "essai")
        db.session.commit()
        assert purge_abandoned(timedelta(days=2)) == 1
        assert Attachment.query.count() == 0 and not storage_path("a" * 32).exists()


def test_saves_at_the_same_moment_never_fail(app):
    """Several saves of one draft at once (a double click on « Valider », two tabs): each one
    commits, none fails on SQLite's lock upgrade, one draft remains."""
    import threading
    uid = _user(app)
    errors = []

    def save_many(label):
        with app.app_context():
            user = db.session.get(User, uid)
            for i in range(15):
                try:
                    drafts.save(user, "essai", {"texte": f"{label}-{i}"})
                except Exception as error:  # noqa: BLE001  (collected, then asserted)
                    errors.append(repr(error))
                    db.session.rollback()
            db.session.remove()

    threads = [threading.Thread(target=save_many, args=(n,)) for n in ("a", "b", "c", "d")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context():
        assert Draft.query.count() == 1 and Draft.query.one().data["texte"].endswith("-14")


def test_load_with_files_reads_the_draft_and_its_own_set_at_once(app):
    """load_with_files gives what load() then AttachmentSet(token=…) give: the draft, and only the
    owner's files of its token and policy not yet sent, in order; nothing for an expired draft."""
    from core.uploads import register_policy
    from models import Attachment, StoredFile
    register_policy("essai-brouillon", max_count=5, max_size=1000, extensions=("pdf",))
    uid, other = _user(app), _user(app, "autre@example.fr")
    token = "c" * 32
    with app.app_context():
        user = db.session.get(User, uid)
        stored = StoredFile(storage_name="d" * 32, sha256="d" * 64, size=3)
        db.session.add(stored)
        db.session.flush()

        def attachment(name, owner=uid, upload_set=token, policy="essai-brouillon", subject_id=None):
            return Attachment(owner_id=owner, upload_set=upload_set, policy=policy, original_name=name,
                              stored_file_id=stored.id, content_type="application/pdf", size=3, subject_id=subject_id)
        db.session.add_all([attachment("premier.pdf"), attachment("autre-lot.pdf", upload_set="e" * 32),
                            attachment("autre-politique.pdf", policy="essai"),
                            attachment("deja-envoye.pdf", subject_id=1), attachment("d-un-autre.pdf", owner=other),
                            attachment("second.pdf")])
        db.session.commit()
        assert drafts.load_with_files(user, "essai", "essai-brouillon") == (None, None)
        drafts.save(user, "sans-fichiers", {"texte": "x"})
        draft, files = drafts.load_with_files(user, "sans-fichiers", "essai-brouillon")
        assert draft.data == {"texte": "x"} and files is None

        draft = drafts.save(user, "essai", {"texte": "y"}, attachment_token=token)
        loaded, files = drafts.load_with_files(user, "essai", "essai-brouillon")
        assert loaded.data == {"texte": "y"} and files.token == token
        assert [f.original_name for f in files.items] == ["premier.pdf", "second.pdf"]
        assert files.items == AttachmentSet("essai-brouillon", user, token=token).items
        assert drafts.load_with_files(db.session.get(User, other), "essai", "essai-brouillon") == (None, None)

        draft.updated_at = utcnow() - timedelta(days=app.config["DRAFT_RETENTION_DAYS"], minutes=1)
        db.session.commit()
        assert drafts.load_with_files(user, "essai", "essai-brouillon") == (None, None)
