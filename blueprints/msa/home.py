"""« Mon espace privé »: the members' home (services by theme) and the information pages."""
from flask import abort, current_app, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from blueprints.msa import bp
from core.access import public
from core.catalogues import load
from core.templating import render
from forms.msa_auth import MsaLoginForm


def services_catalogue():
    return load("msa-services")


def find_service(code):
    for theme in services_catalogue()["themes"]:
        for service in theme["services"]:
            if service["code"] == code:
                return theme, service
    return None, None


def service_url(service):
    """The implemented screen when this deployment has it, else the information page."""
    endpoint = service.get("endpoint")
    if endpoint and endpoint in current_app.view_functions:
        try:
            return url_for(endpoint)
        except BuildError:
            pass
    return url_for("msa.service_info", code=service["code"])


def current_member():
    return getattr(current_user, "msa_member", None) if current_user.is_authenticated else None


@bp.route("/")
@public
def index():
    """Members see their services; anyone else the presentation with the login box."""
    if current_member() is None:
        return render("msa/home.html", member=None, login_form=MsaLoginForm(formdata=None))
    themes, messages_url = _home_links()
    return render("msa/home.html", member=current_member(), themes=themes, messages_url=messages_url)


_HOME_LINKS: dict = {}


def _home_links():
    """The themes with each service's link, and the messaging's: the same for every member, so
    built once per application (its portals), catalogue and script root (about thirty url_for
    a page otherwise)."""
    app, catalogue = current_app._get_current_object(), services_catalogue()
    key = (id(app), id(catalogue), request.script_root)
    found = _HOME_LINKS.get(key)
    if found is None or found[0] is not app or found[1] is not catalogue:
        themes = [dict(theme, links=[(service, service_url(service)) for service in theme["services"]])
                  for theme in catalogue["themes"]]
        _, messages_service = find_service("nous-envoyer-un-message")
        found = _HOME_LINKS[key] = (app, catalogue, themes, service_url(messages_service))
    return found[2], found[3]


def message_codes_for(service_code):
    """Theme, subject and reason of « Ma messagerie » whose online service is this one, or None."""
    for theme in load("msa-messagerie")["choices"]:
        for subject in theme.get("children", []):
            for reason in subject.get("children", []):
                if (reason.get("online_service") or {}).get("code") == service_code:
                    return {"theme": theme["code"], "subject": subject["code"], "reason": reason["code"]}
    return None


@bp.route("/services/<code>")
@public
def service_info(code):
    """How to use a service this site does not offer online (general information, no personal data).
    A member who came from the online-service suggestion can go straight to writing the message."""
    theme, service = find_service(code)
    if service is None:
        abort(404)
    codes = message_codes_for(code) if current_member() else None
    write_url = url_for("msa.messages_new", **codes, ecrire="1") if codes else None
    return render("msa/service_info.html", theme=theme, service=service, member=current_member(),
                  write_url=write_url)
