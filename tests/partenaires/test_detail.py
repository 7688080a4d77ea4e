"""Detail of a request (seed 002, VI.2), « Compléter la demande » / « Annuler la demande » while
Nouveau (VI.2.2.1, VI.2.2.2), received files for 15 days, and scoping (404 for anything else)."""
import io
import re
import secrets
from datetime import date, timedelta
from pathlib import Path

import pytest

from extensions import db
from models import Attachment, AuditEvent, PartnerRequest, StoredFile
from models.base import utcnow
from tests.components.test_attachments_content import pdf_bytes, png_bytes
from tests.helpers import errors_of, fragment, page, submit
from tests.partenaires.test_history import HISTORY, enter, make_request, numbers, world  # noqa: F401 (fixture)

CANCEL_MOTIVES = ["La demande a déjà été faite par un membre de ma structure", "La situation a déjà été traitée",
                  "Demande faite par erreur", "Autre motif"]


@pytest.fixture
def tech(app, world, login):  # noqa: F811
    return enter(app.test_client(), login, "martine@example.fr", world["org"])


def url(number, action=""):
    return f"/partenaires/demandes/{number}" + (f"/{action}" if action else "")


def get_request(app, number):
    with app.app_context():
        r = PartnerRequest.query.filter_by(number=number).one()
        db.session.expunge(r)
        return r


def complements(app, number):
    """(text, author's email) of the request's dated « Compléter la demande » entries."""
    with app.app_context():
        r = PartnerRequest.query.filter_by(number=number).one()
        return [(e.text, e.actor.email) for e in r.complements()]


def entries(soup):
    """(heading, text) of the complements shown under the comment."""
    return [(e.select_one(".case-entry-head").get_text(strip=True), e.select_one(".user-text").get_text())
            for e in soup.select(".case-entry")]


COMPLEMENT_HEAD = re.compile(r"^Complément du \d\d/\d\d/\d{4} \d\dh\d\dmin par [A-Z]+ [A-Z][a-zé]+ :$")


def update(app, number, **fields):
    with app.app_context():
        r = PartnerRequest.query.filter_by(number=number).one()
        for name, value in fields.items():
            setattr(r, name, value)
        db.session.commit()


def stored_file(app, number, subject_type, name, data=b"%PDF-1.4\n%%EOF\n", owner_id=None):
    """An Attachment linked to the request, with its bytes on disk (as the upload component leaves it)."""
    with app.app_context():
        r = PartnerRequest.query.filter_by(number=number).one()
        storage_name = secrets.token_hex(16)
        (Path(app.config["UPLOAD_FOLDER"]) / storage_name).write_bytes(data)
        a = Attachment(owner_id=owner_id or r.requester_id, organisation_id=r.organisation_id,
                       policy="partenaires_demande", subject_type=subject_type, subject_id=r.id,
                       original_name=name, stored_file=StoredFile(storage_name=storage_name, size=len(data)),
                       content_type="application/pdf",
                       size=len(data))
        db.session.add(a)
        db.session.commit()
        return a.id


def dl(soup):
    """{dt: dd} of every summary list of the page."""
    return {div.dt.get_text(" ", strip=True): div.dd.get_text("\n", strip=True)
            for div in soup.select("dl.summary-list > div")}


def audit_actions(app):
    with app.app_context():
        return [e.action for e in AuditEvent.query.order_by(AuditEvent.id)]


# --- Blocks ---------------------------------------------------------------------------------

