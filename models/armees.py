"""e-social des armées / Portail Des Aides (seed 000): the ressortissant's profile (« Mes
informations »), benefit applications and their lifecycle, complement requests, payments, the
documents received (decision letters) and the « porte-documents ».

An application (« demande de prestation ») is created « En cours de création » once the eligibility
step is passed; what the wizard holds while it is written lives in its draft (core.wizard, draft
kind `application_draft_kind(id)`); on « Transmettre » the wizard's data is copied into
`AidApplication.data` and the application moves through `APPLICATION_WORKFLOW`:

    En cours de création → Prise en charge → Instruction en cours → Instruction terminée
                                                                    (accordée / refusée)
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from core.formatting import fold_text
from core.workflow import IllegalTransition, State, Transition, Workflow
from extensions import db
from models.attachment import attachment_subject
from models.base import UTCDateTime, utcnow

__all__ = ["IllegalTransition"]

PORTAL = "armees"

# States (slugs stored in AidApplication.status; labels from seed 000, part D).
CREATING, TAKEN, INSTRUCTING, DONE = "en-creation", "prise-en-charge", "instruction", "terminee"
GRANTED, REFUSED = "accordee", "refusee"
DECISION_LABELS = {GRANTED: "Accordée", REFUSED: "Refusée"}

# Complement requests (« Demande de complément »): reasons an agent gives, and their states.
COMPLEMENT_REASONS = {
    "manquant": "Document manquant",
    "illisible": "Document illisible",
    "non-conforme": "Le document transmis ne correspond pas au document demandé",
}
COMPLEMENT_WAITING, COMPLEMENT_SENT = "en-attente", "envoye"
COMPLEMENT_STATE_LABELS = {COMPLEMENT_WAITING: "En attente de réponse", COMPLEMENT_SENT: "Envoyé"}

# « Mon porte-documents »: what a ressortissant may store there.
PORTE_DOCUMENT_KINDS = {
    "bulletin-remuneration": "Bulletin de rémunération",
    "titre-pension": "Titre de pension",
}


def _is_owner(case: AidApplication, user: Any) -> bool:
    return user is not None and user.id == case.user_id


def _is_instructing_agent(case: AidApplication, user: Any) -> bool:
    """An agent of the organisation (Igesa) the application was sent to."""
    return (user is not None and user.role == "agent" and user.organisation_id is not None
            and user.organisation_id == case.organisation_id)


def _set_decision(decision: str):
    def effect(case: AidApplication, user: Any, now, data: dict[str, Any]) -> None:
        case.decision = decision
        case.decided_at = now
        case.agent_id = user.id
    return effect


def _transmitted(case: AidApplication, user: Any, now, data: dict[str, Any]) -> None:
    case.transmitted_at = now


def _instruction_started(case: AidApplication, user: Any, now, data: dict[str, Any]) -> None:
    case.agent_id = user.id


APPLICATION_WORKFLOW = Workflow(
    "armees_application",
    states=[State(CREATING, "En cours de création"), State(TAKEN, "Prise en charge"),
            State(INSTRUCTING, "Instruction en cours"), State(DONE, "Instruction terminée", final=True)],
    transitions=[
        Transition("transmit", (CREATING,), TAKEN, allowed=_is_owner, effect=_transmitted,
                   audit="armees_application_transmitted", label="Transmettre"),
        Transition("start_instruction", (TAKEN,), INSTRUCTING, allowed=_is_instructing_agent,
                   effect=_instruction_started, audit="armees_instruction_started",
                   label="Commencer l’instruction"),
        Transition("grant", (INSTRUCTING,), DONE, allowed=_is_instructing_agent, effect=_set_decision(GRANTED),
                   audit="armees_application_granted", label="Accorder"),
        Transition("refuse", (INSTRUCTING,), DONE, allowed=_is_instructing_agent, effect=_set_decision(REFUSED),
                   audit="armees_application_refused", label="Refuser"),
    ],
    initial=CREATING,
    created_audit="armees_application_created",
    created_label="Création de la demande",
    entry_labels={"document": "Document complémentaire ajouté", "complement": "Demande de complément",
                  "complement_answer": "Réponse à une demande de complément", "payment": "Paiement"},
)


def application_draft_kind(application_id: int) -> str:
    """The core.drafts kind under which the wizard of one application keeps what is typed."""
    return f"armees.demande.{application_id}"


class RessortissantProfile(db.Model):
    """« Mes informations »: the personal data given with the applications, prefilled in later ones.
    Identity (civilité, names, email, birth) stays on the account (User, CitizenProfile)."""
    __tablename__ = "armees_profile"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, unique=True)
    # « Validation de votre qualité de ressortissant »: "france" (En France) or "etranger" (A l'étranger)
    residence = db.Column(db.String(10))
    birth_name = db.Column(db.String(80))            # nom de naissance (optional)
    phone = db.Column(db.String(20))                 # téléphone
    mobile = db.Column(db.String(20))                # portable
    fax = db.Column(db.String(20))
    # Main address: in France (lines + commune from the commune list) or abroad (town typed + country).
    address_abroad = db.Column(db.Boolean, nullable=False, default=False)
    address_line1 = db.Column(db.String(38))         # the required line (n° et libellé de la voie)
    address_line2 = db.Column(db.String(38))         # complément (bâtiment, résidence…)
    address_line3 = db.Column(db.String(38))         # lieu-dit, boîte postale…
    postcode = db.Column(db.String(10))
    insee = db.Column(db.String(5))
    city = db.Column(db.String(120))
    country = db.Column(db.String(2), nullable=False, default="FR")   # ISO 3166 alpha-2
    # Family situation: « Vivez-vous en couple » + the situation (data/catalogues/armees-referentiels.json)
    in_couple = db.Column(db.Boolean)
    family_situation = db.Column(db.String(30))
    # Professional situation: the cascade of data/catalogues/armees-situation-professionnelle.json
    category = db.Column(db.String(40))               # catégorie de ressortissant
    rank = db.Column(db.String(40))                   # catégorie hiérarchique
    employer = db.Column(db.String(40))               # autorité d'emploi
    employer_organisation = db.Column(db.String(40))  # when the authority is an établissement public…
    # The bank details of the last processed application (« Comptes du tiers », read-only).
    bank_abroad = db.Column(db.Boolean, nullable=False, default=False)
    account_holder = db.Column(db.String(80))
    iban = db.Column(db.String(34))
    bic = db.Column(db.String(11))
    first_transmitted_at = db.Column(UTCDateTime)     # « Mes informations » is editable from then on
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    user = db.relationship("User", backref=db.backref("armees_profile", uselist=False,
                                                      cascade="all, delete-orphan"))

    @classmethod
    def of(cls, user: Any) -> RessortissantProfile:
        """The user's profile, created (not yet committed) on first use."""
        profile = cls.query.filter_by(user_id=user.id).one_or_none()
        if profile is None:
            profile = cls(user_id=user.id)
            db.session.add(profile)
        return profile

    @property
    def editable(self) -> bool:
        """« Mes informations » can be edited only once a first application was transmitted."""
        return self.first_transmitted_at is not None


