"""The application wizard of the Portail Des Aides (blueprints/armees/apply.py): the eligibility
gate before the application exists, its creation when the step is passed, the steps' rules, the
draft (saved incomplete, never transmitted incomplete), « Transmettre » once, what it writes (the
data contract, files, profile, porte-documents) and its mail with the recap PDF; another user's
application is 404."""
import io

from pypdf import PdfReader

from extensions import db
from models import Attachment, Draft, OutboxMessage
from models.armees import (AidApplication, RessortissantProfile, application_draft_kind)
from tests.helpers import errors_of, fragment, page, submit

BENEFIT = "garde-jeunes-enfants"
START = f"/armees/prestations/{BENEFIT}/demande"
ELIGIBLE = {"ressortissant": "oui", "age_enfant": "oui", "autre_aide": "non"}
INFORMATIONS = {"residence": "france", "birth_name": "Martin", "phone": "06 12 34 56 78", "mobile": "", "fax": "",
                "address_abroad": "france", "address_line1": "3 place de la Bourse", "address_line2": "",
                "address_line3": "", "commune-recherche": "33000", "commune": "33063-33000", "in_couple": "non",
                "family_situation": "Célibataire", "category": "militaire-actif", "rank": "sous-officier",
                "employer": "marine"}
DOSSIER = {"f_mode_garde": "Crèche ou multi-accueil", "f_date_debut": "01/09/2026", "f_frais_mensuels": "1 234,5",
           "f_garde_partagee": "y", "account_holder": "Éloïse Lefèvre", "iban": "FR76 3000 6000 0112 3456 7890 189",
           "f_famille-0-nom": "Lefèvre", "f_famille-0-prenom": "Léa", "f_famille-0-naissance": "2024-03-01",
           "f_famille-0-lien": "Enfant"}


def location(response):
    return response.headers["Location"].removeprefix("http://guichet.test")


def wizard_url(application_id, step=""):
    return f"/armees/demandes/{application_id}/saisie/{step}"


def pass_eligibility(client, answers=ELIGIBLE):
    response = client.post(f"{START}/preambule", data={"suivant": "1"})
    assert response.status_code == 303 and location(response) == f"{START}/criteres"
    response = client.post(f"{START}/criteres", data={**answers, "suivant": "1"})
    assert response.status_code == 303
    target = location(response)
    assert target.startswith("/armees/demandes/") and target.endswith("/saisie/informations")
    return int(target.split("/")[3])


def documents(*codes):
    """The files of « Vos justificatifs », as the step's file inputs post them."""
    from tests.components.test_attachments_content import pdf_bytes
    return {f"justificatifs-fichier-{code}": (io.BytesIO(pdf_bytes()), f"{code}.pdf") for code in codes}


GARDE_DOCUMENTS = ("qualite-ressortissant", "avis-imposition", "justificatif-garde", "rib")


def fill_until_recap(client, application_id, codes=GARDE_DOCUMENTS):
    response = client.post(wizard_url(application_id, "informations"), data={**INFORMATIONS, "suivant": "1"})
    assert response.status_code == 303 and location(response) == wizard_url(application_id, "dossier")
    response = client.post(wizard_url(application_id, "dossier"), data={**DOSSIER, "suivant": "1", **documents(*codes)},
                           content_type="multipart/form-data")
    assert response.status_code == 303 and location(response) == wizard_url(application_id, "recapitulatif")


def transmit(client, application_id, **extra):
    soup = page(client, wizard_url(application_id, "recapitulatif"))
    token = soup.select_one("input[name=submission]")["value"]
    return client.post(wizard_url(application_id, "recapitulatif"),
                       data={"sworn": "y", "submission": token, "suivant": "1", **extra},
                       content_type="multipart/form-data"), token


