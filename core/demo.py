"""Demo data: organisations, a partner structure, and a user for every role and portal.

Every demo account uses the password DEMO_PASSWORD. Running it twice changes nothing."""
from __future__ import annotations

import random
from datetime import timedelta

from core.database import begin_immediate
from extensions import db
from models import (CitizenProfile, Convention, Organisation, PartnerRequest, PartnerSettings, Role, Structure,
                    User)
from models.base import utcnow
from models.partenaires import REQUEST_WORKFLOW, catalogue, paris_today

DEMO_PASSWORD = "Guichet-Demo-2026"

ORGANISATIONS = [
    # portal, code, name
    ("partenaires", "331", "CPAM GIRONDE"),
    ("partenaires", "623", "CPAM COTE D'OPALE"),
    ("partenaires", "471", "CPAM LOT ET GARONNE"),
    ("partenaires", "241", "CPAM DORDOGNE"),
    ("partenaires", "401", "CPAM LANDES"),
    ("msa", "MSA33", "MSA Gironde"),
    ("armees", "IGESA", "Igesa"),
    ("apgis", "APGIS", "Apgis"),
]
STRUCTURES = ["Centre communal d’action sociale de Bordeaux"]

USERS = [
    # email, role, first name, last name, organisation code (or None), structure name (or None)
    ("gestionnaire@demo.guichet.fr", Role.PARTNER_MANAGER, "Sophie", "DURAND", None, STRUCTURES[0]),
    ("martine.lapierre@demo.guichet.fr", Role.PARTNER_TECHNICIAN, "Martine", "LAPIERRE", None, STRUCTURES[0]),
    ("victor.chausson@demo.guichet.fr", Role.PARTNER_TECHNICIAN, "Victor", "CHAUSSON", None, STRUCTURES[0]),
    ("agent.cpam33@demo.guichet.fr", Role.AGENT, "Paul", "MARTIN", "331", None),
    ("agent.cpam62@demo.guichet.fr", Role.AGENT, "Claire", "LEROY", "623", None),
    ("agent.cpam47@demo.guichet.fr", Role.AGENT, "Hugo", "FAURE", "471", None),
    ("agent.cpam40@demo.guichet.fr", Role.AGENT, "Inès", "GARCIA", "401", None),
    ("agent.msa@demo.guichet.fr", Role.AGENT, "Lucie", "BERNARD", "MSA33", None),
    ("agent.igesa@demo.guichet.fr", Role.AGENT, "Marc", "PETIT", "IGESA", None),
    ("agent.apgis@demo.guichet.fr", Role.AGENT, "Nadia", "ROUSSEAU", "APGIS", None),
    ("admin@demo.guichet.fr", Role.ADMIN, "Alex", "ADMIN", None, None),
    ("camille.dupont@demo.guichet.fr", Role.CITIZEN, "Camille", "Dupont", None, None),
    ("jean.moreau@demo.guichet.fr", Role.CITIZEN, "Jean", "Moreau", None, None),
]


def seed_demo() -> list[str]:
    lines = []
    orgs = {}
    for portal, code, name in ORGANISATIONS:
        org = Organisation.query.filter_by(portal=portal, code=code).first()
        if org is None:
            org = Organisation(portal=portal, code=code, name=name)
            db.session.add(org)
            lines.append(f"Organisme créé : {name}")
        orgs[code] = org
    structures = {}
    for name in STRUCTURES:
        structure = Structure.query.filter_by(name=name).first()
        if structure is None:
            structure = Structure(name=name, max_active_technicians=5)
            db.session.add(structure)
            lines.append(f"Structure créée : {name}")
        structures[name] = structure
    for email, role, first, last, org_code, structure_name in USERS:
        if User.query.filter_by(email=email).first() is not None:
            continue
        user = User(email=email, role=role.value, first_name=first, last_name=last, password=DEMO_PASSWORD,
                    organisation=orgs.get(org_code), structure=structures.get(structure_name),
                    civility="Mme" if first in ("Sophie", "Martine", "Claire", "Lucie", "Nadia", "Camille") else "M.")
        db.session.add(user)
        if role == Role.CITIZEN:
            db.session.add(CitizenProfile(user=user, birth_country="FR", birth_insee="33063",
                                          birth_postcode="33000", birth_city="Bordeaux"))
        lines.append(f"Compte créé : {email} ({role.label})")
    db.session.commit()
    lines += seed_partenaires(orgs, structures[STRUCTURES[0]])
    from core.demo_msa import seed_msa
    lines += seed_msa(orgs) or []
    from core.demo_armees import seed_armees
    lines += seed_armees(orgs) or []
    from core.demo_apgis import seed_apgis
    lines += seed_apgis(orgs) or []
    lines.append(f"Mot de passe de tous les comptes de démonstration : {DEMO_PASSWORD}")
    return lines


