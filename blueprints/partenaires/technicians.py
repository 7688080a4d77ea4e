"""The technicians of a partner structure, managed by its partner manager (« Gestionnaire
Partenaire »): list, create (activation link by email), deactivate, reactivate.

Only managers, and only their own structure's technicians: another structure's technician is a
404. The number of technicians that are active or awaiting activation never exceeds the smallest
maximum set by the organisations the structure currently has a convention with."""
from dataclasses import dataclass
from functools import wraps

from flask import abort, current_app, flash, redirect, url_for
from flask_login import current_user
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError

from blueprints.partenaires import bp
from core import audit
from core.access import roles_required
from core.database import begin_immediate
from core.notify import notify
from core.throttle import mail_quota_wait, mail_wait_message
from core.urls import public_url
from core.templating import render
from extensions import db
from forms.partenaires_technicians import TechnicianCreateForm, TechnicianStatusForm
from models import AuthToken, Convention, Organisation, Role, Structure, TokenPurpose, User, UserSession
from models.base import utcnow
from models.partenaires import paris_today
from models.user import normalize_email

ACTIVATION = TokenPurpose.ACCOUNT_ACTIVATION.value
TECHNICIAN = Role.PARTNER_TECHNICIAN.value


def manager_required(view):
    """Partner managers only (a technician gets 403), and only with a structure."""
    @roles_required(Role.PARTNER_MANAGER.value)
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.structure_id:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def structure_technicians(manager):
    return User.query.filter(User.structure_id == manager.structure_id, User.role == TECHNICIAN)


def load_technician(user_id):
    """A technician of the manager's structure; 404 otherwise."""
    return structure_technicians(current_user).filter(User.id == user_id).first_or_404()


def _pending_activation():
    """SQL condition: the account has an activation link not used yet (it counts as active)."""
    return (db.session.query(AuthToken.id)
            .filter(AuthToken.user_id == User.id, AuthToken.purpose == ACTIVATION, AuthToken.used_at.is_(None))
            .exists())


def _unused_activation_tokens(user):
    return AuthToken.query.filter_by(user_id=user.id, purpose=ACTIVATION, used_at=None).all()


@dataclass(frozen=True)
class TechnicianLimit:
    maximum: int
    organisation: Organisation


def technician_limit(structure_id, today=None):
    """The smallest maximum of active technicians among the organisations the structure has a
    current convention with; None when there is no current convention."""
    today = today or paris_today()
    conventions = (Convention.query.join(Organisation, Organisation.id == Convention.organisation_id)
                   .filter(Convention.structure_id == structure_id, Convention.start_date <= today,
                           or_(Convention.end_date.is_(None), Convention.end_date >= today))
                   .order_by(Organisation.name).all())
    limits = [TechnicianLimit(c.organisation.partner_settings.max_active_technicians, c.organisation)
              for c in conventions if c.organisation.partner_settings is not None]
    return min(limits, key=lambda limit: limit.maximum) if limits else None


def occupied_places(structure_id):
    """Technicians active or awaiting activation."""
    return (User.query.filter(User.structure_id == structure_id, User.role == TECHNICIAN,
                              or_(User.active.is_(True), _pending_activation()))
            .count())


def limit_problem(structure_id):
    """Why one more active technician is refused, or None when there is room. Call it inside the
    transaction that adds the technician (after `_lock_structure`)."""
    limit = technician_limit(structure_id)
    if limit is None:
        return ("Votre structure n’a aucune convention en cours avec un organisme d’Assurance Maladie : "
                "vous ne pouvez pas avoir de technicien actif.")
    occupied = occupied_places(structure_id)
    if occupied >= limit.maximum:
        return (f"Le nombre maximum de techniciens actifs de votre structure est atteint : {limit.maximum} "
                f"technicien{'s' if limit.maximum > 1 else ''} au plus, fixé par {limit.organisation.name} "
                f"(votre structure en compte {occupied}, actifs ou en attente d’activation). "
                "Désactivez un technicien avant d’en ajouter un autre.")
    return None


def _lock_structure(structure_id):
    """Serialise the count-then-add of technicians of one structure: SQLite takes the write lock
    at BEGIN, PostgreSQL locks the structure's row."""
    begin_immediate()
    Structure.query.filter_by(id=structure_id).with_for_update().one()


def technician_state(user, now=None):
    """(code, French label) of a technician's account."""
    if user.active:
        return "actif", "Actif"
    tokens = _unused_activation_tokens(user)
    if tokens:
        now = now or utcnow()
        if all(t.expires_at <= now for t in tokens):
            return "expire", "En attente d’activation (lien expiré)"
        return "attente", "En attente d’activation"
    return "inactif", "Désactivé"


def _send_activation(user):
    hours = current_app.config["TOKEN_VALIDITY_HOURS"]
    for old in _unused_activation_tokens(user):
        old.used_at = utcnow()  # only the newest link works
    _, raw = AuthToken.issue(user, TokenPurpose.ACCOUNT_ACTIVATION, hours)
    notify(user.email, "partenaires_technicien_activation",
           "Espace Partenaires : activez votre compte de Technicien Partenaire", user=user, manager=current_user,
           structure=current_user.structure, hours=hours, link=public_url("auth.activate_link", token=raw))


