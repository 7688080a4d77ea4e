"""Espace Partenaires, following a request (seed 002, section VI): the history's filters and the
« Compléter la demande » / « Annuler la demande » forms."""
from functools import lru_cache

from forms.base import Form, strip_invisible
from wtforms import BooleanField, HiddenField, SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, ValidationError

from core.submission import token_or_new
from forms.fields import CountedTextAreaField
from models.partenaires import REQUEST_WORKFLOW, catalogue

# --- History -----------------------------------------------------------------------------------

SORTS = {  # URL value -> label; the columns are chosen in blueprints/partenaires/history.py
    "depot": "Date de dépôt",
    "date-statut": "Date du dernier statut",
    "offre": "Offre de service",
    "statut": "Statut",
    "demandeur": "Demandeur",
    "personne": "Personne concernée",
}
ORDERS = {"az": "A-Z", "za": "Z-A"}
PAGE_SIZES = ("10", "25", "50")
# Stored slug -> the seed's label, for the states a history lists (never « Annulée »).
STATUS_FILTERS = {s.slug: s.label for s in REQUEST_WORKFLOW.states if s.listed}
SEARCH_MAX = 60

DEFAULTS = {"recherche": "", "statut": "", "offre": "", "tri": "depot", "ordre": "za", "par_page": "10"}


def _offre_choices():
    return [SelectChoice("", "Toutes les offres de service")] + [
        SelectChoice(str(o["code"]), o["label"]) for o in catalogue()["ods"]]


@lru_cache(maxsize=1)
def _allowed_values():
    """The values each select accepts (the catalogue never changes while the app runs)."""
    return {"statut": frozenset(("", *STATUS_FILTERS)), "offre": frozenset(c.value for c in _offre_choices()),
            "tri": frozenset(SORTS), "ordre": frozenset(ORDERS), "par_page": frozenset(PAGE_SIZES)}


def normalised_filters(args):
    """The history's filter values read from the query arguments, exactly as HistoryFilterForm
    reads them (first value of each argument, invisible characters removed from the search, a value
    outside the choices falling back to its default), without building the form."""
    allowed = _allowed_values()
    values = {}
    for name, default in DEFAULTS.items():
        value = args.get(name)
        if name == "recherche":
            value = strip_invisible(value)
            values[name] = " ".join(value.split())[:SEARCH_MAX] if isinstance(value, str) else ""
        else:
            values[name] = value if value in allowed[name] else default
    return values


class HistoryFilters:
    """The history's filter state without the form: what the view needs to query and link.
    The form itself (HistoryFilterForm) is built only to render the filters."""
    __slots__ = ("values", *DEFAULTS)

    def __init__(self, args):
        self.values = normalised_filters(args)
        for name, value in self.values.items():
            setattr(self, name, value)

    @property
    def filtered(self):
        return bool(self.recherche or self.statut or self.offre)

    def args(self):
        """The non-default values, for links that keep the history's state."""
        return {name: value for name, value in self.values.items() if value != DEFAULTS[name]}

    def key(self):
        """A hashable key of the state (every value, in a fixed order)."""
        return tuple(self.values.values())


class HistoryFilterForm(Form):
    """The GET form above the history. Never invalid: a value outside the choices falls back to
    its default, so any URL renders (bookmarks, hand-edited links)."""

    class Meta:
        csrf = False  # GET, reads only

    recherche = SearchField("Rechercher une demande",
                            description="Numéro de demande ou nom de la personne concernée")
    statut = SelectField("Statut", choices=[SelectChoice("", "Tous les statuts")]
                         + [SelectChoice(value, label) for value, label in STATUS_FILTERS.items()])
    offre = SelectField("Offre de service")
    tri = SelectField("Trier par", choices=[SelectChoice(value, label) for value, label in SORTS.items()])
    ordre = SelectField("Ordre", choices=[SelectChoice(value, label) for value, label in ORDERS.items()])
    par_page = SelectField("Demandes par page", choices=[SelectChoice(n, n) for n in PAGE_SIZES])

    def __init__(self, args, **kwargs):
        super().__init__(formdata=args, **kwargs)
        self.offre.choices = _offre_choices()
        for name, value in normalised_filters(args).items():
            self[name].data = value

    @property
    def filtered(self):
        return bool(self.recherche.data or self.statut.data or self.offre.data)

    def args(self):
        """The non-default values, for links that keep the history's state."""
        return {name: self[name].data for name, default in DEFAULTS.items() if self[name].data != default}


# --- Compléter / Annuler -----------------------------------------------------------------------

class RequestCompleteForm(Form):
    """« Compléter la demande »: a comment appended to the request's, and/or attachments."""
    comment = CountedTextAreaField(
        "Commentaires", description="Compléter le commentaire si besoin : votre texte sera ajouté à la suite "
        "du commentaire de la demande.",
        too_long="Le commentaire ajouté doit faire {max} caractères maximum pour que le commentaire de la "
                 "demande ne dépasse pas 5000 caractères (il en fait {count}).")
    submission = HiddenField()  # one-time token (core.submission): the form posted twice completes once

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.submission.data = token_or_new(self.submission.data)

    def set_remaining(self, remaining):
        self.comment.max_chars = max(remaining, 0)

    def has_comment(self):
        return bool((self.comment.data or "").strip())


class RequestCancelForm(Form):
    motive = SelectField("Sélectionner le motif de l'annulation *", validate_choice=False,
                         validators=[DataRequired("Sélectionnez le motif de l'annulation.")])
    confirm = BooleanField("Je confirme l'annulation",
                           validators=[DataRequired("Cochez « Je confirme l'annulation » pour annuler la demande.")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.motive.choices = [SelectChoice("", "Sélectionner un motif")] + [
            SelectChoice(m, m) for m in catalogue()["cancel_motives"]]

    def validate_motive(self, field):
        if field.data not in catalogue()["cancel_motives"]:
            raise ValidationError("Sélectionnez le motif de l'annulation.")
