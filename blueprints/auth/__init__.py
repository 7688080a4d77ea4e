"""Accounts: login by email, logout, sign-up, forgotten password, email and password changes."""
from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_login import current_user

from core import audit, sessions
from core.access import login_required, public
from core.notify import notify
from core import portals
from core.templating import render
from core.throttle import (account_key, check_secret, get_throttle, ip_key, mail_quota_wait, mail_wait_message,
                           nir_account_key, wait_message, wait_minutes)
from core.urls import public_url, safe_next
from extensions import db
from forms.auth import (ActivationForm, ChangeEmailForm, ChangePasswordForm, ConfirmEmailChangeForm,
                        ForgotPasswordForm, LoginForm, LogoutForm, OwnActivationForm, RegistrationForm,
                        ResetPasswordForm)
from models import AuthToken, CitizenProfile, Role, TokenPurpose, User
from models.user import normalize_email

bp = Blueprint("auth", __name__)

BAD_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."

def home_for(user):
    portal = portals.home_of_role(user.role)
    if portal is not None:
        return url_for(portal.home)
    return url_for("auth.account")


def token_hours():
    return current_app.config["TOKEN_VALIDITY_HOURS"]


# --- Login / logout -------------------------------------------------------------------------

@bp.route("/connexion", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")) or home_for(current_user))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user, status = sessions.attempt_login(User.query.filter_by(email=normalize_email(form.email.data)).first(),
                                     account_key(form.email.data), form.password.data, form, BAD_CREDENTIALS)
        if user is not None:
            sessions.start_session(user)
            audit.record(user, "login")
            db.session.commit()
            flash("Vous êtes connecté.", "success")
            return redirect(safe_next(request.args.get("next")) or home_for(user))
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
        wait = mail_quota_wait(email)
        if wait:
            form.form_errors.append(mail_wait_message(wait))
            return render("auth/register.html", form=form, next_url=next_url, status=429)
        user = User.query.filter_by(email=email).first()
        if user is not None:
            # A public form never changes an existing account: its owner is told by mail.
            _send_account_exists(user, next_url)
        else:
            user = _create_citizen(form, email)
            _, raw = AuthToken.issue(user, TokenPurpose.ACCOUNT_ACTIVATION, token_hours(), payload=next_url or None)
            notify(email, "register_activate", "Activez votre compte", user=user,
                   link=public_url("auth.activate_link", token=raw), hours=token_hours())
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


def _create_citizen(form, email):
    user = User(email=email, role=Role.CITIZEN.value, active=False, civility=form.civility.data,
                first_name=form.first_name.data.strip(), last_name=form.last_name.data.strip(),
                password=form.password.data)
    profile = CitizenProfile(user=user, birth_date=form.birth_date.data, birth_country=form.birth_country.data)
    if form.born_abroad():
        profile.birth_city = form.birth_city_abroad.data.strip()
    else:
        commune = form.birth_commune.data
        profile.birth_insee, profile.birth_postcode, profile.birth_city = commune.insee, commune.postcode, commune.name
    db.session.add_all([user, profile])
    db.session.flush()
    return user


def _send_account_exists(user, next_url):
    """The mail a sign-up with a known address sends to that address. A citizen who signed up and
    has not activated yet gets a new activation link (it asks for the password chosen then)."""
    link = None
    if user.awaiting_own_activation:
        _, raw = AuthToken.issue(user, TokenPurpose.ACCOUNT_ACTIVATION, token_hours(), payload=next_url or None)
        link = public_url("auth.activate_link", token=raw)
    notify(user.email, "register_existing", "Votre compte existe déjà", user=user, link=link,
           hours=token_hours(), login_link=public_url("auth.login"), forgot_link=public_url("auth.forgot_password"))
    audit.record(None, "account_registration_existing", user)


# --- Tokens sent by email: the raw token leaves the URL at once --------------------------------

def _checked_token(raw, purpose):
    """(usable token or None, seconds to wait). Each link or page that presents a token is a try
    under the throttle of the IP address: an unusable token counts as a failure."""
    attempt = get_throttle().attempt(["token:" + ip_key(request.remote_addr)])
    if attempt.wait:
        return None, attempt.wait
    token = AuthToken.find_usable(raw, purpose)
    if token is None:
        attempt.failed()
    else:
        attempt.succeeded()
    return token, 0


def _stash_token(purpose, raw, endpoint):
    token, wait = _checked_token(raw, purpose)
    if token is None:
        return _invalid_link(wait)
    session[f"token_{purpose}"] = raw
    return redirect(url_for(endpoint))


def _stashed_token(purpose):
    return _checked_token(session.get(f"token_{purpose}"), purpose)


