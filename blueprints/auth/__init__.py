"""Accounts: login by email, logout, sign-up, forgotten password, email and password changes."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from core import audit, sessions
from core.access import login_required, public
from core.outbox import queue_email
from core.templating import enabled_portals, render
from core.throttle import account_key, get_throttle, ip_key, nir_account_key, wait_message
from extensions import db
from forms.auth import (ActivationForm, ChangeEmailForm, ChangePasswordForm, ConfirmEmailChangeForm,
                        ForgotPasswordForm, LoginForm, LogoutForm, RegistrationForm, ResetPasswordForm)
from models import AuthToken, CitizenProfile, Role, TokenPurpose, User
from models.user import normalize_email

bp = Blueprint("auth", __name__)

BAD_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."
# A real hash to check against when the account does not exist, so both answers take as long.
_DUMMY_USER = User(email="dummy@invalid", password="Dummy-password-1")

ROLE_HOMES = {
    Role.PARTNER_TECHNICIAN.value: "partenaires", Role.PARTNER_MANAGER.value: "partenaires",
    Role.AGENT.value: "agent",
}


def safe_next(target):
    """Only same-site relative paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def home_for(user):
    portal = ROLE_HOMES.get(user.role)
    if portal and portal in enabled_portals():
        return url_for(f"{portal}.index")
    return url_for("auth.account")


def token_hours():
    return current_app.config["TOKEN_VALIDITY_HOURS"]


def send_template_email(user, to, template, subject, **context):
    body = render_template(f"emails/{template}.txt", user=user, **context)
    return queue_email(to, subject, body, user=user)


# --- Login / logout -------------------------------------------------------------------------

