"""The benefits catalogue of the Portail Des Aides: data/catalogues/armees-prestations.json (label,
aid or loan, means-tested or not, eligibility questions with the excluding answer, the detail
fields of « Votre dossier » with their types and tables, required and optional documents), with
what agents change from the web (models.armees.BenefitSetting: published or not, label, summary).

    benefit = catalogue.get("pret-social")          # None when unknown or unpublished
    catalogue.published()                            # the list offered to ressortissants
    catalogue.search("garde")                        # by keyword in the label, accents ignored
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from core import refcache
from core.catalogues import load
from core.formatting import fold_text
from extensions import db
from models.armees import BenefitSetting

# The agents' changes are reference data (core.refcache): every page of an application shows its
# benefit, and a change made from the catalogue's page reaches every server at once.
refcache.watch(BenefitSetting)

CATALOGUE = "armees-prestations"
REFERENTIALS = "armees-referentiels"
SITUATION_CASCADE = "armees-situation-professionnelle"
FIELD_TYPES = ("text", "textarea", "select", "date", "checkbox", "amount", "number", "table")
COLUMN_TYPES = ("text", "select", "date", "amount", "number")
KIND_LABELS = {"aide": "Aide", "pret": "Prêt"}
YES, NO = "oui", "non"


@dataclass(frozen=True)
class Question:
    """An eligibility question answered « Oui » / « Non »; `excluding` is the answer that makes
    the ressortissant ineligible."""
    name: str
    label: str
    excluding: str


@dataclass(frozen=True)
class FieldSpec:
    """A field of « Détail de la demande ». A `table` field has `columns` (FieldSpecs of the
    column types) and holds rows added with « Ajouter »."""
    name: str
    label: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    columns: tuple[FieldSpec, ...] = ()
    min_rows: int = 0
    max_rows: int = 10
    max_length: int | None = None
    max: float | None = None


@dataclass(frozen=True)
class DocumentSpec:
    """A document of « Vos justificatifs ». `porte_documents`: the proof of ressortissant status,
    asked of every benefit, kept in « Mon porte-documents » once given and reusable from there."""
    code: str
    label: str
    required: bool = False
    porte_documents: bool = False


@dataclass(frozen=True)
class Benefit:
    code: str
    label: str
    kind: str              # "aide" or "pret"
    means_tested: bool     # « Prestation soumise à condition de ressources »
    summary: str
    eligibility: tuple[Question, ...]
    fields: tuple[FieldSpec, ...]
    documents: tuple[DocumentSpec, ...]
    published: bool = True
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_loan(self) -> bool:
        return self.kind == "pret"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def tables(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.type == "table")

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def document(self, code: str) -> DocumentSpec | None:
        return next((d for d in self.documents if d.code == code), None)

    def excluded_by(self, answers: dict[str, str]) -> list[Question]:
        """The questions whose answer makes the ressortissant ineligible."""
        return [q for q in self.eligibility if answers.get(q.name) == q.excluding]


class CatalogueError(ValueError):
    """The data file is malformed; the message says where."""


def _field(raw: dict[str, Any], where: str, types: tuple[str, ...]) -> FieldSpec:
    kind = raw.get("type")
    if kind not in types:
        raise CatalogueError(f"{where}: unknown field type {kind!r}")
    if kind == "select" and not raw.get("choices"):
        raise CatalogueError(f"{where}: a select needs choices")
    columns = tuple(_field(c, f"{where}.{c.get('name')}", COLUMN_TYPES) for c in raw.get("columns", ()))
    if kind == "table" and not columns:
        raise CatalogueError(f"{where}: a table needs columns")
    return FieldSpec(name=raw["name"], label=raw["label"], type=kind, required=bool(raw.get("required")),
                     choices=tuple(raw.get("choices", ())), columns=columns,
                     min_rows=int(raw.get("min_rows", 0)), max_rows=int(raw.get("max_rows", 10)),
                     max_length=raw.get("max_length"), max=raw.get("max"))


def _benefit(raw: dict[str, Any], common_documents: tuple[dict[str, Any], ...] = ()) -> Benefit:
    code = raw["code"]
    if raw.get("kind") not in KIND_LABELS:
        raise CatalogueError(f"{code}: kind must be aide or pret")
    questions = tuple(Question(q["name"], q["label"], q["excluding"]) for q in raw.get("eligibility", ()))
    if any(q.excluding not in (YES, NO) for q in questions):
        raise CatalogueError(f"{code}: an excluding answer is oui or non")
    fields = tuple(_field(f, f"{code}.{f.get('name')}", FIELD_TYPES) for f in raw.get("fields", ()))
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise CatalogueError(f"{code}: field names must be unique")
    documents = tuple(DocumentSpec(d["code"], d["label"], bool(d.get("required")), bool(d.get("porte_documents")))
                      for d in (*common_documents, *raw.get("documents", ())))
    return Benefit(code=code, label=raw["label"], kind=raw["kind"], means_tested=bool(raw.get("means_tested")),
                   summary=raw.get("summary", ""), eligibility=questions, fields=fields, documents=documents)


def _file_benefits() -> tuple[Benefit, ...]:
    data = load(CATALOGUE)
    common = tuple(data.get("common_documents", ()))
    return tuple(_benefit(b, common) for b in data["benefits"])


_FILE: tuple[Benefit, ...] | None = None


def from_file() -> tuple[Benefit, ...]:
    """Every benefit of the data file, as written there (parsed once)."""
    global _FILE
    if _FILE is None:
        _FILE = _file_benefits()
    return _FILE


def _with_setting(benefit: Benefit, s) -> Benefit:
    """The benefit with an agent's changes (a BenefitSetting, or None) applied."""
    if s is None:
        return benefit
    return replace(benefit, published=s.published, label=s.label or benefit.label,
                   summary=s.summary if s.summary is not None else benefit.summary)


