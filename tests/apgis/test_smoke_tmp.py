from tests.helpers import page


def test_pages(apgis_login, client, apgis):
    page(client, "/apgis/")
    c = apgis_login("insured2")
    for url in ("/apgis/", "/apgis/mes-donnees", "/apgis/l-apgis-et-moi", "/apgis/notifications", "/apgis/suivi",
                "/apgis/mes-donnees/adresse-postale", "/apgis/mes-donnees/adresse-mail",
                "/apgis/mes-donnees/coordonnees-bancaires", "/apgis/mes-donnees/mode-de-reglement-des-cotisations",
                "/apgis/mes-donnees/alerte-reglement", "/apgis/nous-demander/carte-de-tiers-payant/demande",
                "/apgis/nous-transmettre", "/apgis/vous-avez-une-question"):
        page(c, url)
    m = apgis_login("manager")
    page(m, "/agent/apgis/demandes")
    page(m, "/agent/apgis/questions")
    s = apgis_login("stranger")
    page(s, "/apgis/")
    page(s, "/apgis/mes-donnees", status=404)
