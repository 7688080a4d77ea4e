"""Security headers on pages, fragments, errors and static files."""
import pytest

from tests.helpers import page


def assert_security_headers(response):
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("url,status", [("/", 200), ("/compte/connexion", 200), ("/introuvable", 404),
                                        ("/composants/communes?champ=ville&ville-recherche=33", 200)])
def test_headers_on_pages_fragments_and_errors(client, url, status):
    response = client.get(url, headers={"HX-Request": "true"} if "composants" in url else {})
    assert response.status_code == status
    assert_security_headers(response)
    assert "HX-Request" in response.headers.get("Vary", "")


def test_static_files_are_cached_long_with_versioned_urls(client):
    soup = page(client, "/")
    css = soup.select_one("link[rel=stylesheet]")["href"]
    assert "?v=" in css
    response = client.get(css)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert_security_headers(response)


def test_personal_pages_are_not_stored(citizen_client):
    response = citizen_client.get("/compte/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    response = client.get("/", base_url="https://guichet.test")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_htmx_is_configured_securely(client):
    soup = page(client, "/")
    import json
    config = json.loads(soup.select_one("meta[name=htmx-config]")["content"])
    assert config["includeIndicatorStyles"] is False
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["selfRequestsOnly"] is True
    assert config["historyCacheSize"] == 0
    scripts = [s["src"] for s in soup.select("script[src]")]
    assert any("htmx-2.0" in s for s in scripts)
    assert not soup.select("script:not([src])"), "aucun script en ligne (CSP)"
    assert "X-CSRFToken" in soup.body["hx-headers"]
