"""Reference app of the benchmark: one route rendering a ~50-line, ~1 KB Jinja template.

No database, no session, no extension: the ceiling a Flask page can reach under the same
gunicorn settings as Guichet. `gunicorn --chdir bench minimal_app:app`."""
from pathlib import Path

from flask import Flask, render_template

app = Flask(__name__, template_folder=str(Path(__file__).resolve().parent / "templates"))

LINKS = [{"href": "/", "label": "Accueil"}, {"href": "/compte/connexion", "label": "Se connecter"},
         {"href": "/compte/inscription", "label": "S’inscrire"}]
ROWS = [("Organisme", "Assurance Maladie"), ("Portail", "Espace Partenaires"),
        ("Demandes", "10 000"), ("Délai", "48 h")]


@app.route("/")
def minimal():
    return render_template("minimal.html", title="Banc d’essai", site="Guichet", links=LINKS,
                           rows=ROWS, note="Valeurs fictives.", year=2026)
