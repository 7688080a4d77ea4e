"""Attachment list component: used by a portal-like view (defined below, test only), with JavaScript
off (plain posts of the whole form) and on (htmx fragments), its endpoints and downloads."""
import hashlib
import io
import re
from pathlib import Path

import pytest
from flask import Blueprint, current_app, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from jinja2 import DictLoader
from wtforms import StringField
from wtforms.validators import DataRequired

from core.access import login_required
from core.templating import render
from core.uploads import MB, AttachmentSet, attachments_of, purge_abandoned, register_policy
from extensions import db
from models import Attachment, Role
from models.attachment import attachment_subject
from models.base import utcnow
from tests import factories
from tests.components.test_attachments_content import exe_bytes, jpeg_bytes, pdf_bytes, png_bytes
from tests.conftest import _sqlite_app
from tests.helpers import check_page, errors_of, fragment, page

attachment_subject("essai")  # what the test portal's files belong to

register_policy("essai_message", max_count=3, max_size=5 * MB, extensions=("pdf", "jpg", "jpeg", "png"))
register_policy("essai_bureautique", max_count=8, max_size=5 * MB,
                extensions=("pdf", "doc", "docx", "xls", "xlsx", "csv", "tif", "tiff", "png", "jpg", "jpeg"))

URL = "/essai/"
FIELD = "pieces_jointes"

# --- A portal-like view, as a portal would write it ------------------------------------------------

PAGE = """{% extends "base.html" %}
{% set title = "Écrire un message" %}
{% block content %}
{% from "components/forms.html" import error_summary %}
{{ error_summary(files.summary(form, *others)) }}
<h1>Écrire un message</h1>
{% block message_form %}
{% from "components/forms.html" import field, submit %}
{% from "components/attachments.html" import attachment_list %}
<form id="message" method="post" action="{{ request.path }}" enctype="multipart/form-data" novalidate
  hx-post="{{ request.path }}" hx-target="#message" hx-swap="outerHTML">
  <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
  {{ field(form.subject) }}
  {% for other in others %}{{ attachment_list(other, label="Justificatif d’identité") }}{% endfor %}
  {{ attachment_list(files, label="Pièces jointes") }}
  {{ submit("Valider") }}
</form>
{% endblock %}
{% endblock %}
"""
DONE = """{% extends "base.html" %}{% set title = "Message envoyé" %}
{% block content %}<h1>Message envoyé</h1>
{% from "components/attachments.html" import attachment_links %}{{ attachment_links(sent) }}{% endblock %}"""


class MessageWriteForm(FlaskForm):
    subject = StringField("Objet", validators=[DataRequired("Saisissez l’objet du message.")])


class EssaiBlueprint(Blueprint):
    @property
    def jinja_loader(self):
        return DictLoader({"essai/write.html": PAGE, "essai/done.html": DONE})


essai = EssaiBlueprint("essai", __name__)


@essai.route("/", methods=["GET", "POST"])
@essai.route("/double", methods=["GET", "POST"], endpoint="double")
@login_required
def write():
    form = MessageWriteForm()
    files = AttachmentSet.from_request("essai_message" if request.endpoint == "essai.double" else "essai_bureautique")
    others = []
    if request.endpoint == "essai.double":
        others = [AttachmentSet.from_request("essai_message", name="identite", required=True, max_count=1)]
    context = {"form": form, "files": files, "others": others}
    if files.is_update or any(o.is_update for o in others):
        return render("essai/write.html", block="message_form", has_errors=files.has_errors, **context)
    if request.method == "POST":
        files_ok = all([s.validate() for s in (files, *others)])
        if form.validate_on_submit() and files_ok:
            organisation_id = current_app.config.get("ESSAI_ORG")
            for s in (files, *others):
                s.attach_to(subject_type="essai", subject_id=current_user.id, organisation_id=organisation_id)
            db.session.commit()
            if request.htmx:
                return "", 204, {"HX-Redirect": url_for("essai.done")}
            return redirect(url_for("essai.done"))
        return render("essai/write.html", block="message_form", status=422, has_errors=True, **context)
    return render("essai/write.html", block="message_form", **context)


@essai.route("/envoye")
@login_required
def done():
    return render("essai/done.html", sent=attachments_of(subject_type="essai", subject_id=current_user.id))


def with_essai(app):
    app.register_blueprint(essai, url_prefix="/essai")
    return app


# --- Fixtures and helpers --------------------------------------------------------------------------

@pytest.fixture
def essai_app(app):
    return with_essai(app)


def client_for(app, email, login, role=Role.CITIZEN, organisation_id=None):
    with app.app_context():
        factories.user(email=email, role=role, organisation_id=organisation_id)
        db.session.commit()
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


