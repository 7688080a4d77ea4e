"""PrerenderedSelect (forms/fields.py): the options rendered once must be what wtforms' Select
renders, whatever is selected, and any other list of choices falls back to Select."""
from wtforms import Form, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import Select

from forms.fields import PrerenderedSelect
from forms.places import all_country_choices, country_choices

CHOICES = (SelectChoice("", "Choisir"), SelectChoice("a", "Alpha & co"), SelectChoice("b", "« Bêta »"))


class Pick(Form):
    fast = SelectField("Lettre", choices=[], validate_choice=False, widget=PrerenderedSelect())
    slow = SelectField("Lettre", choices=[], validate_choice=False)


def both(choices, data, **kwargs):
    form = Pick(data={"fast": data, "slow": data})
    form.fast.choices = form.slow.choices = choices
    form.slow.id = form.slow.name = "fast"
    return str(form.fast(**kwargs)), str(Select()(form.slow, **kwargs))


def test_same_html_as_wtforms_selected_or_not():
    for data in (None, "", "a", "b", "z"):
        fast, slow = both(CHOICES, data, **{"aria-describedby": "x-aide", "autocomplete": "country"})
        assert fast == slow
    assert '<option selected value="a">' in both(CHOICES, "a")[0]


def test_countries_same_html_and_one_selected():
    for choices in (all_country_choices(), country_choices()):
        for data in ("MA", "", None, "XX"):
            fast, slow = both(choices, data)
            assert fast == slow
    assert both(country_choices(), "MA")[0].count(" selected") == 1


def test_lists_and_options_with_attributes_fall_back():
    as_list = list(CHOICES)
    assert both(as_list, "a")[0] == both(as_list, "a")[1]
    with_attrs = CHOICES + (SelectChoice("c", "Gamma", render_kw={"disabled": True}),)
    fast, slow = both(with_attrs, "c")
    assert fast == slow and "disabled" in fast
