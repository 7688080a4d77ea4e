"""Apgis managers (« gestionnaires »), slice SERVICES: find an insured (member number or name),
record their reimbursements and group those not yet on a statement into one (« Règlements et
décomptes »); the institution's frequently asked questions and documentation space (« Questions
fréquentes et documentation »). The CSV import of reimbursements is the CLI command
`flask apgis import` (blueprints/apgis/cli.py).

Every object is loaded through a query scoped to the manager's organisation (`core.queue`'s
`agent_organisation`): another institution's insured, statement, question or document is a 404.
Operations live in blueprints/apgis/operations.py. Without JavaScript every action is a POST
answered by a 303 with its confirmation."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import or_

from blueprints.agent import bp
from blueprints.apgis import documents, operations
from core import audit
from core.queue import agent_organisation
from core.receipts import receipt_response
from core.submission import SubmissionReplayed, create_once
from core.templating import render
from core.uploads import MB, AttachmentSet, delete_stored, register_policy, send_attachment
from extensions import db
from forms.agent_apgis_services import (FaqActionForm, FaqForm, InsuredSearchForm, PublicationActionForm,
                                        PublicationForm, ReimbursementRecordForm, StatementCreateForm)
from models import User
from models.apgis import (PORTAL, ApgisFaq, ApgisInsured, ApgisPublication, ApgisReimbursement, ApgisStatement)

PUBLICATION_POLICY = register_policy("apgis_publication", max_count=1, max_size=10 * MB,
                                     extensions=("pdf", "doc", "docx", "odt", "png", "jpg", "jpeg"))
SEARCH_LIMIT = 20


def apgis():
    """The current manager's organisation when it runs the Apgis portal; 403 for anyone else."""
    return agent_organisation(PORTAL)


# --- Règlements et décomptes ---------------------------------------------------------------------

def _search(org, text):
    """The organisation's insured whose member number or names hold every word typed."""
    query = ApgisInsured.query.join(User, User.id == ApgisInsured.user_id).filter(
        ApgisInsured.organisation_id == org.id)
    for word in text.split():
        pattern = f"%{word.replace('%', '').replace('_', '')}%"
        query = query.filter(or_(ApgisInsured.member_number.ilike(pattern), User.last_name.ilike(pattern),
                                 User.first_name.ilike(pattern)))
    return query.order_by(User.last_name, User.first_name, ApgisInsured.id).limit(SEARCH_LIMIT).all()


@bp.route("/apgis/reglements")
def apgis_payments():
    org = apgis()
    form = InsuredSearchForm(request.args)
    results = _search(org, form.text) if form.text else None
    if results is not None and len(results) == 1 and results[0].member_number == form.text:
        return redirect(url_for(".apgis_insured_payments", insured_id=results[0].id), 303)
    return render("agent/apgis/payments.html", organisation=org, form=form, results=results,
                  title="Règlements et décomptes")


def load_insured(insured_id, org):
    return ApgisInsured.query.filter_by(id=insured_id, organisation_id=org.id).first_or_404()


def _insured_context(insured, record_form=None, **extra):
    reimbursements = (ApgisReimbursement.query.filter_by(insured_id=insured.id)
                      .order_by(ApgisReimbursement.paid_on.desc(), ApgisReimbursement.id.desc()).limit(50).all())
    statements = (ApgisStatement.query.filter_by(insured_id=insured.id)
                  .order_by(ApgisStatement.issued_on.desc(), ApgisStatement.id.desc()).all())
    pending = operations.unstated(insured)
    return {"insured": insured, "name": documents.insured_name(insured), "reimbursements": reimbursements,
            "statements": statements, "pending": pending,
            "record_form": record_form or ReimbursementRecordForm(
                formdata=None, beneficiaries=documents.beneficiary_names(insured)),
            "statement_form": StatementCreateForm(formdata=None, prefix="decompte"),
            "title": f"Règlements et décomptes – {documents.insured_name(insured)}", **extra}


@bp.route("/apgis/assures/<int:insured_id>/reglements")
def apgis_insured_payments(insured_id):
    insured = load_insured(insured_id, apgis())
    return render("agent/apgis/insured.html", **_insured_context(insured))


