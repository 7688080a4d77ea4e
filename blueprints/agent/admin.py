"""The administrator's screens: every organisation (create one), every agent (create one, who is
invited by email; deactivate, reactivate) and every partner structure (create one with its manager,
invited by email; add a manager). Espace Partenaires settings and conventions stay in
blueprints.agent.partenaires. Administrators only: an agent gets 403."""
from flask import abort, flash, redirect, url_for
from flask_login import current_user
from sqlalchemy import func

from blueprints.agent import bp
from core import admin, portals
from core.access import roles_required
from core.templating import render
from core.throttle import mail_quota_wait, mail_wait_message
from extensions import db
from forms.admin import (AccountStatusForm, AgentCreateForm, OrganisationCreateForm, PartnerManagerCreateForm,
                         StructureCreateForm)
from models import Organisation, Role, Structure, User
from models.user import normalize_email

ADMIN = Role.ADMIN.value
REFUSED = "Ces informations n’ont pas pu être enregistrées : vérifiez-les et réessayez."
EMAIL_TAKEN = "Cette adresse e-mail est déjà utilisée par un autre compte : saisissez-en une autre."


def _portal_choices():
    return [("", "Sélectionnez un portail")] + [(p.code, p.name) for p in portals.REGISTRY.values()
                                               if p.code != "agent"]


@bp.route("/administration/organismes", methods=["GET", "POST"])
@roles_required(ADMIN)
def admin_organisations():
    form = OrganisationCreateForm()
    form.portal.choices = _portal_choices()
    if form.validate_on_submit():
        code, portal = form.code.data.strip(), form.portal.data
        if Organisation.query.filter_by(portal=portal, code=code).first() is not None:
            form.code.errors.append("Un organisme de ce portail a déjà ce code : saisissez-en un autre.")
        else:
            try:
                org = admin.create_organisation(portal, code, form.name.data, actor=current_user)
            except admin.SetupRefused:
                db.session.rollback()
                form.form_errors.append(REFUSED)
            else:
                db.session.commit()
                flash(f"L’organisme {org.name} ({org.code}) a été créé.", "success")
                return redirect(url_for("agent.admin_organisations"), code=303)
    organisations = Organisation.query.order_by(Organisation.portal, Organisation.name).all()
    names = {p.code: p.name for p in portals.REGISTRY.values()}
    return render("agent/admin/organisations.html", form=form, organisations=organisations, portal_names=names,
                  status=422 if form.errors else 200)


ACCOUNT_STATES = {admin.ACTIVE: "Actif", admin.PENDING: "En attente d’activation", admin.DEACTIVATED: "Désactivé"}


def _agent_form():
    form = AgentCreateForm()
    names = {p.code: p.name for p in portals.REGISTRY.values()}
    form.organisation.choices = [("", "Sélectionnez un organisme")] + [
        (str(o.id), f"{o.name} ({o.code}, {names.get(o.portal, o.portal)})")
        for o in Organisation.query.order_by(Organisation.name, Organisation.portal)]
    return form


def _agents_page(form, status=200, problem=None):
    agents = (User.query.filter_by(role=Role.AGENT.value)
              .outerjoin(Organisation, Organisation.id == User.organisation_id)
              .order_by(Organisation.name, User.last_name, User.first_name, User.id).all())
    rows = [(agent, admin.account_state(agent)) for agent in agents]
    return render("agent/admin/agents.html", form=form, rows=rows, states=ACCOUNT_STATES, problem=problem,
                  status=status)


@bp.route("/administration/agents", methods=["GET", "POST"])
@roles_required(ADMIN)
def admin_agents():
    form = _agent_form()
    wait = form.validate_on_submit() and mail_quota_wait(normalize_email(form.email.data))
    if wait:
        form.form_errors.append(mail_wait_message(wait))
    elif form.validate_on_submit():
        user = _create_agent(form)
        if user is not None:
            db.session.commit()
            flash(f"Le compte de {user.first_name} {user.last_name} a été créé. Un courriel lui a été envoyé à "
                  f"{user.email} pour l’activer et choisir son mot de passe.", "success")
            return redirect(url_for("agent.admin_agents"), code=303)
    return _agents_page(form, status=429 if wait else 422 if form.errors else 200)


def _create_agent(form):
    """The new agent (the caller commits), or None with the reason on the form."""
    email = normalize_email(form.email.data)
    if User.query.filter_by(email=email).first() is not None:
        form.email.errors.append(EMAIL_TAKEN)
        return None
    org = db.session.get(Organisation, int(form.organisation.data))
    try:
        return admin.create_agent(email, form.cleaned_first_name(), form.cleaned_last_name(), org, actor=current_user)
    except admin.SetupRefused:
        db.session.rollback()
        form.form_errors.append(REFUSED)
        return None


def load_agent(user_id):
    """An agent's account; 404 for any other account."""
    return User.query.filter_by(id=user_id, role=Role.AGENT.value).first_or_404()


