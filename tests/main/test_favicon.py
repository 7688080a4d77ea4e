"""/favicon.ico answers (no 404 in the logs of every browser visit) and pages link the icon."""
from tests.helpers import page


def test_favicon_ico_redirects_to_the_versioned_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response.headers["Cache-Control"] == "public, max-age=604800"
    icon = client.get(response.headers["Location"])
    assert icon.status_code == 200
    assert icon.mimetype == "image/svg+xml"
    assert icon.data.startswith(b"<svg") and len(icon.data) < 1024
    assert "immutable" in icon.headers["Cache-Control"]


def test_pages_link_the_same_icon(client):
    link = page(client, "/").select_one("head link[rel=icon]")
    assert link["type"] == "image/svg+xml"
    assert link["href"] == client.get("/favicon.ico").headers["Location"]
