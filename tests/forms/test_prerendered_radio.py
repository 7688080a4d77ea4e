"""PrerenderedRadioField (forms/msa_documents.py): the radios kept from their first rendering must
be what wtforms' RadioField renders, whatever is checked, in every field that uses one list."""
from wtforms import Form
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from forms.msa_documents import ChoiceRadioField, DocumentCountForm, DocumentSubjectForm, PrerenderedRadioField

CHOICES = (SelectChoice("a", "Alpha & co"), SelectChoice("b", "« Bêta »"), SelectChoice("c", None))


class Pick(Form):
    fast = PrerenderedRadioField("Lettre", [InputRequired("Choisissez.")], choices=CHOICES)
    other = PrerenderedRadioField("Autre", choices=CHOICES)
    slow = ChoiceRadioField("Lettre", [InputRequired("Choisissez.")], choices=list(CHOICES))


def rendered(field):
    return [(str(o()), str(o.label()), o.id, o.data, o.checked) for o in field]


def test_same_radios_as_wtforms_checked_or_not():
    for data in (None, "", "a", "b", "c", "z"):
        for _ in range(2):  # the first rendering, then the kept one
            form = Pick(data={"fast": data, "slow": data, "other": data})
            form.slow.id = form.slow.name = "fast"
            assert rendered(form.fast) == rendered(form.slow)
            if data is None:
                assert rendered(form.other)[0][0] == '<input id="other-0" name="other" type="radio" value="a">'
    form = Pick(data={"fast": "b"})
    assert [o.checked for o in form.fast] == [False, True, False]
    assert 'checked' in str(list(form.fast)[1]()) and 'required' in str(list(form.fast)[0]())


def test_attributes_given_at_render_time_are_rendered():
    form = Pick()
    assert 'class="x"' in str(next(iter(form.fast))(class_="x"))
    assert str(next(iter(form.fast)).label("Autre texte")) == '<label for="fast-0">Autre texte</label>'


def test_the_wizard_forms_keep_their_choices_and_validation(app):
    with app.test_request_context():
        form = DocumentSubjectForm(data={"subject": "logement"}, meta={"csrf": False})
        assert [o.checked for o in form.subject].count(True) == 1
        count = DocumentCountForm(formdata=None, meta={"csrf": False})
        count.process(data={"count": "9"})
        assert not count.validate() and count.count.errors
