"""`seed_apgis_services(insured)`: two years of reimbursements in monthly statements (this
month's waiting), contributions for an individual contract, a valid card, a hospital cover, the
institution's FAQ and two documents, once; every « Mes services » page shows them."""
from extensions import db
from models.apgis import (ApgisCard, ApgisContribution, ApgisFaq, ApgisHospitalCover, ApgisInsured,
                          ApgisPublication, ApgisReimbursement, ApgisStatement)
from models.base import utcnow
from tests.helpers import page


def test_the_demo_seeds_each_insured_once(app, apgis, apgis_login):
    from core.demo_apgis_services import seed_apgis_services
    with app.app_context():
        first = seed_apgis_services(db.session.get(ApgisInsured, apgis["insured"]))
        assert "Questions fréquentes créées : 4" in first
        seed_apgis_services(db.session.get(ApgisInsured, apgis["insured2"]))
        again = seed_apgis_services(db.session.get(ApgisInsured, apgis["insured"]))
        assert again == []
        eloise, paul = apgis["insured"], apgis["insured2"]
        statements = ApgisStatement.query.filter_by(insured_id=eloise).all()
        assert len(statements) == 23
        waiting = ApgisReimbursement.query.filter_by(insured_id=eloise, statement_id=None).all()
        today = utcnow().date()
        assert waiting and all((r.paid_on.year, r.paid_on.month) == (today.year, today.month) for r in waiting)
        assert all(r.care_date <= r.paid_on <= today for r in ApgisReimbursement.query)
        assert ApgisContribution.query.filter_by(insured_id=eloise).count() == 24
        assert ApgisContribution.query.filter_by(insured_id=paul).count() == 0
        assert ApgisCard.query.filter_by(insured_id=eloise).one().valid_until.year == today.year
        assert ApgisHospitalCover.query.filter_by(insured_id=eloise).count() == 1
        assert ApgisFaq.query.filter_by(organisation_id=apgis["org"]).count() == 4
        assert ApgisPublication.query.filter_by(organisation_id=apgis["org"]).count() == 2
    client = apgis_login("insured")
    statements_page = page(client, "/apgis/decomptes")
    dates = [tr.select("td")[0].get_text() for tr in statements_page.select("#decomptes tbody tr")]
    assert len(dates) == 10 and dates == sorted(dates, key=lambda d: d[6:] + d[3:5] + d[:2], reverse=True)
    assert client.get(statements_page.select_one("#decomptes tbody a")["href"]).status_code == 200
    assert len(page(client, "/apgis/cotisations").select("tbody tr")) == 24
    assert len(page(client, "/apgis/questions-frequentes").select("details")) == 4
    documentation = page(client, "/apgis/documentation")
    links = documentation.select(".card a")
    assert len(links) == 2 and all(client.get(a["href"]).status_code == 200 for a in links)
    assert page(client, "/apgis/nous-demander/carte-de-tiers-payant").select_one("#cartes a") is not None
    hospital = page(client, "/apgis/nous-demander/prise-en-charge-hospitaliere")
    assert len(hospital.select("#prise-en-charge tbody tr")) == 1
    # Paul's contract is another one: only the guide is his.
    assert len(page(apgis_login("insured2"), "/apgis/documentation").select(".card")) == 1
