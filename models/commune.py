import re
import unicodedata

from sqlalchemy import String

from extensions import db


def normalize_place(text):
    """'Saint-Étienne' -> 'saint etienne': accents, case, hyphens and apostrophes ignored."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("œ", "oe").replace("æ", "ae")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return text.strip()


# Byte-wise collation so that prefix range scans use the index on PostgreSQL as on SQLite.
SearchString = String(120).with_variant(String(120, collation="C"), "postgresql")


class Commune(db.Model):
    """One postcode–commune pair of data/communes-fr.csv."""
    id = db.Column(db.Integer, primary_key=True)
    postcode = db.Column(String(5).with_variant(String(5, collation="C"), "postgresql"), nullable=False)
    insee = db.Column(db.String(5), nullable=False)
    name = db.Column(db.String(120), nullable=False)
    search_name = db.Column(SearchString, nullable=False)
    departement = db.Column(db.String(3), nullable=False)
    population = db.Column(db.Integer, nullable=False, default=0)

    __table_args__ = (
        db.Index("ix_commune_postcode", "postcode", "population"),
        db.Index("ix_commune_search_name", "search_name", "population"),
        db.UniqueConstraint("postcode", "insee", name="uq_commune_postcode_insee"),
    )

    @property
    def key(self):
        """Stable value for a form: 'INSEE-POSTCODE'."""
        return f"{self.insee}-{self.postcode}"

    @property
    def label(self):
        return f"{self.name} ({self.postcode})"
