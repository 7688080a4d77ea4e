"""Agent queue kit (core.queue): filters read from the query string (unknown values ignored),
links that keep them, pagination clamped to the pages that exist, person-name search folded like
the stored keys, and loading scoped to the agent's organisation. Real rows, no mocks."""
from datetime import timedelta

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from core.inputs import to_id
from core.queue import Choice, Queue, fold_search, load_for_agent, paginate
from extensions import db
from models import PartnerRequest
from models.base import utcnow
from models.partenaires import REQUEST_WORKFLOW, VISIBLE_STATUSES, Status
from tests import factories
from tests.core.test_request_path import selects, statements


class RequestQueue(Queue):
    statuses = {"": None, "nouveau": Status.NEW.value, "reglee": Status.RESOLVED.value}
    workflow = REQUEST_WORKFLOW
    shown_statuses = VISIBLE_STATUSES
    status_column = PartnerRequest.status
    choices = {"ods": Choice(PartnerRequest.ods, to_id), "etat": Choice(PartnerRequest.motive)}
    page_sizes = (10, 25)
    search_max = 20

    def search_filter(self, text):
        return fold_search(PartnerRequest.person_sort_key, text)


class DefaultStatusQueue(Queue):
    """No workflow: what is stored is what the page shows."""
    statuses = {"nouveau": "Nouvelle", "tous": None}
    default_status = "nouveau"
    status_column = PartnerRequest.status


def from_args(**args):
    return RequestQueue.from_args(MultiDict(args), ods={1, 4}, etat={"urgent"})


# --- Filters ------------------------------------------------------------------------------------

def test_filters_keep_known_values():
    filters = from_args(statut="reglee", ods="4", etat="urgent", recherche="  Jean   DUPONT ", par_page="25",
                        page="3")
    assert (filters.status, filters.chosen, filters.search, filters.per_page, filters.page) == (
        "reglee", {"ods": 4, "etat": "urgent"}, "Jean DUPONT", 25, 3)
    assert filters.active and filters.status_label == "Résolu"  # the workflow's label of what is stored
    assert filters.status_options() == [("", "Tous les statuts"), ("nouveau", "Nouveau"), ("reglee", "Résolu")]
    assert filters.args() == {"statut": "reglee", "ods": 4, "etat": "urgent", "recherche": "Jean DUPONT",
                              "par_page": 25, "page": 3}
    assert filters.args(page=4)["page"] == 4


@pytest.mark.parametrize("args", [
    {},
    {"statut": "Annulée", "ods": "9", "etat": "<b>", "par_page": "7", "page": "x"},
    {"statut": "", "ods": "²", "etat": "", "par_page": "-10", "page": "0"},
    {"ods": "99999999999999999999", "page": "-2", "inconnu": "1"},
])
def test_unknown_values_fall_back_to_the_defaults(args):
    filters = from_args(**args)
    assert (filters.status, filters.chosen, filters.search, filters.per_page, filters.page) == (
        "", {"ods": None, "etat": None}, "", 10, 1)
    assert not filters.active and filters.args() == {} and filters.status_label is None


def test_search_is_cut_to_its_maximum_and_only_read_where_there_is_a_box():
    assert from_args(recherche="x" * 50).search == "x" * 20
    assert DefaultStatusQueue.from_args(MultiDict({"recherche": "dupont", "par_page": "25"})).args() == {}


def test_default_status_is_left_out_of_links_and_another_one_is_kept():
    assert DefaultStatusQueue.from_args(MultiDict({"statut": "x"})).status == "nouveau"
    every = DefaultStatusQueue.from_args(MultiDict({"statut": "tous"}))
    assert every.active and every.args() == {"statut": "tous"} and every.status_label is None
    assert every.status_options() == [("nouveau", "Nouvelle"), ("tous", "Tous les statuts")]


def test_every_choice_needs_its_allowed_values():
    with pytest.raises(TypeError, match="etat"):
        RequestQueue.from_args(MultiDict(), ods={4})