def test_eligibility_then_creation_then_transmission(app, armees, armees_login, outbox):
    client = armees_login("member")
    soup = page(client, f"{START}/preambule")
    assert "Prestation soumise à condition de ressources" in soup.get_text()
    assert [li.get_text(" ", strip=True) for li in soup.select("nav[aria-label=Étapes] li")][-1].startswith(
        "Confirmation")
    with app.app_context():
        assert AidApplication.query.count() == 0
    application_id = pass_eligibility(client)
    with app.app_context():
        application = db.session.get(AidApplication, application_id)
        assert application.status == "en-creation" and application.organisation_id == armees["org"]
        assert Draft.query.filter_by(kind=f"armees.eligibilite.{BENEFIT}").count() == 0
    fill_until_recap(client, application_id)
    response, token = transmit(client, application_id)
    assert response.status_code == 303
    assert location(response) == f"/armees/demandes/{application_id}/confirmation"
    soup = page(client, location(response))
    assert "Votre demande a bien été transmise." in soup.get_text()
    with app.app_context():
        application = db.session.get(AidApplication, application_id)
        assert application.status == "prise-en-charge" and application.reference.startswith("PDA-")
        data = application.data
        assert data["eligibility"] == ELIGIBLE
        assert data["dossier"] == {"mode_garde": "Crèche ou multi-accueil", "date_debut": "2026-09-01",
                                   "frais_mensuels": "1234.50", "garde_partagee": True}
        assert data["tables"] == {"famille": [{"nom": "Lefèvre", "prenom": "Léa", "naissance": "2024-03-01",
                                               "lien": "Enfant"}]}
        assert data["informations"]["phone"] == "06 12 34 56 78" and data["sworn"] is True
        assert data["bank"] == {"abroad": False, "holder": "Éloïse Lefèvre", "iban": "FR7630006000011234567890189",
                                "bic": data["bank"]["bic"]} and data["bank"]["bic"].startswith("AGRIFRPP")
        assert data["steps"]["criteres"] == {k: [v] for k, v in ELIGIBLE.items()}
        profile = RessortissantProfile.query.filter_by(user_id=armees["member"]).one()
        assert profile.first_transmitted_at is not None and profile.birth_name == "Martin"
        assert (profile.postcode, profile.insee, profile.employer, profile.in_couple) == ("33000", "33063", "marine",
                                                                                          False)
        assert data["informations"]["family_situation"] == "Célibataire" and data["informations"]["rank"] == \
            "sous-officier"
        assert Draft.query.filter_by(kind=application_draft_kind(application_id)).count() == 0
        message = OutboxMessage.query.one()
        assert message.recipient == armees["emails"]["member"] and application.reference in message.subject
        recap = db.session.get(Attachment, message.attachment_ids[0])
        assert recap.document == "recapitulatif" and recap.content_type == "application/pdf"
    # Posted again (double click, Back then resend): the same confirmation, nothing more.
    response = client.post(wizard_url(application_id, "recapitulatif"),
                           data={"sworn": "y", "submission": token, "suivant": "1"})
    assert response.status_code == 303 and location(response).endswith("/confirmation")
    assert len(outbox("email")) == 1
    pdf = client.get(f"/armees/demandes/{application_id}/recapitulatif.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Aide à la garde des jeunes enfants" in text and "Lefèvre" in text


def test_anonymous_is_asked_to_log_in_and_comes_back_to_the_form(client):
    response = client.get(START)
    assert response.status_code == 302
    assert "/compte/connexion" in response.headers["Location"] and "next=" in response.headers["Location"]


def test_an_excluding_answer_stops_here_and_creates_nothing(app, armees_login):
    client = armees_login("member")
    client.post(f"{START}/preambule", data={"suivant": "1"})
    soup = submit(client, f"{START}/criteres", {**ELIGIBLE, "autre_aide": "oui", "suivant": "1"}, status=422)
    assert "Vous n’êtes pas éligible à cette prestation" in soup.select_one(".armees-ineligible").get_text()
    assert soup.select_one(".armees-ineligible a")["href"] == "/armees/espace/"
    assert soup.select_one("input[name=autre_aide][value=oui]").has_attr("checked"), "the answer is kept"
    soup = submit(client, f"{START}/criteres", {"ressortissant": "oui", "suivant": "1"}, status=422)
    assert errors_of(soup) == ["Répondez par Oui ou par Non à cette question."] * 2
    assert client.get(f"{START}/informations").status_code == 404
    with app.app_context():
        assert AidApplication.query.count() == 0


def test_the_sheet_starts_the_application_and_an_unknown_benefit_is_404(armees_login):
    client = armees_login("member")
    response = client.post(START)
    assert response.status_code == 303 and location(response) == f"{START}/preambule"
    assert client.get("/armees/prestations/inconnue/demande").status_code == 404
    assert client.post("/armees/prestations/inconnue/demande/criteres", data={"suivant": "1"}).status_code == 404


def test_a_draft_saved_incomplete_is_resumed_and_cannot_be_transmitted(app, armees_login):
    client = armees_login("member")
    application_id = pass_eligibility(client)
    client.post(wizard_url(application_id, "informations"), data={**INFORMATIONS, "suivant": "1"})
    response = client.post(wizard_url(application_id, "dossier"),
                           data={"f_mode_garde": "Garde à domicile", "f_frais_mensuels": "abc", "enregistrer": "1"})
    assert response.status_code == 303 and location(response) == "/armees/espace/"
    # Resumed where it was left, with what was typed, even what does not validate yet.
    response = client.get(wizard_url(application_id))
    assert response.status_code == 303 and location(response) == wizard_url(application_id, "dossier")
    soup = page(client, wizard_url(application_id, "dossier"))
    assert soup.select_one("select[name=f_mode_garde] option[selected]")["value"] == "Garde à domicile"
    assert soup.select_one("input[name=f_frais_mensuels]")["value"] == "abc"
    # The recap is out of reach; a forged « Transmettre » transmits nothing.
    response = client.get(wizard_url(application_id, "recapitulatif"))
    assert response.status_code == 303 and location(response) == wizard_url(application_id, "dossier")
    response = client.post(wizard_url(application_id, "recapitulatif"), data={"sworn": "y", "suivant": "1"})
    assert response.status_code == 303 and location(response) == wizard_url(application_id, "dossier")
    soup = submit(client, wizard_url(application_id, "dossier"), {**DOSSIER, "f_frais_mensuels": "abc",
                                                                   "f_mode_garde": "Forgé", "suivant": "1"}, status=422)
    assert "Saisissez un montant en euros, par exemple 350,00." in errors_of(soup)
    assert "Not a valid choice." in errors_of(soup) or any("choix" in e.lower() for e in errors_of(soup))
    with app.app_context():
        assert db.session.get(AidApplication, application_id).status == "en-creation"


def test_the_sworn_statement_must_be_ticked(app, armees_login):
    client = armees_login("member")
    application_id = pass_eligibility(client)
    fill_until_recap(client, application_id)
    soup = submit(client, wizard_url(application_id, "recapitulatif"), {"suivant": "1"}, status=422,
                  content_type="multipart/form-data")
    assert errors_of(soup) == ["Cochez la case pour certifier l’exactitude des renseignements."]
    assert soup.select_one("a[href$='/recapitulatif.pdf']").get_text() == "Télécharger le récapitulatif (PDF)"
    headings = [h.get_text() for h in soup.select(".armees-recap-section h2")]
    assert headings[:3] == ["Prestation", "Votre identité", "Vos informations"]
    with app.app_context():
        assert db.session.get(AidApplication, application_id).status == "en-creation"


def test_a_loan_asks_for_the_signed_sworn_statement(app, armees, armees_login):
    from tests.components.test_attachments_content import pdf_bytes
    client = armees_login("member")
    start = "/armees/prestations/pret-social/demande"
    client.post(f"{start}/preambule", data={"suivant": "1"})
    response = client.post(f"{start}/criteres", data={"ressortissant": "oui", "pret_en_cours": "non", "suivant": "1"})
    application_id = int(location(response).split("/")[3])
    client.post(wizard_url(application_id, "informations"), data={**INFORMATIONS, "suivant": "1"})
    response = client.post(wizard_url(application_id, "dossier"), data={
        "f_objet": "Véhicule", "f_montant": "9000", "f_duree": "24", "account_holder": "Éloïse Lefèvre",
        "iban": "FR7630006000011234567890189", "suivant": "1"})
    assert response.status_code == 422
    assert "Le montant ne peut pas dépasser 8\u202f000 €." in errors_of(page_from(response))
    response = client.post(wizard_url(application_id, "dossier"), data={
        "f_objet": "Véhicule", "f_montant": "3 500", "f_duree": "24", "account_holder": "Éloïse Lefèvre",
        "iban": "FR7630006000011234567890189", "suivant": "1",
        **documents("qualite-ressortissant", "avis-imposition", "devis", "rib")}, content_type="multipart/form-data")
    assert response.status_code == 303
    soup = page(client, wizard_url(application_id, "recapitulatif"))
    template = soup.select_one(f"a[href='/armees/demandes/{application_id}/attestation-sur-l-honneur.pdf']")
    assert template.get_text(" ", strip=True).startswith("ici")
    pdf = client.get(template["href"])
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Attestation sur l’honneur" in text and "co-emprunteur" in text and "Signature" in text
    soup = submit(client, wizard_url(application_id, "recapitulatif"), {"sworn": "y", "suivant": "1"}, status=422,
                  content_type="multipart/form-data")
    assert "Ajoutez l’attestation sur l’honneur complétée et signée." in errors_of(soup)
    lot = soup.select_one("input[name=pieces_jointes-lot]")["value"]
    response = client.post(wizard_url(application_id, "recapitulatif"), content_type="multipart/form-data", data={
        "pieces_jointes": [(io.BytesIO(pdf_bytes()), "attestation signée.pdf")], "pieces_jointes-lot": lot,
        "pieces_jointes-ajouter": "1"})
    assert response.status_code == 200, "adding the file without JavaScript redisplays the step"
    response, _ = transmit(client, application_id)
    assert response.status_code == 303 and location(response).endswith("/confirmation")
    with app.app_context():
        files = Attachment.query.filter_by(subject_type="armees_application", subject_id=application_id).all()
        assert sorted(a.document for a in files) == ["attestation-honneur", "avis-imposition", "devis",
                                                     "qualite-ressortissant", "recapitulatif", "rib"]
        stored = Attachment.query.filter_by(subject_type="armees_porte_documents", subject_id=armees["member"]).all()
        assert [a.document for a in stored] == ["qualite-ressortissant"], "the proof is kept, once"
    # Not a loan: no sworn statement template.
    other = pass_eligibility(client)
    assert client.get(f"/armees/demandes/{other}/attestation-sur-l-honneur.pdf").status_code == 404


def page_from(response):
    from tests.helpers import check_page
    return check_page(response.get_data(as_text=True))


def test_someone_elses_application_is_404(app, armees, armees_login, make_application, client):
    application_id = make_application("en-creation", owner="member")
    done = make_application("prise-en-charge", owner="member")
    urls = [wizard_url(application_id), wizard_url(application_id, "preambule"),
            f"/armees/demandes/{done}/confirmation", f"/armees/demandes/{application_id}/recapitulatif.pdf",
            f"/armees/demandes/{done}/recapitulatif.pdf"]
    other = armees_login("member2")
    for url in urls:
        assert other.get(url).status_code == 404, url
    assert other.post(wizard_url(application_id, "preambule"), data={"suivant": "1"}).status_code == 404
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
    agent = armees_login("other_agent")
    for url in urls:
        assert agent.get(url).status_code == 404, url
    owner = armees_login("member")
    assert owner.get(wizard_url(application_id, "preambule")).status_code == 200
    # A transmitted application is no longer a draft: its wizard leads to its follow-up.
    response = owner.get(wizard_url(done, "recapitulatif"))
    assert response.status_code == 303 and location(response) == f"/armees/demandes/{done}"


def test_a_second_application_takes_the_profile_read_only(app, armees, armees_login):
    client = armees_login("member")
    first = pass_eligibility(client)
    fill_until_recap(client, first)
    transmit(client, first)
    second = pass_eligibility(client)
    soup = page(client, wizard_url(second, "informations"))
    assert not soup.select("input[name=phone]")
    rows = {div.dt.get_text(): div.dd.get_text() for div in soup.select(".summary-list > div")}
    assert rows["Téléphone"] == "06 12 34 56 78" and rows["Nom"] == "Lefèvre" and rows["Nom de naissance"] == "Martin"
    response = client.post(wizard_url(second, "informations"), data={"phone": "forgé", "suivant": "1"})
    assert response.status_code == 303
    # The proof of ressortissant status given with the first one is offered from the porte-documents.
    soup = page(client, wizard_url(second, "dossier"))
    offered = soup.select_one("input[name='justificatifs-porte-qualite-ressortissant']")
    assert "Déjà dans votre porte-documents : qualite-ressortissant.pdf" in soup.get_text()
    response = client.post(wizard_url(second, "dossier"), content_type="multipart/form-data", data={
        **DOSSIER, "justificatifs-porte-qualite-ressortissant": offered["value"],
        "justificatifs-reutiliser": "qualite-ressortissant"})
    assert response.status_code == 200
    response = client.post(wizard_url(second, "dossier"), content_type="multipart/form-data", data={
        **DOSSIER, "suivant": "1", **documents("avis-imposition", "justificatif-garde", "rib")})
    assert response.status_code == 303, errors_of(page_from(response))
    transmit(client, second)
    with app.app_context():
        assert db.session.get(AidApplication, second).data["informations"]["phone"] == "06 12 34 56 78"
        assert RessortissantProfile.query.filter_by(user_id=armees["member"]).one().phone == "06 12 34 56 78"


def test_prefill_draft_for_a_duplicate(app, armees, make_application, armees_login):
    from blueprints.armees import service
    application_id = make_application("en-creation", owner="member")
    steps = {"criteres": {k: [v] for k, v in ELIGIBLE.items()}, "dossier": {"f_mode_garde": ["Micro-crèche"]},
             "recapitulatif": {"sworn": ["y"], "submission": ["0" * 32]}}
    with app.app_context():
        service.prefill_draft(db.session.get(AidApplication, application_id), steps)
        db.session.commit()
        draft = Draft.query.filter_by(kind=application_draft_kind(application_id)).one()
        assert "recapitulatif" not in draft.data["steps"] and draft.data["passed"] == ["preambule", "criteres"]
    client = armees_login("member")
    response = client.get(wizard_url(application_id))
    assert response.status_code == 303 and location(response) == wizard_url(application_id, "informations")
    client.post(wizard_url(application_id, "informations"), data={**INFORMATIONS, "suivant": "1"})
    soup = page(client, wizard_url(application_id, "dossier"))
    assert soup.select_one("select[name=f_mode_garde] option[selected]")["value"] == "Micro-crèche"


def test_the_offices_directory_by_postcode_with_and_without_javascript(armees_login):
    client = armees_login("member")
    soup = page(client, f"{START}/preambule?cp=92130")
    assert "Échelon social de Paris" in soup.select_one("#antennes").get_text()
    soup = fragment(client, f"{START}/preambule?cp=92130")
    assert soup.select_one("#antennes") and not soup.select("nav[aria-label=Étapes]")
    soup = fragment(client, f"{START}/preambule?cp=00000")
    assert "Aucune antenne" in soup.get_text()
    soup = page(client, f"{START}/preambule")
    assert soup.select_one("a[href]", string="Guide d’aide à la saisie")


def test_with_htmx_steps_are_swapped_and_transmit_redirects_the_whole_page(app, armees_login):
    hx = {"HX-Request": "true"}
    client = armees_login("member")
    application_id = pass_eligibility(client)
    soup = fragment(client, wizard_url(application_id, "informations"), headers=hx)
    assert soup.select_one("div#demande > form#demande-formulaire")
    assert soup.response.headers["HX-Push-Url"] == wizard_url(application_id, "informations")
    soup = fragment(client, wizard_url(application_id, "informations"), method="post", headers=hx,
                    data={**INFORMATIONS, "phone": "", "suivant": "1"})
    assert errors_of(soup) == ["Saisissez votre numéro de téléphone."]
    # The cascade refreshed with htmx: only its part of the step.
    soup = fragment(client, wizard_url(application_id, "informations"), method="post", headers=hx,
                    data={**INFORMATIONS, "rank": "officier", "employer": "",
                          "actualiser": "situation-professionnelle"})
    assert soup.select_one("#situation-professionnelle") and not soup.select_one("#demande")
    fill_until_recap(client, application_id)
    soup = page(client, wizard_url(application_id, "recapitulatif"))
    token = soup.select_one("input[name=submission]")["value"]
    response = client.post(wizard_url(application_id, "recapitulatif"), headers=hx,
                           data={"sworn": "y", "submission": token, "suivant": "1"},
                           content_type="multipart/form-data")
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].endswith(f"/armees/demandes/{application_id}/confirmation")


