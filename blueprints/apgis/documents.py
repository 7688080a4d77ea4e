"""The documents « Mes services » generates from the data, as PDFs (core.pdf): a statement
(« décompte »), the tiers-payant card(s) (recto and verso), the certificate of affiliation and a
hospital cover (« prise en charge hospitalière »). Nothing here reads the request: views load
the objects through their scoped queries, then answer `receipt_response(<pdf>, <name>)`."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from core.formatting import fr_amount, fr_date
from core.pdf import GuichetPDF
from models.apgis import (CONTRACT_LABELS, ApgisCard, ApgisHospitalCover, ApgisInsured, ApgisStatement)

RELATIONS = {"conjoint": "Conjoint(e)", "enfant": "Enfant"}


def insured_name(insured: ApgisInsured) -> str:
    user = insured.user
    return f"{user.first_name} {(user.last_name or '').upper()}".strip()


def beneficiary_names(insured: ApgisInsured) -> list[tuple[str, str]]:
    """(value, label) of who may be concerned: the insured first, then their beneficiaries."""
    names = [insured_name(insured)]
    names += [f"{b.first_name} {b.last_name.upper()}" for b in insured.beneficiaries]
    return [(name, name) for name in names]


def format_nir(nir: str | None) -> str:
    """« 1 85 07 75 123 456 78 » (13 digits and the key)."""
    digits = (nir or "").replace(" ", "")
    if len(digits) != 15:
        return digits or "—"
    parts = (digits[0], digits[1:3], digits[3:5], digits[5:7], digits[7:10], digits[10:13], digits[13:])
    return " ".join(parts)


def contract_label(insured: ApgisInsured) -> str:
    kind = CONTRACT_LABELS.get(insured.contract_kind, insured.contract_kind)
    return f"{insured.contract_name} – {kind}" if insured.contract_name else kind


def _organisation(insured: ApgisInsured) -> str:
    return insured.organisation.name if insured.organisation is not None else "Apgis"


def _table(pdf: GuichetPDF, headings: list[str], rows: Iterable[list[str]], widths: list[float],
           align: tuple[str, ...]) -> None:
    """A table with its heading row (repeated on each page), long texts wrapped in their cell."""
    pdf.set_font("DejaVu", "", 7.5)
    with pdf.table(col_widths=widths, text_align=align, line_height=4, first_row_as_headings=True,
                   width=sum(widths)) as table:
        table.row(headings)
        for row in rows:
            table.row(row)
    pdf.ln(3)


STATEMENT_HEADINGS = ["Date du soin", "Bénéficiaire", "Soin", "Dépense", "Sécurité sociale", "Apgis",
                      "Date du règlement", "Payé à"]
STATEMENT_WIDTHS = [18, 28, 38, 19, 19, 19, 20, 29]
STATEMENT_ALIGN = ("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT", "LEFT")


def statement_pdf(statement: ApgisStatement) -> bytes:
    """The statement: who, which period, each care with its amounts, the total paid by Apgis."""
    insured = statement.insured
    pdf = GuichetPDF(f"{statement.kind_label} n° {statement.number}", _organisation(insured))
    pdf.field("Assuré", insured_name(insured))
    pdf.field("N° d’adhérent", insured.member_number)
    pdf.field("Contrat", contract_label(insured))
    pdf.field("Date d’émission", fr_date(statement.issued_on))
    pdf.field("Période", f"du {fr_date(statement.period_start)} au {fr_date(statement.period_end)}")
    pdf.heading("Prestations réglées par l’Apgis")
    rows = [[fr_date(r.care_date), r.beneficiary, r.label, fr_amount(r.expense_cents, cents=True),
             fr_amount(r.social_security_cents, cents=True), fr_amount(r.apgis_cents, cents=True),
             fr_date(r.paid_on), r.payee] for r in statement.reimbursements]
    if rows:
        _table(pdf, STATEMENT_HEADINGS, rows, STATEMENT_WIDTHS, STATEMENT_ALIGN)
    else:
        pdf.paragraph("Aucune prestation sur ce décompte.")
    pdf.field("Total des dépenses", fr_amount(sum(r.expense_cents for r in statement.reimbursements), cents=True))
    pdf.field("Total remboursé par la Sécurité sociale",
              fr_amount(sum(r.social_security_cents for r in statement.reimbursements), cents=True))
    pdf.field("Total réglé par l’Apgis", fr_amount(statement.total_cents, cents=True))
    pdf.paragraph("Ce décompte récapitule les prestations réglées par l’Apgis sur la période. Conservez-le : "
                  "il peut vous être demandé.")
    return pdf.to_bytes()


def statement_filename(statement: ApgisStatement) -> str:
    return f"decompte-{statement.number}.pdf"


def card_pdf(cards: list[ApgisCard]) -> bytes:
    """The latest valid tiers-payant card(s): for each, its recto (the insured, their numbers,
    validity and contract) then its verso (the beneficiaries covered, the notice to professionals)."""
    insured = cards[0].insured
    organisation = _organisation(insured)
    pdf = GuichetPDF("Carte de tiers payant", organisation)
    for index, card in enumerate(cards):
        if index:
            pdf.add_page()
        pdf.heading(f"Recto – carte n° {card.number}")
        pdf.field("Assuré", insured_name(insured))
        pdf.field("N° d’adhérent", insured.member_number)
        pdf.field("N° de sécurité sociale (NIR)", format_nir(insured.nir))
        pdf.field("Contrat", contract_label(insured))
        if insured.employer:
            pdf.field("Entreprise", insured.employer)
        pdf.field("Validité", f"du {fr_date(card.valid_from)} au {fr_date(card.valid_until)}")
        pdf.add_page()
        pdf.heading(f"Verso – carte n° {card.number}")
        pdf.paragraph("Bénéficiaires couverts par cette carte :")
        pdf.field("Assuré", insured_name(insured))
        for beneficiary in insured.beneficiaries:
            pdf.field(RELATIONS.get(beneficiary.relation, beneficiary.relation),
                      f"{beneficiary.first_name} {beneficiary.last_name.upper()} (né(e) le "
                      f"{fr_date(beneficiary.birth_date)})")
        pdf.paragraph(f"Professionnels de santé : cette carte vous permet de pratiquer le tiers payant pour la part "
                      f"complémentaire prise en charge par {organisation}, pendant sa période de validité. "
                      "Présentez-la avec votre carte Vitale.")
    return pdf.to_bytes()


def certificate_pdf(insured: ApgisInsured, today: date) -> bytes:
    """« Certificat d'affiliation »: who is affiliated, since when, under which contract."""
    organisation = _organisation(insured)
    pdf = GuichetPDF("Certificat d’affiliation", organisation)
    pdf.paragraph(f"{organisation} certifie que la personne désignée ci-dessous est affiliée à ses garanties "
                  "de complémentaire santé à la date du présent certificat.")
    pdf.field("Assuré", insured_name(insured))
    pdf.field("N° d’adhérent", insured.member_number)
    pdf.field("N° de sécurité sociale (NIR)", format_nir(insured.nir))
    pdf.field("Contrat", contract_label(insured))
    if insured.employer:
        pdf.field("Entreprise", insured.employer)
    pdf.field("Affilié(e) depuis le", fr_date(insured.affiliated_since))
    if insured.beneficiaries:
        pdf.field("Bénéficiaires", ", ".join(f"{b.first_name} {b.last_name.upper()}" for b in insured.beneficiaries))
    pdf.paragraph(f"Certificat établi le {fr_date(today)} pour servir et valoir ce que de droit.")
    return pdf.to_bytes()


