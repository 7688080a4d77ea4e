"""Demo of a « Votre dossier » step (/composants/dossier): the kit pieces a file step plugs into a
wizard (core.wizard), to try them with JavaScript on and off — bank details with the BIC derived
from the IBAN (forms/bank.py, components/bank.html). Validating the last step sends nothing."""
from flask import url_for
from flask_login import current_user

from blueprints.components import bp
from core.access import login_required
from core.templating import render
from core.wizard import Step, Wizard
from extensions import db
from forms.components import DossierDemoConfirmForm, DossierDemoForm

TEMPLATE = "components/dossier.html"

DOSSIER = Wizard("composants.dossier", endpoint="components.dossier", title="Dossier de démonstration",
                 steps=[
                     Step("dossier", "Votre dossier", DossierDemoForm),
                     Step("recapitulatif", "Récapitulatif", DossierDemoConfirmForm),
                 ])


@bp.route("/dossier/")
@bp.route("/dossier/<step>", methods=["GET", "POST"])
@login_required
def dossier(step: str | None = None):
    page = DOSSIER.handle(current_user, step)
    if page.response is not None:
        return page.response
    if page.finished:
        page.finish()
        db.session.commit()
        return page.leave(url_for(".dossier_done"))
    return render(TEMPLATE, block="wizard", page=page, status=page.status)


@bp.route("/dossier/termine")
@login_required
def dossier_done():
    return render(TEMPLATE, done=True)
