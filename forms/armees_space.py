"""Forms of the PDA personal space (slice SPACE): « Mon porte-documents » (add, delete) and the
download of a document received. « Mes informations » has its own module, armees_informations."""
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

from forms.base import Form
from models.armees import PORTE_DOCUMENT_KINDS

FORMATS_HINT = "Formats acceptés : pdf, doc, docx, png, jpg, jpeg ; 5 Mo maximum."


class PorteDocumentAddForm(Form):
    """« Ajouter » a justificatif: a bulletin de rémunération or a titre de pension."""
    kind = SelectField("Type de justificatif",
                       choices=[SelectChoice("", "Sélectionnez le type de justificatif")]
                       + [SelectChoice(code, label) for code, label in PORTE_DOCUMENT_KINDS.items()],
                       validators=[InputRequired("Sélectionnez le type de justificatif.")], validate_choice=False)
    file = FileField("Justificatif", [FileRequired("Sélectionnez le fichier à ajouter.")], description=FORMATS_HINT,
                     render_kw={"accept": ".pdf,.doc,.docx,.png,.jpg,.jpeg"})

    def validate_kind(self, field: SelectField) -> None:
        if field.data not in PORTE_DOCUMENT_KINDS:
            raise ValidationError("Sélectionnez le type de justificatif dans la liste.")


class PorteDocumentDeleteForm(Form):
    """The bin button, and its confirmation (without JavaScript: a page; with htmx: in the row)."""


class ReceivedDownloadForm(Form):
    """« Télécharger le document »: a POST, since it marks the document read."""