def test_detail_blocks_of_a_new_request(app, world, tech):  # noqa: F811
    number = make_request(app, world["victor"], world["org"], ods=4, motive="Demande d'aide financière",
                          person_birth_date=date(1960, 5, 5), comments="Demande de rééquilibre budgétaire.")
    soup = page(tech, url(number))
    assert soup.h1.get_text(strip=True) == f"Détail de la demande n° {number}"
    fields = dl(soup)
    assert fields["Numéro demande"] == number
    assert fields["Date de dépôt"] == "15/02/2022 14h11min" and fields["Date statut"] == "15/02/2022 14h11min"
    assert fields["Demandeur"] == "CHAUSSON Victor" and fields["Statut de la demande"] == "Nouveau"
    assert fields["Offre de service"] == "Soumettre une demande d'étude de dossier"
    assert fields["Motif"] == "Demande d'aide financière"
    assert fields["Personne concernée"] == "Monsieur PRINCE Marius"
    assert fields["Date de naissance"] == "05/05/1960" and fields["Lieu de naissance"] == "27"
    assert fields["Téléphone"] == "07.00.00.00.00"
    assert fields["Commentaire"] == "Demande de rééquilibre budgétaire."
    headings = [h.get_text(strip=True) for h in soup.select("h2, h3")]
    assert "Réponse" not in headings and "PJ envoyée(s)" in headings and "PJ reçue(s)" in headings
    files = soup.select_one("#bloc-pj").find_parent("section").get_text(" ", strip=True)
    assert "(Par sécurité, le contenu des PJ déposées n’est pas consultable)" in files
    assert "Pièces jointes reçues, à télécharger pendant 15 jours maximum" in files
    assert "Aucune pièce jointe envoyée." in files and "Aucune pièce jointe reçue." in files
    assert soup.select_one(".back-link a")["href"] == HISTORY
    actions = {a.get_text(strip=True): a for a in soup.select("#demande-actions a")}
    assert actions["Compléter la demande"]["href"] == url(number, "completer")
    assert actions["Compléter la demande"]["hx-get"] == url(number, "completer")
    assert actions["Annuler la demande"]["href"] == url(number, "annuler")


def test_user_text_is_escaped_with_line_breaks_kept(app, world, tech):  # noqa: F811
    number = make_request(app, world["martine"], world["org"], comments="<script>alert(1)</script>\nLigne 2")
    soup = page(tech, url(number))
    comment = soup.select_one("dd > .user-text")
    assert not soup.select("main script") and comment.get_text() == "<script>alert(1)</script>\nLigne 2"


def test_detail_of_ods_1_5_and_saisine(app, world, tech):  # noqa: F811
    contact = make_request(app, world["martine"], world["org"], ods=1,
                           rdv_modalities=["Téléphonique / Visio", "Physique"])
    fields = dl(page(tech, url(contact)))
    assert fields["Modalités de rendez-vous"] == "Téléphonique / Visio, Physique"
    assert "Personne concernée" not in fields

    document = make_request(app, world["martine"], world["org"], ods=5, motive=None,
                            documents=["Attestation de droits", "Formulaire carte vitale"])
    fields = dl(page(tech, url(document)))
    assert fields["Documents"] == "Attestation de droits, Formulaire carte vitale" and "Motif" not in fields

    saisine = make_request(app, world["martine"], world["org"], ods=2, motive="Saisine mission accompagnement santé",
                           saisine={"consent": True, "frameworks": ["Fragilité face au numérique"],
                                    "care": ["Chirurgie", "Pharmacie"], "duration": "Plus d'1 an", "causes": []})
    soup = page(tech, url(saisine))
    fields = dl(soup)
    assert fields["Accompagnement santé sollicité dans le cadre de"] == "Fragilité face au numérique"
    assert fields["Quels soins ne sont pas réalisés ?"] == "Chirurgie\nPharmacie"
    assert fields["Depuis quand dure le renoncement ?"] == "Plus d'1 an"
    assert fields["Consentement de l'assuré"].startswith("L'assuré accepte que ses coordonnées")
    assert "Quelles en sont les causes ? Un problème :" not in fields


@pytest.fixture
def resolved(app, world):  # noqa: F811
    number = make_request(app, world["victor"], world["org"], status="resolu")
    update(app, number, resolved_at=utcnow() - timedelta(days=3), status_at=utcnow() - timedelta(days=3))
    sent = stored_file(app, number, "PartnerRequest", "Att sur honneur.docx")
    answer = stored_file(app, number, "partner_request_answer", "Réponse CPAM.pdf", data=b"%PDF-1.4 answer")
    return number, sent, answer


