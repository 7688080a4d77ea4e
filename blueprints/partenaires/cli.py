"""`flask partenaires recount`: rebuild the history's kept counts from the requests."""
import click

from blueprints.partenaires import bp
from models.partenaires import PartnerRequestCount

bp.cli.help = "Espace Partenaires: maintenance of the requests' kept counts."


@bp.cli.command("recount")
def recount_command() -> None:
    """Rebuild the counts of requests per organisation, structure, status and offer (which the
    history's total reads) from the requests themselves. The application keeps them on every
    change; run this after requests were written without it (bulk loads, manual SQL)."""
    requests, keys = PartnerRequestCount.recount()
    click.echo(f"Compteurs recalculés : {requests} demande{'s' if requests > 1 else ''} "
               f"en {keys} groupe{'s' if keys > 1 else ''} (organisme, structure, statut, offre).")
