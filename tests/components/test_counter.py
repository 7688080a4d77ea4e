"""Live character counter: counted in code points on the server exactly as the browser counts them
(`Array.from`), line breaks counting one; limits enforced with French messages; markup that works
without JavaScript; and, in Chromium, the counter and its polite announcement once typing pauses."""
import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms.validators import DataRequired, Optional

from forms.fields import CountedTextAreaField
from tests.components.inprocess_browser import in_browser
from tests.helpers import page, submit

DEMO = "/composants/demo?theme=famille-logement&subject=allocations-familiales&reason=changement-situation"
DEMO_FIELDS = {"theme": "famille-logement", "subject": "allocations-familiales", "reason": "changement-situation",
               "country": "FR", "commune-recherche": "33000", "commune": "33063-33000"}


class MessageForm(FlaskForm):
    class Meta:
        csrf = False

    message = CountedTextAreaField("Message", [DataRequired("Saisissez votre message.")],
                                   max_chars=10, min_chars=3)
    note = CountedTextAreaField("Note", [Optional()], max_chars=5,
                                too_long="La note doit faire {max} caractères maximum : il en fait {count}.")


def text_of(element):
    return " ".join(element.get_text().split())


def validate(app, **data):
    with app.test_request_context():
        form = MessageForm(formdata=MultiDict(data))
        form.validate()
        return form


@pytest.mark.parametrize("text,count", [
    ("é" * 10, 10),                      # precomposed é: one code point (two bytes in UTF-8)
    ("😀" * 10, 10),                     # emoji: one code point (two UTF-16 units, four bytes)
    ("e\u0301" * 5, 10),                 # e + combining accent: two code points, as Array.from counts
    ("👨\u200d👩\u200d👧" + "abcde", 10),  # a family emoji is five code points joined by ZWJ
    ("a\r\nb\r\nc\r\nd\r\ne", 9),        # CRLF as posted by browsers counts one, like the JS counter
    ("a\rb\nc", 5),
])
def test_code_points_are_counted_like_the_browser(app, text, count):
    form = validate(app, message=text)
    assert len(form.message.data) == count
    assert "\r" not in form.message.data
    assert not form.message.errors


def test_crlf_is_stored_as_lf(app):
    assert validate(app, message="Ligne 1\r\nLigne 2").message.data == "Ligne 1\nLigne 2"


def test_one_over_the_limit_is_refused_with_a_french_message(app):
    assert validate(app, message="é" * 10).message.errors == []
    assert validate(app, message="é" * 11).message.errors == [
        "Le texte doit faire 10 caractères maximum (il en fait 11)."]
    # Ten emoji plus a CRLF: 11 characters, although 42 bytes and 22 UTF-16 units.
    assert validate(app, message="😀" * 5 + "\r\n" + "😀" * 5).message.errors[0].startswith(
        "Le texte doit faire 10 caractères maximum")


def test_minimum_is_enforced_but_empty_is_left_to_the_required_rule(app):
    assert validate(app, message="ab").message.errors == ["Le texte doit faire au moins 3 caractères."]
    assert validate(app, message="abc").message.errors == []
    assert validate(app, message="").message.errors == ["Saisissez votre message."]
    assert validate(app, message="   ").message.errors[-1] == "Saisissez votre message."
    assert validate(app, message="abc", note="").note.errors == []


def test_messages_can_name_the_field(app):
    assert validate(app, message="abc", note="123456").note.errors == [
        "La note doit faire 5 caractères maximum : il en fait 6."]


def test_limit_text_is_the_static_hint(app):
    with app.test_request_context():
        assert MessageForm().message.limit_text == "10 caractères maximum"


# --- Markup (demo page), JavaScript off --------------------------------------------------------

def test_markup_without_js_has_label_hint_static_limit_and_live_region(citizen_client):
    soup = page(citizen_client, DEMO)
    textarea = soup.select_one("textarea#message[name=message]")
    assert soup.select_one("label[for=message]").get_text(" ", strip=True).startswith("Votre message")
    assert not textarea.has_attr("maxlength"), "maxlength compte en UTF-16 : une émoji compterait deux"
    described = textarea["aria-describedby"].split()
    assert described == ["message-aide", "message-limite"]
    assert soup.select_one("#message-aide").get_text(strip=True).startswith("10 caractères minimum")
    assert soup.select_one("#message-limite").get_text(strip=True) == "750 caractères maximum"
    counter = soup.select_one("[data-counter-for=message]")
    assert counter["data-max"] == "750" and counter.get_text() == ""
    live = soup.select_one(f"#{counter['id']}-live")
    assert live["aria-live"] == "polite" and "visually-hidden" in live["class"]
    # The counter itself is not a live region: it changes at every keystroke.
    assert not counter.has_attr("aria-live") and not counter.has_attr("role")