def _current() -> tuple[Benefit, ...]:
    """Every benefit with the agents' changes applied, kept as reference data (core.refcache)."""
    def load_settings() -> tuple[Benefit, ...]:
        settings = {s.code: s for s in db.session.query(BenefitSetting).all()}
        return tuple(_with_setting(benefit, settings.get(benefit.code)) for benefit in from_file())
    return refcache.cached("armees-benefits", load_settings)


def all_benefits() -> list[Benefit]:
    """Every benefit with the agents' changes applied (published or not), in the file's order."""
    return list(_current())


def published() -> list[Benefit]:
    return [b for b in _current() if b.published]


def get(code: str | None, include_unpublished: bool = False) -> Benefit | None:
    """The benefit `code` with the agents' changes applied."""
    benefit = next((b for b in _current() if b.code == code), None)
    if benefit is None or (not benefit.published and not include_unpublished):
        return None
    return benefit


def search(keyword: str | None) -> list[Benefit]:
    """Published benefits whose label holds every word typed (accents and case ignored)."""
    words = fold_text(keyword or "").split()
    return [b for b in published() if all(w in fold_text(b.label) for w in words)]


def referentials() -> dict[str, Any]:
    return load(REFERENTIALS)


def family_situations() -> list[str]:
    return list(referentials()["family_situations"])


def offices_for(postcode: str | None) -> list[dict[str, Any]]:
    """The local social-action offices (« échelons sociaux ») serving a postcode's département."""
    code = (postcode or "").strip()
    if len(code) < 2 or not code[:2].isalnum():
        return []
    dep = code[:3] if code.startswith("97") else code[:2]
    if dep == "20" and len(code) == 5:  # Corsica: 200xx-201xx is 2A, 202xx-206xx is 2B
        dep = "2A" if code[2] in "01" else "2B"
    return [o for o in referentials()["offices"] if dep in o["departements"]]
