"""Agent screens of the Portail Des Aides (Igesa): the actions of an application's page and the
benefits catalogue. One form per action."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from core.submission import token_or_new
from forms.base import Form
from forms.fields import CountedTextAreaField, DateFRField
from models.armees import COMPLEMENT_REASONS

COMPLEMENT_ROWS = 3          # documents asked at once (rows of the form, the first one required)
SUBJECT_MAX = 200
MESSAGE_MAX = 2000
REASON_MAX = 1000
LABEL_MAX = 120
SUMMARY_MAX = 600
BENEFIT_LABEL_MAX = 160
AMOUNT_MAX_CENTS = 100_000_000  # 1 000 000,00 €

_AMOUNT = re.compile(r"^\d+(?:[.,]\d{1,2})?$")


class AmountField(StringField):
    """An amount in euros typed as French readers write it (« 1 234,56 », « 150 »). `.data` is a
    whole number of cents (or None); the raw text is kept on error."""

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("description", "En euros, par exemple 1 250,50")
        super().__init__(label, validators, **kwargs)
        self.raw_text = ""

    def _value(self) -> str:
        if self.raw_text:
            return self.raw_text
        return f"{Decimal(self.data) / 100:.2f}".replace(".", ",") if isinstance(self.data, int) else ""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw_text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.raw_text:
            self.raw_data = [""] if valuelist else valuelist
            return
        compact = "".join(self.raw_text.replace("€", "").split())
        if not _AMOUNT.match(compact):
            raise ValueError("Saisissez un montant en euros, par exemple 1 250,50.")
        try:
            cents = int(Decimal(compact.replace(",", ".")) * 100)
        except InvalidOperation:  # pragma: no cover – the pattern lets only numbers through
            raise ValueError("Saisissez un montant en euros, par exemple 1 250,50.") from None
        self.data = cents

    def pre_validate(self, form: Any) -> None:
        if self.data is not None and self.data <= 0:
            raise ValidationError("Le montant doit être supérieur à 0 €.")
        if self.data is not None and self.data > AMOUNT_MAX_CENTS:
            raise ValidationError("Le montant doit être inférieur à 1 000 000 €.")


class _OnceForm(Form):
    submission = HiddenField()  # one-time token (core.submission): posted twice, recorded once

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.submission.data = token_or_new(self.submission.data)


class InstructionStartForm(Form):
    """« Commencer l’instruction »: nothing but the CSRF token."""


class ComplementAskForm(_OnceForm):
    """« Demander un complément »: an object, one to three documents each with its reason, and an
    optional message. The documents' choices (the benefit's) are set by the view."""
    subject = StringField("Objet de la demande", [DataRequired("Saisissez l’objet de la demande de complément."),
                                                  Length(max=SUBJECT_MAX, message=f"L’objet doit faire {SUBJECT_MAX} "
                                                                                  "caractères maximum.")],
                          description="Le ressortissant le lira dans le courriel et sur la demande de complément.")
    message = CountedTextAreaField(
        "Message (facultatif)", [Optional()], max_chars=MESSAGE_MAX,
        too_long="Le message doit faire {max} caractères maximum : il en fait {count}. Raccourcissez-le.")

    def set_documents(self, choices: list[tuple[str, str]]) -> None:
        for n in range(1, COMPLEMENT_ROWS + 1):
            self[f"document_{n}"].choices = [SelectChoice("", "Sélectionnez un document")] + [
                SelectChoice(code, label) for code, label in choices]

    def rows(self) -> list[tuple[Any, Any, Any]]:
        return [(self[f"document_{n}"], self[f"reason_{n}"], self[f"detail_{n}"])
                for n in range(1, COMPLEMENT_ROWS + 1)]

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        chosen = 0
        for document, reason, detail in self.rows():
            if reason.data and reason.data not in COMPLEMENT_REASONS:
                reason.errors = [*reason.errors, "Sélectionnez un motif de la liste."]
                ok = False
            if not document.data:
                continue
            if document.data not in {c.value for c in document.choices}:
                document.errors = [*document.errors, "Sélectionnez un document de la liste."]
                ok = False
                continue
            chosen += 1
            if not reason.data:
                reason.errors = [*reason.errors, "Sélectionnez le motif de la demande pour ce document."]
                ok = False
            if document.data == "autre" and not (detail.data or "").strip():
                detail.errors = [*detail.errors, "Précisez le document demandé."]
                ok = False
        if not chosen and not any(d.errors for d, _, _ in self.rows()):
            first = self["document_1"]
            first.errors = [*first.errors, "Sélectionnez au moins un document à demander."]
            ok = False
        return ok

    def documents(self, labels: dict[str, str]) -> list[dict[str, str]]:
        """[{"code", "label", "reason"}] of the rows filled in."""
        result = []
        for document, reason, detail in self.rows():
            if document.data:
                label = (detail.data or "").strip() if document.data == "autre" else labels[document.data]
                if document.data != "autre" and (detail.data or "").strip():
                    label = f"{label} – {detail.data.strip()}"
                result.append({"code": document.data, "label": label, "reason": reason.data})
        return result


for _n in range(1, COMPLEMENT_ROWS + 1):
    setattr(ComplementAskForm, f"document_{_n}", SelectField(
        f"Document demandé n°{_n}", choices=[], validate_choice=False,
        description="Au moins un document." if _n == 1 else "Facultatif."))
    setattr(ComplementAskForm, f"reason_{_n}", SelectField(
        f"Motif pour le document n°{_n}", choices=[SelectChoice("", "Sélectionnez un motif")] + [
            SelectChoice(code, label) for code, label in COMPLEMENT_REASONS.items()], validate_choice=False))
    setattr(ComplementAskForm, f"detail_{_n}", StringField(
        f"Précision sur le document n°{_n} (facultatif, obligatoire pour « Autre document »)",
        [Length(max=80, message="La précision doit faire 80 caractères maximum.")]))


class PaymentRecordForm(_OnceForm):
    """« Enregistrer un paiement » (granted applications)."""
    paid_on = DateFRField("Date du paiement", [InputRequired("Saisissez la date du paiement.")], not_future=True)
    amount = AmountField("Montant", [InputRequired("Saisissez le montant du paiement.")])
    label = StringField("Libellé", [DataRequired("Saisissez le libellé du paiement."),
                                    Length(max=LABEL_MAX, message=f"Le libellé doit faire {LABEL_MAX} caractères "
                                                                  "maximum.")],
                        description="Par exemple : Versement de l’aide, premier versement.")


class DecisionGrantForm(Form):
    """« Accorder »: the amount granted, written in the letter."""
    amount = AmountField("Montant accordé", [InputRequired("Saisissez le montant accordé.")])


class DecisionRefuseForm(Form):
    """« Refuser »: the reason, written in the letter."""
    reason = CountedTextAreaField(
        "Motif du refus", [DataRequired("Saisissez le motif du refus.")], max_chars=REASON_MAX,
        too_long="Le motif doit faire {max} caractères maximum : il en fait {count}. Raccourcissez-le.",
        description="Il figure dans la lettre de décision envoyée au ressortissant.")


class BenefitPublishForm(Form):
    """« Publier » / « Retirer de la publication »: nothing but the CSRF token."""


class BenefitEditForm(Form):
    """A benefit of the catalogue: published or not, its label and summary."""
    published = BooleanField("Publiée (proposée aux ressortissants)")
    label = StringField("Libellé", [DataRequired("Saisissez le libellé de la prestation."),
                                    Length(max=BENEFIT_LABEL_MAX, message=f"Le libellé doit faire {BENEFIT_LABEL_MAX} "
                                                                          "caractères maximum.")])
    summary = CountedTextAreaField(
        "Présentation", [Optional()], max_chars=SUMMARY_MAX,
        too_long="La présentation doit faire {max} caractères maximum : elle en fait {count}. Raccourcissez-la.")
