"""« Ma messagerie », member side (msa.md part B): conversations, new message (theme → subject →
reason, online-service suggestion, writing, summary, sending), conversation page and replies.

The draft travels with the forms (cascade codes in the query string / hidden inputs, the text in
a hidden input of the summary, files in their signed upload set); a server-side draft (core.drafts)
keeps a copy for the writing step's GET (refresh, back, « Modifier », a new login), never the cookie."""
from contextlib import contextmanager
from datetime import timedelta

from flask import abort, current_app, flash, get_template_attribute, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy import and_, bindparam, select
from sqlalchemy.exc import IntegrityError

from blueprints.msa import bp, service
from blueprints.msa.context import member_required
from core import audit, drafts
from core.cascade import Cascade
from core.queue import MarkedSet, prerendered, pristine_text_and_files
from core.receipts import message_receipt, receipt_response
from core.replay import keeps_input, take as take_replay
from core.submission import SubmissionReplayed, is_token, new_token, token_or_new
from core.templating import render, render_block, wants_fragment
from core.throttle import notifies
from core.uploads import MB, AttachmentSet, attachments_of, register_policy
from extensions import db
from forms.msa_messages import (ConversationVisibilityForm, MessageDraftForm, MessageReplyForm, MessageSendForm,
                                MessageWriteForm)
from models.attachment import Attachment
from models.base import utcnow
from models.draft import Draft
from models.msa import Conversation

CATALOGUE = "msa-messagerie"
POLICY = "msa_message"
DRAFT_KIND = service.DRAFT_KIND
REPLAYED = ("Ce formulaire a déjà servi à envoyer un autre message : rien n’a été envoyé. Vérifiez votre "
            "message puis cliquez de nouveau sur « Envoyer ».")

register_policy(POLICY, max_count=3, max_size=5 * MB, extensions=("pdf", "jpg", "jpeg", "png"))

def catalogue():
    return Cascade.load(CATALOGUE)


def online_service(state):
    return state.leaf.get("online_service") if state.complete else None


def find_online_service(code):
    for _depth, node in catalogue().walk():
        service = node.get("online_service")
        if service and service.get("code") == code:
            return service
    return None


def own_conversation(conversation_id):
    """The member's own conversation; anyone else's is 404 (never 403: it does not exist for them)."""
    return Conversation.query.filter_by(id=conversation_id, member_id=current_user.id).first_or_404()


def save_draft(state, body, files, submission=None):
    """The message being written, with the submission token its summary will carry (kept from one
    save to the next: the same message is sent once, whatever « Précédent » / « Valider » came
    between)."""
    drafts.save(current_user, DRAFT_KIND,
                {"codes": state.codes, "body": body or "", "submission": submission or new_token()},
                attachment_token=files.token)


ATTACHMENTS_LABEL = "Pièces jointes (facultatif)"


def pristine_writing(form, files):
    """The writing step's text area and empty attachment list without an error, rendered once
    (core.queue.pristine_text_and_files); (None, None) otherwise."""
    return pristine_text_and_files(form, form.body, files, ATTACHMENTS_LABEL)


def cascade_html(state, focus_choices=True):
    """The new-message cascade (components/cascade.html `cascade`, as templates/msa/messages/new.html
    calls it): HTML that only the catalogue, the codes chosen (a path of the catalogue: `resolve`
    keeps no other), the level left empty and whether htmx swaps it in decide, rendered once per
    app (core.queue.prerendered) instead of at every step."""
    htmx = request.htmx
    swapped = bool(htmx) and not htmx.boosted
    key = ("msa.messages.cascade", CATALOGUE, tuple(state.codes.items()), state.error, swapped, focus_choices,
           request.script_root)
    return prerendered(key, lambda: get_template_attribute("components/cascade.html", "cascade")(
        state, url_for(".messages_new"), id="msg-objet", target="msg-etapes", focus_choices=focus_choices))


