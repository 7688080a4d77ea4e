"""« Historique des demandes » (seed 002, section VI.1): the requests of the technician's structure
for the selected organisation, sorted, filtered, searched and paginated by one GET form.

Without JavaScript the form submits by GET; with htmx the list region is swapped in place and the
URL pushed, so any state is a bookmarkable URL that renders the whole page on its own.
Two queries per page: one COUNT and one page of rows, both on the (organisation, structure, …)
indexes of models/partenaires.py."""
import math

from flask import request
from flask_login import current_user
from jinja2_fragments.flask import render_block
from sqlalchemy import case, func
from sqlalchemy.orm import load_only

from blueprints.partenaires import bp
from blueprints.partenaires.context import organisation_required
from core.queue import fold_search
from core.templating import render
from forms.partenaires_followup import ORDERS, SORTS, STATUS_FILTERS, HistoryFilterForm
from models.partenaires import PartnerRequest, PartnerRequestCount, Status, catalogue, fold_text

TEMPLATE = "partenaires/history.html"
RESULTS_ID = "historique-resultats"
FORM_ID = "historique-filtres"
PAGINATION_WINDOW = 2  # pages shown each side of the current one


def structure_requests(ctx, user=None):
    """Every request the user's structure may see for the selected organisation: the only way
    views of this portal load requests (anything else answers 404)."""
    user = user or current_user
    return PartnerRequest.query.filter(PartnerRequest.organisation_id == ctx.organisation.id,
                                       PartnerRequest.structure_id == user.structure_id,
                                       # `!=` rather than IN: lets the planner walk the
                                       # (organisation, structure, created_at) index in order.
                                       PartnerRequest.status != Status.CANCELLED.value)


# --- Search --------------------------------------------------------------------------------

def _search(query, text):
    """A request number (or part of one), or the words of the person's name in any order."""
    digits = text.replace(" ", "")
    if digits.isascii() and digits.isdigit():
        return query.filter(PartnerRequest.number.like(f"%{digits}%"))
    return query.filter(fold_search(PartnerRequest.person_sort_key, text))


# --- Sorting -------------------------------------------------------------------------------

def _rank(column, labels_by_value):
    """CASE giving each stored value the rank of its label in alphabetical order (independent of
    the database's collation)."""
    ordered = sorted(labels_by_value, key=lambda v: fold_text(labels_by_value[v]))
    return case({value: rank for rank, value in enumerate(ordered)}, value=column, else_=len(ordered))


def _sort_key(sort):
    if sort == "date-statut":
        return PartnerRequest.status_at
    if sort == "offre":
        return _rank(PartnerRequest.ods, {o["code"]: o["label"] for o in catalogue()["ods"]})
    if sort == "statut":
        return _rank(PartnerRequest.status, STATUS_FILTERS)
    if sort == "demandeur":
        return PartnerRequest.requester_sort_key
    if sort == "personne":
        return PartnerRequest.person_sort_key
    return PartnerRequest.created_at


def _ordered(query, sort, order):
    def direction(column):
        return column.asc() if order == "az" else column.desc()
    if sort == "depot":
        # id follows created_at in the index (rowid on SQLite): ties stay in index order.
        return query.order_by(direction(PartnerRequest.created_at), direction(PartnerRequest.id))
    keys = [direction(_sort_key(sort))]
    # Ties: newest first, whatever the order chosen, so that pages never overlap.
    return query.order_by(*keys, PartnerRequest.created_at.desc(), PartnerRequest.id.desc())


# --- Pagination ----------------------------------------------------------------------------

class Page:
    def __init__(self, number, size, total):
        self.size = size
        self.total = total
        self.count = max(math.ceil(total / size), 1)
        self.number = min(max(number, 1), self.count)

    @property
    def offset(self):
        return (self.number - 1) * self.size

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def has_next(self):
        return self.number < self.count

    def links(self):
        """Page numbers to show, None for an ellipsis: 1 … 4 5 [6] 7 8 … 20."""
        shown = {1, self.count} | set(range(self.number - PAGINATION_WINDOW, self.number + PAGINATION_WINDOW + 1))
        pages, previous = [], 0
        for n in sorted(p for p in shown if 1 <= p <= self.count):
            if n - previous > 1:
                pages.append(None)
            pages.append(n)
            previous = n
        return pages


def page_number(raw):
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) <= 9 else 1


def total_label(n):
    return f"{n} demande{'s' if n > 1 else ''}"


# --- View ----------------------------------------------------------------------------------

LIST_COLUMNS = (PartnerRequest.id, PartnerRequest.number, PartnerRequest.ods, PartnerRequest.created_at,
                PartnerRequest.requester_name, PartnerRequest.person_civility, PartnerRequest.person_last_name,
                PartnerRequest.person_first_name, PartnerRequest.status)


@bp.route("/demandes")
@organisation_required
def history(ctx):
    form = HistoryFilterForm(request.args)
    query = structure_requests(ctx)
    if form.statut.data:
        query = query.filter(PartnerRequest.status == form.statut.data)
    if form.offre.data:
        query = query.filter(PartnerRequest.ods == int(form.offre.data))
    if form.recherche.data:
        query = _search(query, form.recherche.data)

    total = (query.order_by(None).with_entities(func.count()).scalar() if form.recherche.data
             else PartnerRequestCount.history_total(ctx.organisation.id, current_user.structure_id,
                                                    form.statut.data, form.offre.data))
    page = Page(page_number(request.args.get("page")), int(form.par_page.data), total)
    rows = (_ordered(query, form.tri.data, form.ordre.data).options(load_only(*LIST_COLUMNS))
            .limit(page.size).offset(page.offset).all())

    state = form.args()
    context = dict(ctx=ctx, form=form, rows=rows, page=page, state=state, total_label=total_label(total),
                   sort_label=SORTS[form.tri.data], order_label=ORDERS[form.ordre.data],
                   results_id=RESULTS_ID, form_id=FORM_ID,
                   # Focus the results when a pagination link (gone after the swap) was used,
                   # not while the user is working in the form.
                   focus_results=request.headers.get("HX-Trigger") != FORM_ID)
    # Pagination links are boosted (hx-boost) with the results as target: they get the fragment
    # too. request.htmx only chooses the shape of the answer.
    if request.htmx and not request.htmx.history_restore_request and (
            not request.htmx.boosted or request.htmx.target == RESULTS_ID):
        return render_block(TEMPLATE, "results", **context)
    return render(TEMPLATE, **context)