def test_the_family_table_is_edited_in_the_step_and_required(app, armees_login):
    client = armees_login("member")
    application_id = pass_eligibility(client)
    client.post(wizard_url(application_id, "informations"), data={**INFORMATIONS, "suivant": "1"})
    url = wizard_url(application_id, "dossier")
    without_rows = {k: v for k, v in DOSSIER.items() if not k.startswith("f_famille")}
    soup = submit(client, url, {**without_rows, "suivant": "1"}, status=422)
    assert any("Composition de la famille" in e or "ligne" in e for e in errors_of(soup)), errors_of(soup)
    # « Ajouter » without JavaScript: the row form in the step, what was typed elsewhere kept.
    submit(client, url, {**without_rows, "f_famille-ajouter": "1"})
    soup = page(client, url)
    assert soup.select_one("input[name='f_famille-ligne-nom']") is not None
    assert soup.select_one("input[name=f_frais_mensuels]")["value"] == "1 234,5"
    submit(client, url, {**without_rows, "f_famille-ouvert": "nouvelle", "f_famille-ligne-nom": "Lefèvre",
                         "f_famille-ligne-prenom": "Léo", "f_famille-ligne-naissance": "12/05/2023",
                         "f_famille-ligne-lien": "Enfant", "f_famille-enregistrer": "1"})
    soup = page(client, url)
    assert [th.get_text() for th in soup.select("table tbody th")] == ["Lefèvre"]
    response = client.post(url, data={**without_rows, "f_famille-0-nom": "Lefèvre", "f_famille-0-prenom": "Léo",
                                      "f_famille-0-naissance": "2023-05-12", "f_famille-0-lien": "Enfant",
                                      "suivant": "1", **documents(*GARDE_DOCUMENTS)},
                           content_type="multipart/form-data")
    assert response.status_code == 303 and location(response) == wizard_url(application_id, "recapitulatif")
    soup = page(client, wizard_url(application_id, "recapitulatif"))
    assert "1. Nom : Lefèvre · Prénom : Léo · Date de naissance : 12/05/2023 · Lien de parenté : Enfant" in \
        soup.get_text()


