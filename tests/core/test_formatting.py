"""French formats, registered once as Jinja filters: Paris time everywhere, « — » for nothing."""
from datetime import date, datetime, timezone

import pytest
from flask import render_template_string
from hypothesis import given, settings, strategies as st
from markupsafe import escape

from core.formatting import filesize, fr_date, fr_datetime


@pytest.mark.parametrize("utc, paris", [((2022, 2, 15, 13, 11), "15/02/2022 14h11min"),    # winter: UTC+1
                                         ((2026, 7, 15, 22, 30), "16/07/2026 00h30min")])  # summer: UTC+2
def test_datetimes_are_shown_in_paris_time(utc, paris):
    assert fr_datetime(datetime(*utc, tzinfo=timezone.utc)) == paris


def test_dates():
    assert fr_date(date(2022, 2, 5)) == "05/02/2022"
    assert fr_date(datetime(2026, 7, 15, 22, 30, tzinfo=timezone.utc)) == "16/07/2026"
    assert fr_date(None) == fr_datetime(None) == "—"


def test_sizes():
    assert [filesize(n) for n in (830, 3 * 1024, int(1.2 * 1024 * 1024))] == ["830 octets", "3 ko", "1,2 Mo"]


def test_registered_once_as_filters(app):
    with app.test_request_context():
        rendered = render_template_string("{{ d|fr_date }} {{ t|fr_datetime }} {{ n|filesize }}",
                                          d=date(2022, 2, 5), t=datetime(2022, 2, 15, 13, 11, tzinfo=timezone.utc),
                                          n=2048)
    assert rendered == "05/02/2022 15/02/2022 14h11min 2 ko"


def test_user_text_is_escaped_and_its_web_addresses_are_links():
    from bs4 import BeautifulSoup
    from core.formatting import linkify
    html = linkify("Voir https://www.service-public.fr/particuliers?a=1&b=2 <script>x</script> javascript:alert(1)\n"
                   "et http://guichet.test/msa/")
    soup = BeautifulSoup(str(html), "html.parser")
    assert not soup.find("script")
    assert [(a["href"], a["rel"]) for a in soup.find_all("a")] == [
        ("https://www.service-public.fr/particuliers?a=1&b=2", ["nofollow"]),
        ("http://guichet.test/msa/", ["nofollow"])]
    assert soup.get_text() == ("Voir https://www.service-public.fr/particuliers?a=1&b=2 <script>x</script> "
                               "javascript:alert(1)\net http://guichet.test/msa/")


@pytest.mark.parametrize("text, links", [
    ("http://127.0.0.1:5000/compte/mot-de-passe/reinitialiser/abc-DEF_1", ["http://127.0.0.1:5000/compte/mot-de-passe/reinitialiser/abc-DEF_1"]),
    ("Voir https://www.msa.fr/lfp/aide, merci.", ["https://www.msa.fr/lfp/aide"]),
    ("(voir http://guichet.test/x).", ["http://guichet.test/x"]),
    ("montant 1.5 et 1 234,56 € ; www.exemple.fr ; javascript:alert(1)", []),
])
def test_only_addresses_written_in_full_become_links(text, links):
    from bs4 import BeautifulSoup
    from core.formatting import linkify
    assert [a["href"] for a in BeautifulSoup(str(linkify(text)), "html.parser").find_all("a")] == links


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",))) | st.sampled_from(
    ["\r\n", "\r", "&amp;", "&#39;", "<b>", "</p>", "<!--", "]]>", "&nbsp;", "http:/", "www.", "@", "\x0c"])
).map("".join))
def test_a_text_without_an_address_is_shown_as_the_linker_would(text):
    """linkify's path for a text without an address (not parsed) gives exactly what the linker
    gives, to the byte: escaped text, line breaks normalised."""
    from core.formatting import _LINKER, linkify
    assert str(linkify(text)) == _LINKER.linkify(str(escape(text)))


def test_amounts_in_euros_never_wrap():
    from core.formatting import fr_amount
    assert fr_amount("1234.5") == "1\u00a0234,50\u00a0€"
    assert fr_amount(123456, cents=True) == "1\u00a0234,56\u00a0€"
    assert fr_amount(-5) == "-5,00\u00a0€"
    assert fr_amount("0.005") == "0,01\u00a0€"
    assert fr_amount(None) == fr_amount("") == ""