def test_resolved_request_shows_answer_sent_names_and_received_files(tech, resolved):
    number, sent, answer = resolved
    soup = page(tech, url(number))
    assert dl(soup)["Statut de la demande"] == "Résolu"
    assert soup.select_one("#bloc-reponse").find_next("p").get_text() == "Prise en charge faite"
    sent_list = soup.select_one("ul[aria-labelledby=pj-envoyees]")
    assert sent_list.get_text(strip=True) == "Att sur honneur.docx" and not sent_list.select("a")
    link = soup.select_one("ul[aria-labelledby=pj-recues] a")
    assert link.get_text(strip=True) == "Réponse CPAM.pdf"
    assert link["href"] == f"{url(number)}/pieces-jointes/{answer}"
    assert not soup.select("#demande-actions a")  # no action once resolved

    response = tech.get(link["href"])
    assert response.status_code == 200 and response.data == b"%PDF-1.4 answer"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # A file the technician sent is never served by this route, nor by the component's.
    assert tech.get(f"{url(number)}/pieces-jointes/{sent}").status_code == 404


def test_received_files_expire_after_15_days(app, tech, resolved):
    number, _, answer = resolved
    update(app, number, resolved_at=utcnow() - timedelta(days=15, minutes=1))
    soup = page(tech, url(number))
    item = soup.select_one("ul[aria-labelledby=pj-recues] li")
    assert not item.select("a") and item.get_text(" ", strip=True) == "Réponse CPAM.pdf (expirée)"
    assert tech.get(f"{url(number)}/pieces-jointes/{answer}").status_code == 404

    update(app, number, resolved_at=utcnow() - timedelta(days=14, hours=23))
    assert tech.get(f"{url(number)}/pieces-jointes/{answer}").status_code == 200


def test_back_link_keeps_the_history_state(tech, app, world):  # noqa: F811
    number = make_request(app, world["martine"], world["org"])
    history_url = f"http://guichet.test{HISTORY}?statut=nouveau&tri=statut&ordre=az&page=2&par_page=x"
    soup = page(tech, url(number), headers={"Referer": history_url})
    assert soup.select_one(".back-link a")["href"] == f"{HISTORY}?statut=nouveau&tri=statut&ordre=az&page=2"
    # …and the actions carry it, so that it survives them.
    assert soup.select_one("#demande-actions a")["href"].endswith("?statut=nouveau&tri=statut&ordre=az&page=2")
    # Another page as referrer, or another site: the plain history.
    for referrer in (f"http://guichet.test{url(number)}", f"http://ailleurs.test{HISTORY}?statut=resolu"):
        assert page(tech, url(number), headers={"Referer": referrer}).select_one(".back-link a")["href"] == HISTORY


# --- Scope ----------------------------------------------------------------------------------

@pytest.fixture
def foreign(app, world):  # noqa: F811
    """Requests the technician must never reach, each with an answer file."""
    numbers_ = {
        "other_structure": make_request(app, world["stranger"], world["org"], status="resolu"),
        "other_organisation": make_request(app, world["victor"], world["other_org"], status="resolu"),
        "cancelled": make_request(app, world["victor"], world["org"], status="annulee"),
    }
    files = {}
    for key, number in numbers_.items():
        update(app, number, resolved_at=utcnow())
        files[key] = stored_file(app, number, "partner_request_answer", "r.pdf")
    return numbers_, files


@pytest.mark.parametrize("key", ["other_structure", "other_organisation", "cancelled", "unknown"])
def test_everything_else_is_404(app, tech, foreign, key):
    numbers_, files = foreign
    number = numbers_.get(key, "2299999999")
    file_id = files.get(key, 1)
    for path in (url(number), url(number, "completer"), url(number, "annuler"),
                 f"{url(number)}/pieces-jointes/{file_id}", f"{url(number)}/accuse-de-reception.pdf"):
        assert tech.get(path).status_code == 404, path
        fragment(tech, path, status=404)
    for action, data in (("completer", {"comment": "x"}), ("annuler", {"motive": CANCEL_MOTIVES[0], "confirm": "y"})):
        assert tech.post(url(number, action), data=data).status_code == 404
        fragment(tech, url(number, action), method="post", data=data, status=404)
    if key != "unknown":
        r = get_request(app, number)
        assert r.comments == "Demande de test." and r.status in ("resolu", "annulee")
        assert complements(app, number) == []
    assert tech.get("/partenaires/demandes/abc").status_code == 404