# --- Rows: pagination, search, scoped loading ---------------------------------------------------

@pytest.fixture
def rows(any_db_app):
    """12 requests of one organisation (one Éloïse, one ÉLOÏSE, one cancelled), one of another."""
    app = any_db_app
    with app.app_context():
        org, structure = factories.partner_setup()
        other, _ = factories.partner_setup(org_name="CPAM LANDES", org_code="401", structure_obj=structure)
        tech = factories.technician(structure)
        db.session.flush()
        names = [("DURAND", "Éloïse"), ("MARTIN", "ÉLOÏSE"), ("LÉGER-D'ARC", "Hélène")] + [("PRINCE", "Marius")] * 9
        requests = [factories.partner_request(org, tech, now=utcnow() - timedelta(days=20 - days),
                                              person_last_name=last, person_first_name=first)
                    for days, (last, first) in enumerate(names)]
        cancelled = factories.partner_request(org, tech, status=Status.CANCELLED.value, person_last_name="ÉLOISE")
        elsewhere = factories.partner_request(other, tech, person_first_name="Éloïse")
        db.session.commit()
        return {"app": app, "org": org.id, "other": other.id, "ids": [r.id for r in requests],
                "cancelled": cancelled.id,
                "elsewhere": elsewhere.id}


def ours(org_id):
    return PartnerRequest.query.filter(PartnerRequest.organisation_id == org_id)


def test_pagination_is_clamped_to_the_pages_that_exist(rows):
    order = (PartnerRequest.created_at, PartnerRequest.id)
    with rows["app"].app_context():
        query = ours(rows["org"]).filter(PartnerRequest.status != Status.CANCELLED.value)
        first = paginate(query, 0, 5, order)
        assert (first.total, first.pages, first.page) == (12, 3, 1)
        assert [r.id for r in first.rows] == rows["ids"][:5]
        last = paginate(query, 99, 5, order)
        assert (last.page, [r.id for r in last.rows]) == (3, rows["ids"][10:])
        empty = paginate(query.filter(PartnerRequest.id < 0), 4, 5, order)
        assert (empty.rows, empty.total, empty.pages, empty.page) == ([], 0, 1, 1)
        filters = from_args(page="7")
        page = filters.paginate(ours(rows["org"]), order)
        assert (page.total, page.pages, filters.page, filters.pages) == (12, 2, 2, 2)
        assert filters.args() == {"page": 2}  # links go on from the page shown


@pytest.mark.parametrize("typed,names", [
    ("eloise", {("DURAND", "Éloïse"), ("MARTIN", "ÉLOÏSE")}),
    ("ÉLOÏSE", {("DURAND", "Éloïse"), ("MARTIN", "ÉLOÏSE")}),
    ("eloise martin", {("MARTIN", "ÉLOÏSE")}),
    ("Martin Éloïse", {("MARTIN", "ÉLOÏSE")}),
    ("d'arc helene", {("LÉGER-D'ARC", "Hélène")}),
    ("100%", set()),
])
def test_folded_search_finds_accented_names_for_agents(rows, typed, names):
    with rows["app"].app_context():
        filters = from_args(recherche=typed)
        found = filters.apply(ours(rows["org"])).all()
        assert {(r.person_last_name, r.person_first_name) for r in found} == names
        assert rows["cancelled"] not in {r.id for r in found}  # shown statuses only, whatever the search


def test_load_for_agent_is_scoped_to_the_organisation(rows):
    with rows["app"].app_context():
        from models import Organisation
        org = db.session.get(Organisation, rows["org"])
        assert load_for_agent(PartnerRequest, rows["ids"][0], org).id == rows["ids"][0]
        not_cancelled = (PartnerRequest.status != Status.CANCELLED.value,)
        for request_id, extra in ((rows["elsewhere"], ()), (rows["cancelled"], not_cancelled)):
            with pytest.raises(NotFound):
                load_for_agent(PartnerRequest, request_id, org, extra_filters=extra)
        locked = load_for_agent(PartnerRequest, rows["ids"][1], org, for_update=True, extra_filters=not_cancelled)
        assert locked.id == rows["ids"][1]
        db.session.rollback()


