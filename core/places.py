"""Communes (data/communes-fr.csv loaded into the `commune` table) and countries in French."""
from __future__ import annotations

import bisect
import csv
import gettext
import heapq
import re
import threading
import unicodedata
from collections import namedtuple
from collections.abc import Callable, Collection, Hashable
from functools import lru_cache
from pathlib import Path
from typing import Self

import pycountry
from flask import current_app
from sqlalchemy import insert, select

from extensions import db
from models import Commune
from models.commune import normalize_place

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SEARCH_LIMIT = 20


def load_communes(path: str | Path | None = None) -> int:
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
    _indexes.pop(current_app.config["SQLALCHEMY_DATABASE_URI"], None)
    return len(rows)


# What search results carry: enough to show and pick a town, without an ORM object per row.
CommuneRow = namedtuple("CommuneRow", "key name postcode insee departement population")


class CommuneIndex:
    """The commune table held in memory by each worker, sorted for prefix search.

    The table is reference data that only `flask communes load` changes (restart the workers
    after it): reading it once per process makes a lookup a binary search instead of a query,
    and the answers of the most frequent prefixes are memoised."""

    def __init__(self, rows: Collection[tuple[str, CommuneRow]]) -> None:
        """rows: (search_name, CommuneRow). Sorted by key, then most populated, then name."""
        self.by_name = sorted((name, -c.population, c.name, c) for name, c in rows)
        self.by_postcode = sorted((c.postcode, -c.population, c.name, c) for _, c in rows)
        self.name_keys = [item[0] for item in self.by_name]
        self.postcode_keys = [item[0] for item in self.by_postcode]
        self.search = lru_cache(maxsize=20_000)(self._search)
        self._rendered = {}

    def rendered(self, key: Hashable, render: Callable[[], str]) -> str:
        """Memoised HTML of a search fragment: it depends only on the query and this data."""
        html = self._rendered.get(key)
        if html is None:
            html = render()
            if len(self._rendered) >= 20_000:
                self._rendered.clear()
            self._rendered[key] = html
        return html

    @classmethod
    def from_database(cls) -> Self:
        t = Commune.__table__
        result = db.session.execute(select(t.c.search_name, t.c.insee, t.c.postcode, t.c.name, t.c.departement,
                                           t.c.population))
        return cls([(search_name, CommuneRow(f"{insee}-{postcode}", name, postcode, insee, departement, population))
                    for search_name, insee, postcode, name, departement, population in result])

    def _search(self, kind, prefix, limit):
        keys, items = (self.postcode_keys, self.by_postcode) if kind == "postcode" else (self.name_keys, self.by_name)
        start = bisect.bisect_left(keys, prefix)
        end = bisect.bisect_left(keys, prefix + "\x7f", lo=start)
        # Most populated first, then by name and postcode (Paris, Lyon… have one row per postcode).
        best = heapq.nsmallest(limit, items[start:end], key=lambda item: (item[1], item[2], item[3].postcode))
        return tuple(item[3] for item in best)


_indexes = {}
_index_lock = threading.Lock()


def commune_index() -> CommuneIndex:
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    index = _indexes.get(uri)
    if index is None:
        with _index_lock:
            index = _indexes.get(uri)
            if index is None:
                index = _indexes[uri] = CommuneIndex.from_database()
    return index


def search_communes(query: str | None, limit: int = SEARCH_LIMIT) -> list[CommuneRow]:
    """Communes whose postcode starts with 2+ digits, or whose name starts with 2+ letters
    (accents, case and hyphens ignored), most populated first."""
    query = (query or "").strip()
    digits = query.replace(" ", "")
    if digits.isdigit():
        if len(digits) < 2:
            return []
        return list(commune_index().search("postcode", digits[:5], limit))
    prefix = normalize_place(query)
    if len(prefix.replace(" ", "")) < 2:
        return []
    return list(commune_index().search("name", prefix, limit))