@pytest.fixture
def owner(essai_app, login):
    return client_for(essai_app, "proprietaire@example.fr", login)


@pytest.fixture
def intruder(essai_app, login):
    return client_for(essai_app, "intrus@example.fr", login)


def files_field(*files):
    return [(io.BytesIO(data), name) for name, data in files]


def lot_of(soup, name=FIELD):
    return soup.select_one(f"input[name='{name}-lot']")["value"]


def add(client, soup, *files, subject="", headers=None, name=FIELD, url=URL):
    """Press « Ajouter » (JS off): the whole form is posted."""
    data = {"subject": subject, f"{name}-lot": lot_of(soup, name), name: files_field(*files), f"{name}-ajouter": "1"}
    return client.post(url, data=data, content_type="multipart/form-data", headers=headers or {})


def post(client, url, data, **kwargs):
    return client.post(url, data=data, content_type="multipart/form-data", **kwargs)


def login_with_csrf(client, email):
    token = page(client, "/compte/connexion").select_one("input[name=csrf_token]")["value"]
    response = client.post("/compte/connexion", data={"email": email, "password": factories.PASSWORD,
                                                      "csrf_token": token})
    assert response.status_code == 302


def listed(soup, name=FIELD):
    return [li.select_one("a").get_text(strip=True) for li in soup.select(f"#{name}-contenu li")]


def rows(app, **filters):
    with app.app_context():
        return [(a.original_name, a.owner_id, a.upload_set, a.subject_id)
                for a in Attachment.query.filter_by(**filters).order_by(Attachment.id)]


def component_errors(soup, name=FIELD):
    return [p.get_text(" ", strip=True).removeprefix("Erreur : ") for p in soup.select(f"#{name}-erreur p")]


# --- The component on a page ------------------------------------------------------------------------

def test_empty_component_shows_limits_and_controls(owner):
    soup = page(owner, URL)
    group = soup.select_one(f"#{FIELD}-groupe")
    assert group.select_one("fieldset legend").get_text(strip=True) == "Pièces jointes"
    assert soup.select_one(f"#{FIELD}-aide").get_text(strip=True) == (
        "8 fichiers maximum, 5 Mo maximum par fichier. Formats acceptés : PDF, DOC, DOCX, XLS, XLSX, CSV, TIFF, "
        "PNG, JPG.")
    file_input = group.select_one("input[type=file]")
    assert file_input["name"] == FIELD and file_input.has_attr("multiple")
    assert group.select_one(f"label[for={FIELD}]").get_text(strip=True) == "Ajouter un ou plusieurs fichiers"
    assert file_input["accept"].split(",")[:3] == [".pdf", ".doc", ".docx"]
    assert set(file_input["aria-describedby"].split()) == {f"{FIELD}-aide", f"{FIELD}-reste"}
    button = group.select_one(f"button[name='{FIELD}-ajouter']")
    assert button.get_text(strip=True) == "Ajouter" and button.has_attr("formnovalidate")
    assert "no-js-only" in button["class"]
    assert group.select_one(".attachments p:not([class])").get_text(strip=True) == "Aucune pièce jointe enregistrée."
    assert soup.select_one(f"#{FIELD}-reste").get_text(strip=True) == "Vous pouvez encore ajouter 8 fichiers."
    status = soup.select_one(f"#{FIELD}-statut")
    assert status["aria-live"] == "polite" and status.get_text(strip=True) == ""
    assert status.find_parent(id=f"{FIELD}-contenu") is None, "la zone annoncée ne doit pas être remplacée"
    # With htmx: the file input uploads on change, the drop zone (guichet.js) holds the input.
    zone = soup.select_one("[data-dropzone]")
    assert zone.select_one("input[type=file]") is file_input
    assert zone.find_parent(id=f"{FIELD}-contenu") is not None  # re-initialised after each swap
    assert file_input["hx-post"] == f"/composants/pieces-jointes/ajouter?champ={FIELD}"
    assert zone["hx-encoding"] == "multipart/form-data" and zone["hx-target"] == f"#{FIELD}-contenu"
    assert soup.select_one(zone["hx-target"]) is not None
    assert not soup.select("[autofocus]")


