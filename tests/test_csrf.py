"""The suite that runs with CSRF protection on, as in production."""
import re

from tests.factories import PASSWORD
from tests.helpers import page


def token_of(soup):
    return soup.select_one("input[name=csrf_token]")["value"]


def test_login_without_token_is_refused(csrf_app, make_user):
    with csrf_app.app_context():
        from tests import factories
        from extensions import db
        factories.user(email="a@example.fr")
        db.session.commit()
    client = csrf_app.test_client()
    response = client.post("/compte/connexion", data={"email": "a@example.fr", "password": PASSWORD})
    assert response.status_code == 400
    assert "Requête incorrecte" in response.get_data(as_text=True)
    soup = page(client, "/compte/connexion")
    response = client.post("/compte/connexion", data={"email": "a@example.fr", "password": PASSWORD,
                                                      "csrf_token": token_of(soup)})
    assert response.status_code == 302


def test_htmx_sends_the_token_in_a_header(csrf_app):
    client = csrf_app.test_client()
    soup = page(client, "/compte/inscription")
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', soup.body["hx-headers"]).group(1)
    data = {"birth_country": "DZ", "changer-pays": "1"}
    assert client.post("/compte/inscription", data=data, headers={"HX-Request": "true"}).status_code == 400
    response = client.post("/compte/inscription", data=data,
                           headers={"HX-Request": "true", "X-CSRFToken": header_token})
    assert response.status_code == 200
    assert "birth_city_abroad" in response.get_data(as_text=True)


def test_logout_requires_the_token(csrf_app):
    with csrf_app.app_context():
        from tests import factories
        from extensions import db
        factories.user(email="a@example.fr")
        db.session.commit()
    client = csrf_app.test_client()
    soup = page(client, "/compte/connexion")
    client.post("/compte/connexion", data={"email": "a@example.fr", "password": PASSWORD,
                                           "csrf_token": token_of(soup)})
    assert client.post("/compte/deconnexion").status_code == 400
    assert client.get("/compte/").status_code == 200  # a forged logout did nothing
    soup = page(client, "/compte/")
    client.post("/compte/deconnexion", data={"csrf_token": token_of(soup)})
    assert client.get("/compte/").status_code == 302
