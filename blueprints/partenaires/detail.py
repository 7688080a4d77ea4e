"""Detail of a request (seed 002, VI.2), « Compléter la demande » and « Annuler la demande » while
it is Nouveau (VI.2.2), and the download of the files the organisation answered with.

The two actions open in place on the detail page with htmx (the block `actions` is swapped) and
are plain pages without JavaScript (`…/completer`, `…/annuler`: the detail with the form open).
Every object is loaded through `structure_requests` (structure + organisation, never a cancelled
request): anything else is a 404, for pages, fragments and downloads alike. The history's state
travels in the query string so that « Revenir à l'historique » goes back to the same list."""
from urllib.parse import parse_qsl, urlsplit

from flask import abort, current_app, flash, make_response, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from blueprints.partenaires import bp, service
from blueprints.partenaires.context import organisation_required
from blueprints.partenaires.history import page_number, structure_requests
from blueprints.partenaires.requests import ATTACHMENT_POLICY
from core.database import begin_immediate
from core.receipts import receipt_response, request_receipt
from core.replay import keeps_input, take as take_replay
from core.submission import SubmissionReplayed
from core.templating import render, wants_fragment
from core.uploads import AttachmentSet, send_attachment
from extensions import db
from forms.partenaires_followup import DEFAULTS, HistoryFilters, RequestCancelForm, RequestCompleteForm
from models import Attachment
from models.base import utcnow
from models.partenaires import ANSWER_FILES, REQUEST_FILES, PartnerRequest, Status, catalogue, ods_catalogue

TEMPLATE = "partenaires/detail.html"
COMPLETED_MESSAGE = "La demande a bien été prise en compte."
CANCELLED_MESSAGE = ("La demande a été automatiquement supprimée de la liste des demandes affichées dans "
                     "l'historique des demandes.")


# --- Loading -------------------------------------------------------------------------------

def load_request(ctx, number, lock=False):
    """The request of the user's structure for the selected organisation, or 404. `lock` (inside
    a writer transaction) re-reads it locked, for a transition."""
    if not (len(number) == 10 and number.isascii() and number.isdigit()):
        abort(404)
    query = structure_requests(ctx).filter(PartnerRequest.number == number)
    if lock:
        query = query.with_for_update().populate_existing()
    req = query.first()
    if req is None:
        abort(404)
    return req


def sent_files(req):
    return (Attachment.query
            .filter(Attachment.subject_type.in_(REQUEST_FILES.stored_names), Attachment.subject_id == req.id)
            .order_by(Attachment.id).all())


def answer_files(req):
    return (Attachment.query.filter_by(subject_type=ANSWER_FILES.name, subject_id=req.id)
            .order_by(Attachment.id).all())


def answer_files_open(req, now=None):
    """The organisation's files can be downloaded for 15 days after the resolution."""
    expires = req.received_files_expire_at()
    return req.status == Status.RESOLVED.value and expires is not None and (now or utcnow()) <= expires


def history_state(args):
    """The history's filters, sort and page (only valid values): from the detail's own URL (the
    actions carry them), else from the history page the user came from (Referrer-Policy is
    same-origin, and htmx keeps the history's URL in sync with its state)."""
    if not any(name in args for name in (*DEFAULTS, "page")):
        referrer = urlsplit(request.referrer or "")
        if referrer.path == url_for("partenaires.history") and referrer.netloc in ("", request.host):
            args = MultiDict(parse_qsl(referrer.query))
    state = HistoryFilters(args).args()
    page = page_number(args.get("page"))
    if page > 1:
        state["page"] = page
    return state


# --- Display -------------------------------------------------------------------------------

def saisine_answers(req):
    """(question, answers) of « Saisine mission accompagnement santé », in the form's order."""
    data = req.saisine if isinstance(req.saisine, dict) else {}
    cat = catalogue()["saisine"]
    rows = []
    if data.get("consent"):
        rows.append((cat["consent_legend"], [cat["consent_label"]]))
    for key, legend in (("frameworks", "frameworks_legend"), ("care", "care_legend"),
                        ("duration", "duration_legend"), ("causes", "causes_legend")):
        value = data.get(key)
        answers = [str(v) for v in value] if isinstance(value, list) else [str(value)] if value else []
        if answers:
            rows.append((cat[legend], answers))
    return rows


def file_room(req, sent=None):
    sent = sent_files(req) if sent is None else sent
    return max(catalogue()["attachments"]["max_count"] - len(sent), 0)


