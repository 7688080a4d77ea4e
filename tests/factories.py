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


# --- slice SPACE: the ressortissant's profile, porte-documents and documents received --------------

ARMEES_PROFILE = dict(residence="france", phone="05 56 00 00 00", address_line1="12 rue Sainte-Catherine",
                      postcode="33000", insee="33063", city="Bordeaux", country="FR", in_couple=True,
                      family_situation="Marié(e)", category="militaire-actif", rank="officier",
                      employer="armee-terre")


def armees_profile(owner, transmitted=True, **kwargs):
    """The ressortissant's « Mes informations », as after a first transmitted application (or not)."""
    from models.armees import RessortissantProfile
    from models.base import utcnow
    profile = RessortissantProfile.of(owner)
    for name, value in {**ARMEES_PROFILE, **kwargs}.items():
        setattr(profile, name, value)
    profile.first_transmitted_at = utcnow() if transmitted else None
    db.session.flush()
    return profile


def stored_attachment(owner, subject_type, subject_id, name="justificatif.pdf", content=None, document=None,
                      organisation_id=None, policy="armees_porte_documents"):
    """An attachment of `subject_type`/`subject_id` with real bytes on disk (UPLOAD_FOLDER)."""
    import hashlib
    import secrets

    from core.uploads import storage_path
    from models.attachment import Attachment, StoredFile
    content = content or b"%PDF-1.4\n" + secrets.token_bytes(16) + b"\n%%EOF\n"
    storage_name = secrets.token_hex(16)
    storage_path(storage_name).write_bytes(content)
    stored = StoredFile(sha256=hashlib.sha256(content).hexdigest(), storage_name=storage_name, size=len(content))
    attachment = Attachment(owner_id=owner.id, organisation_id=organisation_id, policy=policy,
                            subject_type=subject_type, subject_id=subject_id, original_name=name,
                            stored_file=stored, content_type="application/pdf", size=len(content),
                            document=document)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def armees_received(application, title="Décision d’attribution", read=False):
    """A decision letter in the owner's « Mes documents reçus »."""
    from models.armees import RECEIVED_FILES, ReceivedDocument
    from models.base import utcnow
    attachment = stored_attachment(application.user, RECEIVED_FILES.name, application.id, name="decision.pdf",
                                   organisation_id=application.organisation_id, policy="armees_received")
    document = ReceivedDocument(user_id=application.user_id, application_id=application.id, title=title,
                                attachment_id=attachment.id, read_at=utcnow() if read else None)
    db.session.add(document)
    db.session.flush()
    return document


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


def armees_file(application, subject_type="armees_application", name="justificatif.pdf", document=None, data=None):
    """A file of an application, its bytes on disk as the upload component leaves them."""
    return stored_attachment(application.user, subject_type, application.id, name=name, content=data,
                             document=document, organisation_id=application.organisation_id, policy="armees_suivi")
