"""What an application holds, in the order and words the ressortissant gave it: the sections shown
by the recap (step 5), the recap PDF, « Suivi de la demande d'aide » and the agent's page.

`AidApplication.data` (written on « Transmettre » by the wizard) holds:

    {"steps": {step slug: {field: [raw values]}},  # the wizard's draft as typed (duplication reuses it)
     "eligibility": {question name: "oui" | "non"},
     "informations": {"residence": "france" | "etranger", "birth_name", "phone", "mobile", "fax",
                      "address_abroad": bool, "address_line1", "address_line2", "address_line3",
                      "postcode", "insee", "city", "country", "in_couple": bool, "family_situation",
                      "category", "rank", "employer", "employer_organisation"},
     "dossier": {field name: value},              # text; date "YYYY-MM-DD"; amount "1234.56"; checkbox bool
     "tables": {table name: [{column: value}]},
     "bank": {"abroad": bool, "holder", "iban", "bic"},
     "sworn": true}

The files are Attachments of subject `armees_application` whose `document` names the catalogue
document they answer."""
from __future__ import annotations

from datetime import date
from typing import Any

import pycountry

from blueprints.armees import catalogue
from blueprints.armees.catalogue import Benefit, FieldSpec
from core.cascade import Cascade
from core.formatting import fr_amount, fr_date
from core.pdf import Section

RESIDENCE_LABELS = {"france": "En France", "etranger": "A l’étranger"}


def display(spec: FieldSpec, value: Any) -> str:
    """A field's value as shown to people (dates JJ/MM/AAAA, amounts in euros, Oui/Non)."""
    if spec.type == "checkbox":
        return "Oui" if value else "Non"
    if value in (None, ""):
        return "—"
    if spec.type == "date":
        try:
            return fr_date(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if spec.type == "amount":
        try:
            return fr_amount(value)
        except ArithmeticError:
            return str(value)
    return str(value)


def country_name(code: str | None) -> str:
    country = pycountry.countries.get(alpha_2=code or "")
    return getattr(country, "common_name", None) or getattr(country, "name", "") if country else (code or "")


def _situation_labels(info: dict[str, Any]) -> list[tuple[str, str]]:
    state = Cascade.load(catalogue.SITUATION_CASCADE).resolve(
        {k: info[k] for k in ("category", "rank", "employer") if info.get(k)})
    result = [(choice.level.label, choice.node.label) for choice in state.path]
    if info.get("employer_organisation"):
        result.append(("Organisme", info["employer_organisation"]))
    return result


def information_rows(info: dict[str, Any]) -> list[tuple[str, str]]:
    """« Vos informations » as (label, value) rows."""
    if info.get("address_abroad"):
        place = ", ".join(x for x in (info.get("city"), country_name(info.get("country"))) if x)
    else:
        place = " ".join(x for x in (info.get("postcode"), info.get("city")) if x)
    address = ", ".join(x for x in (info.get("address_line1"), info.get("address_line2"),
                                     info.get("address_line3"), place) if x)
    rows = [("Qualité de ressortissant", RESIDENCE_LABELS.get(info.get("residence") or "", "—")),
            ("Nom de naissance", info.get("birth_name") or "—"),
            ("Téléphone", info.get("phone") or "—")]
    rows += [(label, info[key]) for key, label in (("mobile", "Portable"), ("fax", "Fax")) if info.get(key)]
    rows += [("Adresse", address or "—"),
             ("Vivez-vous en couple", {True: "Oui", False: "Non"}.get(info.get("in_couple"), "—")),
             ("Situation familiale", info.get("family_situation") or "—")]
    return rows + _situation_labels(info)


def masked_iban(iban: str | None) -> str:
    """The IBAN with only its country, key and last four characters shown: « FR76 •••• 0189 »."""
    value = (iban or "").replace(" ", "")
    return value if len(value) < 8 else f"{value[:4]} •••• {value[-4:]}"


def bank_rows(bank: dict[str, Any], full: bool = False) -> list[tuple[str, str]]:
    if not bank:
        return []
    iban = bank.get("iban") or ""
    return [("Domiciliation bancaire à l’étranger", "Oui" if bank.get("abroad") else "Non"),
            ("Titulaire du compte", bank.get("holder") or "—"),
            ("IBAN", " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)) if full else masked_iban(iban)),
            ("BIC", bank.get("bic") or "—")]


def dossier_items(benefit: Benefit, data: dict[str, Any]) -> list[tuple[str, str] | str]:
    """« Détail de la demande »: each field, a table as one line per row."""
    items: list[tuple[str, str] | str] = []
    values, tables = data.get("dossier") or {}, data.get("tables") or {}
    for spec in benefit.fields:
        if spec.type != "table":
            items.append((spec.label, display(spec, values.get(spec.name))))
            continue
        rows = tables.get(spec.name) or []
        items.append((spec.label, f"{len(rows)} ligne{'s' if len(rows) > 1 else ''}" if rows else "—"))
        for n, row in enumerate(rows, 1):
            items.append(f"{n}. " + " · ".join(f"{c.label} : {display(c, row.get(c.name))}" for c in spec.columns))
    return items


def sections(benefit: Benefit, data: dict[str, Any], documents: list[tuple[str, str]] | None = None,
             full_iban: bool = False) -> list[Section]:
    """Every section of an application. `documents`: (document label, file name) of its files."""
    result: list[Section] = [("Prestation", [("Prestation demandée", benefit.label),
                                             ("Type", benefit.kind_label),
                                             ("Prestation soumise à condition de ressources",
                                              "Oui" if benefit.means_tested else "Non")])]
    if data.get("informations"):
        result.append(("Vos informations", information_rows(data["informations"])))
    result.append(("Détail de la demande", dossier_items(benefit, data)))
    if data.get("bank"):
        result.append(("Domiciliation bancaire", bank_rows(data["bank"], full=full_iban)))
    if documents is not None:
        result.append(("Vos justificatifs", [(label, name) for label, name in documents] or ["Aucun document."]))
    return result