def test_add_without_javascript_keeps_what_was_typed(essai_app, owner):
    soup = page(owner, URL)
    response = add(owner, soup, ("relevé d’identité.pdf", pdf_bytes(3000)), ("photo.jpg", jpeg_bytes()),
                   subject="Mon déménagement")
    assert response.status_code == 200
    soup = check_page(response.get_data(as_text=True))
    assert errors_of(soup) == [] and not soup.title.get_text().startswith("Erreur")
    assert soup.select_one("#subject")["value"] == "Mon déménagement"
    assert listed(soup) == ["relevé d’identité.pdf", "photo.jpg"]
    sizes = [s.get_text(strip=True) for s in soup.select(".attachment-list small")]
    assert sizes == ["3 ko", f"{len(jpeg_bytes())} octets"]
    assert soup.select_one(f"#{FIELD}-reste").get_text(strip=True) == "Vous pouvez encore ajouter 6 fichiers."
    assert "2 fichiers ont été ajoutés." in soup.select_one(f"#{FIELD}-statut").get_text()
    # Back where the user was, not at the top of the page.
    assert [el.get("id") for el in soup.select("[autofocus]")] == [FIELD]
    buttons = soup.select(f"button[name='{FIELD}-retirer']")
    assert [b.get_text(" ", strip=True) for b in buttons] == ["Retirer le fichier relevé d’identité.pdf",
                                                               "Retirer le fichier photo.jpg"]
    assert all(b.select_one(".visually-hidden") for b in buttons)
    assert rows(essai_app, subject_id=None)[0][:2] == ("relevé d’identité.pdf", 1)


def test_files_are_kept_when_the_form_has_an_error_without_javascript(essai_app, owner):
    soup = page(owner, URL)
    soup = check_page(add(owner, soup, ("a.pdf", pdf_bytes())).get_data(as_text=True))
    lot = lot_of(soup)
    # « Valider » with a new file chosen but not added, and the subject missing.
    response = owner.post(URL, data={"subject": "", f"{FIELD}-lot": lot, FIELD: files_field(("b.png", png_bytes()))},
                          content_type="multipart/form-data")
    assert response.status_code == 422
    soup = check_page(response.get_data(as_text=True))
    assert errors_of(soup) == ["Saisissez l’objet du message."]
    assert soup.title.get_text().startswith("Erreur : ")
    assert listed(soup) == ["a.pdf", "b.png"]
    assert lot_of(soup) == lot
    assert not soup.select("[autofocus]")  # the page starts at the error summary
    response = owner.post(URL, data={"subject": "Objet", f"{FIELD}-lot": lot}, content_type="multipart/form-data")
    assert response.status_code == 302
    sent = rows(essai_app)
    assert [(name, upload_set, subject) for name, _, upload_set, subject in sent] == [("a.pdf", None, 1),
                                                                                     ("b.png", None, 1)]
    soup = page(owner, "/essai/envoye")
    assert [a.get_text() for a in soup.select(".attachment-list a")] == ["a.pdf", "b.png"]


