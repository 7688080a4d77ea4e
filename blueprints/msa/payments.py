"""« Mes paiements et mes remboursements » and « Obtenir mes attestations » (msa.md part A): the
member's payments, newest first, filtered by branch and period (a GET form; with htmx only the
table is swapped), and the « Attestation de paiement ou de non paiement » of a period as a PDF."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, BinaryIO, ClassVar

import click

from flask import request
from sqlalchemy import func
from sqlalchemy.orm import Query

from blueprints.msa import bp, member_service
from blueprints.msa.context import member_required
from core.csv_import import finish_import
from core.queue import Choice, Queue
from core.receipts import receipt_response
from core.templating import render
from extensions import db
from forms.msa_services import AttestationRequestForm, last_year
from models.msa_services import BRANCHES, MsaPayment

LAST_12_MONTHS = "12-mois"


class PaymentFilters(Queue):
    """Branch (`branche`) and period (`periode`: « 12-mois » or a year) of the member's list."""
    choices: ClassVar = {"branche": Choice(MsaPayment.branch), "periode": Choice(None)}
    page_sizes = (10,)

    def apply(self, query: Query) -> Query:
        branch, period = self.chosen["branche"], self.chosen["periode"]
        if branch is not None:
            query = query.filter(MsaPayment.branch == branch)
        if period == LAST_12_MONTHS:
            query = query.filter(MsaPayment.paid_on > date.today() - timedelta(days=365))
        elif period is not None:
            year = int(period)
            query = query.filter(MsaPayment.paid_on >= date(year, 1, 1), MsaPayment.paid_on <= date(year, 12, 31))
        return query


def period_choices(member: Any) -> list[tuple[str, str]]:
    """« Les 12 derniers mois », then each year the member was paid in, newest first."""
    first, last = db.session.query(func.min(MsaPayment.paid_on), func.max(MsaPayment.paid_on)) \
        .filter(MsaPayment.member_id == member.id).one()
    years = range(last.year, first.year - 1, -1) if first and last else ()
    return [(LAST_12_MONTHS, "Les 12 derniers mois")] + [(str(y), f"Année {y}") for y in years]


@bp.route("/paiements")
@member_required
def payments(member):
    periods = period_choices(member)
    filters = PaymentFilters.from_args(request.args, branche=set(BRANCHES), periode={code for code, _ in periods})
    page = filters.paginate(MsaPayment.of_member(member), order_by=(MsaPayment.paid_on.desc(), MsaPayment.id.desc()))
    return render("msa/payments.html", block="results", filters=filters, page=page, branches=list(BRANCHES.items()),
                  periods=periods, period_labels=dict(periods))


@bp.route("/attestations", methods=["GET", "POST"])
@member_required
def attestations(member):
    start, end = last_year()
    form = AttestationRequestForm(data={"start": start, "end": end})
    if form.validate_on_submit():
        pdf, paid = member_service.attestation_pdf(member, form.start.data, form.end.data)
        kind = "paiement" if paid else "non-paiement"
        return receipt_response(pdf, f"attestation-{kind}-{form.start.data:%Y%m%d}-{form.end.data:%Y%m%d}.pdf")
    return render("msa/attestations.html", form=form, last_year=start.year,
                  status=422 if form.is_submitted() else 200)


# --- flask msa import-payments -------------------------------------------------------------------

bp.cli.help = "MSA member space: import the payments members see (CSV, all or nothing)."


@bp.cli.command("import-payments")
@click.argument("file", type=click.File("rb"))
def import_payments_command(file: BinaryIO) -> None:
    """Import payments from FILE (CSV, UTF-8, ';'-separated, header nir;date;branche;libelle;montant,
    dates DD/MM/YYYY, amounts like 1234,56, branch sante, famille, retraite or action-sociale).
    The whole file is checked first: any bad line is reported with its number and nothing is saved."""
    report = member_service.import_payments(file.read())
    finish_import(report, False, [f"{report.imported} payment(s) imported"])