def test_a_colleague_of_the_structure_sees_and_acts_on_it(app, world, login):  # noqa: F811
    number = make_request(app, world["martine"], world["org"])
    victor = enter(app.test_client(), login, "victor@example.fr", world["org"])
    assert page(victor, url(number)).select_one("#demande-actions a")
    assert victor.post(url(number, "completer"), data={"comment": "Ajout de Victor."}).status_code == 302
    assert complements(app, number) == [("Ajout de Victor.", "victor@example.fr")]
    assert get_request(app, number).comments == "Demande de test."  # the first comment stays as written


# --- Compléter ------------------------------------------------------------------------------

def test_complete_without_javascript(app, world, tech):  # noqa: F811
    number = make_request(app, world["martine"], world["org"], comments="Demande de rééquilibre budgétaire.")
    soup = page(tech, url(number, "completer"))
    assert soup.h1.get_text(strip=True) == f"Compléter la demande n° {number}"
    form = soup.select_one("#demande-actions form")
    assert form["method"] == "post" and form["action"] == url(number, "completer")
    assert form["enctype"] == "multipart/form-data"
    assert soup.select_one("label[for=comment]").get_text(strip=True) == "Commentaires"
    remaining = 5000 - len("Demande de rééquilibre budgétaire.") - 1
    assert soup.select_one("#comment-limite").get_text(strip=True) == f"{remaining} caractères maximum"
    assert soup.select_one("#comment-compteur")["data-max"] == str(remaining)
    assert soup.select_one("#pieces_jointes-aide").get_text(strip=True).endswith("8 pièces jointes maximum.")
    assert [a.get_text(strip=True) for a in form.select(".actions a, .actions button")] == ["Annuler", "Valider"]
    assert form.select_one(".actions a")["href"] == url(number)

    response = submit(tech, url(number, "completer"), {"comment": "Je vous joins des factures supplémentaires."},
                      status=302)
    assert response.headers["Location"] == url(number)
    soup = page(tech, url(number))
    notice = soup.select_one("#messages .notice--success")
    assert notice.get_text(strip=True) == "La demande a bien été prise en compte."
    # The complement is a dated entry with its author, under the comment of the filing.
    assert soup.select_one("#bloc-saisie").find_parent("section").select_one("dd .user-text").get_text() == (
        "Demande de rééquilibre budgétaire.")
    ((head, text),) = entries(soup)
    assert COMPLEMENT_HEAD.match(head) and "par LAPIERRE Martine" in head, head
    assert text == "Je vous joins des factures supplémentaires."
    assert dl(soup)["Statut de la demande"] == "Nouveau"
    assert audit_actions(app)[-1] == "partenaires.request_completed"


def test_complete_with_htmx_opens_in_place_and_redraws_the_detail(app, world, tech):  # noqa: F811
    number = make_request(app, world["martine"], world["org"])
    opened = fragment(tech, url(number, "completer"))
    assert opened.select_one("form")["hx-post"] == url(number, "completer")
    assert opened.select_one("#completer-titre")["autofocus"] is not None
    assert opened.select_one("textarea#comment") and not opened.select("h1")

    closed = fragment(tech, url(number) + "?ferme=completer")
    assert closed.select_one("a[autofocus]").get_text(strip=True) == "Compléter la demande"
    assert not closed.select("form")

    # 200: the errors are in the answer (htmx would log a 4xx as a failure).
    invalid = fragment(tech, url(number, "completer"), method="post", data={"comment": "  "})
    assert invalid.select_one(".error-summary a").get_text() == "Saisissez un commentaire ou ajoutez une pièce jointe."
    assert invalid.title.get_text().startswith("Erreur : ")

    done = fragment(tech, url(number, "completer"), method="post", data={"comment": "Complément."})
    assert done.response.headers["HX-Retarget"] == "#demande"
    assert done.select_one(".notice--success").get_text(strip=True) == "La demande a bien été prise en compte."
    assert [text for _, text in entries(done)] == ["Complément."]
    assert done.select_one("#demande-actions a").get_text(strip=True) == "Annuler la demande"  # still Nouveau