STORED_IBAN = "FR7630006000011234567890189"
NEW_IBAN = "FR1420041010050500013M02606"
WITHOUT_BANK = {k: v for k, v in DOSSIER.items() if k not in ("account_holder", "iban")}


def stored_bank(app, armees):
    """The member's profile holds the bank details of an earlier processed application."""
    with app.app_context():
        db.session.add(RessortissantProfile(user_id=armees["member"], iban=STORED_IBAN,
                                            account_holder="Éloïse Lefèvre", bic="AGRIFRPPXXX"))
        db.session.commit()


def at_dossier(client):
    application_id = pass_eligibility(client)
    client.post(wizard_url(application_id, "informations"), data={**INFORMATIONS, "suivant": "1"})
    return application_id


def bank_inputs(soup):
    return soup.select("input[name=account_holder], input[name=iban], input[name=bic], input[name=bank_abroad]")


def test_the_bank_details_of_a_processed_application_are_shown_read_only(app, armees, armees_login):
    stored_bank(app, armees)
    client = armees_login("member")
    application_id = at_dossier(client)
    soup = page(client, wizard_url(application_id, "dossier"))
    block = soup.select_one("#domiciliation")
    assert "Votre RIB est déjà enregistré" in block.get_text()
    assert "FR76 3000 6000 0112 3456 7890 189" in block.get_text() and "AGRIFRPPXXX" in block.get_text()
    assert "Éloïse Lefèvre" in block.get_text()
    assert bank_inputs(soup) == []
    button = block.select_one("button[name=bank_new]")
    assert button.get_text(strip=True) == "Utiliser une nouvelle domiciliation bancaire"
    assert button["value"] == "1" and button["hx-target"] == "#domiciliation"
    # « Votre RIB est déjà enregistré »: the RIB is not asked again.
    rib = soup.select_one("#justificatifs-fichier-rib-titre")
    assert "obligatoire" not in rib.get_text()
    # Forged bank fields are ignored: the stored details are what « Suivant » keeps.
    response = client.post(wizard_url(application_id, "dossier"),
                           data={**DOSSIER, "iban": NEW_IBAN, "account_holder": "Quelqu’un d’autre", "suivant": "1",
                                 **documents("qualite-ressortissant", "avis-imposition", "justificatif-garde")},
                           content_type="multipart/form-data")
    assert response.status_code == 303 and location(response) == wizard_url(application_id, "recapitulatif")
    transmit(client, application_id)
    with app.app_context():
        data = db.session.get(AidApplication, application_id).data
        assert data["bank"] == {"abroad": False, "holder": "Éloïse Lefèvre", "iban": STORED_IBAN,
                                "bic": "AGRIFRPPXXX"}