def test_a_case_loader_reads_the_case_and_every_row_of_its_joined_collections_in_one_statement(app):
    """CaseLoader (built once per kind of case): scoped to the organisation and to its filters
    like load_for_agent, each joined collection complete (two complements and two payments, not
    the first row only), in one statement; anything else is a 404, and the locking read works."""
    from sqlalchemy import event

    from blueprints.agent.armees import load_application
    from models.armees import AidPayment
    with app.app_context():
        igesa = factories.organisation(portal="armees", code="IGESA-T", name="Igesa essai")
        other = factories.organisation(portal="armees", code="AUTRE-T", name="Autre caisse")
        owner = factories.user(email="ressortissant@example.fr")
        agent = factories.user(email="agent@example.fr", role="agent", organisation=igesa)
        other_agent = factories.user(email="agent@autre.example.fr", role="agent", organisation=other)
        db.session.flush()
        application = factories.armees_application(owner, igesa, state="instruction", agent=agent)
        draft = factories.armees_application(owner, igesa)
        elsewhere = factories.armees_application(owner, other, state="instruction", agent=other_agent)
        for subject in ("Avis d’imposition", "RIB"):
            factories.armees_complement(application, subject=subject, agent=agent)
        db.session.flush()
        for cents in (10000, 2550):
            db.session.add(AidPayment(application_id=application.id, amount_cents=cents, paid_on=utcnow().date(),
                                      recorded_by_id=agent.id))
        db.session.commit()
        ids = (application.id, draft.id, elsewhere.id)
        org_id = igesa.id
        db.session.close()  # a new request: nothing in the session yet but the agent's organisation
        igesa = db.session.get(type(igesa), org_id)

        statements = []

        def count(*args):
            statements.append(args[2])
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            loaded = load_application(ids[0], igesa)
            assert sorted(c.subject for c in loaded.complement_requests) == ["Avis d’imposition", "RIB"]
            assert sorted(p.amount_cents for p in loaded.payments) == [2550, 10000]
            assert loaded.user.email == "ressortissant@example.fr"
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
        for application_id in (ids[1], ids[2], 10 ** 9):  # a draft, another organisation's, none
            with pytest.raises(NotFound):
                load_application(application_id, igesa)
        assert load_application(ids[0], igesa, for_update=True).id == ids[0]
        db.session.rollback()


def test_files_of_reads_the_subjects_files_in_the_order_they_were_added(app):
    from models.armees import APPLICATION_FILES, RECEIVED_FILES
    from models.attachment import files_of
    with app.app_context():
        igesa = factories.organisation(portal="armees", code="IGESA-T", name="Igesa essai")
        owner = factories.user(email="ressortissant@example.fr")
        db.session.flush()
        application = factories.armees_application(owner, igesa)
        other = factories.armees_application(owner, igesa)
        db.session.flush()
        first = factories.armees_file(application, name="a.pdf")
        letter = factories.stored_attachment(owner, RECEIVED_FILES.name, application.id, name="b.pdf")
        factories.armees_file(other, name="autre.pdf")
        factories.stored_attachment(owner, "partner_request", application.id, name="ailleurs.pdf")
        last = factories.armees_file(application, name="c.pdf")
        db.session.commit()
        assert [f.id for f in files_of(application.id, APPLICATION_FILES)] == [first.id, last.id]
        assert [f.original_name for f in files_of(application.id, APPLICATION_FILES, RECEIVED_FILES)] == [
            "a.pdf", "b.pdf", "c.pdf"]
        assert files_of(10 ** 9, APPLICATION_FILES) == []
        assert letter.id in {f.id for f in files_of(application.id, RECEIVED_FILES)}


# --- Pre-rendered parts ---------------------------------------------------------------------------

