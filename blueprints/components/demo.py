"""Components demo page: the shared components in one form, to try them with JavaScript on and off.

Nothing is stored: a valid submit only shows back what was typed."""
from flask import current_app, request, url_for

from blueprints.components import bp
from core.access import login_required
from core.cascade import Cascade
from core.templating import render, wants_fragment
from core.uploads import MB, AttachmentSet, register_policy
from forms.components import ComponentsDemoForm

register_policy("composants_demo", max_count=3, max_size=5 * MB, extensions=("pdf", "jpg", "jpeg", "png"))

DEMO_CATALOGUE = "demo-cascade"
TEMPLATE = "components/demo.html"


@bp.route("/demo", methods=["GET", "POST"])
@login_required
def demo():
    posted = request.method == "POST"
    # GET: the cascade's choices are in the query string; POST: in the hidden inputs it rendered.
    state = Cascade.load(DEMO_CATALOGUE).resolve(request.form if posted else request.args)
    form = ComponentsDemoForm()
    fragment = wants_fragment()
    files = AttachmentSet.from_request("composants_demo")
    context = {"form": form, "state": state, "posted": posted, "files": files}

    if not posted:
        if fragment and state.complete:
            # The rest of the form (with its list of 249 countries) is too big for a fragment:
            # the last "Valider" loads the whole page instead.
            return _hx_redirect(url_for(".demo", **state.codes))
        return render(TEMPLATE, block="steps", has_errors=bool(state.error), **context)

    if files.is_update:
        # « Ajouter » / « Retirer » without JavaScript: redraw everything, keeping what was typed.
        return render(TEMPLATE, has_errors=files.has_errors, **context)

    if "rechercher" in request.form or "changer-pays" in request.form:
        # Commune lookup or country change: redraw the form, keeping everything, without validating.
        return render(TEMPLATE, block="city", **context)

    valid = form.validate_on_submit()
    if not state.complete:
        form.form_errors.append(state.missing_message)
        valid = False
    valid = files.validate() and valid
    if valid:
        return render(TEMPLATE, done=True, **context)
    return render(TEMPLATE, status=422, **context)


def _hx_redirect(url):
    response = current_app.response_class(status=204)
    response.headers["HX-Redirect"] = url
    return response