def test_files_are_kept_when_the_form_has_an_error_with_htmx(essai_app, owner):
    soup = page(owner, URL)
    lot = lot_of(soup)
    # With JS, the file goes to the component's endpoint as soon as it is chosen…
    frag = fragment(owner, f"/composants/pieces-jointes/ajouter?champ={FIELD}", method="post",
                    data={"subject": "Bonjour", f"{FIELD}-lot": lot, FIELD: files_field(("a.pdf", pdf_bytes()))},
                    content_type="multipart/form-data")
    assert listed(frag) == ["a.pdf"]
    # …then the whole form is posted by htmx and comes back as a fragment with its error.
    frag = fragment(owner, URL, method="post", status=422, data={"subject": "", f"{FIELD}-lot": lot},
                    content_type="multipart/form-data")
    assert frag.select_one("form#message") is not None
    assert frag.select_one("#subject-erreur").get_text(" ", strip=True) == "Erreur : Saisissez l’objet du message."
    assert listed(frag) == ["a.pdf"]
    response = owner.post(URL, data={"subject": "Objet", f"{FIELD}-lot": lot}, content_type="multipart/form-data",
                          headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/essai/envoye"
    assert [r[3] for r in rows(essai_app)] == [1]


def test_enter_in_a_text_field_does_not_press_retirer(owner):
    # Implicit submission clicks the form's first submit button: it must not be « Retirer ».
    soup = check_page(add(owner, page(owner, URL), ("a.pdf", pdf_bytes())).get_data(as_text=True))
    first = soup.select_one("form#message").select("button[type=submit]")[0]
    assert not first.has_attr("name"), first
    assert first.find_parent(id=f"{FIELD}-contenu") is not None  # present after every swap too
    assert first["tabindex"] == "-1" and first["aria-hidden"] == "true"


def test_remove_without_javascript(essai_app, owner):
    soup = page(owner, URL)
    response = add(owner, soup, ("a.pdf", pdf_bytes()), ("b.pdf", pdf_bytes(1501)), subject="Gardé")
    soup = check_page(response.get_data(as_text=True))
    folder = Path(essai_app.config["UPLOAD_FOLDER"])
    assert len(list(folder.iterdir())) == 2  # different bytes: two files (the same bytes are kept once)
    button = soup.select(f"button[name='{FIELD}-retirer']")[0]
    response = owner.post(URL, data={"subject": "Gardé", f"{FIELD}-lot": lot_of(soup), button["name"]: button["value"]},
                          content_type="multipart/form-data")
    soup = check_page(response.get_data(as_text=True))
    assert response.status_code == 200 and errors_of(soup) == []
    assert listed(soup) == ["b.pdf"]
    assert soup.select_one("#subject")["value"] == "Gardé"
    assert "Le fichier « a.pdf » a été retiré." in soup.select_one(f"#{FIELD}-statut").get_text()
    assert [r[0] for r in rows(essai_app)] == ["b.pdf"]
    assert len(list(folder.iterdir())) == 1


def test_add_and_remove_with_htmx_swap_the_component_and_announce(essai_app, owner):
    soup = page(owner, URL)
    lot = lot_of(soup)
    frag = fragment(owner, f"/composants/pieces-jointes/ajouter?champ={FIELD}", method="post",
                    data={f"{FIELD}-lot": lot, FIELD: files_field(("a.pdf", pdf_bytes()), ("b.pdf", pdf_bytes()))},
                    content_type="multipart/form-data")
    content = frag.select_one(f"#{FIELD}-contenu")
    assert content is not None and listed(frag) == ["a.pdf", "b.pdf"]
    assert frag.select_one(f"#{FIELD}") is not None and frag.select_one(f"#{FIELD}").has_attr("autofocus")
    status = frag.select_one(f"#{FIELD}-statut")
    assert status["hx-swap-oob"] == "innerHTML"
    assert status.get_text(" ", strip=True) == "2 fichiers ont été ajoutés. Vous pouvez encore ajouter 6 fichiers."
    assert frag.select_one("legend") is None, "seul le contenu est remplacé"
    remove = frag.select(f"button[name='{FIELD}-retirer']")[0]
    assert remove["hx-post"] == f"/composants/pieces-jointes/retirer?champ={FIELD}"
    frag = fragment(owner, remove["hx-post"], method="post",
                    data={f"{FIELD}-lot": lot, remove["name"]: remove["value"],
                          FIELD: files_field(("c.pdf", pdf_bytes()))}, content_type="multipart/form-data")
    assert listed(frag) == ["b.pdf"], "« Retirer » ne fait que retirer"
    assert frag.select_one(f"#{FIELD}-statut").get_text(" ", strip=True) == (
        "Le fichier « a.pdf » a été retiré. Vous pouvez encore ajouter 7 fichiers.")
    assert [r[0] for r in rows(essai_app)] == ["b.pdf"]


def test_htmx_fragment_of_a_full_set_stays_small(owner):
    soup = page(owner, URL)
    names = [(f"Justificatif de domicile n°{i} – {'é' * 10}.pdf", pdf_bytes()) for i in range(8)]
    response = post(owner, f"/composants/pieces-jointes/ajouter?champ={FIELD}", headers={"HX-Request": "true"},
                    data={f"{FIELD}-lot": lot_of(soup), FIELD: files_field(*names)})
    assert response.status_code == 200
    assert len(response.data) <= 5 * 1024, f"fragment de {len(response.data)} octets"


# --- Limits and messages through the form ---------------------------------------------------------

def test_count_limit_keeps_the_first_files_and_says_why(essai_app, login):
    client = client_for(essai_app, "compte@example.fr", login)
    soup = page(client, "/essai/double")
    four = [(f"{i}.jpg", jpeg_bytes()) for i in range(4)]
    soup = check_page(add(client, soup, *four, url="/essai/double").get_data(as_text=True))
    assert listed(soup) == ["0.jpg", "1.jpg", "2.jpg"]
    assert component_errors(soup) == ["Vous ne pouvez pas ajouter plus de 3 fichiers."]
    assert errors_of(soup) == ["Vous ne pouvez pas ajouter plus de 3 fichiers."]
    assert soup.title.get_text().startswith("Erreur : ")
    # Full: no more file input; the summary links to the list instead.
    assert soup.select_one(f"#{FIELD}") is None
    assert soup.select_one(".error-summary a")["href"] == f"#{FIELD}-liste-titre"
    assert soup.select_one(f"#{FIELD}-liste-titre") is not None
    assert soup.select_one(f"#{FIELD}-reste").get_text(strip=True) == (
        "Vous avez ajouté le nombre maximal de fichiers. Retirez-en un pour pouvoir en ajouter un autre.")
    assert len(rows(essai_app)) == 3


@pytest.mark.parametrize("name,data,message", [
    ("x.exe", exe_bytes(), "Le fichier « x.exe » n’est pas d’un format accepté (formats acceptés : PDF, JPG, PNG)."),
    ("x.pdf", pdf_bytes(5 * MB + 1), "Le fichier « x.pdf » dépasse la taille maximale de 5 Mo."),
    ("x.pdf", b"", "Le fichier « x.pdf » est vide."),
    ("x.pdf", png_bytes(), "Le contenu du fichier « x.pdf » ne correspond pas à un fichier PDF."),
    ("x.pdf", exe_bytes(), "Le contenu du fichier « x.pdf » ne correspond pas à un fichier PDF."),
])
def test_refused_file_message_next_to_the_field_and_in_the_summary(essai_app, owner, name, data, message):
    soup = page(owner, "/essai/double")
    response = add(owner, soup, ("bon.png", png_bytes()), (name, data), subject="Texte gardé", url="/essai/double")
    soup = check_page(response.get_data(as_text=True))
    assert component_errors(soup) == [message]
    assert errors_of(soup) == [message]
    assert soup.select_one(".error-summary a")["href"] == f"#{FIELD}"
    file_input = soup.select_one(f"#{FIELD}")
    assert f"{FIELD}-erreur" in file_input["aria-describedby"].split() and file_input["aria-invalid"] == "true"
    assert listed(soup) == ["bon.png"]
    assert soup.select_one("#subject")["value"] == "Texte gardé"
    assert message in soup.select_one(f"#{FIELD}-statut .visually-hidden").get_text()
    assert [r[0] for r in rows(essai_app)] == ["bon.png"]
    assert len(list(Path(essai_app.config["UPLOAD_FOLDER"]).iterdir())) == 1


def test_required_set_and_two_sets_on_one_page(essai_app, owner):
    soup = page(owner, "/essai/double")
    legend = soup.select_one("#identite-groupe legend")
    assert legend.get_text(" ", strip=True) == "Justificatif d’identité (obligatoire)"
    assert soup.select_one("#identite-aide").get_text(strip=True).startswith("1 fichier maximum, 5 Mo maximum")
    assert not soup.select_one("#identite").has_attr("multiple")
    assert soup.select_one("label[for=identite]").get_text(strip=True) == "Ajouter un fichier"
    both_lots = {"identite-lot": lot_of(soup, "identite"), f"{FIELD}-lot": lot_of(soup)}
    response = post(owner, "/essai/double", {"subject": "Objet", **both_lots})
    assert response.status_code == 422
    soup = check_page(response.get_data(as_text=True))
    assert errors_of(soup) == ["Sélectionnez au moins un fichier."]
    assert soup.select_one(".error-summary a")["href"] == "#identite"
    soup = check_page(add(owner, soup, ("carte.jpg", jpeg_bytes()), name="identite", url="/essai/double",
                          subject="Objet").get_data(as_text=True))
    assert listed(soup, "identite") == ["carte.jpg"] and listed(soup) == []
    assert lot_of(soup, "identite") == both_lots["identite-lot"]
    response = post(owner, "/essai/double", {"subject": "Objet", **both_lots})
    assert response.status_code == 302


def test_add_button_without_file_asks_for_one(owner):
    soup = page(owner, URL)
    soup = check_page(add(owner, soup).get_data(as_text=True))
    assert component_errors(soup) == ["Sélectionnez au moins un fichier à ajouter."]


def test_form_without_multipart_encoding_does_not_lose_files_silently(essai_app, owner):
    soup = page(owner, URL)
    response = owner.post(URL, data={"subject": "", f"{FIELD}-lot": lot_of(soup), FIELD: "a.pdf"})
    soup = check_page(response.get_data(as_text=True))
    assert component_errors(soup) == [
        "Le fichier « a.pdf » n’a pas été reçu : ajoutez-le à nouveau avec le bouton « Ajouter »."]
    assert soup.select_one(f"button[name='{FIELD}-ajouter']")["formenctype"] == "multipart/form-data"


# --- Whose files ------------------------------------------------------------------------------------

def test_a_forged_or_borrowed_token_gives_nothing(essai_app, owner, intruder):
    soup = page(owner, URL)
    owner_lot = lot_of(soup)
    add(owner, soup, ("secret.pdf", pdf_bytes()))
    token = rows(essai_app)[0][2]
    # The owner's signed token, replayed by someone else: a fresh empty set.
    response = intruder.post(URL, data={"subject": "", f"{FIELD}-lot": owner_lot, f"{FIELD}-ajouter": "1"},
                             content_type="multipart/form-data")
    soup = check_page(response.get_data(as_text=True))
    assert listed(soup) == [] and lot_of(soup) != owner_lot
    # The raw token, or a tampered one: ignored too.
    for forged in (token, owner_lot[:-2] + "xx"):
        soup = check_page(intruder.post(URL, data={f"{FIELD}-lot": forged, f"{FIELD}-ajouter": "1"},
                                        content_type="multipart/form-data").get_data(as_text=True))
        assert listed(soup) == []
    # Removing the owner's file by its id from one's own set does nothing.
    soup = page(intruder, URL)
    secret_id = str(rows_ids(essai_app)[0])
    post(intruder, URL, {f"{FIELD}-lot": lot_of(soup), f"{FIELD}-retirer": secret_id})
    # The component endpoints refuse a token that is not the user's.
    for endpoint in ("ajouter", "retirer"):
        response = intruder.post(f"/composants/pieces-jointes/{endpoint}?champ={FIELD}", headers={"HX-Request": "true"},
                                 data={f"{FIELD}-lot": owner_lot, f"{FIELD}-retirer": secret_id,
                                       FIELD: files_field(("x.pdf", pdf_bytes()))}, content_type="multipart/form-data")
        assert response.status_code == 400 and "<html" not in response.get_data(as_text=True)
    assert [r[0] for r in rows(essai_app)] == ["secret.pdf"]
    assert len(list(Path(essai_app.config["UPLOAD_FOLDER"]).iterdir())) == 1


def rows_ids(app):
    with app.app_context():
        return [a.id for a in Attachment.query.order_by(Attachment.id)]


@pytest.mark.parametrize("url", [f"/composants/pieces-jointes/ajouter?champ={FIELD}",
                                 "/composants/pieces-jointes/ajouter?champ=Bad-Name",
                                 "/composants/pieces-jointes/ajouter"])
def test_component_endpoints_refuse_requests_without_a_valid_set(owner, url):
    response = owner.post(url, headers={"HX-Request": "true"}, data={"x": "1"})
    assert response.status_code == 400


def test_anonymous_users_are_sent_to_login(essai_app):
    client = essai_app.test_client()
    response = client.post(f"/composants/pieces-jointes/ajouter?champ={FIELD}", headers={"HX-Request": "true"})
    assert response.status_code == 401 and "/compte/connexion" in response.headers["HX-Redirect"]
    response = client.get("/composants/pieces-jointes/1")
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]


