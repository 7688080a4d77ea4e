"""Demo data of the Portail Des Aides (called by `flask demo`, core.demo): the ressortissant
« ressortissant@demo.guichet.fr » with « Mes informations » filled in, a draft whose first steps
are saved, transmitted applications in every state (built through APPLICATION_WORKFLOW without
notifications, their data as blueprints/armees/recap.py describes), an open complement request, a
decision received (its PDF letter in « Mes documents reçus ») with a payment, and a proof of
ressortissant status in « Mon porte-documents ». The Igesa organisation and its agent
« agent.igesa@demo.guichet.fr » come from core.demo. Running it twice changes nothing."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from blueprints.armees import catalogue, service
from core import drafts
from core.pdf import render_document
from core.uploads import attach_generated
from extensions import db
from models import CitizenProfile, Organisation, Role, User
from models.armees import (APPLICATION_WORKFLOW, COMPLEMENT_REASONS, CREATING, DONE, GRANTED, INSTRUCTING,
                           PORTE_DOCUMENTS, REFUSED, TAKEN, AidApplication, AidPayment, ComplementRequest,
                           RessortissantProfile, application_draft_kind)
from models.base import utcnow

RESSORTISSANT = "ressortissant@demo.guichet.fr"
AGENT = "agent.igesa@demo.guichet.fr"

INFORMATIONS = {
    "residence": "france", "birth_name": "", "phone": "02 98 00 12 34", "mobile": "06 12 34 56 78", "fax": "",
    "address_abroad": False, "address_line1": "3 rue de Siam", "address_line2": "Résidence Les Quais",
    "address_line3": "", "postcode": "29200", "insee": "29019", "city": "Brest", "country": "FR",
    "in_couple": True, "family_situation": "Marié(e)", "category": "militaire-actif", "rank": "sous-officier",
    "employer": "marine", "employer_organisation": "",
}
BANK = {"abroad": False, "holder": "Hélène KERGOAT", "iban": "FR7630006000011234567890189", "bic": "AGRIFRPPXXX"}
CHILDREN = [("Kergoat", "Maël", "2023-04-12", "Enfant"), ("Kergoat", "Anaïs", "2025-01-30", "Enfant")]

# (benefit, state, decision, days since transmission, dossier values)
APPLICATIONS: list[tuple[str, str, str | None, int, dict[str, Any]]] = [
    ("etudes-scolarite", TAKEN, None, 3, {"annee_scolaire": "2026-2027", "boursier": False}),
    ("secours-exceptionnel", INSTRUCTING, None, 12,
     {"nature": "Logement (loyer, énergie)", "description": "Régularisation de charges de chauffage après un hiver "
      "rigoureux ; échéancier refusé par le bailleur.", "montant": "850.00", "date_evenement": "2026-10-02"}),
    ("garde-jeunes-enfants", DONE, GRANTED, 45,
     {"mode_garde": "Crèche ou multi-accueil", "date_debut": "2026-09-01", "frais_mensuels": "420.00",
      "garde_partagee": False}),
    ("sejour-vacances-enfants", DONE, REFUSED, 60,
     {"organisme": "Vacances Léo Lagrange", "date_debut": "2026-07-06", "date_fin": "2026-07-17",
      "cout": "1180.00"}),
]


def _tables(benefit: catalogue.Benefit) -> dict[str, list[dict[str, str]]]:
    """Rows for the benefit's tables: the two children, each column filled by its name."""
    tables = {}
    for spec in benefit.tables:
        rows = []
        for last, first, born, link in CHILDREN:
            values = {"nom": last, "prenom": first, "naissance": born, "lien": link,
                      "etablissement": "Collège Kerichen, Brest"}
            row = {}
            for column in spec.columns:
                if column.type == "select":
                    row[column.name] = values[column.name] if values.get(column.name) in column.choices \
                        else column.choices[0]
                else:
                    row[column.name] = values.get(column.name, "")
            rows.append(row)
        tables[spec.name] = rows
    return tables


def _eligible_answers(benefit: catalogue.Benefit) -> dict[str, str]:
    return {q.name: (catalogue.NO if q.excluding == catalogue.YES else catalogue.YES) for q in benefit.eligibility}


def _data(benefit: catalogue.Benefit, dossier: dict[str, Any]) -> dict[str, Any]:
    return {"eligibility": _eligible_answers(benefit), "informations": dict(INFORMATIONS),
            "dossier": dossier, "tables": _tables(benefit), "bank": dict(BANK), "sworn": True}


def _member() -> tuple[User, list[str]]:
    member = User.query.filter_by(email=RESSORTISSANT).first()
    if member is not None:
        return member, []
    from core.demo import DEMO_PASSWORD
    member = User(email=RESSORTISSANT, role=Role.CITIZEN.value, first_name="Hélène", last_name="KERGOAT",
                  civility="Mme", password=DEMO_PASSWORD)
    db.session.add(member)
    db.session.add(CitizenProfile(user=member, birth_country="FR", birth_insee="29019", birth_postcode="29200",
                                  birth_city="Brest"))
    db.session.flush()
    return member, [f"Compte créé : {RESSORTISSANT} (ressortissant du Portail Des Aides)"]


