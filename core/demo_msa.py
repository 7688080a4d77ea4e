"""Demo MSA members of « MSA Gironde », logging in with their NIR. Running it twice changes nothing."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from extensions import db
from models import Organisation, Role, User
from models.msa import MsaMember

DEMO_PASSWORD = "Guichet-Demo-2026"

MEMBERS = [
    # email, civility, first name, last name, NIR without key, birth date, mobile
    ("msa.adherent@demo.guichet.fr", "Mme", "Élise", "FONTAINE", "2850733063123", date(1985, 7, 14),
     "06.12.34.56.78"),
    ("msa.exploitant@demo.guichet.fr", "M.", "Jean-Pierre", "LACOSTE", "162032A004056", date(1962, 3, 21),
     None),
]


def seed_msa(orgs: Mapping[str, Organisation]) -> list[str]:
    """`orgs`: the demo organisations by code; the members belong to MSA33 (MSA Gironde)."""
    fund = orgs.get("MSA33") or Organisation.query.filter_by(portal="msa", code="MSA33").first()
    lines = []
    for email, civility, first, last, nir, birth_date, mobile in MEMBERS:
        user = User.query.filter_by(email=email).first()
        if user is None:
            user = User(email=email, role=Role.CITIZEN.value, civility=civility, first_name=first, last_name=last,
                        password=DEMO_PASSWORD, active=True)
            db.session.add(user)
        if user.msa_member is None and MsaMember.query.filter_by(nir=nir).first() is None:
            db.session.add(MsaMember(user=user, nir=nir, birth_date=birth_date, mobile=mobile,
                                     organisation=fund))
            lines.append(f"Adhérent MSA créé : {email} (identifiant {nir})")
    db.session.commit()
    from core.demo_msa_documents import seed_msa_documents  # « Nous envoyer un document »
    seed_msa_documents()
    from core.demo_msa_services import seed_msa_services
    return lines + seed_msa_services()