# --- Downloads --------------------------------------------------------------------------------------

@pytest.fixture
def sent_file(essai_app, owner):
    """A file sent by `owner` to the organisation ESSAI_ORG; returns its id."""
    with essai_app.app_context():
        organisation, other = factories.organisation(), factories.organisation()
        db.session.commit()
        essai_app.config["ESSAI_ORG"] = organisation.id
        essai_app.config["OTHER_ORG"] = other.id
    soup = page(owner, URL)
    add(owner, soup, ("relevé d’identité.pdf", pdf_bytes(2000)))
    response = post(owner, URL, {"subject": "Objet", f"{FIELD}-lot": lot_of(soup)})
    assert response.status_code == 302
    return rows_ids(essai_app)[0]


def test_download_by_the_owner_with_safe_headers(owner, sent_file):
    soup = page(owner, "/essai/envoye")
    link = soup.select_one(".attachment-list a")
    assert link["href"] == f"/composants/pieces-jointes/{sent_file}"
    response = owner.get(link["href"])
    assert response.status_code == 200
    assert response.data == pdf_bytes(2000)
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''relev%C3%A9%20d%E2%80%99identit%C3%A9.pdf" in disposition
    assert re.search(r'filename="?releve didentite\.pdf"?', disposition)  # ASCII fallback
    assert response.headers["Cache-Control"] == "no-store"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_download_by_anyone_else_is_not_found(essai_app, login, intruder, sent_file):
    url = f"/composants/pieces-jointes/{sent_file}"
    assert page(intruder, url, status=404).select_one("h1").get_text(strip=True) == "Page introuvable"
    frag = fragment(intruder, url, status=404)
    assert frag.select_one("h1").get_text(strip=True) == "Page introuvable"
    assert intruder.get("/composants/pieces-jointes/999999").status_code == 404
    stranger_agent = client_for(essai_app, "agent-autre@example.fr", login, Role.AGENT, essai_app.config["OTHER_ORG"])
    assert stranger_agent.get(url).status_code == 404


