"""core.templating.Environment: templates share the environment's globals (no ChainMap of their
own), and an imported macro still reads them; a template given globals of its own keeps them to
itself, as Jinja promises."""
from jinja2 import DictLoader

from core.templating import Environment


def test_templates_share_the_environments_globals_and_imports_read_them(app):
    env = app.jinja_env
    assert isinstance(env, Environment)
    template = env.get_template("base.html")
    assert template.globals is env.globals
    local = Environment(app, loader=DictLoader({
        "macros.html": "{% macro hello() %}{{ greeting }} {{ SITE }}{% endmacro %}",
        "page.html": '{% from "macros.html" import hello %}{{ hello() }}',
    }))
    local.globals.update(greeting="Bonjour", SITE="Guichet")
    assert local.get_template("page.html").render() == "Bonjour Guichet"
    own = local.from_string("{{ SITE }} {{ extra }}", globals={"extra": "seul"})
    assert own.render() == "Guichet seul"
    assert "extra" not in local.globals  # a template's own globals never reach the environment
