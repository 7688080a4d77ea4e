"""« Mes services » and « Contacts et informations diverses » (seed 003, §4–§6; slice SERVICES):
the reimbursements (« règlements effectués par l'Apgis ») and the statements (« décomptes
mensuels et/ou ponctuels »), newest first, filtered by period (a GET form: htmx swaps the list
only), each statement downloadable as a PDF generated from the data; the contribution history
(individual contracts); the documents generated at once (« Nous demander »: the tiers-payant
card, the certificate of affiliation, a hospital cover with the history of those made); the
institution's contacts, its frequently asked questions and its documentation space.

Everything is read through the logged-in insured's own file (`_insured`): another insured's
statement, card, hospital cover or publication answers 404, pages and downloads alike. A
citizen without an Apgis file gets a page that says so."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, request, url_for
from flask_login import current_user

from blueprints.apgis import bp, documents, operations, service
from core.catalogues import load as load_catalogue
from core.queue import paginate
from core.receipts import receipt_response
from core.submission import SubmissionReplayed, create_once
from core.templating import render, wants_fragment
from core.uploads import send_attachment
from forms.apgis_services import HospitalCoverForm, PeriodFilterForm
from models.apgis import (ApgisCard, ApgisContribution, ApgisFaq, ApgisHospitalCover, ApgisInsured,
                          ApgisPublication, ApgisReimbursement, ApgisStatement, CONTRIBUTION_METHODS)
from models.base import utcnow

PER_PAGE = 10
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
COVER_CREATED = ("Votre prise en charge hospitalière n° {reference} est générée : téléchargez-la et "
                 "remettez-la à l’établissement.")


def _insured() -> ApgisInsured:
    """The logged-in citizen's Apgis file; without one, a page that says so (404)."""
    insured = service.insured_of(current_user)
    if insured is None:
        abort(make_response(render("apgis/services_no_file.html", status=404,
                                   title="Aucun dossier d’assuré")))
    return insured


# --- Mes services ----------------------------------------------------------------------------

@bp.route("/mes-services")
def services():
    insured = _insured()
    return render("apgis/services.html", insured=insured, title="Mes services")


def _period_list(insured, model, date_column, order_by):
    filters = PeriodFilterForm(request.args)
    query = filters.apply(model.query.filter(model.insured_id == insured.id), date_column)
    page = paginate(query, filters.page, PER_PAGE, order_by)
    filters.page = page.page
    return filters, page


@bp.route("/remboursements")
def reimbursements():
    insured = _insured()
    filters, page = _period_list(insured, ApgisReimbursement, ApgisReimbursement.paid_on,
                                 (ApgisReimbursement.paid_on.desc(), ApgisReimbursement.id.desc()))
    return render("apgis/reimbursements.html", block="results", insured=insured, filters=filters, page=page,
                  title="Mes remboursements")


@bp.route("/decomptes")
def statements():
    insured = _insured()
    filters, page = _period_list(insured, ApgisStatement, ApgisStatement.issued_on,
                                 (ApgisStatement.issued_on.desc(), ApgisStatement.id.desc()))
    return render("apgis/statements.html", block="results", insured=insured, filters=filters, page=page,
                  title="Mes décomptes")


@bp.route("/decomptes/<int:statement_id>/decompte.pdf")
def statement_pdf(statement_id):
    insured = _insured()
    statement = ApgisStatement.query.filter_by(id=statement_id, insured_id=insured.id).first_or_404()
    return receipt_response(documents.statement_pdf(statement), documents.statement_filename(statement))


@bp.route("/cotisations")
def contributions():
    insured = _insured()
    rows = []
    if insured.individual:
        rows = (ApgisContribution.query.filter_by(insured_id=insured.id)
                .order_by(ApgisContribution.period.desc(), ApgisContribution.id.desc()).all())
    return render("apgis/contributions.html", insured=insured, contributions=rows, methods=CONTRIBUTION_METHODS,
                  month_label=month_label, title="Historique des cotisations")


def month_label(day) -> str:
    """« mars 2026 »."""
    return f"{MONTHS[day.month - 1]} {day.year}"


# --- Nous demander: documents generated at once ------------------------------------------------------

def valid_cards(insured: ApgisInsured) -> list[ApgisCard]:
    """The latest valid card(s): valid today, newest first."""
    today = utcnow().date()
    return (ApgisCard.query.filter(ApgisCard.insured_id == insured.id, ApgisCard.valid_from <= today,
                                   ApgisCard.valid_until >= today)
            .order_by(ApgisCard.issued_at.desc(), ApgisCard.id.desc()).all())


@bp.route("/nous-demander/carte-de-tiers-payant")
def card_download():
    insured = _insured()
    return render("apgis/card_download.html", insured=insured, cards=valid_cards(insured),
                  title="Téléchargement de la carte de tiers payant")


