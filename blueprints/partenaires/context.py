"""The organisation a technician works on, chosen after login and kept in the session."""
from functools import wraps

from flask import g, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from blueprints.partenaires import bp
from models import Convention, Organisation

SESSION_KEY = "partner_organisation_id"


class PartnerContext:
    def __init__(self, convention, state):
        self.convention = convention
        self.organisation = convention.organisation
        self.state = state

    @property
    def settings(self):
        return self.organisation.partner_settings

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
            convention = convention_of(current_user, session.get(SESSION_KEY))
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
