"""The decision letter (« Décision d’accord » / « Décision de refus ») an Igesa agent's decision
sends to the ressortissant, as a PDF (core.pdf): the organisation, the reference, the
ressortissant's name and address, the benefit, the decision, the amount granted or the reason of
the refusal, the date and the signature line. Its wording is the template
templates/agent/armees/lettre_decision.txt (paragraphs separated by blank lines)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import render_template

from blueprints.armees.recap import country_name
from core.formatting import fr_amount, fr_date
from core.pdf import GuichetPDF
from models.armees import GRANTED, AidApplication, RessortissantProfile

CIVILITIES = {"Mme": "Madame", "M.": "Monsieur"}
LETTER_TEMPLATE = "agent/armees/lettre_decision.txt"


def letter_title(application: AidApplication) -> str:
    return "Décision d’accord" if application.decision == GRANTED else "Décision de refus"


def letter_filename(application: AidApplication) -> str:
    kind = "accord" if application.decision == GRANTED else "refus"
    return f"decision-{kind}-{application.reference or application.id}.pdf"


def full_name(user: Any) -> str:
    return " ".join(x for x in (CIVILITIES.get(user.civility or ""), user.first_name,
                                (user.last_name or "").upper()) if x)


def address_lines(application: AidApplication) -> list[str]:
    """The address given with the application, else the one of « Mes informations »."""
    info = (application.data or {}).get("informations") or {}
    if not info.get("address_line1"):
        profile = RessortissantProfile.query.filter_by(user_id=application.user_id).one_or_none()
        if profile is not None:
            info = {key: getattr(profile, key) for key in (
                "address_abroad", "address_line1", "address_line2", "address_line3", "postcode", "city",
                "country")}
    lines = [info.get(key) for key in ("address_line1", "address_line2", "address_line3")]
    if info.get("address_abroad"):
        lines += [info.get("city"), country_name(info.get("country"))]
    else:
        lines.append(" ".join(x for x in (info.get("postcode"), info.get("city")) if x))
    return [line for line in lines if line]


def decision_letter(application: AidApplication, agent: Any, now: datetime) -> bytes:
    """The letter of the decision just taken on `application` (decision, amount or reason set)."""
    member = application.user
    organisation = application.organisation.name
    title = letter_title(application)
    granted = application.decision == GRANTED
    amount = fr_amount(application.granted_cents, cents=True) if application.granted_cents is not None else ""
    body = render_template(LETTER_TEMPLATE, application=application, member=member, granted=granted,
                           amount=amount, civility=CIVILITIES.get(member.civility or "", "Madame, Monsieur"),
                           organisation=organisation, date=fr_date(now))
    pdf = GuichetPDF(f"{title} – demande {application.reference}", organisation)
    pdf.set_font("DejaVu", "", 10)
    # The recipient's block, on the right as in a letter sent by post.
    for line in [full_name(member), *address_lines(application)]:
        pdf.cell(0, 5.5, line, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.paragraph(f"Le {fr_date(now)}")
    pdf.field("Référence de la demande", application.reference)
    pdf.field("Prestation", application.benefit_label)
    pdf.field("Date de transmission", fr_date(application.transmitted_at))
    pdf.field("Décision", application.decision_label)
    if granted and amount:
        pdf.field("Montant accordé", amount)
    if not granted and application.decision_reason:
        pdf.field("Motif du refus", application.decision_reason)
    pdf.ln(2)
    for block in body.replace("\r\n", "\n").split("\n\n"):
        if block.strip():
            pdf.paragraph(" ".join(block.split()))
    pdf.ln(6)
    pdf.paragraph(f"Pour {organisation},")
    pdf.paragraph(f"{agent.first_name} {(agent.last_name or '').upper()}, chargé(e) de l’instruction")
    pdf.paragraph("Signature : ______________________________")
    return pdf.to_bytes()
