"""Portal home, « Mon espace », the PDA personal space and the personal data (slice SPACE): the
portal's presentation; « Mon espace » (tabs « Mon compte » and « Mes demandes de prestation
d'action sociale »); the personal space of the Portail Des Aides; « Mes informations » (editable
once a first application was transmitted); « Mon porte-documents »; « Mes documents reçus »."""
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from blueprints.armees import bp, service
from blueprints.armees.recap import bank_rows, information_rows
from core.access import public
from core.replay import keeps_input, take
from core.templating import render
from core.uploads import UploadRejected, delete_stored, send_attachment
from extensions import db
from forms.armees_informations import InformationsEditForm
from forms.armees_space import PorteDocumentAddForm, PorteDocumentDeleteForm, ReceivedDownloadForm
from models.armees import PORTE_DOCUMENT_KINDS, AidApplication, ReceivedDocument, RessortissantProfile

CONFIRM, MODIFY = "valider", "modifier"  # the buttons of the check after « Enregistrer »
ACCOUNT_TABS = {"compte": "Mon compte", "demandes": "Mes demandes de prestation d’action sociale"}


def _profile() -> RessortissantProfile | None:
    return RessortissantProfile.query.filter_by(user_id=current_user.id).one_or_none()


@bp.route("/")
@public
def index():
    return render("armees/index.html", portal="armees")


@bp.route("/espace/")
def space():
    profile = _profile()
    return render("armees/space.html", profile=profile, first_visit=profile is None or not profile.editable,
                  unread=ReceivedDocument.unread_count(current_user))


@bp.route("/mon-espace/")
def account():
    tab = request.args.get("onglet") if request.args.get("onglet") in ACCOUNT_TABS else "compte"
    applications = []
    if tab == "demandes":
        applications = (AidApplication.query.filter_by(user_id=current_user.id)
                        .order_by(AidApplication.created_at.desc(), AidApplication.id.desc()).all())
    return render("armees/account.html", block="onglet", tab=tab, tabs=ACCOUNT_TABS, user=current_user,
                  citizen=current_user.citizen_profile, applications=applications)


@bp.route("/espace/mes-informations", methods=["GET", "POST"])
@keeps_input
def informations():
    profile = _profile()
    editable = profile is not None and profile.editable
    if request.method == "POST":
        if not editable:
            abort(403)  # « Éditer » only once a first application was transmitted
        form = InformationsEditForm.for_profile(profile, request.form)
        if form.is_refresh() or MODIFY in request.form:  # « Modifier » from the check: the form again
            return render("armees/informations.html", block=form.refresh_block(), profile=profile, form=form,
                          editing=True)
        if form.validate_on_submit() and CONFIRM not in request.form:
            # « Enregistrer »: the changes shown for checking, then « Valider » (seed 000).
            changed = {**service.profile_informations(profile), **form.values()}
            kept = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", CONFIRM)]
            return render("armees/informations.html", profile=profile, confirming=True, kept=kept,
                          rows=information_rows(changed))
        if form.validate_on_submit():
            service.update_informations(profile, form, current_user)
            db.session.commit()
            flash("Vos informations ont été enregistrées.", "success")
            return redirect(url_for("armees.informations"), 303)
        return render("armees/informations.html", profile=profile, form=form, editing=True, status=422)
    replay = take(current_user) if editable else None
    editing = editable and (replay is not None or "editer" in request.args)
    form = InformationsEditForm.for_profile(profile, replay.form if replay else None) if editing else None
    info = service.profile_informations(profile) if profile is not None else {}
    bank = ({"abroad": profile.bank_abroad, "holder": profile.account_holder, "iban": profile.iban,
             "bic": profile.bic} if profile is not None and profile.iban else {})
    return render("armees/informations.html", profile=profile, form=form, editing=editing, editable=editable,
                  rows=information_rows(info) if profile is not None else [], bank=bank_rows(bank))


@bp.route("/espace/porte-documents", methods=["GET", "POST"])
def porte_documents():
    form = PorteDocumentAddForm()
    status = 200
    if form.validate_on_submit():
        try:
            attachment = service.add_porte_document(current_user, form.file.data, form.kind.data)
        except UploadRejected as rejected:
            form.file.errors.append(rejected.message)
        else:
            db.session.commit()
            flash(f"Le fichier « {attachment.original_name} » a été ajouté à votre porte-documents.", "success")
            return redirect(url_for("armees.porte_documents"), 303)
    if form.is_submitted():
        status = 422
    return render("armees/porte_documents.html", form=form, documents=service.porte_documents(current_user),
                  kinds=PORTE_DOCUMENT_KINDS, delete_form=PorteDocumentDeleteForm(), status=status)


@bp.route("/espace/porte-documents/<int:attachment_id>")
def porte_document_file(attachment_id):
    attachment = service.porte_document(current_user, attachment_id) or abort(404)
    return send_attachment(attachment)


@bp.route("/espace/porte-documents/<int:attachment_id>/supprimer", methods=["GET", "POST"])
def porte_document_delete(attachment_id):
    """The bin button posts here: without « confirme » it asks (a page, or the row with htmx)."""
    attachment = service.porte_document(current_user, attachment_id) or abort(404)
    form = PorteDocumentDeleteForm()
    if form.validate_on_submit() and request.form.get("confirme") == "1":
        name = attachment.original_name
        unused = service.delete_porte_document(current_user, attachment)
        db.session.commit()
        delete_stored(unused)
        message = f"Le fichier « {name} » a été supprimé de votre porte-documents."
        if request.htmx:  # the list comes back with the message in it (nothing left to flash)
            return render("armees/porte_documents.html", block="documents",
                          documents=service.porte_documents(current_user), kinds=PORTE_DOCUMENT_KINDS,
                          delete_form=form, message=message)
        flash(message, "success")
        return redirect(url_for("armees.porte_documents"), 303)
    return render("armees/porte_documents.html", block="confirmation", confirm=attachment,
                  kinds=PORTE_DOCUMENT_KINDS, delete_form=form)


@bp.route("/espace/documents-recus")
def received():
    return render("armees/received.html", documents=service.received_documents(current_user),
                  download_form=ReceivedDownloadForm())


@bp.route("/espace/documents-recus/<int:document_id>", methods=["POST"])
def received_file(document_id):
    """« Télécharger le document »: marks it read (a POST: it changes data), then sends it."""
    document = service.received_document(current_user, document_id) or abort(404)
    if not ReceivedDownloadForm().validate_on_submit():
        abort(400)
    service.mark_read(document)
    db.session.commit()
    return send_attachment(document.attachment)