@bp.route("/nous-demander/carte-de-tiers-payant/<int:card_id>/carte.pdf")
def card_pdf(card_id):
    insured = _insured()
    card = ApgisCard.query.filter_by(id=card_id, insured_id=insured.id).first_or_404()
    return receipt_response(documents.card_pdf([card]), f"carte-tiers-payant-{card.number}.pdf")


@bp.route("/nous-demander/certificat-d-affiliation")
def certificate():
    insured = _insured()
    return receipt_response(documents.certificate_pdf(insured, utcnow().date()),
                            f"certificat-affiliation-{insured.member_number}.pdf")


def _hospital_context(insured, form, **extra):
    covers = (ApgisHospitalCover.query.filter_by(insured_id=insured.id)
              .order_by(ApgisHospitalCover.created_at.desc(), ApgisHospitalCover.id.desc()).all())
    return {"insured": insured, "form": form, "covers": covers, "title": "Une prise en charge hospitalière",
            **extra}


@bp.route("/nous-demander/prise-en-charge-hospitaliere", methods=["GET", "POST"])
def hospital():
    insured = _insured()
    form = HospitalCoverForm(beneficiaries=documents.beneficiary_names(insured))
    if request.method == "GET" or not form.validate_on_submit():
        status = 200 if request.method == "GET" or wants_fragment() else 422
        return render("apgis/hospital.html", block="hospital", status=status,
                      has_errors=request.method == "POST", **_hospital_context(insured, form))
    token = form.submission.data
    data = {"beneficiary": form.beneficiary.data, "hospital": form.hospital.data, "finess": form.finess.data,
            "city": form.city.data, "admission_on": form.admission_on.data, "discharge_on": form.discharge_on.data}
    try:
        cover = create_once(
            token, ApgisHospitalCover,
            mine=lambda: ApgisHospitalCover.query.filter_by(submission_token=token, insured_id=insured.id).first(),
            create=lambda: operations.create_hospital_cover(insured, data, token=token),
            found=lambda existing: existing)
    except SubmissionReplayed:
        abort(400)
    message = COVER_CREATED.format(reference=cover.reference)
    if wants_fragment():
        fresh = HospitalCoverForm(formdata=None, beneficiaries=documents.beneficiary_names(insured))
        return render("apgis/hospital.html", block="hospital",
                      **_hospital_context(insured, fresh, confirmation=message, created=cover))
    flash(message, "success")
    return redirect(url_for("apgis.hospital", nouvelle=cover.id, _anchor="historique"), 303)


@bp.route("/nous-demander/prise-en-charge-hospitaliere/<int:cover_id>/prise-en-charge.pdf")
def hospital_pdf(cover_id):
    insured = _insured()
    cover = ApgisHospitalCover.query.filter_by(id=cover_id, insured_id=insured.id).first_or_404()
    return receipt_response(documents.hospital_cover_pdf(cover), documents.hospital_cover_filename(cover))


# --- Contacts et informations diverses ---------------------------------------------------------------

@bp.route("/contacts")
def contacts():
    insured = _insured()
    return render("apgis/contacts.html", insured=insured, contacts=load_catalogue("apgis-contacts"),
                  title="Contacts et informations diverses")


@bp.route("/questions-frequentes")
def faq():
    insured = _insured()
    entries = (ApgisFaq.query.filter_by(organisation_id=insured.organisation_id)
               .order_by(ApgisFaq.position, ApgisFaq.id).all())
    return render("apgis/faq.html", insured=insured, entries=entries, title="Questions fréquentes")


def _publications(insured):
    """The insured's institution's published documents, for everyone or for their contract."""
    return ApgisPublication.query.filter(
        ApgisPublication.organisation_id == insured.organisation_id, ApgisPublication.published.is_(True),
        (ApgisPublication.contract_name.is_(None)) | (ApgisPublication.contract_name == insured.contract_name))


@bp.route("/documentation")
def documentation():
    insured = _insured()
    publications = _publications(insured).order_by(ApgisPublication.created_at.desc(),
                                                   ApgisPublication.id.desc()).all()
    files = {p.id: operations.publication_file(p) for p in publications}
    return render("apgis/documentation.html", insured=insured, publications=publications, files=files,
                  title="Espace documentation")


@bp.route("/documentation/<int:publication_id>/fichier")
def publication_download(publication_id):
    insured = _insured()
    publication = _publications(insured).filter(ApgisPublication.id == publication_id).first_or_404()
    attachment = operations.publication_file(publication)
    if attachment is None:
        abort(404)
    return send_attachment(attachment)



from blueprints.apgis import cli  # noqa: E402,F401  (flask apgis import)
