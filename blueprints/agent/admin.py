"""The administrator's screens: every organisation (create one) and every agent (create one, who
is invited by email). Espace Partenaires settings and conventions stay in blueprints.agent.partenaires.
Administrators only: an agent gets 403."""
from flask import flash, redirect, url_for
from flask_login import current_user

from blueprints.agent import bp
from core import admin, portals
from core.access import roles_required
from core.templating import render
from core.throttle import mail_quota_wait, mail_wait_message
from extensions import db
from forms.admin import AgentCreateForm, OrganisationCreateForm
from models import AuthToken, Organisation, Role, TokenPurpose, User
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


def _agent_state(user):
    if user.active:
        return "Actif"
    pending = AuthToken.query.filter_by(user_id=user.id, purpose=TokenPurpose.ACCOUNT_ACTIVATION.value,
                                        used_at=None).first()
    return "En attente d’activation" if pending is not None else "Désactivé"


@bp.route("/administration/agents", methods=["GET", "POST"])
@roles_required(ADMIN)
def admin_agents():
    form = AgentCreateForm()
    organisations = Organisation.query.order_by(Organisation.name, Organisation.portal).all()
    names = {p.code: p.name for p in portals.REGISTRY.values()}
    form.organisation.choices = [("", "Sélectionnez un organisme")] + [
        (str(o.id), f"{o.name} ({o.code}, {names.get(o.portal, o.portal)})") for o in organisations]
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
    agents = (User.query.filter_by(role=Role.AGENT.value)
              .outerjoin(Organisation, Organisation.id == User.organisation_id)
              .order_by(Organisation.name, User.last_name, User.first_name, User.id).all())
    rows = [(agent, _agent_state(agent)) for agent in agents]
    return render("agent/admin/agents.html", form=form, rows=rows,
                  status=429 if wait else 422 if form.errors else 200)


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
