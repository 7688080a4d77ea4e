"""The organisation a technician works on, chosen after login and kept in the session.

Every page of the portal shows it: the convention, its organisation and the organisation's
settings are kept in memory between requests as snapshots (core.refcache: reloaded at once after
an agent changes them, and at least every minute)."""
from dataclasses import dataclass
from datetime import date
from functools import wraps

from flask import g, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from blueprints.partenaires import bp
from core import refcache
from models import Convention, Organisation, PartnerSettings
from models.partenaires import convention_state

SESSION_KEY = "partner_organisation_id"


@dataclass(frozen=True)
class OrganisationRef:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class ConventionRef:
    """What the pages read of a Convention; `state()` is the model's own rule."""
    id: int
    structure_id: int
    organisation_id: int
    start_date: date
    end_date: date | None
    organisation: OrganisationRef
    settings: PartnerSettings | None  # a copy attached to no session

    def state(self, today=None):
        return convention_state(self, today)


def _snapshot(convention):
    org = convention.organisation
    settings = org.partner_settings
    if settings is not None:
        settings = PartnerSettings(organisation_id=settings.organisation_id,
                                   ods_offered=list(settings.ods_offered or []),
                                   motives=dict(settings.motives or {}), documents=list(settings.documents or []),
                                   max_active_technicians=settings.max_active_technicians)
    return ConventionRef(convention.id, convention.structure_id, convention.organisation_id, convention.start_date,
                         convention.end_date, OrganisationRef(org.id, org.code, org.name), settings)


def cached_convention(structure_id, organisation_id):
    """The convention's snapshot (None when there is none), from memory while it is fresh."""
    def load():
        convention = (Convention.query
                      .options(joinedload(Convention.organisation).joinedload(Organisation.partner_settings))
                      .filter_by(structure_id=structure_id, organisation_id=organisation_id).first())
        return None if convention is None else _snapshot(convention)
    return refcache.cached(("convention", structure_id, organisation_id), load)


class PartnerContext:
    def __init__(self, convention, state):
        self.convention = convention
        self.organisation = convention.organisation
        self.state = state

    @property
    def settings(self):
        return self.convention.settings

    @property
    def can_create(self):
        return self.state.can_create and self.settings is not None


def structure_conventions(user):
    """The structure's conventions, by organisation name."""
    return (Convention.query.filter_by(structure_id=user.structure_id).join(Organisation)
            .order_by(Organisation.name).all())


def convention_of(user, organisation_id):
    if not organisation_id:
        return None
    # The organisation and its settings come with it: every page of the portal shows them.
    return (Convention.query.options(joinedload(Convention.organisation).joinedload(Organisation.partner_settings))
            .filter_by(structure_id=user.structure_id, organisation_id=organisation_id).first())


def current_context():
    """The chosen organisation if the technician may still enter it, else None (cached per request)."""
    if "partner_context" not in g:
        g.partner_context = None
        if current_user.is_authenticated and current_user.structure_id:
            organisation_id = session.get(SESSION_KEY)
            convention = cached_convention(current_user.structure_id, organisation_id) if organisation_id else None
            if convention is not None:
                state = convention.state()
                if state.can_enter:
                    g.partner_context = PartnerContext(convention, state)
    return g.partner_context


def enter_organisation(user, organisation_id):
    session[SESSION_KEY] = organisation_id
    user.last_organisation_id = organisation_id
    g.pop("partner_context", None)


def leave_organisation():
    session.pop(SESSION_KEY, None)
    g.pop("partner_context", None)


def organisation_required(view):
    """The view needs a chosen organisation; passes it as `ctx`."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        ctx = current_context()
        if ctx is None:
            # Back to this page once chosen (a new login after an expired session lands here);
            # the home page is where the choice leads anyway.
            page = None
            if request.method == "GET" and request.endpoint != "partenaires.home" and not request.headers.get(
                    "HX-Request"):
                page = request.full_path.rstrip("?")
            return redirect(url_for("partenaires.select_organisation", next=page))
        return view(*args, ctx=ctx, **kwargs)
    return wrapped


@bp.context_processor
def partner_template_context():
    return {"partner_ctx": current_context()}
