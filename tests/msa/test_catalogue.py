"""The « Ma messagerie » catalogue: 7 themes, seed lists verbatim, « Autre question » last."""
import json

from core.cascade import CATALOGUE_DIR, Cascade

THEMES = ["Santé", "Invalidité", "Famille, logement", "RSA, Prime d'activité", "Handicap", "Retraite",
          "Exploitants, cotisations"]
FAMILY_SUBJECTS = ['Paiements et décomptes "famille"', 'Attestations "famille"', "Allocations familiales",
                   "Aides au logement", "Aides Sociales (secours, prêts)"]
FAMILY_ALLOWANCE_REASONS = ["Paiements et décomptes - Famille", "Attestation paiement / non paiement - Famille",
                            "Attestation fiscale - Famille", "Demande de quotient familial", "Mon dossier - Famille",
                            "Déclaration de ressources - Famille", "Changement de situation - Famille",
                            "Autre question Allocations familiales"]


def catalogue():
    return Cascade.load("msa-messagerie")


def test_levels_are_theme_subject_reason():
    assert [(lv.field, lv.label) for lv in catalogue().levels] == [
        ("theme", "Mon message concerne"), ("subject", "Sujet"), ("reason", "Motif")]


def test_seven_themes_in_seed_order():
    assert [t.label for t in catalogue().root.children] == THEMES


def test_every_theme_has_three_subjects_and_every_subject_three_reasons_ending_with_autre_question():
    for theme in catalogue().root.children:
        assert len(theme.children) >= 3, theme.label
        for subject in theme.children:
            reasons = subject.children
            assert len(reasons) >= 3, subject.label
            assert all(r.is_leaf for r in reasons), subject.label
            assert reasons[-1].label.startswith("Autre question "), subject.label
            assert not any(r.label.startswith("Autre question") for r in reasons[:-1]), subject.label


def test_seed_lists_verbatim():
    family = next(t for t in catalogue().root.children if t.label == "Famille, logement")
    assert [s.label for s in family.children] == FAMILY_SUBJECTS
    allowances = next(s for s in family.children if s.label == "Allocations familiales")
    assert [r.label for r in allowances.children] == FAMILY_ALLOWANCE_REASONS


def test_online_services_have_label_and_url_safe_code_and_match_the_portal_services():
    services = json.loads((CATALOGUE_DIR / "msa-services.json").read_text(encoding="utf-8"))
    portal_codes = {s["code"] for t in services["themes"] for s in t["services"]}
    found = []
    for _depth, node in catalogue().walk():
        service = node.get("online_service")
        if service:
            assert node.is_leaf
            assert service["label"].strip()
            assert service["code"].replace("-", "").isalnum() and service["code"].islower()
            assert service["code"] in portal_codes, service["code"]
            found.append((node.label, service["label"]))
    assert ("Changement de situation - Famille", "Déclarer un changement de situation") in found
