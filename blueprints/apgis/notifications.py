"""Notifications (« constats », seed 003 §7): computed from what is known of the insured each time
their space is opened, never stored. Each has a link to fix its cause (change the data, send the
document asked); while a DIT made from it awaits a manager, it shows « Demande en cours » with
that DIT's reference; the DIT validated fixes the cause and the notification goes away.

`notifications_for(insured, today, pending, beneficiaries)` is a pure function of the insured's file,
the day, their pending DITs and beneficiaries (so that it is tested without a request or a database)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from models.apgis import (KIND_ADDRESS, KIND_CONTRIBUTION_METHOD, KIND_DOCUMENT, KIND_HEALTH_BANK,
                          NATURE_HEALTH_INSURANCE, NATURE_SCHOOL_CERTIFICATE, NOTIF_ADDRESS,
                          NOTIF_CONTRIBUTION_PAYMENT, NOTIF_HEALTH_PAYMENT, NOTIF_NOEMIE, NOTIF_SCHOOL,
                          NOTIFICATION_LABELS)

SCHOOL_AGE_FROM, SCHOOL_AGE_TO = 16, 25


@dataclass(frozen=True)
class Notification:
    code: str
    text: str                      # what the insured is told
    action: str                    # the link's label
    endpoint: str                  # where the link leads
    args: dict[str, Any] = field(default_factory=dict)
    pending: Any = None            # the DIT made from it and still awaiting a manager

    @property
    def label(self) -> str:
        return NOTIFICATION_LABELS[self.code]


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def children_needing_certificate(insured: Any, today: date, beneficiaries: Iterable[Any] | None = None) -> list[Any]:
    """Children aged 16 to 25 whose school certificate is missing or past (`beneficiaries`: the
    insured's, when the page read them; else insured.beneficiaries)."""
    return [b for b in (insured.beneficiaries if beneficiaries is None else beneficiaries)
            if b.relation == "enfant" and SCHOOL_AGE_FROM <= age_on(b.birth_date, today) <= SCHOOL_AGE_TO
            and (b.school_certificate_until is None or b.school_certificate_until < today)]


def _pending(pending: Iterable[Any], kind: str, nature: str | None = None, code: str | None = None) -> Any:
    """The pending DIT answering this notification: made from it, or of the kind that fixes it."""
    for request in pending:
        if request.kind == kind and (nature is None or request.document_nature == nature):
            return request
        if code is not None and request.notification == code:
            return request
    return None


def notifications_for(insured: Any, today: date, pending: Iterable[Any] = (),
                      beneficiaries: Iterable[Any] | None = None) -> list[Notification]:
    """The insured's notifications today, in the seed's order. `pending`: their DITs awaiting a
    manager; `beneficiaries`: theirs, when the page read them (service.file_rows), else
    insured.beneficiaries."""
    pending = list(pending)
    found: list[Notification] = []
    if insured.address_returned:
        found.append(Notification(
            NOTIF_ADDRESS, "Le courrier qui vous a été adressé nous a été retourné (n’habite pas à l’adresse "
                           "indiquée). Merci de nous indiquer votre adresse postale.",
            "Modifier mon adresse postale", "apgis.change_address", {"notification": NOTIF_ADDRESS},
            _pending(pending, KIND_ADDRESS, code=NOTIF_ADDRESS)))
    for child in children_needing_certificate(insured, today, beneficiaries):
        request = next((r for r in pending if r.kind == KIND_DOCUMENT and r.document_nature == NATURE_SCHOOL_CERTIFICATE
                        and str((r.payload or {}).get("beneficiary_id")) == str(child.id)), None)
        found.append(Notification(
            NOTIF_SCHOOL, f"Nous attendons le certificat de scolarité de {child.first_name} {child.last_name} pour "
                          "l’année scolaire en cours.",
            "Transmettre le certificat de scolarité", "apgis.transmit",
            {"nature": NATURE_SCHOOL_CERTIFICATE, "enfant": child.id, "notification": NOTIF_SCHOOL}, request))
    if not insured.health_iban:
        found.append(Notification(
            NOTIF_HEALTH_PAYMENT, "Nous ne connaissons pas le compte sur lequel verser vos remboursements de "
                                  "prestations santé.",
            "Indiquer mes coordonnées bancaires", "apgis.change_bank", {"notification": NOTIF_HEALTH_PAYMENT},
            _pending(pending, KIND_HEALTH_BANK, code=NOTIF_HEALTH_PAYMENT)))
    if not insured.health_insurance_link:
        found.append(Notification(
            NOTIF_NOEMIE, "Les échanges informatiques avec votre organisme d’assurance maladie ne sont pas en "
                          "place : transmettez-nous votre attestation d’assurance maladie.",
            "Transmettre l’attestation d’assurance maladie", "apgis.transmit",
            {"nature": NATURE_HEALTH_INSURANCE, "notification": NOTIF_NOEMIE},
            _pending(pending, KIND_DOCUMENT, NATURE_HEALTH_INSURANCE)))
    if insured.individual and not insured.contribution_method:
        found.append(Notification(
            NOTIF_CONTRIBUTION_PAYMENT, "Nous ne connaissons pas le mode de règlement de vos cotisations.",
            "Choisir le mode de règlement de mes cotisations", "apgis.change_contribution",
            {"notification": NOTIF_CONTRIBUTION_PAYMENT},
            _pending(pending, KIND_CONTRIBUTION_METHOD, code=NOTIF_CONTRIBUTION_PAYMENT)))
    return found