# Convention of the demo structure with each CPAM, relative to today (days): (start, end).
CONVENTIONS = {
    "331": (-400, None),     # CPAM GIRONDE: running
    "623": (-200, None),     # CPAM COTE D'OPALE: running
    "471": (-300, 20),       # CPAM LOT ET GARONNE: ends within 30 days
    "241": (45, None),       # CPAM DORDOGNE: starts later
    "401": (-500, -12),      # CPAM LANDES: ended, requests still open
}
# Requests to create per organisation: (count, statuses to cycle through).
REQUESTS = {
    "331": 36, "623": 12, "471": 6, "401": 4,
}
PEOPLE = [("Mme", "TUTU", "Joséphine"), ("M.", "PRINCE", "Marius"), ("M.", "PAIN", "François"),
          ("Mme", "PIRES", "Marina"), ("Mme", "CHEMIN", "Marie"), ("M.", "N'DIAYE", "Jean-Marc"),
          ("Mme", "LE GOFF", "Anne-Sophie"), ("M.", "ÉLIE", "Loïc")]


def seed_partenaires(orgs: dict[str, Organisation], structure: Structure) -> list[str]:
    """Settings, conventions and a few dozen requests in every status, for the demo structure."""
    lines = []
    today = paris_today()
    for code, (start, end) in CONVENTIONS.items():
        org = orgs[code]
        if org.partner_settings is None:
            db.session.add(PartnerSettings.with_everything(org, max_active_technicians=5))
        if Convention.query.filter_by(structure_id=structure.id, organisation_id=org.id).first() is None:
            db.session.add(Convention(structure=structure, organisation=org, start_date=today + timedelta(days=start),
                                      end_date=today + timedelta(days=end) if end is not None else None))
            lines.append(f"Convention créée : {structure.name} – {org.name}")
    db.session.commit()
    technicians = User.query.filter_by(structure_id=structure.id, role=Role.PARTNER_TECHNICIAN.value).all()
    agents = {u.organisation_id: u for u in User.query.filter_by(role=Role.AGENT.value)}
    rng = random.Random(331)
    cat = catalogue()
    for code, count in REQUESTS.items():
        org = orgs[code]
        if PartnerRequest.query.filter_by(organisation_id=org.id).first() is not None:
            continue
        begin_immediate()
        now = utcnow()
        for i in range(count):
            ods = cat["ods"][i % 5]
            created = now - timedelta(days=count - i, hours=rng.randint(0, 8), minutes=rng.randint(0, 59))
            civility, last, first = PEOPLE[i % len(PEOPLE)]
            fields = {"comments": f"Demande de démonstration n° {i + 1} : merci de bien vouloir étudier la situation."}
            if ods["code"] == 1:
                fields.update(motive=ods["motives"][i % len(ods["motives"])], rdv_modalities=["Téléphonique / Visio"])
            else:
                fields.update(person_civility=civility, person_last_name=last, person_first_name=first,
                              person_birth_date=(today - timedelta(days=365 * (30 + i % 40))),
                              person_birth_place="33", person_phone="06.%02d.00.00.%02d" % (10 + i % 80, i % 100))
                if "motives" in ods:
                    fields["motive"] = ods["motives"][i % len(ods["motives"])]
                else:
                    fields["documents"] = ods["documents"][:1 + i % 2]
            request = PartnerRequest.submit(org, technicians[i % len(technicians)], now=created, ods=ods["code"],
                                            **fields)
            agent = agents.get(org.id)
            # Oldest requests are resolved, then in charge, the newest are new; LANDES keeps open ones.
            # Moved through the workflow (history and agent recorded), without mailing anyone.
            if agent is not None and i < (3 * count) // 4:
                REQUEST_WORKFLOW.fire(request, "take_in_charge", agent, now=created + timedelta(hours=5), hooks=False)
                if i < count // 2 and code != "401":
                    REQUEST_WORKFLOW.fire(request, "resolve", agent, now=created + timedelta(days=1), hooks=False,
                                          answer="Prise en charge faite. Le dossier a été régularisé.")
        db.session.commit()
        lines.append(f"{count} demandes créées pour {org.name}")
    return lines
