"""Filing a request for an offer of service (seed 002, IV) and its confirmation (V.1).

One view per ODS form. Without JavaScript every button posts the whole form and the page comes
back with everything kept; with htmx the motive and the « Accompagnement santé » answers only
redraw the questions that depend on them."""
import secrets

from flask import abort, redirect, request, url_for
from flask_login import current_user

from blueprints.partenaires import bp, service
from blueprints.partenaires.context import organisation_required
from core.replay import keeps_input, take as take_replay
from core.submission import SubmissionReplayed
from core.templating import render, wants_fragment
from core.uploads import MB, AttachmentSet, delete_stored, register_policy, remove_attachments
from extensions import db
from forms.partenaires_ods import REQUEST_FORMS, SAISINE
from models import Organisation, PartnerRequest, Status
from models.partenaires import catalogue, ods_catalogue

TEMPLATE = "partenaires/new_request.html"
ATTACHMENTS = catalogue()["attachments"]
ATTACHMENT_POLICY = register_policy("partenaires_demande", max_count=ATTACHMENTS["max_count"],
                                    max_size=ATTACHMENTS["max_size_mb"] * MB, extensions=ATTACHMENTS["extensions"])
# Name of the buttons (and htmx values) that redraw the questions without validating.
REFRESH = "afficher-questions"
# Hidden inputs rendered with those questions: tell the server what the page showed before.
REPLAYED = ("Ce formulaire a déjà servi à envoyer une autre demande : rien n’a été envoyé. Vérifiez votre "
            "saisie puis cliquez de nouveau sur « Valider ».")
SHOWN_SAISINE, SHOWN_RENUNCIATION = "questions-affichees", "renoncement-affiche"


@bp.route("/demandes/nouvelle/<int:ods>", methods=["GET", "POST"])
@keeps_input
@organisation_required
def new_request(ods, ctx):
    entry = ods_catalogue(ods)
    if entry is None or ctx.settings is None or not ctx.settings.offers(ods):
        abort(404)
    if not ctx.can_create:
        # Convention ended (or not allowed): nothing is read from the post, nothing is stored.
        return render(TEMPLATE, status=403, refused=True, entry=entry, ctx=ctx)

    posted = request.method == "POST"
    # Posted on an expired session: what was typed and added comes back after the login.
    replay = take_replay(current_user) if not posted else None
    form = REQUEST_FORMS[ods](ctx.settings, formdata=replay.form) if replay else REQUEST_FORMS[ods](ctx.settings)
    refresh = request.form.get(REFRESH) if posted else None
    context = {"form": form, "entry": entry, "ctx": ctx, "saisine": SAISINE,
               "attachments_hint": ATTACHMENTS["hint"], "files": None}

    if refresh and wants_fragment():
        return _questions_fragment(form, refresh, context)

    if entry["attachments"]:
        context["files"] = files = AttachmentSet.from_request(ATTACHMENT_POLICY.name,
                                                              token=replay.attachment_token if replay else None)
    else:
        files = None

    if posted and "annuler" in request.form:
        _discard(files)
        return redirect(url_for("partenaires.home"))

    if refresh or (files is not None and files.is_update):
        # « Afficher les questions… », « Ajouter », « Retirer » without JavaScript: redraw with
        # everything kept, validate nothing.
        return render(TEMPLATE, has_errors=bool(files and files.has_errors), **context)

    if posted:
        form_ok = form.validate_on_submit()
        files_ok = files.validate() if files is not None else True
        if form_ok and files_ok and _questions_never_shown(form):
            # Without JavaScript, a renunciation answer ticked and « Valider » pressed at once:
            # the optional questions it opens were never offered. The form comes back with them
            # open and everything kept; the next « Valider » files it.
            return render(TEMPLATE, questions_added=True, **context)
        if form_ok and files_ok:
            try:
                organisation = db.session.get(Organisation, ctx.organisation.id)
                number = service.submit_request(organisation, current_user, form.submission.data,
                                                form.request_fields(), files)
            except SubmissionReplayed:
                # Not this user's form: nothing filed; everything typed is shown again with a new
                # token, so that « Valider » files it once if it is really wanted.
                form.submission.data = secrets.token_hex(16)
                form.form_errors.append(REPLAYED)
                return render(TEMPLATE, status=409, has_errors=True, **context)
            return redirect(url_for("partenaires.request_sent", number=number))
        return render(TEMPLATE, status=422, has_errors=True, **context)
    return render(TEMPLATE, **context)


def _questions_never_shown(form):
    """True when the answers open optional questions the page did not show (their hidden marker
    was not posted). The saisine's own questions are required: left unseen, they fail validation
    and come back as errors."""
    return form.renunciation_shown() and SHOWN_RENUNCIATION not in request.form


def _questions_fragment(form, refresh, context):
    """The questions that depend on the motive (or on the renunciation answers), and a polite
    announcement when they appear or go."""
    label = SAISINE["motive"]
    if refresh == "renoncement":
        before, now = SHOWN_RENUNCIATION in request.form, form.renunciation_shown()
        added = "Trois questions sur le renoncement aux soins ont été ajoutées sous cette liste."
        removed = "Les questions sur le renoncement aux soins ont été retirées du formulaire."
        block = "renunciation"
    else:
        before, now = SHOWN_SAISINE in request.form, form.saisine_shown()
        added = f"Les questions liées au motif « {label} » ont été ajoutées sous la liste des motifs."
        removed = f"Les questions liées au motif « {label} » ont été retirées du formulaire."
        block = "saisine"
    announce = added if now and not before else removed if before and not now else ""
    return render(TEMPLATE, block=block, announce=announce, fragment=block, **context)


def _discard(files):
    """« Annuler »: nothing typed is kept, files added to the form included."""
    if files is None or not files.items:
        return
    unused_files = remove_attachments(files.items)
    db.session.commit()
    delete_stored(unused_files)


@bp.route("/demandes/confirmation/<number>")
@organisation_required
def request_sent(number, ctx):
    """« Un numéro a été assigné à votre demande… », for the technician who filed it."""
    if not (len(number) == 10 and number.isascii() and number.isdigit()):
        abort(404)
    req = (PartnerRequest.query
           .filter_by(number=number, organisation_id=ctx.organisation.id, structure_id=current_user.structure_id,
                      requester_id=current_user.id)
           .filter(PartnerRequest.status != Status.CANCELLED.value)
           .first_or_404())
    return render("partenaires/request_sent.html", req=req, ctx=ctx, entry=ods_catalogue(req.ods))