def hospital_cover_pdf(cover: ApgisHospitalCover) -> bytes:
    """« Prise en charge hospitalière »: for the hospital, who is covered, where and when."""
    insured = cover.insured
    organisation = _organisation(insured)
    pdf = GuichetPDF(f"Prise en charge hospitalière n° {cover.reference}", organisation)
    pdf.paragraph(f"{organisation} s’engage à prendre en charge, dans la limite des garanties du contrat de "
                  "l’assuré, les frais d’hospitalisation du bénéficiaire désigné ci-dessous.")
    pdf.field("Bénéficiaire hospitalisé", cover.beneficiary)
    pdf.field("Assuré", insured_name(insured))
    pdf.field("N° d’adhérent", insured.member_number)
    pdf.field("N° de sécurité sociale (NIR)", format_nir(insured.nir))
    pdf.field("Contrat", contract_label(insured))
    pdf.field("Établissement", cover.hospital)
    if cover.finess:
        pdf.field("N° FINESS", cover.finess)
    pdf.field("Ville", cover.city)
    pdf.field("Date d’entrée", fr_date(cover.admission_on))
    pdf.field("Date de sortie", fr_date(cover.discharge_on) if cover.discharge_on else "Non connue")
    pdf.field("Document établi le", fr_date(cover.created_at))
    pdf.paragraph("À remettre au service des admissions de l’établissement.")
    return pdf.to_bytes()


def hospital_cover_filename(cover: ApgisHospitalCover) -> str:
    return f"prise-en-charge-{cover.reference}.pdf"