def _list_page(form=None, problem=None, status=200):
    technicians = structure_technicians(current_user).order_by(User.last_name, User.first_name, User.id).all()
    rows = [(t, *technician_state(t)) for t in technicians]
    return render("partenaires/technicians.html", rows=rows, status=status, problem=problem,
                  action_form=form or TechnicianStatusForm(formdata=None),
                  limit=technician_limit(current_user.structure_id),
                  occupied=occupied_places(current_user.structure_id))


@bp.route("/techniciens")
@manager_required
def technicians():
    return _list_page()


@bp.route("/techniciens/nouveau", methods=["GET", "POST"])
@manager_required
def technician_new():
    form = TechnicianCreateForm()
    problem = None
    wait = form.validate_on_submit() and mail_quota_wait(normalize_email(form.email.data))
    if wait:
        form.form_errors.append(mail_wait_message(wait))
    elif form.validate_on_submit():
        structure_id = current_user.structure_id
        _lock_structure(structure_id)
        email = normalize_email(form.email.data)
        problem = limit_problem(structure_id)
        if problem is None:
            if User.query.filter_by(email=email).first() is not None:
                form.email.errors.append("Cette adresse e-mail est déjà utilisée par un autre compte : "
                                         "saisissez-en une autre.")
            else:
                user = User(email=email, role=TECHNICIAN, active=False, structure_id=structure_id,
                            civility=form.civility.data, last_name=form.cleaned_last_name(),
                            first_name=form.cleaned_first_name())
                db.session.add(user)
                try:
                    db.session.flush()
                except IntegrityError:  # the same address added at the same moment
                    db.session.rollback()
                    form.email.errors.append("Cette adresse e-mail est déjà utilisée par un autre compte : "
                                             "saisissez-en une autre.")
                else:
                    _send_activation(user)
                    audit.record(current_user, "partner_technician_created", user, structure_id=structure_id)
                    db.session.commit()
                    flash(f"Le compte de {user.first_name} {user.last_name} a été créé. Un courriel lui a été "
                          f"envoyé à {user.email} pour l’activer et choisir son mot de passe.", "success")
                    return redirect(url_for("partenaires.technicians"), code=303)
        db.session.rollback()  # ends the locking transaction
        if problem:
            form.form_errors.append(problem)
    elif not form.is_submitted():
        # Said before anything is typed, not only after « Valider ».
        problem = limit_problem(current_user.structure_id)
    return render("partenaires/technicians_new.html", form=form, problem=problem,
                  status=429 if wait else 422 if form.errors else 200)


@bp.route("/techniciens/<int:user_id>/desactivation", methods=["POST"])
@manager_required
def technician_deactivate(user_id):
    user = load_technician(user_id)
    form = TechnicianStatusForm()
    if not form.validate_on_submit():
        abort(400)
    code, _ = technician_state(user)
    if code == "inactif":
        return _list_page(problem=f"Le compte de {user.first_name} {user.last_name} est déjà désactivé : "
                                  "rien n’a été modifié.", status=409)
    user.active = False
    for token in _unused_activation_tokens(user):
        token.used_at = utcnow()  # the activation link no longer reactivates the account
    UserSession.query.filter_by(user_id=user.id).delete()
    audit.record(current_user, "partner_technician_deactivated", user)
    db.session.commit()
    flash(f"Le compte de {user.first_name} {user.last_name} est désactivé : il ne peut plus se connecter.",
          "success")
    return redirect(url_for("partenaires.technicians"), code=303)


@bp.route("/techniciens/<int:user_id>/reactivation", methods=["POST"])
@manager_required
def technician_reactivate(user_id):
    user = load_technician(user_id)
    form = TechnicianStatusForm()
    if not form.validate_on_submit():
        abort(400)
    if technician_state(user)[0] != "inactif":
        return _list_page(problem=f"Le compte de {user.first_name} {user.last_name} n’est pas désactivé : "
                                  "rien n’a été modifié.", status=409)
    wait = mail_quota_wait(user.email)
    if wait:
        return _list_page(problem=mail_wait_message(wait), status=429)
    _lock_structure(user.structure_id)
    problem = limit_problem(user.structure_id)
    if problem:
        db.session.rollback()
        return _list_page(problem=problem, status=409)
    if user.password_hash:
        user.active = True
        message = f"Le compte de {user.first_name} {user.last_name} est réactivé : il peut de nouveau se connecter."
    else:
        # Deactivated before being activated: a new link lets them choose their password.
        _send_activation(user)
        message = (f"Un nouveau lien d’activation a été envoyé à {user.first_name} {user.last_name} "
                   f"({user.email}).")
    audit.record(current_user, "partner_technician_reactivated", user)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("partenaires.technicians"), code=303)


@bp.route("/techniciens/<int:user_id>/lien-activation", methods=["POST"])
@manager_required
def technician_resend(user_id):
    user = load_technician(user_id)
    form = TechnicianStatusForm()
    if not form.validate_on_submit():
        abort(400)
    if technician_state(user)[0] not in ("attente", "expire"):
        return _list_page(problem=f"Le compte de {user.first_name} {user.last_name} n’est pas en attente "
                                  "d’activation : aucun lien n’a été envoyé.", status=409)
    wait = mail_quota_wait(user.email)
    if wait:
        return _list_page(problem=mail_wait_message(wait), status=429)
    _send_activation(user)
    audit.record(current_user, "partner_technician_link_sent", user)
    db.session.commit()
    flash(f"Un nouveau lien d’activation a été envoyé à {user.first_name} {user.last_name} ({user.email}).",
          "success")
    return redirect(url_for("partenaires.technicians"), code=303)