def test_download_by_an_agent_of_the_organisation(essai_app, login, sent_file):
    agent = client_for(essai_app, "agent@example.fr", login, Role.AGENT, essai_app.config["ESSAI_ORG"])
    response = agent.get(f"/composants/pieces-jointes/{sent_file}")
    assert response.status_code == 200 and response.data == pdf_bytes(2000)


def test_files_not_sent_yet_are_the_owners_only(essai_app, login, owner):
    with essai_app.app_context():
        organisation = factories.organisation()
        db.session.commit()
        organisation_id = organisation.id
    soup = page(owner, URL)
    add(owner, soup, ("brouillon.pdf", pdf_bytes()))
    (attachment_id,) = rows_ids(essai_app)
    agent = client_for(essai_app, "agent@example.fr", login, Role.AGENT, organisation_id)
    assert agent.get(f"/composants/pieces-jointes/{attachment_id}").status_code == 404
    assert owner.get(f"/composants/pieces-jointes/{attachment_id}").status_code == 200


def test_a_lost_stored_file_is_not_found(essai_app, owner, sent_file):
    for path in Path(essai_app.config["UPLOAD_FOLDER"]).iterdir():
        path.unlink()
    assert owner.get(f"/composants/pieces-jointes/{sent_file}").status_code == 404