def search_communes_in_database(query: str | None, limit: int = SEARCH_LIMIT) -> list[Commune]:
    """The same search as an indexed query (what the in-memory index is checked against)."""
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
            .order_by(Commune.population.desc(), Commune.name, Commune.postcode).limit(limit).all())


def commune_by_key(key: str | None) -> Commune | None:
    """The commune of a 'INSEE-POSTCODE' key, or None."""
    insee, _, postcode = (key or "").partition("-")
    if not (insee and postcode):
        return None
    return Commune.query.filter_by(insee=insee, postcode=postcode).first()


def _sort_key(label):
    return "".join(c for c in unicodedata.normalize("NFKD", label) if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=1)
def _countries_in_french():
    """[(country, French name, French common name or None)] of pycountry: the one country list."""
    translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    return [(c, translation.gettext(c.name),
             translation.gettext(c.common_name) if getattr(c, "common_name", None) else None)
            for c in pycountry.countries]


@lru_cache(maxsize=1)
def _countries_sorted() -> tuple[tuple[str, str], ...]:
    names = [(c.alpha_2, name) for c, name, _ in _countries_in_french()]
    names.sort(key=lambda item: _sort_key(item[1]))
    france = [item for item in names if item[0] == "FR"]
    return tuple(france + [item for item in names if item[0] != "FR"])


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    return dict(_countries_sorted())


def countries_fr() -> list[tuple[str, str]]:
    """[(alpha-2, French name)] sorted in French, France first (sorted once per process: the
    list is on every form with a country, and sorting 249 names costs about a millisecond)."""
    return list(_countries_sorted())


def country_name(code: str | None) -> str | None:
    return _country_names().get(code, code)


# --- Birth places typed in full (a département code, or a country's name) ------------------------

# Overseas territories have a French département code: someone born there is born in France.
OVERSEAS_CODES = {"GP": "971", "MQ": "972", "GF": "973", "RE": "974", "PM": "975", "YT": "976", "BL": "977",
                  "MF": "978", "TF": "984", "WF": "986", "PF": "987", "NC": "988"}


def place_key(label: str) -> str:
    """Comparison key for places: no accents, case, spaces, hyphens or apostrophes."""
    decomposed = unicodedata.normalize("NFKD", label)
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c)).lower()


@lru_cache(maxsize=1)
def departements() -> dict[str, str]:
    """{code: name} of data/departements-fr.csv (01…95, 2A, 2B, 971…989)."""
    with (DATA_DIR / "departements-fr.csv").open(encoding="utf-8", newline="") as f:
        return {row["code"].upper(): row["nom"] for row in csv.DictReader(f)}


@lru_cache(maxsize=1)
def departement_codes_by_name() -> dict[str, str]:
    return {place_key(name): code for code, name in departements().items()}


@lru_cache(maxsize=4)
def typed_countries(max_length: int) -> dict[str, tuple[str, str]]:
    """{key: (alpha-2, label to store)} of the French country names one can type in a field of
    `max_length` letters, spaces, apostrophes and hyphens.

    Official names such as « Iran, République islamique d' » cannot be typed with those
    characters, so the common name (« Iran ») and, when unambiguous, the part before the comma are
    accepted too; « Salomon, Îles » also as « Îles Salomon »."""
    def typeable(label):
        return len(label) <= max_length and re.fullmatch(r"[^\W_]+(?:[ '\-][^\W_]+)*", label) is not None

    candidates = []
    for country, name, common_name in _countries_in_french():
        labels = [name] + ([common_name] if common_name else [])
        head, comma, tail = name.partition(", ")
        if comma:
            labels.append(head)
            if tail.startswith("Île"):
                labels.append(f"{tail} {head}")
        candidates += [(label, country.alpha_2) for label in labels if typeable(label)]
    found = {}
    for label, alpha_2 in candidates:
        found.setdefault(place_key(label), set()).add((alpha_2, label))
    # A shortened name shared by two countries (« Corée ») is not accepted: it says too little.
    return {key: next(iter(v)) for key, v in found.items() if len({a for a, _ in v}) == 1}
