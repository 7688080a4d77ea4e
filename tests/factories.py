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


# --- Espace Partenaires -------------------------------------------------------------------------

def partner_setup(org_name="CPAM GIRONDE", org_code="331", start=None, end=None, structure_obj=None,
                  max_active_technicians=5):
    """An organisation offering everything, a structure with a running convention, returns (org, structure)."""
    from datetime import date, timedelta

    from models import Convention, PartnerSettings
    org = organisation(portal="partenaires", code=org_code, name=org_name)
    db.session.add(PartnerSettings.with_everything(org, max_active_technicians=max_active_technicians))
    s = structure_obj or structure()
    db.session.add(Convention(structure=s, organisation=org, start_date=start or date.today() - timedelta(days=365),
                              end_date=end))
    return org, s


def technician(structure_obj, email=None, first_name="Martine", last_name="LAPIERRE", role=Role.PARTNER_TECHNICIAN,
               **kwargs):
    return user(email=email, role=role, first_name=first_name, last_name=last_name, structure=structure_obj, **kwargs)


def partner_request(org, requester, ods=4, status="nouveau", now=None, **fields):
    """A request with a real number (allocated as in production)."""
    from models import PartnerRequest
    defaults = dict(motive="Etude de C2S", person_civility="M.", person_last_name="PRINCE", person_first_name="Marius",
                    person_phone="07.00.00.00.00", person_birth_place="27", comments="Demande de test.")
    if ods == 1:
        defaults = dict(motive="Gérer la convention de partenariat", rdv_modalities=["Physique"], comments="Test.")
    defaults.update(fields)
    r = PartnerRequest.submit(org, requester, now=now, ods=ods, **defaults)
    r.status = status
    return r


# --- Portail Des Aides (armees) -----------------------------------------------------------------

def armees_application(owner, org, benefit="garde-jeunes-enfants", state="en-creation", decision=None, agent=None,
                       data=None, now=None):
    """An application moved through the real workflow (no hooks: no mail) to `state`; `agent`
    (of `org`) makes the agent's moves. `data` is what was transmitted (AidApplication.data)."""
    from blueprints.armees import catalogue
    from models.armees import APPLICATION_WORKFLOW, GRANTED, AidApplication
    b = catalogue.get(benefit, include_unpublished=True)
    application = AidApplication(user_id=owner.id, organisation_id=org.id, benefit_code=b.code,
                                 benefit_label=b.label, data=data or {})
    APPLICATION_WORKFLOW.start(application, owner, now=now)
    order = ["en-creation", "prise-en-charge", "instruction", "terminee"]
    moves = [("transmit", owner), ("start_instruction", agent),
             ("grant" if (decision or GRANTED) == GRANTED else "refuse", agent)]
    for name, who in moves[:order.index(state)]:
        if name == "transmit":
            application.give_reference(now)
        APPLICATION_WORKFLOW.fire(application, name, who, now=now, hooks=False)
    return application


# --- Portail Des Aides, slice FOLLOW ---------------------------------------------------------------

def armees_complement(application, subject="Avis d’imposition", documents=None, agent=None, now=None):
    """A complement request of an application (« Demande de complément »), waiting for an answer."""
    from models.armees import ComplementRequest
    complement = ComplementRequest(application=application, subject=subject, agent_id=getattr(agent, "id", None),
                                   documents=documents or [{"label": subject, "reason": "manquant"}],
                                   **({"created_at": now} if now else {}))
    db.session.add(complement)
    db.session.flush()
    return complement


def armees_file(upload_folder, application, subject_type="armees_application", name="justificatif.pdf",
                document=None, data=b"%PDF-1.4\n%%EOF\n"):
    """A file of an application, its bytes on disk as the upload component leaves them."""
    import secrets
    from pathlib import Path

    from models import Attachment, StoredFile
    storage_name = secrets.token_hex(16)
    (Path(upload_folder) / storage_name).write_bytes(data)
    attachment = Attachment(owner_id=application.user_id, organisation_id=application.organisation_id,
                            policy="armees_suivi", subject_type=subject_type, subject_id=application.id,
                            original_name=name, document=document, content_type="application/pdf", size=len(data),
                            stored_file=StoredFile(storage_name=storage_name, size=len(data)))
    db.session.add(attachment)
    db.session.flush()
    return attachment