@bp.route("/apgis/assures/<int:insured_id>/reglements", methods=["POST"])
def apgis_reimbursement_record(insured_id):
    insured = load_insured(insured_id, apgis())
    form = ReimbursementRecordForm(beneficiaries=documents.beneficiary_names(insured))
    if not form.validate_on_submit():
        return render("agent/apgis/insured.html", status=422, has_errors=True,
                      **_insured_context(insured, record_form=form))
    token = form.submission.data
    data = {"paid_on": form.paid_on.data, "care_date": form.care_date.data, "beneficiary": form.beneficiary.data,
            "label": form.label.data, "expense_cents": form.expense.data,
            "social_security_cents": form.social_security.data, "apgis_cents": form.apgis.data,
            "payee": form.payee.data}
    try:
        create_once(token, ApgisReimbursement,
                    mine=lambda: ApgisReimbursement.query.filter_by(submission_token=token,
                                                                    insured_id=insured.id).first(),
                    create=lambda: operations.record_reimbursement(insured, current_user, data, token=token),
                    found=lambda existing: existing)
    except SubmissionReplayed:
        abort(400)
    flash("Le remboursement est enregistré.", "success")
    return redirect(url_for(".apgis_insured_payments", insured_id=insured.id, _anchor="remboursements"), 303)


@bp.route("/apgis/assures/<int:insured_id>/decomptes", methods=["POST"])
def apgis_statement_create(insured_id):
    org = apgis()
    insured = load_insured(insured_id, org)
    form = StatementCreateForm(prefix="decompte")
    if not form.validate_on_submit():
        abort(400)
    token = form.submission.data
    existing = ApgisStatement.query.filter_by(submission_token=token, insured_id=insured.id).first()
    if existing is None:
        pending = operations.unstated(insured)
        if not pending:
            flash("Aucun remboursement n’est en attente de décompte : aucun décompte n’a été créé.", "error")
            return redirect(url_for(".apgis_insured_payments", insured_id=insured.id), 303)
        try:
            existing = create_once(
                token, ApgisStatement,
                mine=lambda: ApgisStatement.query.filter_by(submission_token=token, insured_id=insured.id).first(),
                create=lambda: operations.create_statement(insured, current_user, operations.unstated(insured),
                                                           token=token),
                found=lambda statement: statement)
        except (SubmissionReplayed, ValueError):
            abort(400)
    flash(f"Le décompte n° {existing.number} est créé : l’assuré peut le télécharger dans « Mes décomptes ».",
          "success")
    return redirect(url_for(".apgis_insured_payments", insured_id=insured.id, _anchor="decomptes"), 303)


@bp.route("/apgis/decomptes/<int:statement_id>/decompte.pdf")
def apgis_statement_pdf(statement_id):
    org = apgis()
    statement = (ApgisStatement.query.join(ApgisInsured, ApgisInsured.id == ApgisStatement.insured_id)
                 .filter(ApgisStatement.id == statement_id, ApgisInsured.organisation_id == org.id).first_or_404())
    return receipt_response(documents.statement_pdf(statement), documents.statement_filename(statement))


# --- Questions fréquentes et documentation ---------------------------------------------------------

def _contracts(org):
    rows = (db.session.query(ApgisInsured.contract_name).filter(ApgisInsured.organisation_id == org.id,
                                                                 ApgisInsured.contract_name != "")
            .distinct().order_by(ApgisInsured.contract_name).all())
    return [name for (name,) in rows]


def _publications_context(org, faq_form=None, **extra):
    publications = (ApgisPublication.query.filter_by(organisation_id=org.id)
                    .order_by(ApgisPublication.created_at.desc(), ApgisPublication.id.desc()).all())
    return {"organisation": org, "entries": operations.ordered_faq(org.id), "publications": publications,
            "files": {p.id: operations.publication_file(p) for p in publications},
            "faq_form": faq_form or FaqForm(formdata=None), "action_form": FaqActionForm(formdata=None),
            "title": "Questions fréquentes et documentation", **extra}


@bp.route("/apgis/documentation")
def apgis_publications():
    return render("agent/apgis/publications.html", **_publications_context(apgis()))


def _back(anchor):
    return redirect(url_for(".apgis_publications", _anchor=anchor), 303)


@bp.route("/apgis/documentation/questions", methods=["POST"])
def apgis_faq_add():
    org = apgis()
    form = FaqForm()
    if not form.validate_on_submit():
        return render("agent/apgis/publications.html", status=422, has_errors=True,
                      **_publications_context(org, faq_form=form))
    token = form.submission.data
    try:
        create_once(token, ApgisFaq,
                    mine=lambda: ApgisFaq.query.filter_by(submission_token=token, organisation_id=org.id).first(),
                    create=lambda: operations.add_faq(org.id, current_user, form.question.data, form.answer.data,
                                                      token=token),
                    found=lambda entry: entry)
    except SubmissionReplayed:
        abort(400)
    flash("La question est ajoutée aux questions fréquentes.", "success")
    return _back("questions")


