"""forms/field_html.py: a plain text input without an error comes from its skeleton (rendered once,
the value put in its place): the same HTML, to the byte, as rendering it again for each value."""
import pytest
from markupsafe import Markup
from wtforms import Form, StringField
from wtforms.fields import EmailField, IntegerField, PasswordField, TelField
from wtforms.validators import DataRequired, Length

import forms.base  # noqa: F401  (installs the app's html_params, as in the app)
from forms import field_html
from forms.field_html import render_field

VALUES = ["", "Jean", 'a "b" <c> & d\'e', "« Lïon » 1 234,56 €", Markup("<b>déjà sûr</b>"), "  espaces  "]
CALLS = [
    {},
    {"hint": "Une aide <b>"},
    {"hint": Markup("Une aide <b>sûre</b>")},
    {"class": "field--court", "label_class": "visually-hidden", "extra_describedby": "compteur"},
    {"type": "tel", "autocomplete": "tel", "maxlength": 20, "spellcheck": False, "hx-get": "/x?a=1&b=2"},
]


class Sample(Form):
    nom = StringField("Nom", validators=[DataRequired(), Length(max=40)])
    ville = StringField("Ville *", description="La commune", render_kw={"autocomplete": "address-level2"})
    mail = EmailField("Adresse mail")
    tel = TelField("Téléphone", render_kw={"inputmode": "tel"})
    age = IntegerField("Âge")
    secret = PasswordField("Mot de passe")


def _direct(field, kwargs):
    kwargs = dict(kwargs)
    class_ = kwargs.pop("class", "")
    hint = kwargs.pop("hint", None)
    hint = field.description if hint is None else hint
    return field_html._render(field, hint, class_, kwargs.pop("extra_describedby", None),
                              kwargs.pop("label_class", ""), None, kwargs)


@pytest.mark.parametrize("kwargs", CALLS)
def test_skeleton_gives_the_same_html(app, kwargs):
    with app.test_request_context("/"):
        for value in VALUES:
            form = Sample(data={"nom": value, "ville": value, "mail": value, "tel": value, "secret": value})
            for f in form:
                for _ in range(2):  # the first call renders the skeleton, the second uses it
                    assert render_field(f, **kwargs) == _direct(f, kwargs), (f.name, value, kwargs)


def test_flags_and_errors_are_not_mixed_up(app):
    with app.test_request_context("/"):
        form = Sample(data={"nom": "x"})
        plain = render_field(form.ville)
        form.ville.flags.required = True  # a form may change a flag at runtime (armees « Ville » abroad)
        required = render_field(form.ville)
        assert required != plain and required == _direct(form.ville, {})
        form.nom.errors = ["Saisissez <le> nom."]
        assert render_field(form.nom) == _direct(form.nom, {}) and "field--error" in render_field(form.nom)


def test_only_plain_text_inputs_use_a_skeleton(app):
    with app.test_request_context("/"):
        form = Sample(data={"nom": "x", "age": 3, "secret": "s"})
        assert field_html._skeleton_key(form.nom, None, "", None, "", {}) is not None
        assert field_html._skeleton_key(form.age, None, "", None, "", {}) is None
        assert field_html._skeleton_key(form.secret, None, "", None, "", {}) is None
        assert field_html._skeleton_key(form.nom, None, "", None, "", {"value": "forcé"}) is None
        assert field_html._skeleton_key(form.nom, None, "", None, "", {"data-x": ["a"]}) is None
