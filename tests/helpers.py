"""Page and fragment helpers: every page fetched is parsed and checked."""
import re

from bs4 import BeautifulSoup

LABELLABLE = "input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea"


def check_page(html, require_h1=True):
    """Checks every full page must pass; returns the parsed page."""
    soup = BeautifulSoup(html, "html.parser")
    assert soup.html is not None and soup.html.get("lang") == "fr", "<html lang=fr> manquant"
    h1s = soup.find_all("h1")
    if require_h1:
        assert len(h1s) == 1, f"{len(h1s)} <h1> au lieu d’un seul"
        title = soup.title.get_text(strip=True)
        h1 = h1s[0].get_text(" ", strip=True)
        assert title.removeprefix("Erreur : ").startswith(h1), f"<title> « {title} » ≠ <h1> « {h1} »"
    ids = [el["id"] for el in soup.select("[id]")]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"identifiants en double : {duplicates}"
    check_forms(soup)
    assert soup.select_one("a.skip-link[href='#contenu']"), "lien d’évitement manquant"
    return soup


def check_forms(soup):
    for form in soup.find_all("form"):
        if (form.get("method") or "get").lower() == "post":
            assert form.select_one("input[name=csrf_token]"), f"formulaire sans jeton CSRF : {form.get('action')}"
    for control in soup.select(LABELLABLE):
        cid = control.get("id")
        labelled = (cid and soup.select_one(f"label[for='{cid}']")) or control.find_parent("label") \
            or control.get("aria-label") or control.get("aria-labelledby")
        assert labelled, f"champ sans étiquette : {control}"


def page(client, url, status=200, **kwargs):
    """GET a full page, check it, return the BeautifulSoup."""
    response = client.get(url, **kwargs)
    assert response.status_code == status, f"{url}: {response.status_code} au lieu de {status}"
    soup = check_page(response.get_data(as_text=True))
    soup.response = response
    return soup


def submit(client, url, data, status=200, **kwargs):
    """POST a form; if the answer is a page, check and return it (else return the response)."""
    response = client.post(url, data=data, **kwargs)
    assert response.status_code == status, f"{url}: {response.status_code} au lieu de {status}"
    if response.status_code in (301, 302, 303):
        return response
    soup = check_page(response.get_data(as_text=True))
    soup.response = response
    return soup


def fragment(client, url, method="get", status=200, **kwargs):
    """An HTMX request: must answer a fragment, never a whole page."""
    headers = {"HX-Request": "true", **kwargs.pop("headers", {})}
    response = getattr(client, method)(url, headers=headers, **kwargs)
    assert response.status_code == status, f"{url}: {response.status_code} au lieu de {status}"
    html = response.get_data(as_text=True)
    assert "<html" not in html.lower(), "un fragment ne doit pas contenir <html>"
    soup = BeautifulSoup(html, "html.parser")
    ids = [el["id"] for el in soup.select("[id]")]
    assert len(ids) == len(set(ids)), "identifiants en double dans le fragment"
    soup.response = response
    return soup


def errors_of(soup):
    """The error summary's messages."""
    return [li.get_text(" ", strip=True) for li in soup.select(".error-summary li")]


def link_in(body):
    match = re.search(r"https?://\S+", body)
    assert match, "aucun lien dans le message"
    return match.group(0)


def mail_text(body):
    """What a mail's template wrote, without core.notify's reference line and service footer."""
    text = body.split("\n\n--\nGuichet – ", 1)[0]
    if text.startswith("Référence : "):
        text = text.split("\n\n", 1)[1]
    return text
