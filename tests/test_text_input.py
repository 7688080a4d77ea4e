"""Free text and names (issue 8, points 9–11): invisible and bidirectional characters never reach
what an agent reads, names hold only name characters, and drafts stay server-side."""
import pytest

from extensions import db
from forms.base import INVISIBLE, strip_invisible
from models import Conversation, ConversationMessage, Draft
from tests.auth.test_registration import VALID
from tests.helpers import errors_of, submit
from tests.msa.test_messages import CODES_PLAIN, NEW, member_client, members, send, write_step  # noqa: F401

HIDDEN = "\u202e\u2066\u200b\u200f\ufeff\x00\x1b"


@pytest.mark.parametrize("ch", list(HIDDEN) + ["\u202a", "\u202b", "\u202c", "\u202d", "\u2067", "\u2068",
                                                "\u2069", "\u061c", "\u200e", "\u2060"])
def test_invisible_characters_are_stripped(ch):
    assert strip_invisible(f"2022{ch} €") == "2022 €"
    assert INVISIBLE.search(ch)


def test_visible_text_is_kept():
    text = "Élodie d’Arçay — 1 234,56 € ; ligne\r\nsuivante\ttab, 日本, emoji 🎉"
    assert strip_invisible(text) == text


def test_msa_message_is_stored_without_hidden_characters(app, member_client):
    response = send(member_client, CODES_PLAIN, f"Bonjour, montant {HIDDEN}2202 € reçu, merci de vérifier.")
    assert response.status_code == 303  # to the « envoyé » page (post/redirect/get)
    with app.app_context():
        body = ConversationMessage.query.one().body
    assert body == "Bonjour, montant 2202 € reçu, merci de vérifier."


def test_agent_answer_is_stored_without_hidden_characters(app, member_client, members, login):
    from models import Role
    from tests import factories
    send(member_client)
    with app.app_context():
        factories.user(email="agent@example.fr", role=Role.AGENT, organisation_id=members["org"])
        db.session.commit()
        conversation_id = Conversation.query.one().id
    agent = app.test_client()
    assert login(agent, "agent@example.fr").status_code == 302
    response = agent.post(f"/agent/msa/conversations/{conversation_id}/reponse",
                          data={"body": f"Réponse {HIDDEN}à votre demande : tout est en ordre."})
    assert response.status_code in (302, 303), response.status_code
    with app.app_context():
        answer = ConversationMessage.query.order_by(ConversationMessage.id.desc()).first()
        assert answer.body == "Réponse à votre demande : tout est en ordre."


# --- Names ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("field,value", [
    ("first_name", "Anne <http://evil.example>"), ("first_name", "Gagnez 1000 €"),
    ("last_name", "www.evil.example"), ("last_name", "---"),
])
def test_sign_up_names_hold_only_name_characters(client, outbox, field, value):
    soup = submit(client, "/compte/inscription", dict(VALID, **{field: value}), status=422)
    what = "prénom" if field == "first_name" else "nom"
    assert f"Le {what} ne peut contenir que des lettres, des espaces, des apostrophes et des tirets." in errors_of(soup)
    assert outbox("email") == []


def test_sign_up_accepts_real_names(client):
    soup = submit(client, "/compte/inscription", dict(VALID, first_name="Marie-Élise", last_name="d’Artagnan O'Neil"))
    assert soup.h1.get_text() == "Consultez votre boîte mail"


def test_msa_sign_up_names_are_checked_too(client, outbox):
    from tests.msa.test_auth import SIGNUP
    soup = submit(client, "/msa/inscription", dict(SIGNUP, first_name="Visitez evil.example"), status=422)
    assert "Le prénom ne peut contenir que des lettres, des espaces, des apostrophes et des tirets." in errors_of(soup)
    assert outbox("email") == []


# --- Drafts stay on the server --------------------------------------------------------------------

def test_message_draft_is_kept_server_side_not_in_the_cookie(app, member_client, members):
    text = "Un long message " * 40
    submit(member_client, NEW, write_step(CODES_PLAIN, text), status=303)  # « Valider »: to the summary
    with member_client.session_transaction() as session:
        assert all(text.strip()[:20] not in str(value) for value in session.values())
        assert "msa_message_draft" not in session
    with app.app_context():
        draft = Draft.query.filter_by(owner_id=members["a"], kind="msa.message").one()
        assert draft.data["body"] == text and draft.data["codes"] == CODES_PLAIN


def test_message_draft_survives_a_new_login(app, member_client, members, login):
    from tests.msa.test_messages import textarea_text
    from tests.helpers import page
    submit(member_client, NEW, write_step(CODES_PLAIN, "Texte à retrouver après reconnexion."), status=303)
    member_client.post("/compte/deconnexion")
    again = app.test_client()
    assert login(again, "membre@example.fr").status_code == 302
    soup = page(again, NEW + "?theme=famille-logement&subject=allocations-familiales&reason=dossier")
    assert textarea_text(soup) == "Texte à retrouver après reconnexion."


def test_web_addresses_in_a_message_are_safe_links(app, member_client):
    from tests.helpers import page
    send(member_client, CODES_PLAIN, "Voir https://www.msa.fr/lfp/aide et <a href='javascript:x'>ceci</a>, merci.")
    with app.app_context():
        conversation_id = Conversation.query.one().id
    body = page(member_client, f"/msa/messages/{conversation_id}").select_one("#msg-fil .user-text")
    assert [(a["href"], a["rel"]) for a in body.find_all("a")] == [("https://www.msa.fr/lfp/aide", ["nofollow"])]
    assert body.get_text() == "Voir https://www.msa.fr/lfp/aide et <a href='javascript:x'>ceci</a>, merci."