# The message's draft as the writing step and the summary read it and the files of its upload set
# (what core.drafts.load_with_files reads), one row per file, one row without any; only read: Core
# columns, no ORM object (the pages show a file's id, name and size only); built once.
_draft, _attachment = Draft.__table__, Attachment.__table__
DRAFT_WITH_FILES = (
    select(_draft.c.data, _draft.c.attachment_token, _draft.c.updated_at,
           _attachment.c.id, _attachment.c.original_name, _attachment.c.size)
    .outerjoin(_attachment, and_(_attachment.c.owner_id == _draft.c.owner_id,
                                 _attachment.c.upload_set == _draft.c.attachment_token,
                                 _attachment.c.policy == POLICY,
                                 _attachment.c.subject_id.is_(None)))
    .where(_draft.c.owner_id == bindparam("owner_id"), _draft.c.kind == DRAFT_KIND)
    .order_by(_attachment.c.id))


def load_draft_with_files():
    """The member's unexpired message draft (a row: `data`, `attachment_token`) and its upload set,
    in one statement, as core.drafts.load_with_files gives them: (None, None) without a draft, the
    set None when the draft has no token."""
    user = current_user._get_current_object()
    rows = db.session.execute(DRAFT_WITH_FILES, {"owner_id": user.id}).all()
    if not rows or utcnow() - rows[0].updated_at > timedelta(days=int(current_app.config["DRAFT_RETENTION_DAYS"])):
        return None, None
    draft = rows[0]
    if not draft.attachment_token:
        return draft, None
    files = AttachmentSet(POLICY, user)  # a new set queries nothing: given the draft's token and rows
    files.token = draft.attachment_token
    files.items = [row for row in rows if row.id is not None]  # rows: id, original_name, size
    return draft, files


# The request's values in the writing step rendered once: never typed (forms.base drops NUL),
# never in the catalogue.
WRITING_MARKS = {name: f"\x00msa-writing-{name}\x00" for name in ("body", "lot", "csrf")}


@contextmanager
def _body_marked(form, mark):
    """The form's text replaced by `mark` while a prerendered block is rendered, then given back."""
    body = form.body.data
    form.body.data = mark
    try:
        yield
    finally:
        form.body.data = body


def _csrf_marked(html, token, mark):
    """`html` with the request's CSRF `token` replaced by `mark`; "" (never rendered this way)
    unless the token is found exactly once."""
    return html.replace(token, mark) if html.count(token) == 1 else ""


def pristine_writing_step(context):
    """The writing step (templates/msa/messages/new.html, block `steps`) of a GET without an error
    nor files: HTML that only code, the catalogue path chosen and whether htmx swaps it in decide,
    but for the text, the upload set's signed token and the CSRF token. Rendered once per app for
    that key (core.queue.prerendered) by the block itself, marks in place of the three values,
    which are then put in their place escaped as the text area and Jinja escape them. None
    otherwise: the template renders the block (with the devices of pristine_writing)."""
    state, form, files = context["state"], context["form"], context["files"]
    if state.error or not state.complete or not files.is_pristine or form.body.errors:
        return None
    token = generate_csrf()
    htmx = request.htmx
    swapped = bool(htmx) and not htmx.boosted

    def render_marked():
        with _body_marked(form, WRITING_MARKS["body"]):
            marked = MarkedSet(files, WRITING_MARKS["lot"])
            body_html, attachments_html = pristine_writing(form, marked)
            if body_html is None:
                return ""
            html = str(render_block("msa/messages/new.html", "steps", **dict(
                context, files=marked, body_html=body_html, attachments_html=attachments_html,
                cascade_html=cascade_html(state))))
        return _csrf_marked(html, token, WRITING_MARKS["csrf"])

    service = context["service"]
    key = ("msa.messages.writing", CATALOGUE, tuple(state.codes.items()), service.get("code") if service else None,
           swapped, type(form), files.name, files.policy.name, files.max_count, files.required, request.script_root)
    html = str(prerendered(key, render_marked))
    if not html or any(html.count(mark) != 1 for mark in WRITING_MARKS.values()):
        return None
    for name, value in (("body", escape(form.body._value())), ("lot", escape(files.signed_token)),
                        ("csrf", token)):
        html = html.replace(WRITING_MARKS[name], str(value))
    return Markup(html)


def draft_submission(draft):
    token = draft.data.get("submission") if draft else None
    return token if is_token(token) else None


