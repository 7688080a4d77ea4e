"""« Historique des demandes » (seed 002, section VI.1): the requests of the technician's structure
for the selected organisation, sorted, filtered, searched and paginated by one GET form.

Without JavaScript the form submits by GET; with htmx the list region is swapped in place and the
URL pushed, so any state is a bookmarkable URL that renders the whole page on its own.
Two queries per page: one COUNT and one page of rows, both on the (organisation, structure, …)
indexes of models/partenaires.py."""
import math
from collections import namedtuple
from functools import lru_cache
from threading import Lock
from urllib.parse import urlencode

from flask import current_app, request, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block
from markupsafe import Markup, escape
from sqlalchemy import bindparam, case, func, select

from blueprints.partenaires import bp
from blueprints.partenaires.context import organisation_required
from core.queue import fold_search
from core.templating import render
from extensions import db
from forms.partenaires_followup import ORDERS, SORTS, STATUS_FILTERS, HistoryFilterForm, HistoryFilters
from models.partenaires import REQUEST_WORKFLOW, PartnerRequest, PartnerRequestCount, Status, catalogue, fold_text

TEMPLATE = "partenaires/history.html"
RESULTS_ID = "historique-resultats"
FORM_ID = "historique-filtres"
PAGINATION_WINDOW = 2  # pages shown each side of the current one


T = PartnerRequest.__table__  # Core columns: the list reads plain rows, not ORM objects


def _visible(organisation_id, structure_id):
    """What a structure may see for an organisation (values or bound parameters)."""
    return (T.c.organisation_id == organisation_id, T.c.structure_id == structure_id,
            # `!=` rather than IN: lets the planner walk the
            # (organisation, structure, created_at) index in order.
            T.c.status != Status.CANCELLED.value)


def structure_requests(ctx, user=None):
    """Every request the user's structure may see for the selected organisation: the only way
    views of this portal load requests (anything else answers 404)."""
    user = user or current_user
    return PartnerRequest.query.filter(*_visible(ctx.organisation.id, user.structure_id))


# --- Search --------------------------------------------------------------------------------

def _search(query, text):
    """A request number (or part of one), or the words of the person's name in any order."""
    return query.filter(_search_clause(text))


def _search_digits(text):
    digits = text.replace(" ", "")
    return digits if digits.isascii() and digits.isdigit() else None


def _search_clause(text):
    digits = _search_digits(text)
    if digits is not None:
        return T.c.number.like(f"%{digits}%")
    return fold_search(T.c.person_sort_key, text)


# --- Sorting -------------------------------------------------------------------------------

def _rank(column, labels_by_value):
    """CASE giving each stored value the rank of its label in alphabetical order (independent of
    the database's collation)."""
    ordered = sorted(labels_by_value, key=lambda v: fold_text(labels_by_value[v]))
    return case({value: rank for rank, value in enumerate(ordered)}, value=column, else_=len(ordered))


def _sort_key(sort):
    if sort == "date-statut":
        return T.c.status_at
    if sort == "offre":
        return _rank(T.c.ods, {o["code"]: o["label"] for o in catalogue()["ods"]})
    if sort == "statut":
        return _rank(T.c.status, STATUS_FILTERS)
    if sort == "demandeur":
        return T.c.requester_sort_key
    if sort == "personne":
        return T.c.person_sort_key
    return T.c.created_at


def _order_by(sort, order):
    def direction(column):
        return column.asc() if order == "az" else column.desc()
    if sort == "depot":
        # id follows created_at in the index (rowid on SQLite): ties stay in index order.
        return direction(T.c.created_at), direction(T.c.id)
    # Ties: newest first, whatever the order chosen, so that pages never overlap.
    return direction(_sort_key(sort)), T.c.created_at.desc(), T.c.id.desc()


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


# --- Rows ----------------------------------------------------------------------------------

ROW_COLUMNS = (T.c.number, T.c.ods, T.c.created_at, T.c.requester_name, T.c.person_civility,
               T.c.person_last_name, T.c.person_first_name, T.c.status)
HistoryRow = namedtuple("HistoryRow", "number ods_label created_at requester_name person_display status_label")
CIVILITIES = {"Mme": "Madame", "M.": "Monsieur"}  # as PartnerRequest.person_display writes them


@lru_cache(maxsize=1)
def ods_labels():
    """Offer of service code -> label, as PartnerRequest.ods_label gives it (the catalogue never
    changes while the app runs)."""
    return {o["code"]: o["label"] for o in catalogue()["ods"]}


def person_display(civility, last_name, first_name):
    """PartnerRequest.person_display for a plain row."""
    if not last_name:
        return ""
    return f"{CIVILITIES.get(civility, civility or '')} {last_name} {first_name}".strip()


@lru_cache(maxsize=None)  # at most 6 sorts × 2 orders × 2 × 2 × 2 statements
def rows_statement(sort, order, by_status, by_ods, by_number):
    """One page of rows for a shape of query, built once: the values come as bound parameters."""
    stmt = select(*ROW_COLUMNS).where(*_visible(bindparam("organisation_id"), bindparam("structure_id")))
    if by_status:
        stmt = stmt.where(T.c.status == bindparam("status"))
    if by_ods:
        stmt = stmt.where(T.c.ods == bindparam("ods"))
    if by_number:
        stmt = stmt.where(T.c.number.like(bindparam("number_pattern")))
    return stmt.order_by(*_order_by(sort, order)).limit(bindparam("limit")).offset(bindparam("offset"))


