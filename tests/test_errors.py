"""Error pages in French, as full pages and as HTMX fragments; bad input never gives a 500."""
import pytest
from flask import abort

from core.access import public, roles_required
from tests.helpers import fragment, page


@pytest.fixture
def error_app(app):
    @public
    def boom():
        raise RuntimeError("bug")

    @roles_required("agent")
    def agents_only():
        return "ok"

    @public
    def upload():
        from flask import request
        return str(len(request.get_data()))

    @public
    def forbidden():
        abort(403)

    app.add_url_rule("/test/boom", "boom", boom)
    app.add_url_rule("/test/agents", "agents_only", agents_only)
    app.add_url_rule("/test/upload", "upload", upload, methods=["POST"])
    app.add_url_rule("/test/forbidden", "forbidden", forbidden)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.mark.parametrize("url,status,title", [
    ("/introuvable", 404, "Page introuvable"),
    ("/test/boom", 500, "Erreur technique"),
    ("/test/forbidden", 403, "Accès refusé"),
])
def test_error_pages_are_french_full_pages(error_app, url, status, title):
    client = error_app.test_client()
    soup = page(client, url, status=status)
    assert soup.h1.get_text() == title
    assert soup.select_one("footer a[href='/accessibilite']")
    frag = fragment(client, url, status=status)
    assert frag.select_one("h1").get_text() == title


def test_wrong_role_gets_403(error_app, citizen_client):
    soup = page(citizen_client, "/test/agents", status=403)
    assert soup.h1.get_text() == "Accès refusé"


def test_anonymous_htmx_request_is_sent_to_login(error_app):
    response = error_app.test_client().get("/test/agents", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/compte/connexion")


def test_too_large_upload_gives_413(error_app):
    client = error_app.test_client()
    response = client.post("/test/upload", data=b"x" * 5000, content_type="application/octet-stream")
    assert response.status_code == 413
    from tests.helpers import check_page
    soup = check_page(response.get_data(as_text=True))
    assert soup.h1.get_text() == "Fichier trop volumineux"


def test_bad_input_on_public_forms_never_gives_500(client):
    weird = {"email": "\x00" * 10 + "é" * 5000, "password": "x" * 10_000, "civility": "autre",
             "birth_country": "ZZ", "birth_date": "99/99/9999", "birth_commune": "../../etc", "next": "//evil"}
    for url in ("/compte/connexion", "/compte/inscription", "/compte/mot-de-passe-oublie"):
        response = client.post(url, data=weird)
        assert response.status_code < 500, url
    response = client.get("/composants/communes?champ=../x&q=1")
    assert response.status_code == 400