class ApplicationSequence(db.Model):
    """The last application number given per year (references « PDA-2026-000123 »)."""
    __tablename__ = "armees_application_sequence"
    year = db.Column(db.Integer, primary_key=True)
    last = db.Column(db.Integer, nullable=False, default=0)


class AidApplication(db.Model):
    """A benefit or loan application (« demande de prestation »)."""
    __tablename__ = "armees_application"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id"), nullable=False, index=True)
    benefit_code = db.Column(db.String(40), nullable=False)   # data/catalogues/armees-prestations.json
    benefit_label = db.Column(db.String(160), nullable=False)  # the label when it was created
    status = db.Column(db.String(20), nullable=False, default=CREATING, index=True)
    status_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    decision = db.Column(db.String(10))                        # accordee / refusee, once terminée
    reference = db.Column(db.String(20), unique=True)          # given on « Transmettre »
    # What was transmitted: {"informations": {...}, "dossier": {...}, "tables": {name: [rows]},
    # "banque": {...}, "documents": {code: [attachment ids]}} (the wizard's validated values).
    data = db.Column(db.JSON, nullable=False, default=dict)
    agent_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    duplicated_from_id = db.Column(db.Integer, db.ForeignKey("armees_application.id", ondelete="SET NULL"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    transmitted_at = db.Column(UTCDateTime)
    decided_at = db.Column(UTCDateTime)
    submission_token = db.Column(db.String(64), unique=True)   # core.submission: « Transmettre » once
    # (slice AGENT) The decision's details (the letter says them): the amount granted, the reason
    # of a refusal; and the folded « reference NOM Prénom benefit » the agents' queue searches.
    granted_cents = db.Column(db.Integer)
    decision_reason = db.Column(db.Text)
    search_key = db.Column(db.String(300), nullable=False, default="", server_default="")

    user = db.relationship("User", foreign_keys=[user_id])
    agent = db.relationship("User", foreign_keys=[agent_id])
    organisation = db.relationship("Organisation")

    __table_args__ = (db.Index("ix_armees_application_org_status", "organisation_id", "status", "status_at"),)

    @property
    def status_label(self) -> str:
        return APPLICATION_WORKFLOW.label(self.status)

    @property
    def decision_label(self) -> str:
        return DECISION_LABELS.get(self.decision or "", "")

    @property
    def is_draft(self) -> bool:
        return self.status == CREATING

    @property
    def can_be_deleted(self) -> bool:
        """Only a draft (« En cours de création ») can be deleted."""
        return self.status == CREATING

    @property
    def accepts_documents(self) -> bool:
        """« Ajouter un document complémentaire »: while Prise en charge or Instruction en cours."""
        return self.status in (TAKEN, INSTRUCTING)

    @property
    def can_be_duplicated(self) -> bool:
        """« Dupliquer »: Instruction en cours or Instruction terminée."""
        return self.status in (INSTRUCTING, DONE)

    @property
    def shows_payments(self) -> bool:
        return self.status == DONE and self.decision == GRANTED

    def delete_draft(self) -> None:
        if not self.can_be_deleted:
            raise IllegalTransition(APPLICATION_WORKFLOW.kind, "delete", self.status)
        db.session.delete(self)

    def give_reference(self, now=None) -> str:
        """The application's number, « PDA-<year>-<6 digits> », gapless per year (row-locked)."""
        if self.reference:
            return self.reference
        year = (now or utcnow()).year
        seq = db.session.get(ApplicationSequence, year, with_for_update=True)
        if seq is None:
            seq = ApplicationSequence(year=year, last=0)
            db.session.add(seq)
        seq.last += 1
        self.reference = f"PDA-{year}-{seq.last:06d}"
        return self.reference

    def unanswered_complements(self) -> int:
        """The count shown on the envelope."""
        return db.session.query(func.count(ComplementRequest.id)).filter_by(
            application_id=self.id, state=COMPLEMENT_WAITING).scalar() or 0


class ComplementRequest(db.Model):
    """« Demande de complément »: documents an agent asks for, with a reason; the ressortissant
    answers with files (« Répondre » → « Valider ») and the state becomes « Envoyé »."""
    __tablename__ = "armees_complement_request"
    id = db.Column(db.Integer, primary_key=True)
    application_id = db.Column(db.Integer, db.ForeignKey("armees_application.id", ondelete="CASCADE"),
                               nullable=False, index=True)
    agent_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    subject = db.Column(db.String(200), nullable=False)        # l'objet
    documents = db.Column(db.JSON, nullable=False, default=list)  # [{"label": …, "reason": code}]
    message = db.Column(db.Text)
    state = db.Column(db.String(20), nullable=False, default=COMPLEMENT_WAITING)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    answered_at = db.Column(UTCDateTime)                       # the sending date once « Envoyé »
    submission_token = db.Column(db.String(64), unique=True)

    application = db.relationship("AidApplication", backref=db.backref(
        "complement_requests", cascade="all, delete-orphan", order_by="ComplementRequest.created_at"))
    agent = db.relationship("User")

    @property
    def state_label(self) -> str:
        return COMPLEMENT_STATE_LABELS[self.state]

    @property
    def is_open(self) -> bool:
        return self.state == COMPLEMENT_WAITING

    def mark_sent(self, now=None) -> None:
        if not self.is_open:
            raise IllegalTransition("armees_complement", "answer", self.state)
        self.state = COMPLEMENT_SENT
        self.answered_at = now or utcnow()


class AidPayment(db.Model):
    """A payment made for a granted application (« Paiements effectués »), recorded by an agent."""
    __tablename__ = "armees_payment"
    id = db.Column(db.Integer, primary_key=True)
    application_id = db.Column(db.Integer, db.ForeignKey("armees_application.id", ondelete="CASCADE"),
                               nullable=False, index=True)
    paid_on = db.Column(db.Date, nullable=False)
    amount_cents = db.Column(db.Integer, nullable=False)
    label = db.Column(db.String(120), nullable=False, default="")
    recorded_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    submission_token = db.Column(db.String(64), unique=True)   # (slice AGENT) recorded once per form

    application = db.relationship("AidApplication", backref=db.backref(
        "payments", cascade="all, delete-orphan", order_by="AidPayment.paid_on"))


class ReceivedDocument(db.Model):
    """« Mes documents reçus »: a document the organisation sent (a decision letter), its file kept
    as an Attachment of subject `armees_received`; `read_at` is set once it was downloaded."""
    __tablename__ = "armees_received_document"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    application_id = db.Column(db.Integer, db.ForeignKey("armees_application.id", ondelete="CASCADE"),
                               nullable=False, index=True)
    title = db.Column(db.String(200), nullable=False)
    attachment_id = db.Column(db.Integer, db.ForeignKey("attachment.id"), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    read_at = db.Column(UTCDateTime)

    application = db.relationship("AidApplication", backref=db.backref("received_documents",
                                                                       cascade="all, delete-orphan"))
    attachment = db.relationship("Attachment")

    @classmethod
    def unread_count(cls, user: Any) -> int:
        return db.session.query(func.count(cls.id)).filter_by(user_id=user.id, read_at=None).scalar() or 0


class BenefitSetting(db.Model):
    """What agents change in the catalogue from the web (the data file holds the rest): whether a
    benefit is published and its label."""
    __tablename__ = "armees_benefit_setting"
    code = db.Column(db.String(40), primary_key=True)
    published = db.Column(db.Boolean, nullable=False, default=True)
    label = db.Column(db.String(160))
    summary = db.Column(db.Text)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


def application_search_key(reference: str | None, last_name: str | None, first_name: str | None,
                           benefit_label: str | None) -> str:
    """What the agents' queue search looks into (core.queue.fold_search), folded like what is typed."""
    parts = (reference, last_name, first_name, benefit_label)
    return fold_text(" ".join(p for p in parts if p))[:300]


@db.event.listens_for(AidApplication, "before_insert")
@db.event.listens_for(AidApplication, "before_update")
def _set_search_key(mapper, connection, target):  # (slice AGENT)
    from models import User
    names = connection.execute(select(User.last_name, User.first_name).where(User.id == target.user_id)).first()
    target.search_key = application_search_key(target.reference, names[0] if names else None,
                                               names[1] if names else None, target.benefit_label)


def _application_reader(application_id: int, user: Any) -> bool:
    application = db.session.get(AidApplication, application_id)
    return application is not None and (_is_owner(application, user) or _is_instructing_agent(application, user))


# Files of an application: its justificatifs, RIB, sworn statement, complementary documents and
# answers to complement requests (Attachment.document names which one); files of the
# porte-documents (subject id = the user's id); the decision letters sent.
APPLICATION_FILES = attachment_subject("armees_application", readers=_application_reader)
PORTE_DOCUMENTS = attachment_subject("armees_porte_documents")
RECEIVED_FILES = attachment_subject("armees_received", readers=_application_reader)