# --- Home ----------------------------------------------------------------------------------

@bp.route("/messages")
@member_required
def messages(member):
    show_hidden = request.args.get("masquees") == "1"
    query = Conversation.query.filter_by(member_id=current_user.id)
    hidden_count = query.filter_by(hidden=True).count()
    if not show_hidden:
        query = query.filter_by(hidden=False)
    conversations = query.order_by(Conversation.updated_at.desc(), Conversation.id.desc()).all()
    return render("msa/messages/index.html", conversations=conversations, show_hidden=show_hidden,
                  hidden_count=hidden_count, visibility_form=ConversationVisibilityForm())


@bp.route("/messages/<int:conversation_id>/visibilite", methods=["POST"])
@member_required
def messages_visibility(member, conversation_id):
    conversation = own_conversation(conversation_id)
    form = ConversationVisibilityForm()
    if not form.validate_on_submit():
        abort(400)
    hide = request.form.get("action") == "masquer"
    conversation.hidden = hide
    audit.record(current_user, "msa.conversation.hidden" if hide else "msa.conversation.shown", conversation)
    db.session.commit()
    flash("La conversation a été masquée." if hide else "La conversation est de nouveau affichée.", "success")
    return redirect(url_for(".messages", masquees="1" if request.form.get("masquees") == "1" else None))


@bp.route("/messages/envoyer-un-document")
@member_required
def messages_document(member):
    if "msa.documents" in current_app.view_functions:
        return redirect(url_for("msa.documents"))
    return render("msa/messages/document.html")


@bp.route("/messages/service-en-ligne/<code>")
@member_required
def messages_online_service(member, code):
    service = find_online_service(code)
    if service is None:
        abort(404)
    # The portal's own service (or its information page) when Mon espace privé lists it.
    from blueprints.msa.home import find_service, service_url
    _theme, portal_service = find_service(code)
    if portal_service is not None:
        return redirect(service_url(portal_service))
    return render("msa/messages/online_service.html", service=service)


# --- New message -----------------------------------------------------------------------------

@bp.route("/messages/nouveau", methods=["GET", "POST"])
@keeps_input
@member_required
def messages_new(member):
    posted = request.method == "POST"
    if not posted and not wants_fragment():
        # What was posted on an expired session comes back on the page the login returns to, a
        # whole page: never in a cascade step htmx asks for (one query less on each of them).
        replay = take_replay(current_user)
        if replay is not None:
            return _restore_writing(replay)
    state = catalogue().resolve(request.form if posted else request.args)
    service = online_service(state)
    # The draft is read only where it is shown or replaced (not for the cascade's steps).
    writing = posted or (state.complete and (service is None or request.args.get("ecrire") == "1"))
    if not posted:
        form = files = None
        if writing:
            # The draft and its files in one statement; a draft without files: a new set.
            draft, files = load_draft_with_files()
            form = MessageDraftForm(body=draft.data.get("body", "") if draft else "")
            files = files or AttachmentSet.from_request(POLICY)
        context = {"state": state, "service": service, "writing": writing, "form": form, "files": files,
                   "has_errors": bool(state.error)}
        steps_html = pristine_writing_step(context) if writing else None
        if writing and steps_html is None:
            context["body_html"], context["attachments_html"] = pristine_writing(form, files)
        if steps_html is None:
            context["cascade_html"] = cascade_html(state, focus_choices=writing or not state.complete)
        return render("msa/messages/new.html", block="steps", steps_html=steps_html, **context)

    draft = drafts.load(current_user, DRAFT_KIND)
    draft_files = draft.attachment_token if draft else None

    if "annuler" in request.form:
        drafts.discard(current_user, DRAFT_KIND)
        db.session.commit()
        return redirect(url_for(".messages"))
    if not state.complete:
        return redirect(url_for(".messages_new", **state.codes))

    form = MessageWriteForm()
    files = AttachmentSet.from_request(POLICY, token=draft_files)
    save_draft(state, form.body.data, files, draft_submission(draft))
    context = {"state": state, "service": service, "writing": True, "form": form, "files": files}
    if files.is_update or "precedent" in request.form:
        # « Ajouter » / « Retirer » without JavaScript, or « Précédent » from the summary:
        # redisplay with everything kept, without validating.
        return render("msa/messages/new.html", has_errors=files.has_errors, **context)
    valid = form.validate_on_submit()
    valid = files.validate() and valid
    if not valid:
        return render("msa/messages/new.html", status=422, has_errors=True, **context)
    # Post/redirect/get: the summary is a page of its own, so that Back from the « envoyé » page
    # never asks to post the writing step again.
    return redirect(url_for(".messages_summary"), code=303)


