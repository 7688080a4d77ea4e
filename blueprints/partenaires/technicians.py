"""The technicians of a partner structure, managed by its partner manager (« Gestionnaire
Partenaire »): list, create (activation link by email), deactivate, reactivate.

Only managers, and only their own structure's technicians: another structure's technician is a
404. The number of technicians that are active or awaiting activation never exceeds the smallest
maximum set by the organisations the structure currently has a convention with."""
from functools import wraps

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from blueprints.partenaires import bp, service
from core.access import roles_required
from core.throttle import mail_quota_wait, mail_wait_message
from core.templating import render
from extensions import db
from forms.partenaires_technicians import TechnicianCreateForm, TechnicianStatusForm
from models import Role, TokenPurpose, User
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


def _list_page(form=None, problem=None, status=200):
    technicians = structure_technicians(current_user).order_by(User.last_name, User.first_name, User.id).all()
    rows = [(t, *service.technician_state(t)) for t in technicians]
    return render("partenaires/technicians.html", rows=rows, status=status, problem=problem,
                  action_form=form or TechnicianStatusForm(formdata=None),
                  limit=service.technician_limit(current_user.structure_id),
                  occupied=service.occupied_places(current_user.structure_id))


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
        try:
            user = service.add_technician(current_user, normalize_email(form.email.data), form.civility.data,
                                          form.cleaned_last_name(), form.cleaned_first_name())
        except service.TechnicianRefused as refused:
            (form.email.errors if refused.field == "email" else form.form_errors).append(refused.message)
            if refused.field is None:
                problem = refused.message
        else:
            db.session.commit()
            flash(f"Le compte de {user.first_name} {user.last_name} a été créé. Un courriel lui a été "
                  f"envoyé à {user.email} pour l’activer et choisir son mot de passe.", "success")
            return redirect(url_for("partenaires.technicians"), code=303)
    elif not form.is_submitted():
        # Said before anything is typed, not only after « Valider ».
        problem = service.limit_problem(current_user.structure_id)
    return render("partenaires/technicians_new.html", form=form, problem=problem,
                  status=429 if wait else 422 if form.errors else 200)


@bp.route("/techniciens/<int:user_id>/desactivation", methods=["POST"])
@manager_required
def technician_deactivate(user_id):
    user = load_technician(user_id)
    form = TechnicianStatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.deactivate_technician(current_user, user)
    except service.TechnicianRefused as refused:
        return _list_page(problem=refused.message, status=refused.status)
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
    if service.technician_state(user)[0] == "inactif":
        wait = mail_quota_wait(user.email)
        if wait:
            return _list_page(problem=mail_wait_message(wait), status=429)
    try:
        message = service.reactivate_technician(current_user, user)
    except service.TechnicianRefused as refused:
        return _list_page(problem=refused.message, status=refused.status)
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
    if service.technician_state(user)[0] in ("attente", "expire"):
        wait = mail_quota_wait(user.email)
        if wait:
            return _list_page(problem=mail_wait_message(wait), status=429)
    try:
        service.resend_activation(current_user, user)
    except service.TechnicianRefused as refused:
        return _list_page(problem=refused.message, status=refused.status)
    db.session.commit()
    flash(f"Un nouveau lien d’activation a été envoyé à {user.first_name} {user.last_name} ({user.email}).",
          "success")
    return redirect(url_for("partenaires.technicians"), code=303)