def test_prerendered_html_is_rendered_once_per_key_and_app(app):
    from markupsafe import Markup

    from core.queue import prerendered
    calls = []

    def render(text):
        calls.append(text)
        return f"<p>{text}</p>"

    with app.app_context():
        first = prerendered(("essai", "a"), lambda: render("a"))
        again = prerendered(("essai", "a"), lambda: render("changé"))
        other = prerendered(("essai", "b"), lambda: render("b"))
    assert (first, again, other) == ("<p>a</p>", "<p>a</p>", "<p>b</p>")
    assert isinstance(first, Markup)
    assert calls == ["a", "b"]


def test_a_pristine_answer_is_what_the_macros_render_with_the_text_and_token_put_in(app):
    """core.queue.pristine_answer: the text area and the empty attachment list rendered once, then
    the typed text (escaped) and the set's signed token put in: byte for byte what the macros give;
    a set with files or errors, or a field with errors, falls back to the macros (None, None)."""
    from flask import get_template_attribute
    from werkzeug.datastructures import MultiDict

    from blueprints.agent.msa import ANSWER_POLICY
    from core.queue import pristine_answer
    from core.uploads import AttachmentSet
    from forms.agent_msa import ConversationAnswerForm
    with app.app_context():
        agent = factories.user(email="agent@example.fr")
        db.session.commit()
        for text in ("", "Bonjour <b>Mme</b> & \"M.\" l’adhérent\r\nÀ bientôt."):
            with app.test_request_context("/agent/msa/conversations/1", method="GET"):
                form = ConversationAnswerForm(formdata=None, body=text)
                files = AttachmentSet(ANSWER_POLICY, agent)
                text_html, files_html = pristine_answer(form, form.body, files)
                expected_text = get_template_attribute("components/counter.html", "counted_textarea")(form.body, rows=8)
                expected_files = get_template_attribute("components/attachments.html", "attachment_list")(
                    files, label="Pièces jointes de la réponse")
                assert (str(text_html), str(files_html)) == (str(expected_text), str(expected_files))
                assert files.signed_token in str(files_html) and "\x00" not in str(text_html) + str(files_html)
        with app.test_request_context("/agent/msa/conversations/1", method="POST"):
            form = ConversationAnswerForm(formdata=MultiDict({"body": ""}), meta={"csrf": False})
            form.validate()
            assert pristine_answer(form, form.body, AttachmentSet(ANSWER_POLICY, agent)) == (None, None)
            files = AttachmentSet(ANSWER_POLICY, agent)
            files.errors.append("Le fichier est trop volumineux.")
            assert pristine_answer(ConversationAnswerForm(formdata=None), ConversationAnswerForm(formdata=None).body,
                                   files) == (None, None)


# --- What a case's page reads besides the case, and forms not posted ----------------------------