def _complete_form(client, number):
    """The fields of the « Compléter » form as the page gives them (its one-time token included)."""
    soup = page(client, url(number, "completer"))
    return {"submission": soup.select_one("#demande-actions form input[name=submission]")["value"],
            "pieces_jointes-lot": soup.select_one("input[name=pieces_jointes-lot]")["value"]}


def test_complete_posted_twice_without_javascript_completes_once(app, world, tech, outbox):  # noqa: F811
    """A double click, or Back then « Renvoyer le formulaire »: one complement, one audit record,
    and both posts redirect to the detail (post/redirect/get)."""
    number = make_request(app, world["martine"], world["org"])
    data = dict(_complete_form(tech, number), comment="Voici la facture manquante.")
    mails_before = len(outbox())
    first = tech.post(url(number, "completer"), data=data)
    second = tech.post(url(number, "completer"), data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == url(number)
    assert complements(app, number) == [("Voici la facture manquante.", "martine@example.fr")]
    assert audit_actions(app).count("partenaires.request_completed") == 1
    assert len(outbox()) == mails_before  # completing sends no mail, twice or once
    soup = page(tech, url(number))
    assert [text for _, text in entries(soup)] == ["Voici la facture manquante."]
    # A new form carries a new token: a second complement is added.
    again = dict(_complete_form(tech, number), comment="Et une précision.")
    assert again["submission"] != data["submission"]
    submit(tech, url(number, "completer"), again, status=302)
    assert [text for text, _ in complements(app, number)] == ["Voici la facture manquante.", "Et une précision."]


def test_complete_posted_twice_with_htmx_completes_once(app, world, tech):  # noqa: F811
    number = make_request(app, world["martine"], world["org"])
    opened = fragment(tech, url(number, "completer"))
    data = {"submission": opened.select_one("form input[name=submission]")["value"], "comment": "Complément."}
    first = fragment(tech, url(number, "completer"), method="post", data=data)
    second = fragment(tech, url(number, "completer"), method="post", data=data)
    for done in (first, second):
        assert done.response.headers["HX-Retarget"] == "#demande"
        assert done.select_one(".notice--success").get_text(strip=True) == "La demande a bien été prise en compte."
        assert [text for _, text in entries(done)] == ["Complément."]
    assert complements(app, number) == [("Complément.", "martine@example.fr")]


def test_complete_with_files_only_posted_twice_adds_them_once(app, world, tech):  # noqa: F811
    number = make_request(app, world["martine"], world["org"])
    data = _complete_form(tech, number)
    submit(tech, url(number, "completer"), dict(data, **{
        "pieces_jointes-ajouter": "1", "pieces_jointes": [(io.BytesIO(pdf_bytes()), "facture.pdf")]}),
        content_type="multipart/form-data")
    first = tech.post(url(number, "completer"), data=data, content_type="multipart/form-data")
    second = tech.post(url(number, "completer"), data=data, content_type="multipart/form-data")
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == url(number)
    assert complements(app, number) == []  # no text: no complement shown under the comment
    with app.app_context():
        r = PartnerRequest.query.filter_by(number=number).one()
        assert Attachment.query.filter_by(subject_type="PartnerRequest", subject_id=r.id).count() == 1
        # The agents' timeline says when the files came.
        assert [what for _, what, _ in r.timeline()][-1] == "Pièces jointes ajoutées"
    assert audit_actions(app).count("partenaires.request_completed") == 1


def test_a_complete_token_cannot_be_replayed_on_another_request(app, world, tech, login):  # noqa: F811
    number = make_request(app, world["martine"], world["org"])
    other = make_request(app, world["martine"], world["org"], minutes=1)
    data = dict(_complete_form(tech, number), comment="Pour la première.")
    submit(tech, url(number, "completer"), data, status=302)
    assert tech.post(url(other, "completer"), data=data).status_code == 409
    victor = enter(app.test_client(), login, "victor@example.fr", world["org"])
    assert victor.post(url(number, "completer"), data=data).status_code == 409
    assert complements(app, other) == []
    assert complements(app, number) == [("Pour la première.", "martine@example.fr")]


def test_complete_with_files_without_javascript(app, world, tech):  # noqa: F811
    number = make_request(app, world["martine"], world["org"])
    for i in range(4):
        stored_file(app, number, "PartnerRequest", f"PJ{i}.pdf")
    soup = page(tech, url(number, "completer"))
    hint = soup.select_one("#pieces_jointes-aide").get_text(strip=True)
    assert "Taille de pièce jointe maximum 5 Mo, 4 supplémentaires maximum" in hint
    lot = soup.select_one("input[name=pieces_jointes-lot]")["value"]
    # « Ajouter » without JavaScript: the form comes back with the file listed and the comment kept.
    added = submit(tech, url(number, "completer"), {
        "comment": "Voici les factures.", "pieces_jointes-lot": lot, "pieces_jointes-ajouter": "1",
        "pieces_jointes": [(io.BytesIO(pdf_bytes()), "facture.pdf"), (io.BytesIO(png_bytes()), "photo.png")]},
        content_type="multipart/form-data")
    assert [li.a.get_text() for li in added.select("#pieces_jointes-contenu li")] == ["facture.pdf", "photo.png"]
    assert added.select_one("#comment").get_text().lstrip("\r\n") == "Voici les factures."
    response = submit(tech, url(number, "completer"), {"comment": "Voici les factures.", "pieces_jointes-lot": lot},
                      content_type="multipart/form-data", status=302)
    assert response.status_code == 302
    soup = page(tech, url(number))
    assert [li.get_text() for li in soup.select("ul[aria-labelledby=pj-envoyees] li")] == [
        "PJ0.pdf", "PJ1.pdf", "PJ2.pdf", "PJ3.pdf", "facture.pdf", "photo.png"]
    with app.app_context():
        new = Attachment.query.filter_by(original_name="facture.pdf").one()
        r = PartnerRequest.query.filter_by(number=number).one()
        assert (new.subject_type, new.subject_id, new.organisation_id) == ("PartnerRequest", r.id, r.organisation_id)
        event = AuditEvent.query.filter_by(action="partenaires.request_completed").one()
        assert event.detail["attachments"] == 2
    # Two more may still be added.
    hint = page(tech, url(number, "completer")).select_one("#pieces_jointes-aide").get_text()
    assert "2 supplémentaires maximum" in hint


def test_attachment_allowance_counts_files_already_sent(app, world, tech):  # noqa: F811
    number = make_request(app, world["martine"], world["org"])
    for i in range(7):
        stored_file(app, number, "PartnerRequest", f"PJ{i}.pdf")
    soup = page(tech, url(number, "completer"))
    lot = soup.select_one("input[name=pieces_jointes-lot]")["value"]
    refused = submit(tech, url(number, "completer"), {
        "pieces_jointes-lot": lot, "pieces_jointes-ajouter": "1",
        "pieces_jointes": [(io.BytesIO(pdf_bytes()), "a.pdf"), (io.BytesIO(pdf_bytes()), "b.pdf")]},
        content_type="multipart/form-data")
    assert [li.a.get_text() for li in refused.select("#pieces_jointes-contenu li")] == ["a.pdf"]
    assert "Vous ne pouvez pas ajouter plus de 1 fichier." in refused.select_one("#pieces_jointes-erreur").get_text()

    stored_file(app, number, "PartnerRequest", "PJ7.pdf")  # a colleague filled the eighth place meanwhile
    response = submit(tech, url(number, "completer"), {"pieces_jointes-lot": lot}, content_type="multipart/form-data",
                      status=422)
    assert errors_of(response) == ["Cette demande a déjà 8 pièces jointes : retirez les fichiers ajoutés pour valider."]
    # The file added is still listed, to be removed.
    assert [li.a.get_text() for li in response.select("#pieces_jointes-contenu li")] == ["a.pdf"]
    assert get_request(app, number).comments == "Demande de test."
    with app.app_context():
        assert Attachment.query.filter_by(original_name="a.pdf").one().subject_id is None

    full = page(tech, url(number, "completer"))  # a new form: nothing added yet
    assert not full.select("input[type=file]")
    assert "8 pièces jointes ont déjà été envoyées" in full.select_one("#demande-actions form").get_text()


def test_comments_stay_within_5000_characters(app, world, tech):  # noqa: F811
    number = make_request(app, world["martine"], world["org"], comments="x" * 4990)
    soup = page(tech, url(number, "completer"))
    assert soup.select_one("#comment-limite").get_text(strip=True) == "9 caractères maximum"
    refused = submit(tech, url(number, "completer"), {"comment": "0123456789"}, status=422)
    assert refused.title.get_text().startswith("Erreur : ")
    assert errors_of(refused)[0].startswith("Le commentaire ajouté doit faire 9 caractères maximum")
    assert refused.select_one("#comment").get_text().lstrip("\r\n") == "0123456789"  # kept
    assert get_request(app, number).comments == "x" * 4990

    submit(tech, url(number, "completer"), {"comment": "012345678"}, status=302)
    assert complements(app, number)[0][0] == "012345678"  # 4990 + line break + 9 = 5000
    full = page(tech, url(number, "completer"))
    assert not full.select("textarea") and "a atteint 5000 caractères" in full.select_one("#demande-actions").get_text()


def test_request_without_attachments_asks_for_a_comment(app, world, tech):  # noqa: F811
    number = make_request(app, world["martine"], world["org"], ods=5, documents=["Attestation de droits"])
    soup = page(tech, url(number, "completer"))
    assert not soup.select("input[type=file]")
    refused = submit(tech, url(number, "completer"), {"comment": ""}, status=422)
    assert errors_of(refused) == ["Saisissez un commentaire."]


# --- Annuler --------------------------------------------------------------------------------

def test_cancel_form_and_required_fields(app, world, tech):  # noqa: F811
    number = make_request(app, world["martine"], world["org"])
    soup = page(tech, url(number, "annuler"))
    assert soup.h1.get_text(strip=True) == f"Annuler la demande n° {number}"
    assert soup.select_one("#annuler-titre").get_text(strip=True) == f"Annulation de la demande n° {number}."
    assert soup.select_one("label[for=motive]").get_text(" ", strip=True).startswith(
        "Sélectionner le motif de l'annulation *")
    assert [o.get_text() for o in soup.select("#motive option")][1:] == CANCEL_MOTIVES
    assert soup.select_one("label[for=confirm]").get_text(" ", strip=True).startswith("Je confirme l'annulation")
    buttons = soup.select("#demande-actions .actions a, #demande-actions .actions button")
    assert [el.get_text(strip=True) for el in buttons] == ["Annuler", "VALIDER"]

    refused = submit(tech, url(number, "annuler"), {}, status=422)
    assert errors_of(refused) == ["Sélectionnez le motif de l'annulation.",
                                  "Cochez « Je confirme l'annulation » pour annuler la demande."]
    refused = submit(tech, url(number, "annuler"), {"motive": "Parce que", "confirm": "y"}, status=422)
    assert errors_of(refused) == ["Sélectionnez le motif de l'annulation."]
    refused = submit(tech, url(number, "annuler"), {"motive": CANCEL_MOTIVES[1]}, status=422)
    assert refused.select_one("#motive option[selected]")["value"] == CANCEL_MOTIVES[1]  # kept
    assert get_request(app, number).status == "nouveau"


def test_cancel_removes_the_request_from_the_history(app, world, tech):  # noqa: F811
    number = make_request(app, world["martine"], world["org"])
    kept = make_request(app, world["martine"], world["org"], minutes=1)
    response = submit(tech, url(number, "annuler") + "?statut=nouveau",
                      {"motive": CANCEL_MOTIVES[2], "confirm": "y"}, status=302)
    assert response.headers["Location"] == f"{HISTORY}?statut=nouveau"
    soup = page(tech, response.headers["Location"])
    assert ("La demande a été automatiquement supprimée de la liste des demandes affichées dans l'historique des "
            "demandes.") in [p.get_text(strip=True) for p in soup.select("#messages .notice--success")]
    assert numbers(soup) == [kept]
    r = get_request(app, number)
    assert (r.status, r.cancel_motive) == ("annulee", CANCEL_MOTIVES[2])
    assert audit_actions(app)[-1] == "partenaires.request_cancelled"
    assert tech.get(url(number)).status_code == 404


def test_cancel_with_htmx(app, world, tech):  # noqa: F811
    number = make_request(app, world["martine"], world["org"])
    opened = fragment(tech, url(number, "annuler"))
    assert opened.select_one("form")["hx-target"] == "#demande-actions"
    invalid = fragment(tech, url(number, "annuler"), method="post", data={"confirm": "y"})
    assert invalid.select_one("#motive-erreur") and invalid.select_one(".error-summary")
    done = fragment(tech, url(number, "annuler"), method="post", data={"motive": CANCEL_MOTIVES[0], "confirm": "y"},
                    status=204)
    assert done.response.headers["HX-Redirect"] == HISTORY
    assert get_request(app, number).status == "annulee"


# --- Refused once the status moved on --------------------------------------------------------

@pytest.mark.parametrize("status,label", [("pris-en-charge", "Pris en charge"), ("resolu", "Résolu")])
def test_actions_refused_once_the_request_moved_on(app, world, tech, status, label):  # noqa: F811
    number = make_request(app, world["martine"], world["org"], status=status)
    soup = page(tech, url(number))
    assert not soup.select("#demande-actions a, #demande-actions form")
    forged = (("completer", {"comment": "Forgé"}), ("annuler", {"motive": CANCEL_MOTIVES[0], "confirm": "y"}))
    for action, data in forged:
        refused = page(tech, url(number, action), status=409)
        assert f"son statut est « {label} »" in refused.select_one(".notice--error").get_text()
        assert not refused.select("#demande-actions form")
        refused = submit(tech, url(number, action), data, status=409)
        assert refused.select_one(".notice--error")
        frag = fragment(tech, url(number, action), method="post", data=data)
        assert frag.response.headers["HX-Retarget"] == "#demande" and frag.select_one(".notice--error")
    r = get_request(app, number)
    assert (r.status, r.comments, r.cancel_motive) == (status, "Demande de test.", None)
    assert not [a for a in audit_actions(app) if a.startswith("partenaires.request_c")]


def test_taken_in_charge_between_opening_and_validating(app, world, tech):  # noqa: F811
    number = make_request(app, world["martine"], world["org"])
    page(tech, url(number, "completer"))
    update(app, number, status="pris-en-charge")
    submit(tech, url(number, "completer"), {"comment": "Trop tard."}, status=409)
    assert get_request(app, number).comments == "Demande de test."


# --- CSRF -----------------------------------------------------------------------------------

def test_actions_with_csrf_protection(csrf_app):
    from tests import factories
    app = csrf_app
    with app.app_context():
        org, ours = factories.partner_setup()
        factories.technician(ours, email="martine@example.fr")
        db.session.commit()
        org_id = org.id
    client = app.test_client()
    token = page(client, "/compte/connexion").select_one("input[name=csrf_token]")["value"]
    assert client.post("/compte/connexion", data={"email": "martine@example.fr", "password": factories.PASSWORD,
                                                  "csrf_token": token}).status_code == 302
    token = page(client, "/partenaires/organisme").select_one("input[name=csrf_token]")["value"]
    response = client.post("/partenaires/organisme", data={"organisation": str(org_id), "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        from models import User
        tech_id = User.query.filter_by(email="martine@example.fr").one().id
    number = make_request(app, tech_id, org_id)

    data = {"motive": CANCEL_MOTIVES[0], "confirm": "y"}
    assert client.post(url(number, "annuler"), data=data).status_code == 400
    assert client.post(url(number, "completer"), data={"comment": "x"}).status_code == 400
    assert get_request(app, number).status == "nouveau"

    form_page = page(client, url(number, "annuler"))
    token = form_page.select_one("#demande-actions input[name=csrf_token]")["value"]
    # htmx sends the token in a header (set on <body>), the form posts it as a field.
    header_token = form_page.body["hx-headers"]
    assert token in header_token
    assert client.post(url(number, "annuler"), data=dict(data, csrf_token=token)).status_code == 302
    assert get_request(app, number).status == "annulee"
