"""« Mot de passe oublié » from the MSA login (msa.md part A): the member gives the identifier they
log in with (the NIR without key) or their email; the platform's reset link (12 hours, single use,
blueprints/auth) is mailed to the account's address. The answer is the same whether or not an
account matches, and each identifier and IP address has a mail quota."""
from flask import current_app, url_for

from blueprints.msa import bp
from core import audit
from core.access import public
from core.notify import notify
from core.templating import render
from core.throttle import mail_quota_wait, mail_wait_message
from core.urls import public_url
from extensions import db
from forms.msa_services import MsaForgotPasswordForm
from models import AuthToken, TokenPurpose, User
from models.msa import MsaMember
from models.user import normalize_email


def _account(form):
    if form.email:
        return User.query.filter_by(email=normalize_email(form.email)).first()
    member = MsaMember.query.filter_by(nir=form.nir).first()
    return member.user if member is not None else None


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@public
def forgot_password():
    form = MsaForgotPasswordForm()
    if form.validate_on_submit():
        wait = mail_quota_wait(form.email or f"nir:{form.nir}")  # counted whether or not the account exists
        if wait:
            form.identifier.errors.append(mail_wait_message(wait))
            return render("msa/forgot_password.html", form=form, status=429)
        user = _account(form)
        hours = current_app.config["TOKEN_VALIDITY_HOURS"]
        if user is not None and getattr(user, "msa_member", None) is not None \
                and (user.active or user.awaiting_own_activation):
            _, raw = AuthToken.issue(user, TokenPurpose.PASSWORD_RESET, hours)
            notify(user.email, "password_reset", "Réinitialisation de votre mot de passe", user=user,
                   link=public_url("auth.reset_link", token=raw), hours=hours)
            audit.record(None, "password_reset_requested", user)
            db.session.commit()
        return render("msa/forgot_password.html", sent=True, hours=hours)
    return render("msa/forgot_password.html", form=form, status=422 if form.is_submitted() else 200,
                  login_url=url_for("msa.login"))