def test_the_database_never_holds_a_path_built_from_the_users_name(essai_app, owner):
    soup = page(owner, URL)
    add(owner, soup, ("../../../static/evil.pdf", pdf_bytes()))
    with essai_app.app_context():
        attachment = Attachment.query.one()
        assert attachment.original_name == "evil.pdf"
        assert re.fullmatch(r"[0-9a-f]{32}", attachment.storage_name)
    folder = Path(essai_app.config["UPLOAD_FOLDER"])
    assert [p.name for p in folder.iterdir()] == [attachment.storage_name]
    assert not (Path(essai_app.static_folder) / "evil.pdf").exists()


# --- CSRF, oversized requests, clean-up ---------------------------------------------------------------

def test_with_csrf_enabled(csrf_app, login):
    with_essai(csrf_app)
    with csrf_app.app_context():
        factories.user(email="a@example.fr")
        db.session.commit()
    client = csrf_app.test_client()
    login_with_csrf(client, "a@example.fr")
    soup = page(client, URL)
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', soup.body["hx-headers"]).group(1)
    url = f"/composants/pieces-jointes/ajouter?champ={FIELD}"

    def data():
        return {f"{FIELD}-lot": lot_of(soup), FIELD: files_field(("a.pdf", pdf_bytes()))}
    response = client.post(url, data=data(), content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert response.status_code == 400
    response = client.post(URL, data={**data(), f"{FIELD}-ajouter": "1"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert rows(csrf_app) == []
    response = client.post(url, data=data(), content_type="multipart/form-data",
                           headers={"HX-Request": "true", "X-CSRFToken": header_token})
    assert response.status_code == 200
    form_token = soup.select_one("form#message input[name=csrf_token]")["value"]
    response = client.post(URL, data={**data(), f"{FIELD}-ajouter": "1", "csrf_token": form_token},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert [r[0] for r in rows(csrf_app)] == ["a.pdf", "a.pdf"]


def test_a_request_over_the_global_limit_is_explained_in_place(tmp_path, template_db, login):
    app = with_essai(_sqlite_app(tmp_path, template_db, MAX_CONTENT_LENGTH=200 * 1024, WTF_CSRF_ENABLED=True))
    with app.app_context():
        factories.user(email="a@example.fr")
        db.session.commit()
    client = app.test_client()
    login_with_csrf(client, "a@example.fr")
    soup = page(client, URL)
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', soup.body["hx-headers"]).group(1)
    response = client.post(f"/composants/pieces-jointes/ajouter?champ={FIELD}", content_type="multipart/form-data",
                           headers={"HX-Request": "true", "X-CSRFToken": header_token},
                           data={f"{FIELD}-lot": lot_of(soup), FIELD: files_field(("gros.pdf", pdf_bytes(300 * 1024)))})
    assert response.status_code == 413
    assert response.headers["HX-Reswap"] == "none"
    frag = fragment_of(response)
    status = frag.select_one(f"#{FIELD}-statut")
    assert status["hx-swap-oob"] == "innerHTML"
    assert status.get_text(strip=True) == ("Les fichiers n’ont pas été ajoutés : l’envoi dépasse la taille maximale "
                                          "de 200 ko en une fois. Ajoutez-les en plusieurs fois.")
    # Elsewhere, the usual error page.
    response = client.post(URL, data={FIELD: files_field(("gros.pdf", pdf_bytes(300 * 1024)))},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    error_page = check_page(response.get_data(as_text=True))
    assert error_page.select_one("h1").get_text(strip=True) == "Fichier trop volumineux"
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def fragment_of(response):
    from bs4 import BeautifulSoup
    html = response.get_data(as_text=True)
    assert "<html" not in html
    return BeautifulSoup(html, "html.parser")


def test_abandoned_files_are_purged(essai_app, owner, sent_file):
    soup = page(owner, URL)
    add(owner, soup, ("abandonne.pdf", pdf_bytes()))
    folder = Path(essai_app.config["UPLOAD_FOLDER"])
    orphan = folder / ("ab" * 16)
    orphan.write_bytes(b"crash between write and commit")
    import os
    os.utime(orphan, (0, 0))
    from datetime import timedelta
    with essai_app.app_context():
        assert purge_abandoned(timedelta(days=2)) == 1  # the orphan only: the abandoned file is recent
        abandoned = Attachment.query.filter_by(original_name="abandonne.pdf").one()
        abandoned.created_at = utcnow() - timedelta(days=3)
        db.session.commit()
    result = essai_app.test_cli_runner().invoke(args=["components", "purge-uploads", "--days", "2"])
    assert "1 file(s) deleted." in result.output
    assert [r[0] for r in rows(essai_app)] == ["relevé d’identité.pdf"]
    assert len(list(folder.iterdir())) == 1
    assert owner.get(f"/composants/pieces-jointes/{sent_file}").status_code == 200


# --- Memory budget: 8 files of 5 MB through a whole request ----------------------------------------

def test_eight_files_of_5_mb_grow_memory_by_less_than_10_mb(essai_app, owner, tmp_path):
    import tracemalloc
    soup = page(owner, URL)
    sources = []
    for i in range(8):
        path = tmp_path / f"source{i}.pdf"
        path.write_bytes(pdf_bytes(5 * MB - i))  # eight different files: identical ones are stored once
        sources.append(path)
    handles = [path.open("rb") for path in sources]
    try:
        tracemalloc.start()
        # The test client spools the request body to a temporary file, as a real server reads a socket.
        eight = [(h, f"{i}.pdf") for i, h in enumerate(handles)]
        response = post(owner, f"/composants/pieces-jointes/ajouter?champ={FIELD}", headers={"HX-Request": "true"},
                        data={f"{FIELD}-lot": lot_of(soup), FIELD: eight})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        for h in handles:
            h.close()
    assert response.status_code == 200
    assert len(rows(essai_app)) == 8
    assert peak < 10 * MB, f"pic de {peak / MB:.1f} Mo"
    folder = Path(essai_app.config["UPLOAD_FOLDER"])
    def digest(path):
        return hashlib.sha256(path.read_bytes()).hexdigest()
    assert sorted(map(digest, folder.iterdir())) == sorted(map(digest, sources))


# --- The same on PostgreSQL (CI) ----------------------------------------------------------------------

def test_add_remove_and_send_on_every_database(any_db_app):
    app = with_essai(any_db_app)
    with app.app_context():
        factories.user(email="base@example.fr")
        db.session.commit()
    client = app.test_client()
    assert client.post("/compte/connexion", data={"email": "base@example.fr", "password": factories.PASSWORD}
                       ).status_code == 302
    soup = page(client, URL)
    soup = check_page(add(client, soup, ("a.pdf", pdf_bytes()), ("b.png", png_bytes())).get_data(as_text=True))
    assert listed(soup) == ["a.pdf", "b.png"]
    first = soup.select_one(f"button[name='{FIELD}-retirer']")
    soup = check_page(post(client, URL, {f"{FIELD}-lot": lot_of(soup), first["name"]: first["value"]})
                      .get_data(as_text=True))
    assert listed(soup) == ["b.png"]
    assert post(client, URL, {"subject": "Objet", f"{FIELD}-lot": lot_of(soup)}).status_code == 302
    assert [(r[0], r[2]) for r in rows(app)] == [("b.png", None)]
    assert [a.get_text() for a in page(client, "/essai/envoye").select(".attachment-list a")] == ["b.png"]


def test_a_set_with_no_room_left(app):
    with app.test_request_context("/"):
        user = factories.user(email="plein@example.fr")
        db.session.commit()
        files = AttachmentSet("essai_message", user, max_count=0)
        assert files.full and files.remaining == 0
        assert files.remaining_text == "Vous ne pouvez plus ajouter de fichier."
        assert files.id == f"{FIELD}-liste-titre"
        assert AttachmentSet("essai_message", user, max_count=10).max_count == 3  # never above the policy
