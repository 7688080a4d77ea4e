"""forms/field_html.py: the `field` component, the same HTML as the Jinja macro it replaces.

REFERENCE (field_macro_reference.html) is the macro as templates/components/forms.html had it;
every case is rendered through it and through the `field` that templates import today, and must be
identical to the byte."""
from pathlib import Path

import pytest
from markupsafe import Markup
from wtforms import Form, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

import forms.base  # noqa: F401  (installs the app's html_params, as in the app)
from forms.field_html import render_field

REFERENCE = (Path(__file__).parent / "field_macro_reference.html").read_text(encoding="utf-8")

# What the templates do with `field`: every argument, by position and by name, and a call block.
CALLS = [
    "{{ field(f) }}",
    "{{ field(f, hint='Une aide <b>') }}",
    "{{ field(f, hint='') }}",
    "{{ field(f, 'Aide en position') }}",
    "{{ field(f, class='field--court', label_class='visually-hidden') }}",
    "{{ field(f, None, 'field--date', 'compteur-1', 'l') }}",
    "{{ field(f, extra_describedby='compteur') }}",
    "{{ field(f, autocomplete='postal-code', maxlength=5, inputmode='numeric', spellcheck='false') }}",
    "{{ field(f, hint=safe_hint, rows=8, **{'data-hx-vals': '{\"a\": \"b\"}', 'hx-get': '/x?a=1&b=2'}) }}",
    "{% call field(f, class='x') %}<p>Après le champ</p>{% endcall %}",
    "{% call field(f, hint='Aide') %}{{ f.name }} & co{% endcall %}",
]


class Sample(Form):
    nom = StringField("Nom", validators=[DataRequired()])
    ville = StringField("Ville *", validators=[DataRequired()], description="La commune de résidence")
    message = TextAreaField("Message", validators=[Length(max=2000)],
                            description=Markup("Au plus <b>2 000</b> caractères"))
    pays = SelectField("Pays", choices=[SelectChoice("FR", "France"), SelectChoice("BE", "Belgique"),
                                        SelectChoice("X", "<Ailleurs> & «autre»")])
    libre = StringField("Complément d’adresse", render_kw={"autocomplete": "address-line2"})


def _forms():
    clean = Sample()
    invalid = Sample(data={"nom": "", "ville": "", "message": "x", "pays": "X", "libre": 'a "b" <c>'})
    invalid.validate()
    invalid.message.errors = ["Le message dépasse <2 000> caractères."]
    invalid.pays.errors = ["Choisissez un pays."]
    invalid.libre.errors = ["Première erreur", "Seconde"]
    return clean, invalid


@pytest.mark.parametrize("call", CALLS)
def test_the_same_html_as_the_macro(app, call):
    env = app.jinja_env
    reference = env.from_string(REFERENCE + call)
    current = env.from_string('{% from "components/forms.html" import field %}' + call)
    compared = 0
    with app.test_request_context("/"):
        for form in _forms():
            for f in form:
                context = {"f": f, "safe_hint": Markup("Voir <a href='/aide'>l’aide</a>")}
                expected = reference.render(**context)
                assert current.render(**context) == expected, (call, f.name, bool(f.errors))
                compared += 1
    assert compared == 10


def test_the_date_macro_still_goes_through_it(app):
    with app.test_request_context("/"):
        form = _forms()[1]
        html = app.jinja_env.from_string(
            '{% from "components/forms.html" import date %}{{ date(f, hint="jj/mm/aaaa") }}').render(f=form.nom)
    assert 'class="field field--error field--date"' in html
    assert 'placeholder="jj/mm/aaaa"' in html and 'aria-describedby="nom-aide nom-erreur"' in html


def test_templates_get_the_python_function(app):
    with app.app_context():
        module = app.jinja_env.get_template("components/forms.html").module
    assert module.field is render_field
    with app.test_request_context("/"):
        html = render_field(Sample().nom, autocomplete="family-name")
    assert isinstance(html, Markup) and 'autocomplete="family-name"' in html