@bp.route("/connexion", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")) or home_for(current_user))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        throttle = get_throttle()
        keys = [account_key(form.email.data), ip_key(request.remote_addr)]
        wait = throttle.wait_seconds(keys)
        if wait:
            form.form_errors.append(wait_message(wait))
            status = 429
        else:
            user = User.query.filter_by(email=normalize_email(form.email.data)).first()
            if user is not None and user.active and user.check_password(form.password.data):
                throttle.reset(keys[0])
                sessions.start_session(user)
                audit.record(user, "login")
                db.session.commit()
                flash("Vous êtes connecté.", "success")
                return redirect(safe_next(request.args.get("next")) or home_for(user))
            if user is None:
                _DUMMY_USER.check_password(form.password.data)
            throttle.record_failure(keys)
            form.form_errors.append(BAD_CREDENTIALS)
            status = 422
    elif form.is_submitted():
        status = 422
    return render("auth/login.html", form=form, status=status)


@bp.route("/deconnexion", methods=["POST"])
@public
def logout():
    form = LogoutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        sessions.end_session()
        flash("Vous êtes déconnecté.", "success")
    return redirect(url_for("main.index"))


@bp.route("/session/prolonger", methods=["POST"])
@login_required
def keep_alive():
    sessions.keep_alive()
    return "", 204


# --- Sign-up --------------------------------------------------------------------------------

@bp.route("/inscription", methods=["GET", "POST"])
@public
def register():
    form = RegistrationForm()
    next_url = safe_next(request.values.get("next")) or ""
    lookup = request.method == "POST" and ("rechercher" in request.form or "changer-pays" in request.form)
    if request.method == "POST" and not lookup and form.validate_on_submit():
        email = normalize_email(form.email.data)
        user = User.query.filter_by(email=email).first()
        if user is not None and user.active:
            send_template_email(user, email, "register_existing", "Votre compte existe déjà")
        else:
            if user is None:
                user = User(email=email, role=Role.CITIZEN.value, active=False)
                db.session.add(user)
            user.civility = form.civility.data
            user.first_name = form.first_name.data.strip()
            user.last_name = form.last_name.data.strip()
            user.set_password(form.password.data)
            profile = user.citizen_profile or CitizenProfile(user=user)
            profile.birth_date = form.birth_date.data
            profile.birth_country = form.birth_country.data
            if form.born_abroad():
                profile.birth_insee = profile.birth_postcode = None
                profile.birth_city = form.birth_city_abroad.data.strip()
            else:
                commune = form.birth_commune.data
                profile.birth_insee, profile.birth_postcode = commune.insee, commune.postcode
                profile.birth_city = commune.name
            db.session.add(profile)
            db.session.flush()
            _, raw = AuthToken.issue(user, TokenPurpose.ACCOUNT_ACTIVATION, token_hours(), payload=next_url or None)
            send_template_email(user, email, "register_activate", "Activez votre compte",
                                link=url_for("auth.activate_link", token=raw, _external=True), hours=token_hours())
            audit.record(None, "account_registered", user)
        db.session.commit()
        return render("auth/message.html", title="Consultez votre boîte mail",
                      lines=[f"Un courriel vient d’être envoyé à {email}.",
                             f"Cliquez sur le lien qu’il contient pour activer votre compte : il est valable "
                             f"{token_hours()} heures.",
                             "Si vous ne le recevez pas, vérifiez vos courriers indésirables."])
    status = 422 if request.method == "POST" and not lookup else 200
    # "Rechercher" (commune) and "Changer de pays" only redraw the form, keeping what was typed.
    return render("auth/register.html", form=form, next_url=next_url, status=status,
                  block="place" if lookup else None)


# --- Tokens sent by email: the raw token leaves the URL at once --------------------------------

def _stash_token(purpose, raw, endpoint):
    session[f"token_{purpose}"] = raw
    return redirect(url_for(endpoint))


def _stashed_token(purpose):
    return AuthToken.find_usable(session.get(f"token_{purpose}"), purpose)


def _invalid_link():
    return render("auth/message.html", status=410, title="Ce lien n’est plus valide",
                  lines=["Ce lien a expiré ou a déjà été utilisé.",
                         "Les liens envoyés par courriel sont valables 12 heures et ne servent qu’une fois."],
                  links=[(url_for("auth.forgot_password"), "Recevoir un nouveau lien de réinitialisation"),
                         (url_for("auth.login"), "Se connecter")])


@bp.route("/activation/<token>")
@public
def activate_link(token):
    return _stash_token(TokenPurpose.ACCOUNT_ACTIVATION.value, token, "auth.activate")


@bp.route("/activation", methods=["GET", "POST"])
@public
def activate():
    token = _stashed_token(TokenPurpose.ACCOUNT_ACTIVATION.value)
    if token is None:
        return _invalid_link()
    user = token.user
    needs_password = not user.password_hash
    form = ActivationForm() if needs_password else ConfirmEmailChangeForm()
    if form.validate_on_submit():
        if needs_password:
            user.set_password(form.password.data)
        token.use()
        user.active = True
        for other in AuthToken.query.filter_by(user_id=user.id, purpose=token.purpose, used_at=None):
            other.used_at = token.used_at
        audit.record(user, "account_activated", user)
        db.session.commit()
        session.pop(f"token_{token.purpose}", None)
        sessions.start_session(user)
        flash("Votre compte est désormais actif.", "success")
        return redirect(safe_next(token.payload) or home_for(user))
    return render("auth/activate.html", form=form, user=user, needs_password=needs_password,
                  status=422 if form.is_submitted() else 200)


# --- Forgotten password -----------------------------------------------------------------------

@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = normalize_email(form.email.data)
        user = User.query.filter_by(email=email).first()
        if user is not None and user.active:
            _, raw = AuthToken.issue(user, TokenPurpose.PASSWORD_RESET, token_hours())
            send_template_email(user, email, "password_reset", "Réinitialisation de votre mot de passe",
                                link=url_for("auth.reset_link", token=raw, _external=True), hours=token_hours())
            audit.record(None, "password_reset_requested", user)
            db.session.commit()
        # Same answer whether or not the account exists.
        return render("auth/message.html", title="Consultez votre boîte mail",
                      lines=[f"Si un compte est lié à l’adresse {email}, un courriel vient de lui être envoyé.",
                             f"Pensez à consulter votre boîte mail, le lien pour réinitialiser le mot de passe "
                             f"est valide pendant {token_hours()} heures."],
                      links=[(url_for("auth.login"), "Retour à la connexion")])
    return render("auth/forgot_password.html", form=form, status=422 if form.is_submitted() else 200)


@bp.route("/mot-de-passe/reinitialiser/<token>")
@public
def reset_link(token):
    return _stash_token(TokenPurpose.PASSWORD_RESET.value, token, "auth.reset_password")


@bp.route("/mot-de-passe/reinitialiser", methods=["GET", "POST"])
@public
def reset_password():
    token = _stashed_token(TokenPurpose.PASSWORD_RESET.value)
    if token is None:
        return _invalid_link()
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user = token.user
        token.use()
        user.set_password(form.password.data)
        sessions.end_all_sessions(user)
        audit.record(user, "password_reset", user)
        send_template_email(user, user.email, "password_changed", "Votre mot de passe a été modifié")
        db.session.commit()
        get_throttle().reset(account_key(user.email))
        login_endpoint = "auth.login"
        member = getattr(user, "msa_member", None)
        if member is not None and "msa.login" in current_app.view_functions:
            # An MSA member logs in by NIR: unlock that login too, and go back to it.
            get_throttle().reset(nir_account_key(member.nir))
            login_endpoint = "msa.login"
        session.clear()
        flash("Votre mot de passe a été réinitialisé. Vous pouvez vous connecter.", "success")
        return redirect(url_for(login_endpoint))
    return render("auth/reset_password.html", form=form, status=422 if form.is_submitted() else 200)


# --- My account -------------------------------------------------------------------------------

@bp.route("/")
@login_required
def account():
    return render("auth/account.html", user=current_user, profile=current_user.citizen_profile)


@bp.route("/mot-de-passe", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append("Le mot de passe actuel est incorrect.")
        else:
            user = current_user._get_current_object()
            user.set_password(form.password.data)
            sessions.end_all_sessions(user)
            audit.record(user, "password_changed", user)
            send_template_email(user, user.email, "password_changed", "Votre mot de passe a été modifié")
            db.session.commit()
            sessions.start_session(user)
            flash("Votre mot de passe a été modifié. Vos autres sessions ont été fermées.", "success")
            return redirect(url_for("auth.account"))
    return render("auth/change_password.html", form=form, status=422 if form.is_submitted() else 200)


@bp.route("/adresse-mail", methods=["GET", "POST"])
@login_required
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        new_email = normalize_email(form.email.data)
        if new_email == current_user.email:
            form.email.errors.append("Saisissez une adresse différente de l’adresse actuelle.")
        else:
            user = current_user._get_current_object()
            _, raw = AuthToken.issue(user, TokenPurpose.EMAIL_CHANGE, token_hours(), payload=new_email)
            send_template_email(user, new_email, "email_change", "Confirmez votre nouvelle adresse mail",
                                link=url_for("auth.confirm_email_link", token=raw, _external=True),
                                hours=token_hours())
            audit.record(user, "email_change_requested", user)
            db.session.commit()
            flash(f"Un courriel a été envoyé à {new_email} avec un lien pour confirmer le changement. "
                  f"Le lien est valable uniquement {token_hours()} heures.", "success")
            return redirect(url_for("auth.account"))
    return render("auth/change_email.html", form=form, status=422 if form.is_submitted() else 200)


@bp.route("/adresse-mail/confirmer/<token>")
@public
def confirm_email_link(token):
    return _stash_token(TokenPurpose.EMAIL_CHANGE.value, token, "auth.confirm_email")


@bp.route("/adresse-mail/confirmer", methods=["GET", "POST"])
@public
def confirm_email():
    token = _stashed_token(TokenPurpose.EMAIL_CHANGE.value)
    if token is None:
        return _invalid_link()
    form = ConfirmEmailChangeForm()
    taken = User.query.filter(User.email == token.payload, User.id != token.user_id).first() is not None
    if form.validate_on_submit() and not taken:
        user = token.user
        old_email = user.email
        token.use()
        user.change_email(token.payload)
        audit.record(user, "email_changed", user)
        send_template_email(user, old_email, "email_changed", "Votre adresse mail a été modifiée",
                            new_email=user.email)
        db.session.commit()
        session.pop(f"token_{token.purpose}", None)
        flash("Votre adresse mail a été mise à jour.", "success")
        return redirect(url_for("auth.account") if current_user.is_authenticated else url_for("auth.login"))
    return render("auth/confirm_email.html", form=form, new_email=token.payload, taken=taken)