def test_server_refuses_too_long_and_too_short_and_keeps_the_text(citizen_client):
    too_long = "😀" * 700 + "\r\n" * 51  # 751 characters, 2,902 bytes
    soup = submit(citizen_client, DEMO, dict(DEMO_FIELDS, message=too_long), status=422)
    textarea = soup.select_one("textarea#message")
    assert textarea.get_text().lstrip("\r\n") == "😀" * 700 + "\n" * 51
    assert textarea["aria-invalid"] == "true"
    assert textarea["aria-describedby"].split() == ["message-aide", "message-limite", "message-erreur"]
    error = "Le message doit faire 750 caractères maximum : il en fait 751. Raccourcissez-le."
    assert text_of(soup.select_one("#message-erreur")) == "Erreur : " + error
    assert [a.get_text() for a in soup.select(".error-summary a[href='#message']")] == [error]

    soup = submit(citizen_client, DEMO, dict(DEMO_FIELDS, message="Trop"), status=422)
    assert text_of(soup.select_one("#message-erreur")) == \
        "Erreur : Le message doit faire au moins 10 caractères : il en fait 4."


def test_exactly_the_limit_with_crlf_line_breaks_is_accepted(citizen_client):
    text = ("é" * 9 + "\r\n") * 75  # 750 characters once CRLF counts one
    soup = submit(citizen_client, DEMO, dict(DEMO_FIELDS, message=text))
    assert soup.select_one("#demo-confirmation").get_text(strip=True) == "Votre saisie a bien été enregistrée."


# --- In Chromium, JavaScript on ------------------------------------------------------------------

@pytest.mark.browser
def test_live_counter_counts_code_points_and_announces_once_typing_pauses(citizen_client):
    def flow(p):
        from playwright.sync_api import expect
        p.goto(DEMO)
        counter, live = p.locator("#message-compteur"), p.locator("#message-compteur-live")
        expect(counter).to_have_text("750 caractères restants.")
        p.clock.run_for(5000)
        expect(live).to_have_text("")  # nothing announced on page load

        textarea = p.locator("#message")
        textarea.press_sequentially("Bonjour é😀")
        textarea.press("Enter")
        expect(counter).to_have_text("739 caractères restants.")
        expect(live).to_have_text("")  # not at every keystroke…
        p.clock.run_for(1500)
        expect(live).to_have_text("739 caractères restants.")  # …but once typing pauses

        textarea.fill("e\u0301" * 374 + "ab")
        expect(counter).to_have_text("0 caractère restant.")
        textarea.fill("a" * 752)
        expect(counter).to_have_text("Vous avez dépassé la limite de 2 caractères.")
        expect(counter).to_have_class("counter counter--over")
        textarea.fill("😀" * 749)
        expect(counter).to_have_text("1 caractère restant.")
        expect(counter).to_have_class("counter")
    in_browser(citizen_client, flow, clock=True)


@pytest.mark.browser
def test_what_the_counter_accepts_the_server_accepts(citizen_client):
    def flow(p):
        from playwright.sync_api import expect
        p.goto(DEMO)
        p.select_option("#country", "BE")  # abroad: a free-text town, fetched by htmx
        p.locator("#city_abroad").fill("Liège")
        textarea = p.locator("#message")
        textarea.fill("é😀\n" * 250)  # posted with CRLF line breaks: 1,000 code units, 750 characters
        expect(p.locator("#message-compteur")).to_have_text("0 caractère restant.")
        p.get_by_role("button", name="Valider").click()
        expect(p.locator("#demo-confirmation")).to_have_text("Votre saisie a bien été enregistrée.")
        expect(p.locator(".summary-list")).to_contain_text("750 caractères")
    in_browser(citizen_client, flow)