def _restore_writing(replay):
    """The writing step posted on an expired session, back after the login: into the message's
    own draft (its files kept), then its writing step."""
    state = catalogue().resolve(replay.form)
    draft = drafts.load(current_user, DRAFT_KIND)
    drafts.save(current_user, DRAFT_KIND,
                {"codes": state.codes, "body": replay.form.get("body", ""),
                 "submission": draft_submission(draft) or new_token()},
                attachment_token=replay.attachment_token or (draft.attachment_token if draft else None))
    if not state.complete:
        return redirect(url_for(".messages_new", **state.codes))
    return redirect(state.url(url_for(".messages_new"), extra={"ecrire": "1"}))


@bp.route("/messages/recapitulatif")
@member_required
def messages_summary(member):
    """« Récapitulatif de ma demande », from the draft. Without one (the message was sent, then
    Back), the messaging home; with an incomplete one, the step to finish."""
    draft, files = load_draft_with_files()
    if draft is None:
        return redirect(url_for(".messages"))
    state = catalogue().resolve(draft.data.get("codes") or {})
    form = MessageDraftForm(body=draft.data.get("body", ""))
    if not (state.complete and form.body.validate(form)):
        return redirect(url_for(".messages_new", **state.codes))
    submission = draft_submission(draft)
    if submission is None:
        submission = new_token()
        drafts.save(current_user, DRAFT_KIND, dict(draft.data, submission=submission),
                    attachment_token=draft.attachment_token)
        files = None  # the commit expired its rows: read them again, in one query
    files = files or AttachmentSet.from_request(POLICY, token=draft.attachment_token)
    context = {"state": state, "service": online_service(state), "form": form, "files": files,
               "submission": submission}
    return render(SUMMARY, content_html=pristine_summary(context), **context)


SUMMARY = "msa/messages/summary.html"
# The request's values in the summary rendered once: never typed (forms.base drops NUL), never in
# the catalogue.
SUMMARY_MARKS = {name: f"\x00msa-summary-{name}\x00" for name in ("body", "submission", "lot", "csrf")}


def pristine_summary(context):
    """The summary's content (templates/msa/messages/summary.html, block `content`) of a message
    without files: HTML that only code and the catalogue path chosen decide, but for the text, the
    submission token, the upload set's signed token and the CSRF token. Rendered once per app and
    path (core.queue.prerendered) by the block itself, marks in place of the four values, which are
    then put in their place escaped as Jinja escapes them. None with files (the template renders
    the block then)."""
    state, form, files = context["state"], context["form"], context["files"]
    if files.items:
        return None
    token = generate_csrf()

    def render_marked():
        with _body_marked(form, SUMMARY_MARKS["body"]):
            html = str(render_block(SUMMARY, "content", **dict(
                context, files=MarkedSet(files, SUMMARY_MARKS["lot"]), submission=SUMMARY_MARKS["submission"])))
        return _csrf_marked(html, token, SUMMARY_MARKS["csrf"])

    service = context["service"]
    key = ("msa.messages.summary", CATALOGUE, tuple(state.codes.items()), service.get("code") if service else None,
           files.name, request.script_root)
    html = str(prerendered(key, render_marked))
    counts = {"body": 2, "submission": 1, "lot": 1, "csrf": 1}
    if not html or any(html.count(SUMMARY_MARKS[name]) != n for name, n in counts.items()):
        return None
    for name, value in (("body", form.body.data), ("submission", context["submission"]),
                        ("lot", files.signed_token), ("csrf", token)):
        html = html.replace(SUMMARY_MARKS[name], str(escape(value)))
    return Markup(html)


