"""Forms of the MSA member services (« Obtenir mes attestations », « Modifier vos coordonnées »,
« Demander un rendez-vous ») and of their agent side (one form per screen)."""
from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from wtforms import HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

import blueprints.armees  # noqa: F401  (first: forms.armees_informations needs the package loaded)
from core import nir as nir_rules
from core.submission import token_or_new
from forms.agent_partenaires import MultiCheckboxField
from forms.armees_informations import ABROAD, FRANCE, InformationsEditForm
from forms.base import Form
from forms.fields import CountedTextAreaField, DateFRField
from forms.msa_auth import NirField
__all__ = ["ABROAD", "FRANCE"]  # re-exported for the view, with the form

from models.msa_services import (APPOINTMENT_SUBJECTS, BRANCHES, COMMENT_MAX, LABEL_MAX, MODALITIES, SLOTS,
                                 parse_amount)

# --- « Obtenir mes attestations » ------------------------------------------------------------------


class AttestationRequestForm(Form):
    """« Attestation de paiement ou de non paiement » for a period (default: last year)."""
    start = DateFRField("Du", [InputRequired("Saisissez la date de début de la période.")], not_future=True)
    end = DateFRField("Au", [InputRequired("Saisissez la date de fin de la période.")], not_future=True)

    def validate_end(self, field: DateFRField) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("La date de fin doit être postérieure ou égale à la date de début.")


def last_year(today: date | None = None) -> tuple[date, date]:
    year = (today or date.today()).year - 1
    return date(year, 1, 1), date(year, 12, 31)


# --- « Modifier vos coordonnées » --------------------------------------------------------------------


class ContactDetailsForm(InformationsEditForm):
    """The address (in France with the commune search, or abroad: town and country) and the phones,
    with the same fields and checks as the armees « Mes informations » (forms/armees_informations.py)."""
    fax = None
    in_couple = None
    family_situation = None
    category = None
    rank = None
    employer = None
    employer_organisation = None

    def values(self) -> dict[str, Any]:
        values = super().values()
        values.pop("fax", None)
        return values


class ContactDetailsShownForm(ContactDetailsForm):
    """The same form as a GET shows it (never validated): without the CSRF field, which only a
    POST checks (the page renders the token itself); cheaper to build."""
    class Meta:
        csrf = False


# --- « Demander un rendez-vous » ---------------------------------------------------------------------


class AppointmentRequestForm(Form):
    subject = SelectField("Objet du rendez-vous",
                          choices=[SelectChoice("", "Sélectionnez l’objet")]
                          + [SelectChoice(code, label) for code, label in APPOINTMENT_SUBJECTS.items()],
                          validators=[DataRequired("Sélectionnez l’objet du rendez-vous.")])
    modality = RadioField("Modalité souhaitée",
                          choices=[SelectChoice(code, label) for code, label in MODALITIES.items()],
                          validators=[InputRequired("Indiquez si vous souhaitez être reçu en agence ou appelé "
                                                    "par téléphone.")])
    slots = MultiCheckboxField("Créneaux préférés",
                               choices=[SelectChoice(code, label) for code, label in SLOTS.items()],
                               description="Cochez une ou plusieurs demi-journées qui vous conviennent.")
    comment = CountedTextAreaField("Commentaire", [Optional()], max_chars=COMMENT_MAX,
                                   description="Facultatif. Précisez votre demande si besoin, sans "
                                               "information médicale.")
    submission = HiddenField()  # one-time token (core.submission): a double click asks once

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.submission.data = token_or_new(self.submission.data)

    def validate_slots(self, field: MultiCheckboxField) -> None:
        if not field.data:
            raise ValidationError("Cochez au moins une demi-journée qui vous convient.")

    def slot_codes(self) -> list[str]:
        """The chosen slots in the week's order, each once."""
        return [code for code in SLOTS if code in set(self.slots.data or ())]


class AppointmentActionForm(Form):
    """« Accepter cette date » / « Annuler ma demande »: only the CSRF token."""


HOUR = re.compile(r"^([01]?\d|2[0-3])\s*[h:]\s*([0-5]\d)?$")


