"""Demo data: organisations, a partner structure, and a user for every role and portal.

Every demo account uses the password DEMO_PASSWORD. Running it twice changes nothing."""
from extensions import db
from models import CitizenProfile, Organisation, Role, Structure, User

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
    ("agent.msa@demo.guichet.fr", Role.AGENT, "Lucie", "BERNARD", "MSA33", None),
    ("agent.igesa@demo.guichet.fr", Role.AGENT, "Marc", "PETIT", "IGESA", None),
    ("agent.apgis@demo.guichet.fr", Role.AGENT, "Nadia", "ROUSSEAU", "APGIS", None),
    ("admin@demo.guichet.fr", Role.ADMIN, "Alex", "ADMIN", None, None),
    ("camille.dupont@demo.guichet.fr", Role.CITIZEN, "Camille", "Dupont", None, None),
    ("jean.moreau@demo.guichet.fr", Role.CITIZEN, "Jean", "Moreau", None, None),
]


def seed_demo():
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
    lines.append(f"Mot de passe de tous les comptes de démonstration : {DEMO_PASSWORD}")
    return lines