def page_rows(ctx, filters, page):
    """The rows of `page`, as HistoryRow tuples."""
    digits = _search_digits(filters.recherche) if filters.recherche else None
    stmt = rows_statement(filters.tri, filters.ordre, bool(filters.statut), bool(filters.offre), digits is not None)
    if filters.recherche and digits is None:
        stmt = stmt.where(_search_clause(filters.recherche))
    params = {"organisation_id": ctx.organisation.id, "structure_id": current_user.structure_id,
              "limit": page.size, "offset": page.offset}
    if filters.statut:
        params["status"] = filters.statut
    if filters.offre:
        params["ods"] = int(filters.offre)
    if digits is not None:
        params["number_pattern"] = f"%{digits}%"
    ods, status = ods_labels(), REQUEST_WORKFLOW.label
    return [HistoryRow(number, ods[code], created_at, requester, person_display(civility, last_name, first_name),
                       status(slug))
            for number, code, created_at, requester, civility, last_name, first_name, slug
            in db.session.execute(stmt, params)]


# --- Links ---------------------------------------------------------------------------------

def pagination_html(page, state, position, base_url):
    """The pagination <nav>, built as one string: numbered above the list ("haut"); below it
    ("bas"), only the previous and next pages (the fragment stays small). Query-only URLs
    ("?page=2"): the history is the only page at its path, and every byte counts in a fragment."""
    if page.count <= 1:
        return Markup("")
    query = urlencode(state)
    prefix = f"?{query}&page=" if query else "?page="
    first = str(escape(f"?{query}" if query else base_url))
    prefix = str(escape(prefix))

    def url(n):
        return prefix + str(n) if n > 1 else first
    label = "Pagination (bas de liste)" if position == "bas" else "Pagination"
    parts = [f'<nav class="pagination" aria-label="{label}" hx-boost="true" hx-target="#{RESULTS_ID}" '
             'hx-swap="outerHTML">\n<ul>\n']
    if page.has_previous:
        parts.append(f'<li><a href="{url(page.number - 1)}" rel="prev">Page précédente</a></li>\n')
    if position == "haut":
        for n in page.links():
            if n is None:
                parts.append('<li aria-hidden="true">…</li>\n')
            else:
                current = ' aria-current="page"' if n == page.number else ""
                parts.append(f'<li><a href="{url(n)}" aria-label="Page {n}"{current}>{n}</a></li>\n')
    if page.has_next:
        parts.append(f'<li><a href="{url(page.number + 1)}" rel="next">Page suivante</a></li>\n')
    parts.append("</ul>\n</nav>")
    return Markup("".join(parts))


# --- Filters -------------------------------------------------------------------------------

FILTERS_CACHE_SIZE = 256
_filters_cache = {}  # (script root, filter state) -> the rendered filter <form>
_filters_lock = Lock()


def filters_html(filters):
    """The filter form, rendered once per filter state: a GET form (no CSRF token, nothing of the
    user in it) whose HTML depends only on the normalised values. Kept in a bounded dict, the
    oldest state going first; not in debug mode, where templates change while the app runs."""
    key = (request.script_root, filters.key())
    html = _filters_cache.get(key)
    if html is None:
        html = Markup(render_block(TEMPLATE, "filters", form=HistoryFilterForm(request.args), form_id=FORM_ID,
                                   results_id=RESULTS_ID))
        if current_app.debug:
            return html
        with _filters_lock:
            while len(_filters_cache) >= FILTERS_CACHE_SIZE:
                del _filters_cache[next(iter(_filters_cache))]
            _filters_cache[key] = html
    return html


# --- View ----------------------------------------------------------------------------------

@bp.route("/demandes")
@organisation_required
def history(ctx):
    filters = HistoryFilters(request.args)
    if filters.recherche:
        # A search: the real COUNT (the rows come from page_rows' prebuilt statements).
        query = structure_requests(ctx)
        if filters.statut:
            query = query.filter(PartnerRequest.status == filters.statut)
        if filters.offre:
            query = query.filter(PartnerRequest.ods == int(filters.offre))
        total = _search(query, filters.recherche).order_by(None).with_entities(func.count()).scalar()
    else:
        # Otherwise the counts kept per status and offer (models.partenaires.PartnerRequestCount).
        total = PartnerRequestCount.history_total(ctx.organisation.id, current_user.structure_id,
                                                  filters.statut, filters.offre)
    page = Page(page_number(request.args.get("page")), int(filters.par_page), total)
    rows = page_rows(ctx, filters, page)

    state = filters.args()
    base_url = url_for("partenaires.history")
    # The numbers are digits, kept as they are in a URL: one url_for for every row's link.
    detail_prefix = url_for("partenaires.detail", number="0")[:-1]
    # Pagination links are boosted (hx-boost) with the results as target: they get the fragment
    # too. request.htmx only chooses the shape of the answer.
    htmx = bool(request.htmx)
    fragment = htmx and not request.htmx.history_restore_request and (
        not request.htmx.boosted or request.htmx.target == RESULTS_ID)
    context = dict(ctx=ctx, filters=filters, rows=rows, page=page, total_label=total_label(total),
                   sort_label=SORTS[filters.tri], order_label=ORDERS[filters.ordre],
                   results_id=RESULTS_ID, form_id=FORM_ID, detail_prefix=detail_prefix, htmx=htmx,
                   pagination_top=pagination_html(page, state, "haut", base_url),
                   pagination_bottom=pagination_html(page, state, "bas", base_url),
                   # Focus the results when a pagination link (gone after the swap) was used,
                   # not while the user is working in the form.
                   focus_results=request.headers.get("HX-Trigger") != FORM_ID)
    if fragment:
        return render_block(TEMPLATE, "results", **context)
    return render(TEMPLATE, filters_html=filters_html(filters), **context)
