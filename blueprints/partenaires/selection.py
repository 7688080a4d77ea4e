"""Choosing the organisation after login (seed 002, section II), the home page and the
identification card."""
from flask import redirect, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from blueprints.partenaires import bp
from blueprints.partenaires.context import (convention_of, current_context, enter_organisation,
                                            leave_organisation, organisation_required, structure_conventions)
from core.inputs import to_id
from core.urls import safe_next
from core.templating import render
from extensions import db
from forms.partenaires import OrganisationContinueForm, OrganisationSelectForm


def _offered(user):
    """(convention, state) for every organisation still offered to the structure."""
    pairs = [(c, c.state()) for c in structure_conventions(user)]
    return [(c, s) for c, s in pairs if s.offered]


@bp.route("/organisme", methods=["GET", "POST"])
def select_organisation():
    offered = _offered(current_user)
    # The page asked for before the choice (after a new login, e.g. a session that expired).
    next_url = safe_next(request.args.get("next"))
    form = OrganisationSelectForm()
    form.organisation.choices = [SelectChoice("", "Sélectionner un organisme")] + [
        SelectChoice(str(c.organisation_id), c.organisation.name + (" *" if s.flagged else ""),
                     render_kw={"class": "flagged"} if s.flagged else {})
        for c, s in offered]
    if request.method == "GET":
        ctx = current_context()
        preselected = ctx.organisation.id if ctx else current_user.last_organisation_id
        if any(c.organisation_id == preselected for c, _ in offered):
            form.organisation.data = str(preselected)
    message = chosen = None
    if form.validate_on_submit():
        convention = convention_of(current_user, to_id(form.organisation.data))
        state = convention.state() if convention else None
        if state is None or not state.offered:
            form.organisation.errors.append("Sélectionnez un organisme de la liste.")
        elif state.needs_confirmation or not state.can_enter:
            message, chosen = state, convention
            if not state.can_enter:
                # Starts later: only "Se déconnecter"; no organisation stays selected behind it.
                leave_organisation()
        else:
            enter_organisation(current_user, convention.organisation_id)
            db.session.commit()
            return redirect(next_url or url_for("partenaires.home"))
    status = 422 if form.errors else 200
    return render("partenaires/select_organisation.html", form=form, message=message, chosen=chosen,
                  continue_form=OrganisationContinueForm(organisation=chosen.organisation_id if chosen else ""),
                  has_flagged=any(s.flagged for _, s in offered), next_url=next_url, status=status)


@bp.route("/organisme/continuer", methods=["POST"])
def continue_organisation():
    form = OrganisationContinueForm()
    convention = convention_of(current_user, to_id(form.organisation.data))
    if not form.validate_on_submit() or convention is None or not convention.state().can_enter:
        return redirect(url_for("partenaires.select_organisation"))
    enter_organisation(current_user, convention.organisation_id)
    db.session.commit()
    ctx = current_context()
    return redirect(safe_next(request.args.get("next"))
                    or url_for("partenaires.home" if ctx.can_create else "partenaires.history"))


@bp.route("/accueil")
@organisation_required
def home(ctx):
    offered = ctx.settings.offered_ods() if ctx.can_create else []
    return render("partenaires/home.html", ctx=ctx, offered=offered)


@bp.route("/fiche")
def identification_card():
    return render("partenaires/card.html", user=current_user)
