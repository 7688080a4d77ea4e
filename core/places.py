"""Communes (data/communes-fr.csv loaded into the `commune` table) and countries in French."""
import csv
import gettext
import unicodedata
from functools import lru_cache
from pathlib import Path

import pycountry
from sqlalchemy import insert

from extensions import db
from models import Commune
from models.commune import normalize_place

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SEARCH_LIMIT = 20


def load_communes(path=None):
    """Replace the commune table with the CSV's rows. Returns the number of rows."""
    path = Path(path or DATA_DIR / "communes-fr.csv")
    with path.open(encoding="utf-8", newline="") as f:
        rows = [{
            "postcode": r["code_postal"], "insee": r["code_insee"], "name": r["nom"],
            "search_name": normalize_place(r["nom"]), "departement": r["departement"],
            "population": int(r["population"] or 0),
        } for r in csv.DictReader(f)]
    db.session.execute(Commune.__table__.delete())
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Commune), rows[start:start + 5000])
    db.session.commit()
    return len(rows)


def search_communes(query, limit=SEARCH_LIMIT):
    """Communes whose postcode starts with 2+ digits, or whose name starts with 2+ letters
    (accents, case and hyphens ignored), most populated first."""
    query = (query or "").strip()
    digits = query.replace(" ", "")
    if digits.isdigit():
        if len(digits) < 2:
            return []
        prefix, column = digits[:5], Commune.postcode
    else:
        prefix, column = normalize_place(query), Commune.search_name
        if len(prefix.replace(" ", "")) < 2:
            return []
    # A range scan rather than LIKE: it uses the index on SQLite and PostgreSQL alike.
    return (Commune.query.filter(column >= prefix, column < prefix + "\x7f")
            .order_by(Commune.population.desc(), Commune.name).limit(limit).all())


def commune_by_key(key):
    """The commune of a 'INSEE-POSTCODE' key, or None."""
    insee, _, postcode = (key or "").partition("-")
    if not (insee and postcode):
        return None
    return Commune.query.filter_by(insee=insee, postcode=postcode).first()


def _sort_key(label):
    return "".join(c for c in unicodedata.normalize("NFKD", label) if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=1)
def countries_fr():
    """[(alpha-2, French name)] sorted in French, France first."""
    translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    names = [(c.alpha_2, translation.gettext(c.name)) for c in pycountry.countries]
    names.sort(key=lambda item: _sort_key(item[1]))
    france = [item for item in names if item[0] == "FR"]
    return france + [item for item in names if item[0] != "FR"]


def country_name(code):
    return dict(countries_fr()).get(code, code)