def test_history_and_files_reads_what_history_and_files_of_read_in_one_statement(any_db_app):
    """core.queue.history_and_files: the same lines as Workflow.history (oldest first, with the
    actors' names, none for an entry without actor) and the same files as files_of (in the order
    they were added, the subject's older names included), of this case only, in one statement;
    two kinds of case with the same subject names keep their own compiled statement."""
    from sqlalchemy import event

    from core.queue import history_and_files
    from models.attachment import files_of
    from models.partenaires import ANSWER_FILES, REQUEST_FILES
    app = any_db_app
    with app.app_context():
        org, structure = factories.partner_setup()
        tech = factories.technician(structure)
        agent = factories.user(email="agent.hf@example.fr", role="agent", organisation=org, first_name="Élise",
                               last_name="Ñandú")
        db.session.flush()
        req = factories.partner_request(org, tech, now=utcnow() - timedelta(days=2))
        other = factories.partner_request(org, tech, now=utcnow() - timedelta(days=1))
        db.session.flush()
        REQUEST_WORKFLOW.append(req, tech, "Un complément", kind="complement", now=utcnow() - timedelta(hours=5))
        REQUEST_WORKFLOW.append(req, None, None, kind="files", now=utcnow() - timedelta(hours=4))
        REQUEST_WORKFLOW.fire(req, "take_in_charge", agent, now=utcnow() - timedelta(hours=3), hooks=False)
        factories.stored_attachment(tech, "partner_request", req.id, name="ancien-nom.pdf")  # an older name
        factories.stored_attachment(tech, "PartnerRequest", req.id, name="demande.pdf")
        factories.stored_attachment(agent, "partner_request_answer", req.id, name="réponse.pdf")
        factories.stored_attachment(tech, "PartnerRequest", other.id, name="autre.pdf")
        db.session.commit()
        case_id = req.id
        db.session.close()
        req = db.session.get(PartnerRequest, case_id)
        expected_events = [(e.at, e.kind, e.to_state, e.text,
                            (e.actor.first_name, e.actor.last_name) if e.actor else None)
                           for e in REQUEST_WORKFLOW.history(req)]
        expected_files = [(f.id, f.subject_type, f.original_name, f.size, f.created_at, f.document)
                          for f in files_of(req.id, REQUEST_FILES, ANSWER_FILES)]
        statements = []

        def count(*args):
            statements.append(args[2])
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            events, files = history_and_files(REQUEST_WORKFLOW, req, REQUEST_FILES, ANSWER_FILES)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert len(statements) == 1
        assert [(e.at, e.kind, e.to_state, e.text, (e.actor.first_name, e.actor.last_name) if e.actor else None)
                for e in events] == expected_events
        assert [e.kind for e in events] == ["created", "complement", "files", "transition"]
        assert events[3].actor == ("Élise", "Ñandú") and events[2].actor is None
        assert [tuple(f) for f in files] == expected_files
        assert [f.original_name for f in files] == ["ancien-nom.pdf", "demande.pdf", "réponse.pdf"]
        assert REQUEST_WORKFLOW.timeline(req, events) == REQUEST_WORKFLOW.timeline(req)
        # Another kind of case: its own rows (none here), not the partner request's.
        from models.armees import APPLICATION_FILES, APPLICATION_WORKFLOW
        assert history_and_files(APPLICATION_WORKFLOW, req, APPLICATION_FILES) == ([], [])


def test_a_name_written_in_a_statement_must_be_a_plain_name():
    from core.queue import constant
    assert str(constant("PartnerRequest")) == "'PartnerRequest'"
    for bad in ("x'; DROP TABLE user; --", "a b", ""):
        with pytest.raises(ValueError):
            constant(bad)


def test_an_unposted_form_renders_what_the_built_form_renders(app):
    """core.queue.unposted_answer and unposted_once: the text area and the empty attachment list
    of an answer not posted, and the one-time token's hidden input, are what the form built and
    rendered by the macros gives (a fresh token at every call); a set with files builds the form."""
    import re

    from flask import get_template_attribute

    from blueprints.agent.msa import ANSWER_POLICY
    from core.queue import ANSWER_FILES_LABEL, Unposted, pristine_answer, unposted_answer, unposted_once
    from core.uploads import AttachmentSet
    from forms.agent_armees import ComplementAskForm
    from forms.agent_msa import ConversationAnswerForm
    from forms.agent_partenaires import RequestResolveForm
    with app.app_context():
        owner = factories.user(email="agent.unposted@example.fr", role="agent")
        db.session.commit()
        with app.test_request_context("/"):
            for form_class, field in ((ConversationAnswerForm, "body"), (RequestResolveForm, "answer")):
                for _ in range(2):  # rendered, then from the app's store
                    files = AttachmentSet(ANSWER_POLICY, owner)
                    stand_in, (text_html, files_html) = unposted_answer(form_class, field, files)
                    form = form_class(formdata=None)
                    assert str(text_html) == str(get_template_attribute("components/counter.html",
                                                                        "counted_textarea")(form[field], rows=8))
                    assert str(files_html) == str(get_template_attribute("components/attachments.html",
                                                                         "attachment_list")(files,
                                                                                            label=ANSWER_FILES_LABEL))
                    assert ("submission" in stand_in) == ("submission" in form) and not stand_in.errors
                    if "submission" in form:
                        token = re.search(r'value="([0-9a-f]{32})"', str(stand_in.submission())).group(1)
                        form.submission.data = token
                        assert str(stand_in.submission()) == str(form.submission())
                        again, _ = unposted_answer(form_class, field, files)
                        assert str(again.submission()) != str(stand_in.submission())  # a fresh token each time
            once = unposted_once(ComplementAskForm)
            form = ComplementAskForm(formdata=None)
            assert re.sub(r"[0-9a-f]{32}", "T", str(once.submission())) == re.sub(r"[0-9a-f]{32}", "T",
                                                                                  str(form.submission()))
            assert isinstance(once, Unposted) and once and "submission" in once and "subject" not in once
            # Files already added: the form is built, and pristine_answer says what it can.
            files = AttachmentSet(ANSWER_POLICY, owner)
            files.items = [object()]
            form, html = unposted_answer(ConversationAnswerForm, "body", files)
            assert isinstance(form, ConversationAnswerForm) and html == pristine_answer(form, form.body, files)


