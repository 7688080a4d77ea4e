"""Bad input never gives a 500 (issue point 8, and what the fuzz suite in tests/fuzz found): ids
beyond 2³¹ in URLs are a plain 404, control characters in a path or a search box are a 400 with a
French page, and each bug found behind a form answers the form's own French error."""
import pytest
from werkzeug.exceptions import NotFound

from core.inputs import BAD_INPUT_MESSAGE, MAX_ID, to_id
from extensions import db
from models import Conversation, ConversationMessage, MsaMember
from tests import factories
from tests.helpers import errors_of, fragment, page, submit

HUGE_IDS = ["2147483648", "9223372036854775808", "99999999999999999999", "9" * 5000]


def logged_in(app, email):
    client = app.test_client()
    response = client.post("/compte/connexion", data={"email": email, "password": factories.PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def make_world(app):
    """A technician (organisation chosen) and an agent of CPAM GIRONDE with a request; an MSA
    member with a conversation."""
    with app.app_context():
        org, structure = factories.partner_setup("CPAM GIRONDE", "331")
        technician = factories.technician(structure, email="technicien@example.fr")
        factories.user(email="agent@example.fr", role="agent", organisation=org)
        msa = factories.organisation(portal="msa", code="MSA33", name="MSA Gironde")
        member = factories.user(email="adherent@example.fr", first_name="Jeanne", last_name="Lacoste")
        db.session.add(MsaMember(user=member, nir="2850733063001", organisation=msa))
        conversation = Conversation(member=member, organisation=msa, theme="sante", subject="remboursements",
                                    reason="delai", object_label="Santé > Remboursements de soins > Délai")
        db.session.add_all([conversation,
                            ConversationMessage(conversation=conversation, author=member, body="Ma question.")])
        db.session.flush()
        request = factories.partner_request(org, technician, person_last_name="PRINCE")
        db.session.commit()
        ids = {"org": org.id, "request": request.id, "number": request.number, "conversation": conversation.id}
    technician_client = logged_in(app, "technicien@example.fr")
    assert technician_client.post("/partenaires/organisme", data={"organisation": str(ids["org"])}).status_code == 302
    return {"app": app, "ids": ids, "technician": technician_client,
            "agent": logged_in(app, "agent@example.fr"), "member": logged_in(app, "adherent@example.fr")}


@pytest.fixture
def world(app):
    return make_world(app)


@pytest.fixture
def any_db_world(any_db_app):
    """The same world on SQLite and PostgreSQL: for what reaches the database."""
    return make_world(any_db_app)


def assert_bad_input_page(soup):
    assert soup.h1.get_text(strip=True) == "Requête incorrecte"
    assert soup.select_one(".error-page p").get_text(strip=True) == BAD_INPUT_MESSAGE
    assert soup.select_one(".error-page .hint").get_text(strip=True) == "Code d’erreur : 400"


# --- Ids beyond 2³¹ - 1 in URLs: 404 -------------------------------------------------------------

def test_ids_beyond_the_database_integer_are_a_plain_404(any_db_world):
    world = any_db_world
    for who, url in [("agent", "/agent/partenaires/demandes/{}"), ("technician", "/composants/pieces-jointes/{}"),
                     ("member", "/msa/messages/{}"), ("member", "/msa/messages/{}/envoye"),
                     ("agent", "/agent/partenaires/organismes/{}/parametres")]:
        for huge in HUGE_IDS:
            soup = page(world[who], url.format(huge), status=404)
            assert soup.h1.get_text(strip=True) == "Page introuvable"
            frag = fragment(world[who], url.format(huge), status=404)
            assert frag.select_one("h1").get_text(strip=True) == "Page introuvable"


@pytest.mark.parametrize("url", ["/msa/messages/{}", "/msa/messages/{}/visibilite"])
def test_posting_to_a_huge_id_is_a_404_too(world, url):
    response = world["member"].post(url.format("99999999999999999999"), data={"action": "masquer"})
    assert response.status_code == 404


def test_the_largest_id_still_reaches_the_view(world):
    # 2³¹ - 1 is a valid id: the view looks it up (and finds nothing), for the owner's 404.
    app = world["app"]
    adapter = app.url_map.bind("guichet.test")
    assert adapter.match(f"/msa/messages/{MAX_ID}") == ("msa.messages_conversation", {"conversation_id": MAX_ID})
    for raw in ["2147483648", "٣", "²", "-1", "+1"]:
        with pytest.raises(NotFound):
            adapter.match(f"/msa/messages/{raw}")
    assert page(world["member"], f"/msa/messages/{world['ids']['conversation']}").h1 is not None
    page(world["member"], f"/msa/messages/{MAX_ID}", status=404)


def test_url_for_still_builds_integer_urls(world):
    app = world["app"]
    with app.test_request_context():
        from flask import url_for
        assert url_for("msa.messages_conversation", conversation_id=7) == "/msa/messages/7"


# --- Control characters: 400 with a French page ---------------------------------------------------

def test_nul_byte_in_a_search_box(any_db_world):
    """PostgreSQL refuses NUL in any text: the search never gets that far."""
    world = any_db_world
    for search in ["PRINCE\x00", "\x00", "2633\x00100001", "PRI\x1bNCE"]:
        soup = page(world["technician"], "/partenaires/demandes", status=400, query_string={"recherche": search})
        assert_bad_input_page(soup)
        soup = page(world["agent"], "/agent/partenaires/", status=400, query_string={"recherche": search})
        assert_bad_input_page(soup)
    # The same searches without it find the request.
    number = world["ids"]["number"]
    soup = page(world["technician"], "/partenaires/demandes", query_string={"recherche": "PRINCE"})
    assert number in soup.select_one("#historique-resultats").get_text()
    soup = page(world["agent"], "/agent/partenaires/", query_string={"recherche": "PRINCE"})
    assert number in soup.select_one("#file-demandes").get_text()


def test_nul_byte_in_an_htmx_search_answers_a_fragment(world):
    frag = fragment(world["technician"], "/partenaires/demandes?recherche=%00", status=400)
    assert frag.select_one("h1").get_text(strip=True) == "Requête incorrecte"
    assert frag.select_one("p").get_text(strip=True) == BAD_INPUT_MESSAGE


def test_nul_byte_in_the_path(world):
    assert_bad_input_page(page(world["technician"], "/partenaires/demandes/%00", status=400))
    assert_bad_input_page(page(world["technician"], "/partenaires/demandes/2633100001%0A", status=400))


def test_every_value_of_a_search_box_is_checked(world):
    response = world["technician"].get("/partenaires/demandes?recherche=PRINCE&recherche=%00")
    assert response.status_code == 400
    response = world["technician"].get("/composants/communes?champ=ville&ville-recherche=Bor%00")
    assert response.status_code == 400


def test_other_parameters_keep_their_own_rules(world):
    # Not a search box: an unknown filter value falls back to the default (tests/partenaires/test_history.py).
    soup = page(world["technician"], "/partenaires/demandes?page=%00&statut=%1B")
    assert world["ids"]["number"] in soup.select_one("#historique-resultats").get_text()


def test_tab_and_line_breaks_are_allowed_in_text(world):
    ids = world["ids"]
    body = "Bonjour,\r\n\tvoici ma réponse à la question posée."
    response = world["member"].post(f"/msa/messages/{ids['conversation']}", data={"body": body})
    assert response.status_code == 303  # post/redirect/get
    with world["app"].app_context():
        last = ConversationMessage.query.order_by(ConversationMessage.id.desc()).first()
        assert last.body == "Bonjour,\n\tvoici ma réponse à la question posée."
    soup = page(world["technician"], "/partenaires/demandes", query_string={"recherche": "PRINCE\tMarius"})
    assert soup.h1 is not None


# --- Bugs found behind forms by the fuzz suite -------------------------------------------------------

@pytest.mark.parametrize("value", ["99999999999999999999", "9" * 5000, "²", "١"])
def test_organisation_choice_with_a_number_no_organisation_can_have(world, value):
    soup = submit(world["technician"], "/partenaires/organisme", {"organisation": value}, status=422)
    assert errors_of(soup) == ["Sélectionnez un organisme de la liste."]
    response = world["technician"].post("/partenaires/organisme/continuer", data={"organisation": value})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/partenaires/organisme")


@pytest.mark.parametrize("url", ["/agent/partenaires/organismes/{org}/conventions/nouvelle",
                                 "/agent/partenaires/organismes/{org}/conventions/{convention}"])
def test_a_required_date_made_of_spaces_is_refused(world, url):
    app, ids = world["app"], world["ids"]
    with app.app_context():
        from models import Convention
        convention = Convention.query.filter_by(organisation_id=ids["org"]).first().id
    data = {"new_structure": "Association des espaces", "start_date": "   "}
    soup = submit(world["agent"], url.format(org=ids["org"], convention=convention), data, status=422)
    assert errors_of(soup) == ["Saisissez la date de début de la convention."]
    message = soup.select_one("#start_date-erreur")
    assert message.get_text(" ", strip=True) == "Erreur : Saisissez la date de début de la convention."


def test_removing_an_attachment_whose_id_has_too_many_digits(world):
    client = world["technician"]
    soup = page(client, "/composants/demo?theme=famille-logement&subject=paiements-famille&reason=date-paiement")
    lot = soup.select_one("input[name='pieces_jointes-lot']")["value"]
    frag = fragment(client, "/composants/pieces-jointes/retirer?champ=pieces_jointes", method="post",
                    data={"pieces_jointes-lot": lot, "pieces_jointes-retirer": "9" * 5000})
    assert frag.select_one("input[name='pieces_jointes-lot']")["value"] == lot


@pytest.mark.parametrize("nir", ["185²733063001", "1²50733063001", "١٨٥٠٧٣٣٠٦٣٠٠١", "18507330630①1"])
def test_a_nir_with_digits_from_other_scripts_is_refused(nir):
    from core import nir as nir_rules
    assert nir_rules.problem(nir) == nir_rules.MSG_CHARACTERS


@pytest.mark.parametrize("raw,expected", [
    ("12", 12), (" 7 ", 7), (str(MAX_ID), MAX_ID), ("2147483648", None), ("9" * 5000, None),
    ("²", None), ("١", None), ("-1", None), ("1.0", None), ("", None), (None, None),
])
def test_to_id(raw, expected):
    assert to_id(raw) == expected