@bp.route("/messages/recapitulatif", methods=["POST"])
@member_required
@notifies
def messages_send(member):
    state = catalogue().resolve(request.form)
    form = MessageWriteForm()
    send_form = MessageSendForm()
    files = AttachmentSet.from_request(POLICY)
    if not state.complete:
        return redirect(url_for(".messages_new", **state.codes))
    if not (form.validate_on_submit() and files.validate()):
        # Only a forged or expired form gets here: back to the writing step, text kept.
        return render("msa/messages/new.html", status=422, has_errors=True, state=state,
                      service=online_service(state), writing=True, form=form, files=files)
    if member.organisation_id is None:
        abort(409)
    try:
        conversation = service.send_message(member, current_user, state, form.body.data, files,
                                            token_or_new(send_form.submission.data))
    except SubmissionReplayed:
        # Not this member's summary: nothing sent; the summary again with everything kept and a
        # new token, so that « Envoyer » sends it once if it is really wanted.
        send_form.submission.data = new_token()
        save_draft(state, form.body.data, files, send_form.submission.data)
        return render("msa/messages/summary.html", status=409, has_errors=True, replayed=REPLAYED, state=state,
                      service=online_service(state), form=form, files=files, submission=send_form.submission.data)
    return redirect(url_for(".messages_sent", conversation_id=conversation.id), code=303)


@bp.route("/messages/<int:conversation_id>/envoye")
@member_required
def messages_sent(member, conversation_id):
    conversation = own_conversation(conversation_id)
    return render("msa/messages/sent.html", conversation=conversation, sms=bool(member.mobile))


@bp.route("/messages/<int:conversation_id>/accuse-de-reception.pdf")
@member_required
def messages_receipt(member, conversation_id):
    conversation = own_conversation(conversation_id)
    return receipt_response(message_receipt(conversation), f"accuse-de-reception-message-{conversation.id}.pdf")


# --- Conversation ----------------------------------------------------------------------------

@bp.route("/messages/<int:conversation_id>", methods=["GET", "POST"])
@keeps_input
@member_required
def messages_conversation(member, conversation_id):
    conversation = own_conversation(conversation_id)
    can_reply = conversation.can_reply(current_user)
    # A reply posted on an expired session comes back after the login.
    replay = take_replay(current_user) if can_reply and request.method == "GET" else None
    form = (MessageReplyForm(formdata=replay.form) if replay else MessageReplyForm()) if can_reply else None
    files = (AttachmentSet.from_request(POLICY, token=replay.attachment_token if replay else None)
             if can_reply else None)

    if request.method == "POST":
        if not can_reply:
            # Closed by an agent while the member was writing: nothing is added, the page says why
            # and gives back the text typed, so that it can go into a new message.
            return render("msa/messages/conversation.html", status=409, conversation=conversation, form=None,
                          files=None, attachments=_attachments(conversation), has_errors=True,
                          unsent=request.form.get("body", "").strip())
        if not files.is_update:
            valid = form.validate_on_submit()
            valid = files.validate() and valid
            if valid:
                try:
                    service.reply(conversation, current_user, form.body.data, files, form.submission.data)
                    db.session.commit()
                except (SubmissionReplayed, IntegrityError):
                    # The same reply posted twice at once (its twin was added), or a forged token.
                    db.session.rollback()
                    if service.replied_with(form.submission.data, conversation, current_user) is None:
                        abort(409)
                flash("Votre réponse a bien été envoyée.", "success")
                return redirect(url_for(".messages_conversation", conversation_id=conversation.id), code=303)
        status = 200 if files.is_update else 422
        return render("msa/messages/conversation.html", status=status, conversation=conversation, form=form,
                      files=files, attachments=_attachments(conversation),
                      has_errors=bool(files.errors) or status == 422)

    if conversation.unread_by_member:
        conversation.unread_by_member = False
        db.session.commit()
    return render("msa/messages/conversation.html", block="thread", conversation=conversation, form=form,
                  files=files, attachments=_attachments(conversation))


def _attachments(conversation):
    return {m.id: attachments_of(m) for m in conversation.messages}
