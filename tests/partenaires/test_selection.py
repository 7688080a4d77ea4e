"""Choosing the organisation after login: the five convention situations of seed 002 §II,
preselection of the last one, the asterisk in text, switching, the identification card."""
from datetime import date, timedelta

import pytest

from extensions import db
from models import Convention
from models.partenaires import Situation, paris_today
from tests import factories
from tests.helpers import page, submit

@pytest.fixture
def partner(app, login):
    """A structure with conventions in every situation, and a logged-in technician."""
    today = paris_today()
    with app.app_context():
        gironde, structure = factories.partner_setup("CPAM GIRONDE", "331")
        factories.partner_setup("CPAM LOT ET GARONNE", "471", end=today + timedelta(days=10), structure_obj=structure)
        factories.partner_setup("CPAM DORDOGNE", "241", start=today + timedelta(days=20), structure_obj=structure)
        landes, _ = factories.partner_setup("CPAM LANDES", "401", end=today - timedelta(days=5),
                                            structure_obj=structure)
        old, _ = factories.partner_setup("CPAM ANCIENNE", "999", end=today - timedelta(days=200),
                                         structure_obj=structure)
        tech = factories.technician(structure, email="martine@example.fr")
        db.session.flush()
        factories.partner_request(landes, tech)  # still "Nouveau": LANDES has open requests
        db.session.commit()
        ids = {o.name: o.id for o in (gironde, landes, old)}
        ids["structure"] = structure.id
    client = app.test_client()
    login(client, "martine@example.fr")
    client.ids = ids
    return client


def org_id(client, name):
    soup = page(client, "/partenaires/organisme")
    for option in soup.select("#organisation option"):
        if option.get_text().rstrip(" *") == name:
            return option["value"]
    raise AssertionError(name)


def test_login_leads_to_the_selection(partner):
    response = partner.get("/partenaires/accueil")
    assert response.headers["Location"] == "/partenaires/organisme"
    soup = page(partner, "/partenaires/organisme")
    assert soup.select_one("label[for=organisation]").get_text(" ", strip=True).startswith(
        "Sélectionner l'organisme sur lequel vous souhaitez vous connecter.")
    options = [o.get_text() for o in soup.select("#organisation option")]
    assert options == ["Sélectionner un organisme", "CPAM DORDOGNE *", "CPAM GIRONDE", "CPAM LANDES *",
                       "CPAM LOT ET GARONNE *"]  # CPAM ANCIENNE: ended long ago, all resolved → not offered
    assert not soup.select("#organisation option[selected]")  # the placeholder shows: no last connection
    assert "* organisme relevant d’une situation particulière" in soup.select_one("#organisation-aide").get_text()


def test_running_convention_enters_home_and_is_preselected_next_time(app, partner, login):
    response = partner.post("/partenaires/organisme", data={"organisation": org_id(partner, "CPAM GIRONDE")})
    assert response.headers["Location"] == "/partenaires/accueil"
    soup = page(partner, "/partenaires/accueil")
    assert "CPAM GIRONDE" in soup.select_one(".portal-org").get_text()
    assert len(soup.select(".card a.button")) == 5
    partner.post("/compte/deconnexion")
    login(partner, "martine@example.fr")
    soup = page(partner, "/partenaires/organisme")
    assert soup.select_one("#organisation option[selected]").get_text() == "CPAM GIRONDE"


def test_future_convention_only_allows_logout(partner):
    partner.post("/partenaires/organisme", data={"organisation": org_id(partner, "CPAM GIRONDE")})
    soup = submit(partner, "/partenaires/organisme", {"organisation": org_id(partner, "CPAM DORDOGNE")})
    assert soup.select_one(".portal-org") is None  # the organisation chosen before is no longer selected
    assert soup.select_one(".portal-menu") is None
    start = (paris_today() + timedelta(days=20)).strftime("%d/%m/%Y")
    assert soup.select_one("[role=alert]").get_text(strip=True) == \
        f"Le conventionnement avec l'organisme CPAM DORDOGNE débutera le {start}."
    buttons = [b.get_text(strip=True) for b in soup.select("main form button:not(.visually-hidden)")]
    assert buttons == ["Valider", "Se déconnecter"]
    # A forged "Continuer" does not get in.
    response = partner.post("/partenaires/organisme/continuer", data={"organisation": org_id(partner, "CPAM DORDOGNE")})
    assert response.headers["Location"] == "/partenaires/organisme"
    assert partner.get("/partenaires/accueil").headers["Location"] == "/partenaires/organisme"


