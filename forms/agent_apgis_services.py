"""Apgis managers (slice SERVICES): finding an insured, recording a reimbursement, creating a
statement, the FAQ entries and the publications of the documentation space. One form per action."""
from __future__ import annotations

from typing import Any

from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from core.submission import token_or_new
from forms.agent_armees import AmountField
from forms.base import Form
from forms.fields import CountedTextAreaField, DateFRField

SEARCH_MAX = 60
QUESTION_MAX = 300
ANSWER_MAX = 3000
TITLE_MAX = 160
DESCRIPTION_MAX = 300


class _OnceForm(Form):
    submission = HiddenField()  # one-time token: posted twice, the form acts once

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.submission.data = token_or_new(self.submission.data)


class InsuredSearchForm(Form):
    """« Rechercher un assuré » (GET): member number or name."""

    class Meta:
        csrf = False  # GET, reads only

    recherche = StringField("N° d’adhérent ou nom de l’assuré", [Optional(), Length(max=SEARCH_MAX)],
                            description="Par exemple : 100234 ou Lefèvre")

    def __init__(self, args: Any, **kwargs: Any) -> None:
        super().__init__(formdata=args, **kwargs)
        self.text = " ".join((self.recherche.data or "").split())[:SEARCH_MAX]


class ReimbursementRecordForm(_OnceForm):
    """« Enregistrer un remboursement »: one payment of Apgis for a care."""
    paid_on = DateFRField("Date du règlement", [InputRequired("Saisissez la date du règlement.")], not_future=True)
    beneficiary = SelectField("Bénéficiaire", [InputRequired("Sélectionnez le bénéficiaire des soins.")],
                              choices=[], validate_choice=False)
    label = StringField("Soin", [DataRequired("Saisissez le soin remboursé."),
                                 Length(max=160, message="Le soin doit faire 160 caractères maximum.")],
                        description="Par exemple : Consultation généraliste, Verres correcteurs.")
    care_date = DateFRField("Date du soin", [InputRequired("Saisissez la date du soin.")], not_future=True)
    expense = AmountField("Dépense", [InputRequired("Saisissez le montant de la dépense.")])
    social_security = AmountField("Remboursement Sécurité sociale",
                                  [InputRequired("Saisissez le remboursement de la Sécurité sociale (0 s’il n’y en a "
                                                 "pas).")])
    apgis = AmountField("Remboursement Apgis", [InputRequired("Saisissez le remboursement de l’Apgis.")])
    payee = StringField("Payé à", [DataRequired("Saisissez à qui le règlement est payé."),
                                   Length(max=80, message="« Payé à » doit faire 80 caractères maximum.")],
                        default="Assuré", description="« Assuré », ou le professionnel de santé payé directement.")

    def __init__(self, *args: Any, beneficiaries: list[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.beneficiary.choices = [("", "Sélectionnez le bénéficiaire"), *beneficiaries]

    def validate_beneficiary(self, field: Any) -> None:
        if field.data not in {value for value, _ in self.beneficiary.choices if value}:
            raise ValidationError("Sélectionnez le bénéficiaire des soins.")

    def validate_care_date(self, field: Any) -> None:
        if field.data and self.paid_on.data and field.data > self.paid_on.data:
            raise ValidationError("La date du soin ne peut pas être postérieure à la date du règlement.")

    def validate_apgis(self, field: Any) -> None:
        if None in (field.data, self.expense.data, self.social_security.data):
            return
        if field.data + self.social_security.data > self.expense.data:
            raise ValidationError("Les remboursements de la Sécurité sociale et de l’Apgis dépassent la dépense.")


class StatementCreateForm(_OnceForm):
    """« Créer un décompte » of the insured's reimbursements not yet on one."""


class FaqForm(_OnceForm):
    """A frequently asked question: add or edit."""
    question = StringField("Question", [DataRequired("Saisissez la question."),
                                        Length(max=QUESTION_MAX, message=f"La question doit faire {QUESTION_MAX} "
                                                                         "caractères maximum.")])
    answer = CountedTextAreaField("Réponse", [DataRequired("Saisissez la réponse.")], max_chars=ANSWER_MAX)


class FaqActionForm(Form):
    """« Monter », « Descendre », « Supprimer » a question: the CSRF token only."""


class PublicationForm(_OnceForm):
    """« Ajouter un document » to the documentation space (its file through core.uploads)."""
    title = StringField("Titre", [DataRequired("Saisissez le titre du document."),
                                  Length(max=TITLE_MAX, message=f"Le titre doit faire {TITLE_MAX} caractères "
                                                                "maximum.")],
                        description="Par exemple : Tableau des garanties 2026")
    description = StringField("Description (facultative)",
                              [Optional(), Length(max=DESCRIPTION_MAX, message=f"La description doit faire "
                                                                             f"{DESCRIPTION_MAX} caractères maximum.")])
    contract_name = SelectField("Destinataires", choices=[], validate_choice=False)
    published = BooleanField("Publier le document dès maintenant", default=True)

    def __init__(self, *args: Any, contracts: list[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.contract_name.choices = [("", "Tous les assurés"),
                                      *((name, f"Les assurés du contrat {name}") for name in contracts)]

    def validate_contract_name(self, field: Any) -> None:
        if field.data not in {value for value, _ in self.contract_name.choices}:
            raise ValidationError("Sélectionnez les destinataires du document.")


class PublicationActionForm(Form):
    """« Publier », « Retirer de la publication », « Supprimer » a document: the CSRF token only."""
