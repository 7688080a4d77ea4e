"""The IBAN check of the bank details component (templates/components/bank.html): leaving the
IBAN field posts the bank fields here and gets the IBAN and BIC fields back, the BIC filled from
the bank registry (forms/bank.py). Without JavaScript the portal's own form does the same when
posted, so this endpoint only removes a page load.

Public (a sign-up or a form before login may ask for bank details) but cheap: no database read
but the per-address quota, and the IBAN is posted, never in the URL, so never in an access log."""
import re

from flask import abort, current_app, request

from blueprints.components import bp
from core.access import public
from jinja2_fragments.flask import render_block
from core.throttle import get_throttle, ip_key
from forms.bank import BankDetailsForm

PREFIX = re.compile(r"^(?:[a-z][a-z0-9_]{0,39}-)?$")
TEMPLATE = "components/bank.html"
QUOTA_MESSAGE = ("Trop de vérifications d’IBAN en peu de temps : le BIC sera vérifié quand vous "
                 "passerez à la suite.")


@bp.route("/iban", methods=["POST"])
@public
def bank_check():
    """The IBAN and BIC fields of the form whose prefix is `prefixe`, checked and filled."""
    prefix = request.args.get("prefixe", "")
    if not PREFIX.match(prefix):
        abort(400)
    limit = current_app.config.get("IBAN_CHECKS_PER_HOUR", 300)
    if get_throttle().take_quota([("iban-check:" + ip_key(request.remote_addr), limit)]):
        # Nothing to swap: the form stays as typed and is checked when posted.
        html = f'<p id="{prefix}iban-statut" hx-swap-oob="innerHTML">{QUOTA_MESSAGE}</p>'
        return html, 200, {"HX-Reswap": "none"}
    form = BankDetailsForm(prefix=prefix, meta={"csrf": False})
    iban = form.iban
    if iban.data and iban.check.error:
        iban.errors = [iban.check.error]
    return render_block(TEMPLATE, "bank_check", form=form)