class AppointmentDecisionForm(Form):
    """Agent: « Confirmer ce rendez-vous » or « Proposer une autre date » at a date and time."""
    day = DateFRField("Date du rendez-vous", [InputRequired("Saisissez la date du rendez-vous.")])
    hour = StringField("Heure", [DataRequired("Saisissez l’heure du rendez-vous.")],
                       description="Format attendu : HH:MM, par exemple 09:30 ou 14h00",
                       render_kw={"inputmode": "numeric", "size": 5, "maxlength": 5, "autocomplete": "off"})
    note = StringField("Précisions pour l’adhérent", [Optional(), Length(max=300, message="Les précisions "
                                                                          "doivent faire 300 caractères maximum.")],
                       description="Facultatif : adresse de l’agence, numéro d’où vous appellerez…")
    decision = RadioField("Décision", choices=[SelectChoice("confirm", "Confirmer ce rendez-vous"),
                                               SelectChoice("propose", "Proposer une autre date")], default="confirm",
                          validators=[InputRequired("Indiquez si vous confirmez ou proposez une autre date.")])

    def validate_day(self, field: DateFRField) -> None:
        if field.data and field.data < date.today():
            raise ValidationError("La date du rendez-vous ne peut pas être dans le passé.")

    def validate_hour(self, field: StringField) -> None:
        match = HOUR.match((field.data or "").strip())
        if not match:
            raise ValidationError("Saisissez une heure valide, par exemple 09:30 ou 14h00.")
        field.parsed = time(int(match.group(1)), int(match.group(2) or 0))

    @property
    def at_time(self) -> time:
        return getattr(self.hour, "parsed", time(0, 0))


# --- Agent: « Enregistrer un paiement » ---------------------------------------------------------------


class PaymentRecordForm(Form):
    nir = NirField("Numéro de sécurité sociale de l’adhérent (sans la clé)",
                   [DataRequired("Saisissez le numéro de sécurité sociale de l’adhérent.")])
    paid_on = DateFRField("Date du paiement", [InputRequired("Saisissez la date du paiement.")], not_future=True)
    branch = SelectField("Branche", choices=[SelectChoice("", "Sélectionnez la branche")]
                         + [SelectChoice(code, label) for code, label in BRANCHES.items()],
                         validators=[DataRequired("Sélectionnez la branche.")])
    label = StringField("Libellé", [DataRequired("Saisissez le libellé du paiement."),
                                    Length(max=LABEL_MAX, message=f"Le libellé doit faire {LABEL_MAX} caractères "
                                                                  "maximum.")])
    amount = StringField("Montant en euros", [DataRequired("Saisissez le montant du paiement.")],
                         description="Par exemple 1 234,56", render_kw={"inputmode": "decimal"})

    def validate_amount(self, field: StringField) -> None:
        cents = parse_amount(field.data or "")
        if cents is None:
            raise ValidationError("Saisissez un montant positif en euros, par exemple 1 234,56.")
        field.cents = cents


# --- « Mot de passe oublié » from the MSA login ---------------------------------------------------------


class MsaForgotPasswordForm(Form):
    """The identifier the member logs in with (NIR without key), or their email address."""
    identifier = StringField("Identifiant (numéro de sécurité sociale sans la clé) ou adresse e-mail",
                             [DataRequired("Saisissez votre identifiant ou votre adresse e-mail."),
                              Length(max=254, message="L’identifiant ou l’adresse e-mail doit faire 254 caractères "
                                                      "maximum.")],
                             description="Par exemple 1 85 07 75 123 456, ou l’adresse mail de votre compte.",
                             render_kw={"autocomplete": "username", "spellcheck": "false"})

    def validate_identifier(self, field: StringField) -> None:
        value = (field.data or "").strip()
        if "@" in value:
            self.email, self.nir = value.lower(), None
            return
        self.email, self.nir = None, nir_rules.normalize(value)
        if nir_rules.problem(self.nir):
            raise ValidationError("Saisissez votre numéro de sécurité sociale sans la clé (13 caractères) ou "
                                  "votre adresse e-mail.")