def test_a_case_loader_reads_what_a_page_shows_with_the_case_in_one_statement(app):
    """CaseLoader.with_shown: the case (with `shown_options`' collections) and the values a page
    only shows of related rows, in one statement, equal to the related objects' (None without
    such a row: no agent yet); scoped like the loader (404 otherwise)."""

    from blueprints.agent.armees import _APPLICATION, _people
    from models.armees import AidApplication
    with app.app_context():
        igesa = factories.organisation(portal="armees", code="IGESA-S", name="Igesa essai")
        other = factories.organisation(portal="armees", code="AUTRE-S", name="Autre caisse")
        owner = factories.user(email="ressortissant.s@example.fr", first_name="Zoé", last_name="Lefèvre")
        agent = factories.user(email="agent.s@example.fr", role="agent", organisation=igesa, first_name="Jean",
                               last_name="Ébrard")
        db.session.flush()
        instructing = factories.armees_application(owner, igesa, state="instruction", agent=agent)
        waiting = factories.armees_application(owner, igesa, state="prise-en-charge")
        draft = factories.armees_application(owner, igesa)
        elsewhere = factories.armees_application(owner, other, state="prise-en-charge")
        for subject in ("Avis d’imposition", "RIB"):
            factories.armees_complement(instructing, subject=subject, agent=agent)
        db.session.commit()
        ids = [a.id for a in (instructing, waiting, draft, elsewhere)]
        org_id = igesa.id
        db.session.close()
        igesa = db.session.get(type(igesa), org_id)
        with statements(app) as seen:
            application, shown = _APPLICATION.with_shown(ids[0], igesa)
            people = _people(application, shown)
            assert sorted(c.subject for c in application.complement_requests) == ["Avis d’imposition", "RIB"]
        assert len(selects(seen)) == 1
        assert isinstance(application, AidApplication) and application.id == ids[0]
        assert tuple(people[0]) == ("Zoé", "Lefèvre", "ressortissant.s@example.fr")
        assert (people[1].first_name, people[1].last_name) == ("Jean", "Ébrard")
        # The same values as the related objects give (what an action's page shows).
        related = _people(application, None)
        assert (related[0].first_name, related[0].last_name, related[0].email) == tuple(people[0])
        assert (related[1].first_name, related[1].last_name) == tuple(people[1][:2])
        application, shown = _APPLICATION.with_shown(ids[1], igesa)
        assert _people(application, shown)[1] is None and application.agent is None
        for application_id in (ids[2], ids[3], 10 ** 9):  # a draft, another organisation's, none
            with pytest.raises(NotFound):
                _APPLICATION.with_shown(application_id, igesa)
        db.session.rollback()
