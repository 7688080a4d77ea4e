"""Demo wizard (/composants/assistant): three steps kept in a server-side draft (core.wizard), to
try the wizard kit with JavaScript on and off. Validating the last step sends nothing anywhere."""
from flask import url_for
from flask_login import current_user

from blueprints.components import bp
from core.access import login_required
from core.templating import render
from core.uploads import MB, register_policy
from core.wizard import Step, Wizard
from extensions import db
from forms.components import AssistantChoiceForm, AssistantConfirmForm, AssistantIdentityForm

POLICY = "composants_assistant"
TEMPLATE = "components/assistant.html"

register_policy(POLICY, max_count=3, max_size=5 * MB, extensions=("pdf", "jpg", "jpeg", "png"))

ASSISTANT = Wizard("composants.assistant", endpoint="components.assistant", title="Assistant de démonstration",
                   steps=[
                       Step("identite", "Votre identité", AssistantIdentityForm),
                       Step("choix", "Votre choix", AssistantChoiceForm, attachments=POLICY),
                       Step("recapitulatif", "Récapitulatif", AssistantConfirmForm),
                   ])


@bp.route("/assistant/")
@bp.route("/assistant/<step>", methods=["GET", "POST"])
@login_required
def assistant(step: str | None = None):
    page = ASSISTANT.handle(current_user, step)
    if page.response is not None:
        return page.response
    if page.finished:
        # A real portal creates its request here (from page.data_of(...), page.files_of(...)),
        # in the same transaction as the draft is dropped.
        page.finish()
        db.session.commit()
        return page.leave(url_for(".assistant_done"))
    return render(TEMPLATE, block="wizard", page=page, status=page.status)


@bp.route("/assistant/termine")
@login_required
def assistant_done():
    return render(TEMPLATE, done=True)