def test_ending_convention_warns_then_continues_to_everything(partner):
    oid = org_id(partner, "CPAM LOT ET GARONNE")
    soup = submit(partner, "/partenaires/organisme", {"organisation": oid})
    end = (paris_today() + timedelta(days=10)).strftime("%d/%m/%Y")
    assert soup.select_one("[role=alert]").get_text(strip=True) == \
        f"Le conventionnement arrive à échéance le {end} - Veuillez contacter l'organisme concerné."
    response = partner.post("/partenaires/organisme/continuer", data={"organisation": oid})
    assert response.headers["Location"] == "/partenaires/accueil"
    assert len(page(partner, "/partenaires/accueil").select(".card a.button")) == 5


def test_ended_convention_with_open_requests_gives_history_only(partner):
    oid = org_id(partner, "CPAM LANDES")
    soup = submit(partner, "/partenaires/organisme", {"organisation": oid})
    end = (paris_today() - timedelta(days=5)).strftime("%d/%m/%Y")
    assert soup.select_one("[role=alert]").get_text(strip=True) == \
        f"Le conventionnement s'est terminé le {end} mais il reste des demandes en cours de traitement."
    assert [b.get_text(strip=True) for b in soup.select("main form button:not(.visually-hidden)")][-1] == "Continuer"
    response = partner.post("/partenaires/organisme/continuer", data={"organisation": oid})
    assert response.headers["Location"] == "/partenaires/demandes"
    home = page(partner, "/partenaires/accueil")
    assert not home.select(".card a.button")
    assert "Vous ne pouvez plus déposer de nouvelles demandes" in home.select_one("main").get_text()


def test_ended_convention_all_resolved_grace_then_closed(app):
    today = date(2026, 6, 15)
    with app.app_context():
        org, structure = factories.partner_setup("CPAM LANDES", "401", end=date(2026, 3, 10))
        tech = factories.technician(structure)
        db.session.flush()
        request = factories.partner_request(org, tech, status="resolu")
        convention = Convention.query.one()
        from datetime import datetime, timezone
        request.resolved_at = datetime(2026, 6, 1, 10, tzinfo=timezone.utc)
        db.session.commit()
        state = convention.state(today)
        assert state.situation is Situation.ENDED_GRACE
        assert state.message == ("Le conventionnement s'est terminé le 10/03/2026 . Vous disposez d'un délai "
                                 "supplementaire pour consulter les réponses apportées à vos demandes.")
        assert state.can_enter and not state.can_create and state.flagged
        assert convention.state(date(2026, 7, 1)).situation is Situation.ENDED_GRACE  # 30 days after 01/06
        assert convention.state(date(2026, 7, 2)).situation is Situation.CLOSED
        assert not convention.state(date(2026, 7, 2)).offered


@pytest.mark.parametrize("offset,situation", [(29, Situation.ENDING), (30, Situation.RUNNING), (0, Situation.ENDING)])
def test_ending_soon_threshold(app, offset, situation):
    with app.app_context():
        factories.partner_setup(end=date(2026, 5, 1) + timedelta(days=offset))
        db.session.commit()
        assert Convention.query.one().state(date(2026, 5, 1)).situation is situation


def test_forged_organisation_of_another_structure_is_refused(app, partner):
    with app.app_context():
        other_org, _ = factories.partner_setup("CPAM ETRANGERE", "777")
        db.session.commit()
        other_id = other_org.id
    soup = submit(partner, "/partenaires/organisme", {"organisation": str(other_id)}, status=422)
    assert "Sélectionnez un organisme de la liste." in soup.get_text()
    response = partner.post("/partenaires/organisme/continuer", data={"organisation": str(other_id)})
    assert response.headers["Location"] == "/partenaires/organisme"


def test_switch_organisation_from_the_header(partner):
    partner.post("/partenaires/organisme", data={"organisation": org_id(partner, "CPAM GIRONDE")})
    soup = page(partner, "/partenaires/accueil")
    link = soup.select_one(".portal-org a")
    assert link["href"] == "/partenaires/organisme"
    soup = page(partner, link["href"])
    assert soup.select_one("#organisation option[selected]").get_text() == "CPAM GIRONDE"
    partner.post("/partenaires/organisme/continuer", data={"organisation": org_id(partner, "CPAM LOT ET GARONNE")})
    assert "CPAM LOT ET GARONNE" in page(partner, "/partenaires/accueil").select_one(".portal-org").get_text()


def test_identification_card(partner):
    soup = page(partner, "/partenaires/fiche")
    values = [dd.get_text(strip=True) for dd in soup.select(".summary-list dd")]
    assert values[0] == "MARTINE LAPIERRE"
    assert values[1].startswith("Structure")
    assert soup.select_one("main form[action='/compte/deconnexion'] button").get_text() == "Se déconnecter"


def test_citizens_cannot_enter(app, citizen_client):
    assert citizen_client.get("/partenaires/organisme").status_code == 403
    assert citizen_client.get("/partenaires/").status_code == 200  # the public presentation


def test_partner_landing_redirects_logged_in_technicians(partner):
    assert partner.get("/partenaires/").headers["Location"] == "/partenaires/accueil"
