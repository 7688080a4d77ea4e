"""Workflow.append with a submission token, and Workflow.appended_with: a dated entry written by a
form is found again by the same form (core.submission.create_once), on SQLite and PostgreSQL."""
import pytest
from sqlalchemy.exc import IntegrityError

from core.submission import SubmissionReplayed, create_once
from extensions import db
from models import AidApplication
from models.armees import APPLICATION_WORKFLOW
from models.case_event import CaseEvent
from tests import factories

TOKEN = "0123456789abcdef0123456789abcdef"


def _world():
    org = factories.organisation(portal="armees", code="IGESA", name="Igesa")
    owner = factories.user(email="ressortissant@example.fr")
    other = factories.user(email="autre@example.fr")
    application = factories.armees_application(owner, org, state="prise-en-charge")
    db.session.commit()
    return application, owner, other


def test_an_entry_is_added_once_per_token(any_db_app):
    with any_db_app.app_context():
        application, owner, other = _world()
        calls = []

        def add():
            calls.append(1)
            return APPLICATION_WORKFLOW.append(application, owner, "avis.pdf", kind="document",
                                               submission_token=TOKEN)

        def once(user):
            return create_once(TOKEN, CaseEvent, lambda: APPLICATION_WORKFLOW.appended_with(TOKEN, user, "document"),
                               add, lambda found: found)

        first = once(owner)
        again = once(owner)
        assert again.id == first.id and len(calls) == 1
        assert APPLICATION_WORKFLOW.appended_with(TOKEN, owner, "note") is None  # another kind
        assert APPLICATION_WORKFLOW.appended_with(TOKEN, other) is None          # another user
        with pytest.raises(SubmissionReplayed):                                  # another user's token
            once(other)
        assert len(calls) == 1
        entries = APPLICATION_WORKFLOW.history(db.session.get(AidApplication, application.id), kinds=["document"])
        assert [(e.text, e.submission_token) for e in entries] == [("avis.pdf", TOKEN)]


def test_the_database_refuses_a_token_twice(any_db_app):
    with any_db_app.app_context():
        application, owner, _ = _world()
        APPLICATION_WORKFLOW.append(application, owner, "un", kind="document", submission_token=TOKEN)
        APPLICATION_WORKFLOW.append(application, owner, "sans jeton", kind="document")
        APPLICATION_WORKFLOW.append(application, owner, "sans jeton non plus", kind="document")
        db.session.commit()
        APPLICATION_WORKFLOW.append(application, owner, "deux", kind="document", submission_token=TOKEN)
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