def _status_change_checked(user, expected):
    """The answer when « Désactiver » / « Réactiver » cannot be done (a forged form: 400; the
    account already changed, by another administrator or a second click: 409), else None."""
    if not AccountStatusForm().validate_on_submit():
        abort(400)
    state = admin.account_state(user)
    if (state == admin.DEACTIVATED) == (expected == admin.DEACTIVATED):
        return None
    who = f"{user.first_name} {user.last_name}"
    problem = (f"Le compte de {who} est déjà désactivé : rien n’a été modifié." if state == admin.DEACTIVATED
               else f"Le compte de {who} n’est pas désactivé : rien n’a été modifié.")
    return _agents_page(_agent_form(), status=409, problem=problem)


@bp.route("/administration/agents/<int:user_id>/desactivation", methods=["POST"])
@roles_required(ADMIN)
def admin_agent_deactivate(user_id):
    user = load_agent(user_id)
    refused = _status_change_checked(user, expected=admin.ACTIVE)
    if refused is not None:
        return refused
    admin.deactivate_account(user, actor=current_user)
    db.session.commit()
    flash(f"Le compte de {user.first_name} {user.last_name} est désactivé : il ne peut plus se connecter.",
          "success")
    return redirect(url_for("agent.admin_agents"), code=303)


@bp.route("/administration/agents/<int:user_id>/reactivation", methods=["POST"])
@roles_required(ADMIN)
def admin_agent_reactivate(user_id):
    user = load_agent(user_id)
    refused = _status_change_checked(user, expected=admin.DEACTIVATED)
    if refused is not None:
        return refused
    if not user.password_hash:  # never activated: a new activation link is mailed
        wait = mail_quota_wait(user.email)
        if wait:
            return _agents_page(_agent_form(), status=429, problem=mail_wait_message(wait))
    if admin.reactivate_account(user, actor=current_user):
        message = f"Le compte de {user.first_name} {user.last_name} est réactivé : il peut de nouveau se connecter."
    else:
        message = (f"Un nouveau lien d’activation a été envoyé à {user.first_name} {user.last_name} "
                   f"({user.email}).")
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("agent.admin_agents"), code=303)


# --- Partner structures and their managers ----------------------------------------------------------

def _managers(structure_ids):
    """{structure id: [(manager, state)]}, by name."""
    managers = {}
    if not structure_ids:
        return managers
    query = (User.query.filter(User.role == Role.PARTNER_MANAGER.value, User.structure_id.in_(structure_ids))
             .order_by(User.last_name, User.first_name, User.id))
    for user in query:
        managers.setdefault(user.structure_id, []).append((user, admin.account_state(user)))
    return managers


def _invite_manager(form, structure_name=None, max_technicians=None, structure=None):
    """The new partner manager (with the new structure when `structure_name` is given), or None
    with the reason next to its field. The caller commits."""
    email = normalize_email(form.email.data)
    if structure_name is not None and Structure.query.filter(
            func.lower(Structure.name) == structure_name.lower()).first() is not None:
        form.name.errors.append("Une structure porte déjà ce nom : saisissez-en un autre.")
    if User.query.filter_by(email=email).first() is not None:
        form.email.errors.append(EMAIL_TAKEN)
    if form.errors:
        return None
    try:
        if structure is None:
            structure = admin.create_structure(structure_name, max_technicians, actor=current_user)
        return admin.create_partner_manager(email, form.cleaned_first_name(), form.cleaned_last_name(), structure,
                                            actor=current_user)
    except admin.SetupRefused:
        db.session.rollback()
        form.form_errors.append(REFUSED)
        return None


def _invited(manager):
    return (f"Un courriel a été envoyé à {manager.first_name} {manager.last_name} ({manager.email}), "
            "gestionnaire de la structure, pour activer son compte et choisir son mot de passe.")


@bp.route("/administration/structures", methods=["GET", "POST"])
@roles_required(ADMIN)
def admin_structures():
    form = StructureCreateForm()
    wait = form.validate_on_submit() and mail_quota_wait(normalize_email(form.email.data))
    if wait:
        form.form_errors.append(mail_wait_message(wait))
    elif form.validate_on_submit():
        manager = _invite_manager(form, structure_name=form.cleaned_name(), max_technicians=form.max_technicians.data)
        if manager is not None:
            db.session.commit()
            flash(f"La structure {manager.structure.name} a été créée. {_invited(manager)}", "success")
            return redirect(url_for("agent.admin_structures"), code=303)
    structures = Structure.query.order_by(Structure.name, Structure.id).all()
    return render("agent/admin/structures.html", form=form, structures=structures,
                  managers=_managers([s.id for s in structures]), states=ACCOUNT_STATES,
                  status=429 if wait else 422 if form.errors else 200)


@bp.route("/administration/structures/<int:structure_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def admin_structure(structure_id):
    structure = db.session.get(Structure, structure_id) or abort(404)
    form = PartnerManagerCreateForm()
    wait = form.validate_on_submit() and mail_quota_wait(normalize_email(form.email.data))
    if wait:
        form.form_errors.append(mail_wait_message(wait))
    elif form.validate_on_submit():
        manager = _invite_manager(form, structure=structure)
        if manager is not None:
            db.session.commit()
            flash(_invited(manager), "success")
            return redirect(url_for("agent.admin_structure", structure_id=structure.id), code=303)
    return render("agent/admin/structure.html", form=form, structure=structure,
                  managers=_managers([structure.id]).get(structure.id, []), states=ACCOUNT_STATES,
                  status=429 if wait else 422 if form.errors else 200)
