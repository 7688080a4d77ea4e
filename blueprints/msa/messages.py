"""« Ma messagerie », member side (msa.md part B): conversations, new message (theme → subject →
reason, online-service suggestion, writing, summary, sending), conversation page and replies.

The draft travels with the forms (cascade codes in the query string / hidden inputs, the text in
a hidden input of the summary, files in their signed upload set); a server-side draft (core.drafts)
keeps a copy for the writing step's GET (refresh, back, « Modifier », a new login), never the cookie."""
from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from blueprints.msa import bp, service
from blueprints.msa.context import member_required
from core import audit, drafts
from core.cascade import Cascade
from core.templating import render
from core.throttle import notifies
from core.uploads import MB, AttachmentSet, attachments_of, register_policy
from extensions import db
from forms.msa_messages import (ConversationVisibilityForm, MessageReplyForm, MessageSendForm,
                                MessageWriteForm)
from models.msa import Conversation

CATALOGUE = "msa-messagerie"
POLICY = "msa_message"
DRAFT_KIND = service.DRAFT_KIND

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


def save_draft(state, body, files):
    drafts.save(current_user, DRAFT_KIND, {"codes": state.codes, "body": body or ""},
                attachment_token=files.token)


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
@member_required
def messages_new(member):
    posted = request.method == "POST"
    state = catalogue().resolve(request.form if posted else request.args)
    draft = drafts.load(current_user, DRAFT_KIND)
    draft_body = draft.data.get("body", "") if draft else ""
    draft_files = draft.attachment_token if draft else None
    service = online_service(state)

    if not posted:
        writing = state.complete and (service is None or request.args.get("ecrire") == "1")
        form = files = None
        if writing:
            form = MessageWriteForm(body=draft_body)
            files = AttachmentSet.from_request(POLICY, token=draft_files)
        return render("msa/messages/new.html", block="steps", state=state, service=service, writing=writing,
                      form=form, files=files, has_errors=bool(state.error))

    if "annuler" in request.form:
        drafts.discard(current_user, DRAFT_KIND)
        db.session.commit()
        return redirect(url_for(".messages"))
    if not state.complete:
        return redirect(url_for(".messages_new", **state.codes))

    form = MessageWriteForm()
    files = AttachmentSet.from_request(POLICY, token=draft_files)
    save_draft(state, form.body.data, files)
    context = {"state": state, "service": service, "writing": True, "form": form, "files": files}
    if files.is_update or "precedent" in request.form:
        # « Ajouter » / « Retirer » without JavaScript, or « Précédent » from the summary:
        # redisplay with everything kept, without validating.
        return render("msa/messages/new.html", has_errors=files.has_errors, **context)
    valid = form.validate_on_submit()
    valid = files.validate() and valid
    if not valid:
        return render("msa/messages/new.html", status=422, has_errors=True, **context)
    return render("msa/messages/summary.html", send_form=MessageSendForm(), **context)


@bp.route("/messages/recapitulatif", methods=["POST"])
@member_required
@notifies
def messages_send(member):
    state = catalogue().resolve(request.form)
    form = MessageWriteForm()
    files = AttachmentSet.from_request(POLICY)
    if not state.complete:
        return redirect(url_for(".messages_new", **state.codes))
    if not (form.validate_on_submit() and files.validate()):
        # Only a forged or expired form gets here: back to the writing step, text kept.
        return render("msa/messages/new.html", status=422, has_errors=True, state=state,
                      service=online_service(state), writing=True, form=form, files=files)
    if member.organisation_id is None:
        abort(409)
    conversation = service.send_message(member, current_user, state, form.body.data, files)
    db.session.commit()
    return redirect(url_for(".messages_sent", conversation_id=conversation.id))


@bp.route("/messages/<int:conversation_id>/envoye")
@member_required
def messages_sent(member, conversation_id):
    conversation = own_conversation(conversation_id)
    return render("msa/messages/sent.html", conversation=conversation, sms=bool(member.mobile))


# --- Conversation ----------------------------------------------------------------------------

@bp.route("/messages/<int:conversation_id>", methods=["GET", "POST"])
@member_required
def messages_conversation(member, conversation_id):
    conversation = own_conversation(conversation_id)
    can_reply = conversation.can_reply(current_user)
    form = MessageReplyForm() if can_reply else None
    files = AttachmentSet.from_request(POLICY) if can_reply else None

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
                service.reply(conversation, current_user, form.body.data, files)
                db.session.commit()
                flash("Votre réponse a bien été envoyée.", "success")
                return redirect(url_for(".messages_conversation", conversation_id=conversation.id))
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
