"""The Portail Des Aides catalogue: the data file, agents' changes, search, local offices."""
import pytest

from blueprints.armees import catalogue
from extensions import db
from models import BenefitSetting


def test_the_data_file_holds_aids_and_loans_with_their_questions_fields_and_documents(app):
    with app.app_context():
        benefits = catalogue.published()
        assert len(benefits) >= 6
        assert {b.kind for b in benefits} == {"aide", "pret"}
        assert {b.means_tested for b in benefits} == {True, False}
        family = catalogue.get("garde-jeunes-enfants")
        table = family.field("famille")
        assert (table.type, table.label) == ("table", "Composition de la famille")
        assert [c.type for c in table.columns] == ["text", "text", "date", "select"]
        assert {f.type for b in benefits for f in b.fields} >= {"text", "select", "date", "checkbox", "table"}
        assert [d.required for d in family.documents] == [True, True, True, False]
        # Every benefit asks for the proof of ressortissant status, kept in the porte-documents.
        assert all(b.documents[0].code == "qualite-ressortissant" and b.documents[0].porte_documents
                   for b in benefits)


def test_an_excluding_answer_is_found():
    benefit = next(b for b in catalogue.from_file() if b.code == "pret-social")
    assert benefit.excluded_by({"ressortissant": "oui", "pret_en_cours": "non"}) == []
    assert [q.name for q in benefit.excluded_by({"ressortissant": "oui", "pret_en_cours": "oui"})] == ["pret_en_cours"]


def test_search_ignores_accents_and_case(app):
    with app.app_context():
        assert [b.code for b in catalogue.search("etudes")] == ["etudes-scolarite"]
        assert {b.code for b in catalogue.search("PRÊT")} == {"pret-social", "pret-installation"}
        assert catalogue.search("inconnu") == []


def test_agents_unpublish_and_rename_a_benefit(app):
    with app.app_context():
        db.session.add(BenefitSetting(code="secours-exceptionnel", published=False))
        db.session.add(BenefitSetting(code="pret-social", label="Prêt social à taux zéro"))
        db.session.commit()
        assert catalogue.get("secours-exceptionnel") is None
        assert catalogue.get("secours-exceptionnel", include_unpublished=True).published is False
        assert "secours-exceptionnel" not in [b.code for b in catalogue.published()]
        assert catalogue.get("pret-social").label == "Prêt social à taux zéro"


@pytest.mark.parametrize("postcode, office", [("29200", "Échelon social de Brest"),
                                               ("20000", "Échelon social de Marseille"),
                                               ("75007", "Échelon social de Paris")])
def test_local_offices_by_postcode(postcode, office):
    assert office in [o["name"] for o in catalogue.offices_for(postcode)]


def test_unknown_postcode_finds_no_office():
    assert catalogue.offices_for("") == [] and catalogue.offices_for("98000") == []
