"""Small factory functions for tests (no factory library: a few lines each)."""
import itertools

from extensions import db
from models import Organisation, Role, Structure, User

PASSWORD = "Motdepasse-1"
_seq = itertools.count(1)


def organisation(portal="partenaires", code=None, name=None):
    n = next(_seq)
    org = Organisation(portal=portal, code=code or f"{n:03d}", name=name or f"Organisme {n}")
    db.session.add(org)
    return org


def structure(name=None, max_active_technicians=5):
    s = Structure(name=name or f"Structure {next(_seq)}", max_active_technicians=max_active_technicians)
    db.session.add(s)
    return s


def user(email=None, role=Role.CITIZEN, password=PASSWORD, first_name="Camille", last_name="Martin",
         active=True, **kwargs):
    u = User(email=email or f"user{next(_seq)}@example.fr", role=Role(role).value, password=password,
             first_name=first_name, last_name=last_name, active=active, **kwargs)
    db.session.add(u)
    return u
