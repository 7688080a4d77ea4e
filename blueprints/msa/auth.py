"""MSA login by NIR (without key) and sign-up with a 6-digit code emailed at once (« Renvoyer le
code » for a new one), the sign-up emails limited per IP address and per sign-up (quotas.py)."""
from flask import abort, flash, redirect, request, session, url_for
from flask_login import current_user

from blueprints.msa import bp, quotas, service
from core import audit, sessions
from core.access import public
from core.database import begin_immediate
from core.templating import render
from core.throttle import nir_account_key
from core.urls import safe_next
from extensions import db
from forms.msa_auth import MsaLoginForm, MsaSignupCodeForm, MsaSignupForm, MsaSignupResendForm
from models.msa import SIGNUP_CODE_MINUTES, SIGNUP_CODE_RESENDS, MsaMember, MsaSignup, SignupCodeError
from models.user import normalize_email

BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."
SIGNUP_SESSION_KEY = "msa_signup"
RESEND_ACTION = "renvoyer"  # name of the « Renvoyer le code » button, posted to the code step
CODE_RESENT = "Un nouveau code vous a été envoyé à l’adresse indiquée. Le code précédent ne fonctionne plus."
NO_MORE_RESENDS = (f"Vous avez déjà demandé {SIGNUP_CODE_RESENDS} nouveaux codes pour cette inscription : "
                   f"vous ne pouvez plus en demander. Saisissez le dernier code reçu, ou recommencez "
                   f"l’inscription.")


def member_home():
    return url_for("msa.index")


def attempt_login(form):
    """Check the credentials of a valid MsaLoginForm with throttling. Returns (user, status).
    A known NIR is throttled as its account (the same budget as the login by email)."""
    member = MsaMember.query.filter_by(nir=form.nir.data).first()
    user = member.user if member is not None else None
    return sessions.attempt_login(user, nir_account_key(form.nir.data), form.password.data, form, BAD_CREDENTIALS)


@bp.route("/connexion", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated and getattr(current_user, "msa_member", None) and request.method == "GET":
        return redirect(safe_next(request.args.get("next")) or member_home())
    form = MsaLoginForm()
    status = 200
    if form.validate_on_submit():
        user, status = attempt_login(form)
        if user is not None:
            sessions.start_session(user)
            audit.record(user, "login")
            db.session.commit()
            flash("Vous êtes connecté.", "success")
            return redirect(safe_next(request.args.get("next")) or member_home())
    elif form.is_submitted():
        status = 422
    return render("msa/login.html", form=form, status=status)


# --- Sign-up ----------------------------------------------------------------------------------

@bp.route("/inscription", methods=["GET", "POST"])
@public
def signup():
    form = MsaSignupForm()
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        email = normalize_email(form.email.data)
        wait = quotas.take(email)
        if wait:  # checked before anything is looked up: the same answer for everyone
            form.form_errors.append(quotas.wait_message(wait))
            return render("msa/signup.html", form=form, status=429)
        details = dict(nir=form.nir.data, email=email, last_name=form.last_name.data.strip(),
                       first_name=form.first_name.data.strip(), birth_date=form.birth_date.data)
        signup_row = service.start_signup(**details)
        db.session.commit()
        session[SIGNUP_SESSION_KEY] = signup_row.token
        return redirect(url_for("msa.signup_code"))
    return render("msa/signup.html", form=form, status=status)


def _signup_ended(reason):
    session.pop(SIGNUP_SESSION_KEY, None)
    return render("msa/signup_ended.html", reason=reason, minutes=SIGNUP_CODE_MINUTES, status=410)


@bp.route("/inscription/code", methods=["GET", "POST"])
@public
def signup_code():
    token = session.get(SIGNUP_SESSION_KEY)
    if request.method == "POST":
        begin_immediate()  # SQLite: the try is counted by an UPDATE after this read
    signup_row = MsaSignup.query.filter_by(token=token).first() if token else None
    if signup_row is None:
        return _signup_ended("missing")
    if request.method == "POST" and RESEND_ACTION in request.form:
        return _resend_code(signup_row)
    form = MsaSignupCodeForm()
    if form.validate_on_submit():
        try:
            signup_row.check(form.code.data)
        except SignupCodeError as error:
            db.session.commit()  # the wrong try counts
            if error.reason == "expired" and signup_row.resends_left:
                # « Renvoyer le code » is right below: no need to start the sign-up again.
                form.code.errors.append(f"Ce code a expiré : il est valable {SIGNUP_CODE_MINUTES} minutes. "
                                        "Demandez un nouveau code avec le bouton « Renvoyer le code ».")
            elif error.reason != "wrong":
                return _signup_ended(error.reason)
            else:
                left = signup_row.tries_left
                form.code.errors.append(f"Le code saisi est incorrect. Il vous reste {left} "
                                        f"essai{'s' if left > 1 else ''}.")
        else:
            user = service.create_member_account(signup_row, form.password.data)
            db.session.commit()
            if user is None:  # registered meanwhile by another sign-up
                return _signup_ended("used")
            sessions.start_session(user)  # clears the session, the sign-up token with it
            flash("Votre compte est créé.", "success")
            return redirect(member_home())
    return _code_page(signup_row, form, status=422 if form.is_submitted() else 200)


def _code_page(signup_row, form, resend_form=None, status=200):
    resend_form = resend_form or MsaSignupResendForm(formdata=None)
    return render("msa/signup_code.html", form=form, resend_form=resend_form, email=signup_row.email,
                  resends_left=signup_row.resends_left, resends_max=SIGNUP_CODE_RESENDS,
                  minutes=SIGNUP_CODE_MINUTES, has_errors=bool(resend_form.errors), status=status)


def _resend_code(signup_row):
    """« Renvoyer le code »: a fresh code replaces the previous one and is emailed like the first."""
    resend_form = MsaSignupResendForm()
    if not resend_form.validate_on_submit():
        abort(400)  # only a forged or expired form: the button has nothing else to get wrong
    code_form = MsaSignupCodeForm(formdata=None)
    wait = quotas.take(signup_row.email) if signup_row.resends_left else 0
    if not signup_row.resends_left or wait:
        # Nothing changes and nothing is sent: the page says why, the current code still works.
        resend_form.form_errors.append(quotas.wait_message(wait) if wait else NO_MORE_RESENDS)
        return _code_page(signup_row, code_form, resend_form, status=429)
    try:
        service.resend_code(signup_row)
    except SignupCodeError as error:  # used, or 5 wrong tries: the sign-up is over
        return _signup_ended(error.reason)
    db.session.commit()
    flash(CODE_RESENT, "success")
    return redirect(url_for("msa.signup_code"), code=303)
