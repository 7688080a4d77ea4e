"""forms/html_params.py: the attributes of every widget, as wtforms' own `html_params` writes them."""
from markupsafe import Markup
from wtforms.widgets import core

import forms.base  # noqa: F401  (installs it)
from forms.html_params import html_params, original_html_params

CASES = [
    {},
    {"name": "nom", "id": "nom", "type": "text", "value": ""},
    {"value": 'a "quoted" <b>bold</b> & \'single\''},
    {"value": Markup('<i>already safe</i> "raw quote"')},
    {"checked": True, "readonly": False, "required": True, "maxlength": 200, "size": 12.5},
    {"data_hx_vals": '{"changer-pays": "1"}', "aria_describedby": "a-aide a-erreur", "class_": "c", "for_": "x"},
    {"hx-post": "/composants/demo?x=1&y=2", "aria-invalid": "true", "placeholder": "jj/mm/aaaa"},
    {"value": None, "min": 0, "step": 1},
    {"value": "é € « » \u202e"},
    {"z": "1", "a": "2", "m_": "3", "data_z_y": "4"},
]


def test_same_attributes_as_wtforms():
    for kwargs in CASES:
        assert html_params(**kwargs) == original_html_params(**kwargs)
        assert isinstance(html_params(**kwargs), Markup)


def test_installed_in_the_widgets():
    assert core.html_params is html_params
    assert core.Input.html_params is html_params and core.SubmitInput.html_params is html_params