def test_a_new_bank_account_without_javascript(app, armees, armees_login):
    stored_bank(app, armees)
    client = armees_login("member")
    application_id = at_dossier(client)
    url = wizard_url(application_id, "dossier")
    # The button posts the step, which is shown again (nothing validated) with empty fields.
    soup = submit(client, url, {**WITHOUT_BANK, "bank_new": "1"})
    assert "Votre RIB est déjà enregistré" not in soup.get_text()
    assert soup.select_one("input[name=account_holder]")["value"] == ""
    assert soup.select_one("input[name=iban]").get("value", "") == ""
    assert soup.select_one("input[type=hidden][name=bank_new]")["value"] == "1"
    assert soup.select_one("button[name=bank_new]") is None
    assert "obligatoire" in soup.select_one("#justificatifs-fichier-rib-titre").get_text()
    assert soup.select_one("input[name=f_frais_mensuels]")["value"] == "1 234,5"  # nothing lost
    # The choice is kept in the draft: after « Enregistrer », the new details are resumed.
    response = client.post(url, data={**WITHOUT_BANK, "bank_new": "1", "account_holder": "Zoé Lefèvre",
                                      "iban": NEW_IBAN, "enregistrer": "1"})
    assert response.status_code == 303
    soup = page(client, url)
    assert soup.select_one("input[name=account_holder]")["value"] == "Zoé Lefèvre"
    assert soup.select_one("input[name=bic]")["value"] == "PSSTFRPP"
    # The new account needs its RIB; then its details are the application's.
    response = client.post(url, data={**WITHOUT_BANK, "bank_new": "1", "account_holder": "Zoé Lefèvre",
                                      "iban": NEW_IBAN, "suivant": "1",
                                      **documents("qualite-ressortissant", "avis-imposition", "justificatif-garde")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    response = client.post(url, data={**WITHOUT_BANK, "bank_new": "1", "account_holder": "Zoé Lefèvre",
                                      "iban": NEW_IBAN, "suivant": "1", **documents("rib")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    transmit(client, application_id)
    with app.app_context():
        assert db.session.get(AidApplication, application_id).data["bank"]["iban"] == NEW_IBAN


def test_a_new_bank_account_with_htmx_swaps_the_bank_block(app, armees, armees_login):
    stored_bank(app, armees)
    client = armees_login("member")
    application_id = at_dossier(client)
    url = wizard_url(application_id, "dossier")
    soup = fragment(client, url, method="post", data={**WITHOUT_BANK, "bank_new": "1", "actualiser": "domiciliation"})
    block = soup.select_one("#domiciliation")
    assert block is not None and soup.select_one("#demande") is None  # only the bank block
    holder = block.select_one("input[name=account_holder]")
    assert holder["value"] == "" and holder.has_attr("autofocus")  # the focus goes to the new details
    assert block.select_one("input[type=hidden][name=bank_new]")["value"] == "1"
    # The documents, out of band: the RIB is required again.
    documents_block = soup.select_one("#justificatifs-contenu")
    assert documents_block["hx-swap-oob"] == "true"
    assert "obligatoire" in documents_block.select_one("#justificatifs-fichier-rib-titre").get_text()
    # Kept in the draft: the whole step, loaded again, asks for the new details.
    soup = page(client, url)
    assert soup.select_one("input[name=iban]") is not None and "Votre RIB est déjà enregistré" not in soup.get_text()


def test_without_stored_details_the_fields_are_typed(app, armees, armees_login):
    client = armees_login("member")
    application_id = at_dossier(client)
    soup = page(client, wizard_url(application_id, "dossier"))
    assert "Vous déposez une demande pour la première fois" in soup.get_text()
    assert len(bank_inputs(soup)) == 4 and soup.select_one("[name=bank_new]") is None


def test_a_decision_keeps_the_bank_details_on_the_profile(app, armees, make_application):
    from blueprints.armees import service
    from models import User
    from tests.armees.test_agent import DATA
    application_id = make_application(state="instruction", data=DATA)
    with app.app_context():
        assert service.stored_bank(db.session.get(User, armees["member"])) is None
        application = db.session.get(AidApplication, application_id)
        service.decide(application, db.session.get(User, armees["agent"]), "accordee", amount_cents=12000,
                       hooks=False)
        db.session.commit()
        assert service.stored_bank(db.session.get(User, armees["member"])) == {
            "abroad": False, "holder": DATA["bank"]["holder"], "iban": DATA["bank"]["iban"], "bic": DATA["bank"]["bic"]}
