"""The Apgis home and the insured's space (slice DIT). Placeholder routes: every endpoint the other
slice links to exists; each is replaced by its real screen."""
from flask import abort

from blueprints.apgis import bp
from core.access import public
from core.templating import render


@bp.route("/")
@public
def index():
    return render("portal/index.html", portal="apgis")


def _todo(*_args, **_kwargs):
    abort(404)


for _rule, _endpoint in (("/mes-donnees", "personal_data"), ("/notifications", "notifications"),
                         ("/suivi", "suivi"), ("/nous-demander/carte-de-tiers-payant/demande", "request_card"),
                         ("/nous-transmettre", "transmit"), ("/l-apgis-et-moi", "apgis_et_moi"), ("/vous-avez-une-question", "question_new")):
    bp.add_url_rule(_rule, _endpoint, _todo)