def files_hint(sent_count, room):
    """The filing form's hint, with the allowance left: « … 5 Mo, 4 supplémentaires maximum (…) »."""
    hint = catalogue()["attachments"]["hint"]
    if not sent_count:
        return hint
    prefix = hint.rsplit(",", 1)[0]
    plural = "s" if sent_count > 1 else ""
    return (f"{prefix}, {room} supplémentaire{'s' if room > 1 else ''} maximum ({sent_count} pièce{plural} "
            f"jointe{plural} déjà envoyée{plural} lors du dépôt).")


def _context(ctx, req, **extra):
    sent = sent_files(req)
    room = file_room(req, sent)
    state = history_state(request.args)
    context = dict(
        ctx=ctx, req=req, entry=ods_catalogue(req.ods), sent=sent, received=answer_files(req),
        received_open=answer_files_open(req), saisine=saisine_answers(req),
        state=state, back_url=url_for("partenaires.history", **state),
        can_act=req.can_complete(current_user), action=None, sent_count=len(sent), file_room=room,
        files_hint=files_hint(len(sent), room), comments_max=catalogue()["comments_max"])
    context.update(extra)
    heading = {"complete": "Compléter la demande n° ", "cancel": "Annuler la demande n° "}
    context["heading"] = heading.get(context["action"], "Détail de la demande n° ") + req.number
    return context


def _page(ctx, req, status=200, **extra):
    return render(TEMPLATE, status=status, **_context(ctx, req, **extra))


def _action(ctx, req, action, status=200, **extra):
    """An inline form: the block alone for htmx, else the detail page with the form open."""
    context = _context(ctx, req, action=action, **extra)
    if wants_fragment():
        return render(TEMPLATE, block="actions", status=status, **context)
    return render(TEMPLATE, status=status, **context)


def _whole_detail(ctx, req, status=200, **extra):
    """For htmx: the whole detail redrawn in place (after a change, or when refused)."""
    response = make_response(render(TEMPLATE, block="request", status=status, **_context(ctx, req, **extra)))
    response.headers["HX-Retarget"] = "#demande"
    response.headers["HX-Reswap"] = "innerHTML"
    return response


def _files_fit(files, room):
    """The files added stay within what the request may still receive (8 in all)."""
    if files is None or not files.items or len(files.items) <= room:
        return files is None or not files.errors
    max_count = catalogue()["attachments"]["max_count"]
    files.errors.append(f"Cette demande a déjà {max_count} pièces jointes : retirez les fichiers ajoutés pour valider."
                        if room == 0 else
                        f"Cette demande ne peut plus recevoir que {room} pièce{'s' if room > 1 else ''} "
                        f"jointe{'s' if room > 1 else ''} : retirez-en pour valider.")
    return False


def _error_status(status):
    """422/409 for pages; 200 for htmx, whose answer carries the errors (as the attachments
    component does: htmx reports any 4xx as a failure in the console)."""
    return 200 if wants_fragment() else status


def _refused(ctx, req):
    """A request no longer Nouveau (or a forged post): nothing changes, 409 with the current state."""
    db.session.rollback()
    notice = (f"Cette demande ne peut plus être complétée ni annulée : son statut est « {req.status_label} ».")
    if wants_fragment():
        return _whole_detail(ctx, req, status=_error_status(409), error_notice=notice)
    return _page(ctx, req, status=409, error_notice=notice)


# --- Views ---------------------------------------------------------------------------------

@bp.route("/demandes/<number>")
@organisation_required
def detail(number, ctx):
    req = load_request(ctx, number)
    if wants_fragment():
        # « Annuler » of an inline form: the action buttons again, focus back on the one used.
        return render(TEMPLATE, block="actions", **_context(ctx, req, closed=request.args.get("ferme")))
    return _page(ctx, req)