def _invalid_link(wait=0):
    if wait:
        return render("auth/message.html", status=429, title="Trop de liens non valides",
                      lines=["Trop de liens expirés ou non valides ont été ouverts depuis votre connexion internet.",
                             f"Réessayez dans {wait_minutes(wait)}."])
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
    """Only a first activation: an account invited by a manager chooses its password here; a
    citizen who signed up types the password chosen then. A deactivated account is never
    reactivated by a link: its manager does it."""
    token, wait = _stashed_token(TokenPurpose.ACCOUNT_ACTIVATION.value)
    if token is None:
        return _invalid_link(wait)
    user = token.user
    if user.awaiting_invitation:
        form = ActivationForm()
    elif user.awaiting_own_activation:
        form = OwnActivationForm()
    else:
        return _invalid_link()
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        if user.awaiting_invitation:
            user.set_password(form.password.data)
        else:
            right, wait = check_secret(user, lambda: user.check_password(form.password.data))
            if not right:
                form.password.errors.append(wait_message(wait) if wait else "Le mot de passe est incorrect.")
                return render("auth/activate.html", form=form, user=user, invited=False,
                              status=429 if wait else 422)
        if not token.use():
            return _invalid_link()
        user.activate()
        for other in AuthToken.query.filter_by(user_id=user.id, purpose=token.purpose, used_at=None):
            other.used_at = token.used_at
        audit.record(user, "account_activated", user)
        db.session.commit()
        session.pop(f"token_{token.purpose}", None)
        sessions.start_session(user)
        flash("Votre compte est désormais actif.", "success")
        return redirect(safe_next(token.payload) or home_for(user))
    return render("auth/activate.html", form=form, user=user, invited=user.awaiting_invitation, status=status)


# --- Forgotten password -----------------------------------------------------------------------

@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = normalize_email(form.email.data)
        wait = mail_quota_wait(email)  # counted whether or not the account exists
        if wait:
            form.form_errors.append(mail_wait_message(wait))
            return render("auth/forgot_password.html", form=form, status=429)
        user = User.query.filter_by(email=email).first()
        # An account that signed up and never activated may reset too: the link proves the address.
        if user is not None and (user.active or user.awaiting_own_activation):
            _, raw = AuthToken.issue(user, TokenPurpose.PASSWORD_RESET, token_hours())
            notify(email, "password_reset", "Réinitialisation de votre mot de passe", user=user,
                   link=public_url("auth.reset_link", token=raw), hours=token_hours())
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
    token, wait = _stashed_token(TokenPurpose.PASSWORD_RESET.value)
    if token is None:
        return _invalid_link(wait)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user = token.user
        if not token.use():
            return _invalid_link()
        user.set_password(form.password.data)
        if user.awaiting_own_activation:
            user.activate()
        sessions.end_all_sessions(user)
        audit.record(user, "password_reset", user)
        notify(user.email, "password_changed", "Votre mot de passe a été modifié", user=user)
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
        user = current_user._get_current_object()
        right, wait = check_secret(user, lambda: user.check_password(form.current_password.data))
        if wait:
            form.current_password.errors.append(wait_message(wait))
            return render("auth/change_password.html", form=form, status=429)
        if not right:
            form.current_password.errors.append("Le mot de passe actuel est incorrect.")
        else:
            user.set_password(form.password.data)
            sessions.end_all_sessions(user)
            audit.record(user, "password_changed", user)
            notify(user.email, "password_changed", "Votre mot de passe a été modifié", user=user)
            db.session.commit()
            sessions.start_session(user)
            flash("Votre mot de passe a été modifié. Vos autres sessions ont été fermées.", "success")
            return redirect(url_for("auth.account"))
    return render("auth/change_password.html", form=form, status=422 if form.is_submitted() else 200)


@bp.route("/adresse-mail", methods=["GET", "POST"])
@login_required
def change_email():
    form = ChangeEmailForm()
    back = safe_next(request.args.get("next")) or url_for("auth.account")  # e.g. the armees « Mon espace »
    if form.validate_on_submit():
        new_email = normalize_email(form.email.data)
        wait = 0 if new_email == current_user.email else mail_quota_wait(new_email)
        if new_email == current_user.email:
            form.email.errors.append("Saisissez une adresse différente de l’adresse actuelle.")
        elif wait:
            form.email.errors.append(mail_wait_message(wait))
            return render("auth/change_email.html", form=form, back=back, status=429)
        else:
            user = current_user._get_current_object()
            _, raw = AuthToken.issue(user, TokenPurpose.EMAIL_CHANGE, token_hours(), payload=new_email)
            notify(new_email, "email_change", "Confirmez votre nouvelle adresse mail", user=user,
                   link=public_url("auth.confirm_email_link", token=raw), hours=token_hours())
            audit.record(user, "email_change_requested", user)
            db.session.commit()
            flash(f"Un courriel a été envoyé à {new_email} avec un lien pour confirmer le changement. "
                  f"Le lien est valable uniquement {token_hours()} heures.", "success")
            return redirect(back)
    return render("auth/change_email.html", form=form, back=back,
                  status=422 if form.is_submitted() else 200)


@bp.route("/adresse-mail/confirmer/<token>")
@public
def confirm_email_link(token):
    return _stash_token(TokenPurpose.EMAIL_CHANGE.value, token, "auth.confirm_email")


@bp.route("/adresse-mail/confirmer", methods=["GET", "POST"])
@public
def confirm_email():
    token, wait = _stashed_token(TokenPurpose.EMAIL_CHANGE.value)
    if token is None:
        return _invalid_link(wait)
    form = ConfirmEmailChangeForm()
    taken = User.query.filter(User.email == token.payload, User.id != token.user_id).first() is not None
    if form.validate_on_submit() and not taken:
        user = token.user
        old_email = user.email
        if not token.use():
            return _invalid_link()
        user.change_email(token.payload)
        audit.record(user, "email_changed", user)
        notify(old_email, "email_changed", "Votre adresse mail a été modifiée", user=user,
               new_email=user.email)
        db.session.commit()
        session.pop(f"token_{token.purpose}", None)
        flash("Votre adresse mail a été mise à jour.", "success")
        return redirect(url_for("auth.account") if current_user.is_authenticated else url_for("auth.login"))
    return render("auth/confirm_email.html", form=form, new_email=token.payload, taken=taken)