def _profile(member: User, first_transmitted) -> None:
    profile = RessortissantProfile.of(member)
    for key, value in dict(INFORMATIONS).items():
        if hasattr(profile, key):
            setattr(profile, key, value)
    profile.bank_abroad, profile.account_holder, profile.iban, profile.bic = (
        BANK["abroad"], BANK["holder"], BANK["iban"], BANK["bic"])
    profile.first_transmitted_at = first_transmitted


def _proof_pdf(member: User) -> bytes:
    return render_document("Attestation de qualité de ressortissant", [
        (None, [f"Le ministère des Armées atteste que {member.first_name} {member.last_name} est ressortissant(e) "
                "de l’action sociale des armées."]),
        ("Ressortissant", [("Nom", member.last_name), ("Prénom", member.first_name),
                           ("Catégorie", "Militaire en activité")])], organisation="Ministère des Armées")


def seed_armees(orgs: Mapping[str, Organisation]) -> list[str]:
    org = orgs.get("IGESA")
    agent = User.query.filter_by(email=AGENT).first()
    if org is None or agent is None:
        return []
    member, lines = _member()
    if AidApplication.query.filter_by(user_id=member.id).first() is not None:
        db.session.commit()
        return lines
    now = utcnow()
    oldest = now - timedelta(days=max(days for *_, days, _ in APPLICATIONS))
    _profile(member, oldest)
    # « Mon porte-documents »: the proof of ressortissant status given with the first application.
    attach_generated(_proof_pdf(member), "attestation-qualite-ressortissant.pdf", owner=member,
                     subject_type=PORTE_DOCUMENTS.name, subject_id=member.id, document="qualite-ressortissant")
    for code, state, decision, days, dossier in APPLICATIONS:
        benefit = catalogue.get(code, include_unpublished=True)
        at = now - timedelta(days=days)
        application = AidApplication(user_id=member.id, organisation_id=org.id, benefit_code=code,
                                     benefit_label=benefit.label, data=_data(benefit, dossier))
        APPLICATION_WORKFLOW.start(application, member, now=at - timedelta(hours=2))
        application.give_reference(at)
        APPLICATION_WORKFLOW.fire(application, "transmit", member, now=at, hooks=False)
        if state in (INSTRUCTING, DONE):
            APPLICATION_WORKFLOW.fire(application, "start_instruction", agent, now=at + timedelta(days=2),
                                      hooks=False)
        if state == INSTRUCTING:
            # An open complement request (no mail: demo data).
            asked = [{"code": "justificatif-depense", "label": "Justificatif de la dépense", "reason": "illisible"},
                     {"code": "budget", "label": "Budget familial", "reason": "manquant"}]
            db.session.add(ComplementRequest(application=application, agent_id=agent.id,
                                             subject="Pièces à compléter pour l’instruction", documents=asked,
                                             message="Merci de nous transmettre une copie lisible de la facture.",
                                             created_at=at + timedelta(days=3)))
            APPLICATION_WORKFLOW.append(application, agent, "Pièces à compléter pour l’instruction : " + " ; ".join(
                f"{d['label']} ({COMPLEMENT_REASONS[d['reason']]})" for d in asked), kind="complement",
                now=at + timedelta(days=3))
        if state == DONE:
            decided = at + timedelta(days=10)
            service.decide(application, agent, decision, amount_cents=150000 if decision == GRANTED else None,
                           reason=None if decision == GRANTED else "Le séjour choisi n’est pas organisé par un "
                           "organisme agréé.", now=decided, hooks=False)
            if decision == GRANTED:
                db.session.add(AidPayment(application=application, paid_on=(decided + timedelta(days=5)).date(),
                                          amount_cents=75000, label="Premier versement", recorded_by_id=agent.id))
        lines.append(f"Demande {application.reference} ({benefit.label}) : {application.status_label}"
                     f"{' – ' + application.decision_label if application.decision else ''}")
    # A draft « En cours de création », its first steps saved by the wizard.
    benefit = catalogue.get("pret-social", include_unpublished=True)
    draft = AidApplication(user_id=member.id, organisation_id=org.id, benefit_code=benefit.code,
                           benefit_label=benefit.label, data={})
    APPLICATION_WORKFLOW.start(draft, member, now=now - timedelta(days=1))
    assert draft.status == CREATING
    db.session.commit()
    drafts.save(member, application_draft_kind(draft.id), {
        "steps": {"preambule": {}, "criteres": {k: [v] for k, v in _eligible_answers(benefit).items()}},
        "passed": ["preambule", "criteres"]}, step="informations")
    lines.append(f"Brouillon créé : {benefit.label} (En cours de création)")
    return lines
