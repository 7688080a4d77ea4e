"""« Mes services » and « Contacts et informations diverses » (slice SERVICES). Placeholder routes:
every endpoint the other slice links to exists; each is replaced by its real screen."""
from flask import abort

from blueprints.apgis import bp


def _todo(*_args, **_kwargs):
    abort(404)


for _rule, _endpoint in (("/mes-services", "services"), ("/remboursements", "reimbursements"),
                         ("/decomptes", "statements"), ("/cotisations", "contributions"),
                         ("/nous-demander/carte-de-tiers-payant", "card_download"),
                         ("/nous-demander/certificat-d-affiliation", "certificate"),
                         ("/nous-demander/prise-en-charge-hospitaliere", "hospital"),
                         ("/contacts", "contacts"), ("/questions-frequentes", "faq"),
                         ("/documentation", "documentation")):
    bp.add_url_rule(_rule, _endpoint, _todo)