def _faq(entry_id, org):
    return ApgisFaq.query.filter_by(id=entry_id, organisation_id=org.id).first_or_404()


@bp.route("/apgis/documentation/questions/<int:entry_id>", methods=["GET", "POST"])
def apgis_faq_edit(entry_id):
    org = apgis()
    entry = _faq(entry_id, org)
    form = FaqForm(obj=entry) if request.method == "GET" else FaqForm()
    if request.method == "POST" and form.validate_on_submit():
        entry.question, entry.answer = form.question.data.strip(), form.answer.data.strip()
        audit.record(current_user, "apgis_faq_edited", entry)
        db.session.commit()
        flash("La question est modifiée.", "success")
        return _back(f"question-{entry.id}")
    return render("agent/apgis/faq_edit.html", entry=entry, form=form, status=422 if form.errors else 200,
                  title="Modifier une question fréquente")


@bp.route("/apgis/documentation/questions/<int:entry_id>/<any(monter, descendre, supprimer):action>",
          methods=["POST"])
def apgis_faq_action(entry_id, action):
    org = apgis()
    if not FaqActionForm().validate_on_submit():
        abort(400)
    entry = _faq(entry_id, org)
    if action == "supprimer":
        operations.delete_faq(entry, current_user)
        message = "La question est supprimée des questions fréquentes."
    elif operations.move_faq(entry, current_user, up=action == "monter"):
        message = "L’ordre des questions est modifié."
    else:
        message = "La question est déjà à cette place : rien n’a été modifié."
    db.session.commit()
    flash(message, "success")
    return _back("questions")


def _new_publication_page(org, form, files, status=200, **extra):
    return render("agent/apgis/publication_new.html", form=form, files=files, status=status,
                  title="Ajouter un document", **extra)


@bp.route("/apgis/documentation/documents/nouveau", methods=["GET", "POST"])
def apgis_publication_new():
    org = apgis()
    form = PublicationForm(contracts=_contracts(org))
    files = AttachmentSet.from_request(PUBLICATION_POLICY, required=True)
    if request.method == "GET":
        return _new_publication_page(org, form, files)
    if files.is_update:  # « Ajouter » / « Retirer » without JavaScript
        return _new_publication_page(org, form, files, has_errors=files.has_errors)
    files_ok = files.validate()
    if not (form.validate_on_submit() and files_ok):
        return _new_publication_page(org, form, files, status=422, has_errors=True)
    token = form.submission.data
    data = {"title": form.title.data, "description": form.description.data,
            "contract_name": form.contract_name.data, "published": form.published.data}
    try:
        publication = create_once(
            token, ApgisPublication,
            mine=lambda: ApgisPublication.query.filter_by(submission_token=token, organisation_id=org.id).first(),
            create=lambda: operations.add_publication(org.id, current_user, data, files, token=token),
            found=lambda existing: existing)
    except SubmissionReplayed:
        abort(400)
    state = "publié" if publication.published else "enregistré sans être publié"
    flash(f"Le document « {publication.title} » est {state}.", "success")
    return _back(f"document-{publication.id}")


def _publication(publication_id, org):
    return ApgisPublication.query.filter_by(id=publication_id, organisation_id=org.id).first_or_404()


@bp.route("/apgis/documentation/documents/<int:publication_id>/fichier")
def apgis_publication_file(publication_id):
    publication = _publication(publication_id, apgis())
    attachment = operations.publication_file(publication)
    if attachment is None:
        abort(404)
    return send_attachment(attachment)


@bp.route("/apgis/documentation/documents/<int:publication_id>/<any(publier, retirer, supprimer):action>",
          methods=["POST"])
def apgis_publication_action(publication_id, action):
    org = apgis()
    if not PublicationActionForm().validate_on_submit():
        abort(400)
    publication = _publication(publication_id, org)
    title = publication.title
    if action == "supprimer":
        names = operations.delete_publication(publication, current_user)
        db.session.commit()
        delete_stored(names)
        flash(f"Le document « {title} » est supprimé.", "success")
        return _back("documents")
    operations.set_published(publication, current_user, action == "publier")
    db.session.commit()
    flash(f"Le document « {title} » est publié : les assurés concernés peuvent le télécharger."
          if action == "publier" else f"Le document « {title} » n’est plus publié.", "success")
    return _back(f"document-{publication.id}")
