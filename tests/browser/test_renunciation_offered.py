"""Issue 13, point 5, without JavaScript: on the ODS 2 form, a partner who never presses the
« Afficher les questions… » buttons is still offered the optional renunciation questions before
the request is filed: « Valider » brings the form back once with them open, everything kept."""
import re

import pytest

from tests.browser.conftest import expect, expect_error_summary
from tests.browser.test_partenaires import (CARE, CAUSES, CONSENT, DURATION, ODS2, RENUNCIATION, SAISINE, VICTOR,
                                            enter_gironde, tag)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("js", [False], ids=["sans-js"])
def test_renunciation_questions_offered_before_filing_without_js(browser_page):
    browsing, page = browser_page, browser_page.page
    enter_gironde(browsing, VICTOR)
    page.get_by_role("link", name=f"Nouvelle demande : {ODS2}").click()
    browsing.check()
    last_name = f"renonce-{tag()}"
    comment = f"Situation {last_name} : plus de médecin traitant."

    def fill_person():
        page.get_by_role("group", name=re.compile("^Civilité")).get_by_label("Monsieur", exact=True).check()
        page.get_by_label(re.compile(r"^Nom \*")).fill(last_name)
        page.get_by_label(re.compile(r"^Prénom \*")).fill("paul")
        page.get_by_label(re.compile(r"^Date de naissance")).fill("12/03/1958")
        page.get_by_label(re.compile(r"^Lieu de naissance")).fill("33")
        page.get_by_label(re.compile(r"^Téléphone")).fill("0600000000")
        page.get_by_label(re.compile(r"^Commentaires")).fill(comment)

    def expect_person_kept():
        expect(page.get_by_label(re.compile(r"^Nom \*"))).to_have_value(last_name.upper())
        expect(page.get_by_label(re.compile(r"^Commentaires"))).to_have_value(comment)
        expect(page.get_by_label(re.compile(r"^Motif de la demande")).locator("option:checked")).to_have_text(SAISINE)

    # The motive chosen, « Valider » straight away: its required questions come back as errors.
    page.get_by_label(re.compile(r"^Motif de la demande")).select_option(label=SAISINE)
    fill_person()
    page.get_by_role("button", name="Valider", exact=True).click()
    browsing.check()
    expect_error_summary(browsing, "Sélectionnez au moins un cadre d’accompagnement santé.")
    expect_person_kept()
    expect(page.get_by_role("group", name=CARE)).to_have_count(0)

    # Consent and a renunciation answer, « Valider » again: not filed yet, the three optional
    # questions are offered, open, with everything kept.
    page.get_by_role("switch", name=CONSENT).check()
    page.get_by_label(RENUNCIATION, exact=True).check()
    page.get_by_role("button", name="Valider", exact=True).click()
    browsing.check(shot="ods2-renoncement-propose")
    expect(browsing.h1()).to_have_text(ODS2)
    expect(page).not_to_have_title(re.compile(r"^Erreur"))
    expect(page.get_by_role("status").filter(has_text="trois questions facultatives")).to_be_visible()
    for legend in (CARE, DURATION, CAUSES):
        expect(page.get_by_role("group", name=legend)).to_be_visible()
    expect(page.get_by_role("switch", name=CONSENT)).to_be_checked()
    expect(page.get_by_label(RENUNCIATION, exact=True)).to_be_checked()
    expect_person_kept()

    # Answered, then « Valider »: filed, with the answers.
    page.get_by_role("group", name=CARE).get_by_label("Pharmacie", exact=True).check()
    page.get_by_role("group", name=DURATION).get_by_label("Plus d'1 an", exact=True).check()
    page.get_by_role("button", name="Valider", exact=True).click()
    browsing.check()
    expect(browsing.h1()).to_have_text("Demande envoyée")
    number = page.locator(".request-number").inner_text().strip()
    from models import PartnerRequest
    with browsing.server.app.app_context():
        saved = PartnerRequest.query.filter_by(number=number).one()
        assert saved.person_last_name == last_name.upper()
        assert saved.saisine["care"] == ["Pharmacie"] and saved.saisine["duration"] == "Plus d'1 an"
        assert saved.saisine["frameworks"] == [RENUNCIATION]
