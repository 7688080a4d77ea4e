"""The sections of an application (recap, PDF, follow-up and agent pages)."""
from blueprints.armees import catalogue, recap


def _data():
    return {"informations": {"residence": "france", "phone": "06 12 34 56 78", "address_line1": "3 rue de Siam",
                             "postcode": "29200", "city": "Brest", "in_couple": True,
                             "family_situation": "Marié(e)", "category": "militaire-actif", "rank": "officier",
                             "employer": "etablissement", "employer_organisation": "Musée de l’Armée"},
            "dossier": {"mode_garde": "Crèche ou multi-accueil", "date_debut": "2026-09-01",
                        "frais_mensuels": "1234.5", "garde_partagee": False},
            "tables": {"famille": [{"nom": "Lefèvre", "prenom": "Zoé", "naissance": "2024-03-02", "lien": "Enfant"}]},
            "bank": {"abroad": False, "holder": "Éloïse Lefèvre", "iban": "FR7630006000011234567890189",
                     "bic": "AGRIFRPPXXX"}}


def test_sections_show_values_in_french(app):
    with app.app_context():
        benefit = catalogue.get("garde-jeunes-enfants")
        sections = dict(recap.sections(benefit, _data(), documents=[("Livret de famille", "livret.pdf")]))
    info = dict(sections["Vos informations"])
    assert info["Adresse"] == "3 rue de Siam, 29200 Brest"
    assert (info["Catégorie de ressortissant"], info["Catégorie hiérarchique"], info["Autorité d’emploi"],
            info["Organisme"]) == ("Militaire en activité", "Officier",
                                   "Établissement public ou organisme sous convention", "Musée de l’Armée")
    detail = sections["Détail de la demande"]
    assert ("Date de début de la garde", "01/09/2026") in detail
    assert ("Montant mensuel des frais de garde", "1\u00a0234,50\u00a0€") in detail
    assert ("Garde partagée avec une autre famille", "Non") in detail
    assert "1. Nom : Lefèvre · Prénom : Zoé · Date de naissance : 02/03/2024 · Lien de parenté : Enfant" in detail
    bank = dict(sections["Domiciliation bancaire"])
    assert (bank["IBAN"], bank["BIC"]) == ("FR76 •••• 0189", "AGRIFRPPXXX")
    assert dict(recap.bank_rows(_data()["bank"], full=True))["IBAN"] == "FR76 3000 6000 0112 3456 7890 189"
    assert sections["Vos justificatifs"] == [("Livret de famille", "livret.pdf")]


def test_abroad_address_names_the_country():
    rows = dict(recap.information_rows({"address_abroad": True, "address_line1": "12 Unter den Linden",
                                        "city": "Berlin", "country": "DE"}))
    assert rows["Adresse"] == "12 Unter den Linden, Berlin, Germany"
