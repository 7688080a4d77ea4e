"""Dated PDF receipts (« accusé de réception ») of what a user submitted: an Espace Partenaires
request, an MSA message. Built with core.pdf; views load the object through their scoped query,
then answer `receipt_response(...)`."""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Response

from core.formatting import fr_datetime
from core.pdf import render_document

if TYPE_CHECKING:
    from models import Conversation, PartnerRequest

RECEIPT_TITLE = "Accusé de réception"


def request_reference(req: PartnerRequest) -> str:
    return f"demande N°{req.number}"


def message_reference(conversation: Conversation) -> str:
    return f"message N°{conversation.id}"


def request_receipt(req: PartnerRequest) -> bytes:
    """The receipt of an ODS request: its number, its filing date (Paris time), the organisation,
    the offer of service, the person concerned (when there is one) and the technician who filed it."""
    fields: list[tuple[str, str | None]] = [
        ("Numéro de la demande", req.number),
        ("Date de dépôt", fr_datetime(req.created_at)),
        ("Organisme destinataire", req.organisation.name),
        ("Offre de service", req.ods_label),
    ]
    if req.motive:
        fields.append(("Motif", req.motive))
    if req.person_display:
        fields.append(("Personne concernée", req.person_display))
    fields.append(("Demandeur", req.requester_name))
    if req.structure is not None:
        fields.append(("Structure", req.structure.name))
    text = (f"Votre demande a bien été envoyée à l’organisme {req.organisation.name} le "
            f"{fr_datetime(req.created_at)}, sous le numéro {req.number}. Rappelez ce numéro pour tout "
            "échange à son sujet.")
    return render_document(f"{RECEIPT_TITLE} de la demande N°{req.number}",
                           [(None, [text]), ("La demande", fields)], organisation="Espace Partenaires")


def message_receipt(conversation: Conversation) -> bytes:
    """The receipt of an MSA « Ma messagerie » message: its reference, the date it was sent
    (Paris time), its object and the member who sent it."""
    member = conversation.member
    reference = message_reference(conversation)
    fields: list[tuple[str, str | None]] = [
        ("Référence", reference),
        ("Date d’envoi", fr_datetime(conversation.created_at)),
        ("Objet", conversation.object_label),
        ("Adhérent", f"{member.first_name} {member.last_name}".strip()),
    ]
    text = (f"Nous avons bien reçu votre message envoyé depuis « Ma messagerie » le "
            f"{fr_datetime(conversation.created_at)} ({reference}). Dès qu’une réponse sera apportée à "
            "votre demande, vous recevrez un courriel de notification.")
    organisation = conversation.organisation.name if conversation.organisation else "MSA"
    return render_document(f"{RECEIPT_TITLE} de votre message N°{conversation.id}",
                           [(None, [text]), ("Votre message", fields)], organisation=organisation)


def receipt_response(pdf: bytes, filename: str) -> Response:
    """The PDF as a download (never shown inline from our origin), personal: never cached."""
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