@bp.route("/demandes/<number>/completer", methods=["GET", "POST"])
@keeps_input
@organisation_required
def complete_request(number, ctx):
    req = load_request(ctx, number)
    if request.method == "POST" and service.completed_with(request.form.get("submission"), req,
                                                           current_user) is not None:
        # The same form posted again (double click, Back then resend): it completed the request
        # once already, even if an agent has taken it in charge since.
        return _completed(ctx, req)
    if not req.can_complete(current_user):
        return _refused(ctx, req)
    # Posted on an expired session: what was typed and added comes back after the login.
    replay = take_replay(current_user) if request.method == "GET" else None
    form = RequestCompleteForm(formdata=replay.form) if replay else RequestCompleteForm()
    form.set_remaining(req.comment_room())
    # The set exists even when no file can be added any more: files added before a colleague
    # filled the last places are still shown, to be removed.
    files = (AttachmentSet.from_request(ATTACHMENT_POLICY.name, max_count=file_room(req),
                                        token=replay.attachment_token if replay else None)
             if ods_catalogue(req.ods).get("attachments") else None)
    context = {"form": form, "files": files}
    if request.method == "GET":
        return _action(ctx, req, "complete", **context)
    if files is not None and files.is_update:
        # « Ajouter » / « Retirer » without JavaScript: the form again, with what was typed.
        return _action(ctx, req, "complete", has_errors=files.has_errors, **context)

    valid = form.validate_on_submit()
    valid = _files_fit(files, file_room(req)) and valid
    if valid and not form.has_comment() and not (files and files.items):
        form.comment.errors.append("Saisissez un commentaire ou ajoutez une pièce jointe." if files is not None
                                   else "Saisissez un commentaire.")
        valid = False
    if valid:
        begin_immediate()
        req = load_request(ctx, number, lock=True)
        if service.completed_with(form.submission.data, req, current_user) is not None:
            db.session.rollback()  # its twin, posted at the same moment, completed it
            return _completed(ctx, req)
        if not req.can_complete(current_user):
            return _refused(ctx, req)
        # Another technician of the structure may have completed it meanwhile.
        form.set_remaining(req.comment_room())
        if form.has_comment() and len(form.comment.data) > form.comment.max_chars:
            form.comment.errors.append(form.comment.too_long.format(max=form.comment.max_chars,
                                                                    count=len(form.comment.data)))
            valid = False
        valid = _files_fit(files, file_room(req)) and valid
    if not valid:
        db.session.rollback()
        return _action(ctx, req, "complete", status=_error_status(422), has_errors=True, **context)

    try:
        service.complete_request(req, current_user, form.comment.data, files, form.submission.data)
        db.session.commit()
    except (SubmissionReplayed, IntegrityError):
        # A token that completed something else (a forged or replayed form), or its twin's
        # commit won the race (the unique token is the backstop).
        db.session.rollback()
        if service.completed_with(form.submission.data, req, current_user) is None:
            abort(409)
    return _completed(ctx, req)


def _completed(ctx, req):
    """The answer to « Valider »: the detail redrawn (htmx), else a redirect to it (post/redirect/get)."""
    if wants_fragment():
        return _whole_detail(ctx, req, notice=COMPLETED_MESSAGE)
    flash(COMPLETED_MESSAGE, "success")
    return redirect(url_for("partenaires.detail", number=req.number, **history_state(request.args)))


@bp.route("/demandes/<number>/annuler", methods=["GET", "POST"])
@organisation_required
def cancel_request(number, ctx):
    req = load_request(ctx, number)
    if not req.can_cancel(current_user):
        return _refused(ctx, req)
    form = RequestCancelForm()
    if form.validate_on_submit():
        begin_immediate()
        req = load_request(ctx, number, lock=True)
        if not req.can_cancel(current_user):
            return _refused(ctx, req)
        service.cancel_request(req, current_user, form.motive.data)
        db.session.commit()
        flash(CANCELLED_MESSAGE, "success")
        url = url_for("partenaires.history", **history_state(request.args))
        if wants_fragment():
            # The request is gone: the history, as a whole page (the flash message is shown there).
            response = current_app.response_class(status=204)
            response.headers["HX-Redirect"] = url
            return response
        return redirect(url)
    return _action(ctx, req, "cancel", status=_error_status(422) if form.errors else 200, form=form)


@bp.route("/demandes/<number>/pieces-jointes/<int:attachment_id>")
@organisation_required
def answer_file(number, attachment_id, ctx):
    """A file of the organisation's answer, for 15 days after the resolution; 404 otherwise."""
    req = load_request(ctx, number)
    if not answer_files_open(req):
        abort(404)
    attachment = Attachment.query.filter_by(id=attachment_id, subject_type=ANSWER_FILES.name, subject_id=req.id,
                                            organisation_id=req.organisation_id).first()
    if attachment is None:
        abort(404)
    return send_attachment(attachment)


@bp.route("/demandes/<number>/accuse-de-reception.pdf")
@organisation_required
def request_receipt_pdf(number, ctx):
    """The request's dated receipt, for any technician of the structure (as the detail)."""
    req = load_request(ctx, number)
    return receipt_response(request_receipt(req), f"accuse-de-reception-{req.number}.pdf")
