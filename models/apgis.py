"""Apgis Espace Assuré (seed 003): the insured's file (address, bank details, contract, the
beneficiaries), the « demandes d'intervention » (DIT) a manager validates or refuses, the questions,
the reimbursements and periodic statements, contributions (individual contracts), tiers-payant
cards, hospital cover forms, and the institution's FAQ and documentation space.

A change of personal data is never applied when it is asked: it creates an `ApgisRequest` (DIT)
holding the new values (`payload`) and its supporting document; only the manager's « Valider »
applies it (`ApgisRequest.apply`), and « Refuser » leaves the data untouched. Its lifecycle is
declared once in `REQUEST_WORKFLOW`:

    En attente de validation → Validée | Refusée
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import query_expression, with_expression
from sqlalchemy.sql.functions import FunctionElement

from core.workflow import IllegalTransition, State, Transition, Workflow
from extensions import db
from models.attachment import Attachment, attachment_subject
from models.base import UTCDateTime, utcnow

__all__ = ["IllegalTransition"]

PORTAL = "apgis"

CONTRACT_COLLECTIVE, CONTRACT_INDIVIDUAL = "collectif", "individuel"
CONTRACT_LABELS = {CONTRACT_COLLECTIVE: "Contrat collectif (entreprise)",
                   CONTRACT_INDIVIDUAL: "Contrat à adhésion individuelle"}

# How contributions of an individual contract are paid.
CONTRIBUTION_METHODS = {"prelevement": "Prélèvement automatique", "cheque": "Chèque",
                        "virement": "Virement"}

# DIT kinds: what the insured asks, what the manager's « Valider » does.
KIND_ADDRESS, KIND_EMAIL, KIND_HEALTH_BANK = "adresse", "email", "banque-sante"
KIND_CONTRIBUTION_METHOD, KIND_CARD, KIND_DOCUMENT = "reglement-cotisations", "carte-tiers-payant", "document"
REQUEST_KIND_LABELS = {
    KIND_ADDRESS: "Modification de l’adresse postale",
    KIND_EMAIL: "Modification de l’adresse mail",
    KIND_HEALTH_BANK: "Modification des coordonnées bancaires (remboursements de prestations santé)",
    KIND_CONTRIBUTION_METHOD: "Modification du mode de règlement des cotisations",
    KIND_CARD: "Demande de carte de tiers payant",
    KIND_DOCUMENT: "Transmission de document",
}

# « Nous transmettre »: the natures of documents, by family (seed 003, word for word).
DOCUMENT_NATURES = {
    "Etat civil ou situation familiale": [
        "Acte de mariage", "Acte de naissance", "Acte de notoriété", "Certificat de scolarité",
        "Attestation d’assurance maladie", "Jugement d’adoption", "Justificatif de vie commune (PACS, etc.)",
        "Acte de décès", "Jugement de divorce", "Certificat de radiation Mutuelle santé",
        "Avis de situation Pôle Emploi"],
    "Remboursements frais de santé": [
        "Décomptes Sécurité sociale Améli", "Devis dentaire", "Devis optique",
        "Devis d’honoraires hospitaliers", "Autres devis", "Facture d’appareillage", "Facture de chirurgie",
        "Facture dentaire", "Facture optique", "Facture prothèse auditive",
        "Facture radiologie/laboratoire/kiné…"],
}
NATURE_SCHOOL_CERTIFICATE = "Certificat de scolarité"
NATURE_HEALTH_INSURANCE = "Attestation d’assurance maladie"

# Notifications (« constats »), computed when the insured opens their space (seed 003, §7).
NOTIF_ADDRESS, NOTIF_SCHOOL, NOTIF_HEALTH_PAYMENT = "adresse-erronee", "justificatif-scolarite", "reglement-sante"
NOTIF_NOEMIE, NOTIF_CONTRIBUTION_PAYMENT = "echanges-assurance-maladie", "reglement-cotisations"
NOTIFICATION_LABELS = {
    NOTIF_ADDRESS: "Adresse erronée (NPD ou NPAI)",
    NOTIF_SCHOOL: "Attente justificatif de scolarité",
    NOTIF_HEALTH_PAYMENT: "Mode de règlement des prestations santé",
    NOTIF_NOEMIE: "Mise en place d’échanges informatiques avec l’organisme d’assurance maladie",
    NOTIF_CONTRIBUTION_PAYMENT: "Mode de règlement des cotisations dans le cadre d’un contrat à adhésion individuelle",
}

# « Vous avez une question »: the 4 main themes.
QUESTION_THEMES = {
    "garanties": "Mes garanties et mon contrat",
    "remboursements": "Mes remboursements",
    "cotisations": "Mes cotisations",
    "adhesion": "Mon adhésion et mes bénéficiaires",
}
QUESTION_SENT, QUESTION_ANSWERED = "envoyee", "repondue"
QUESTION_STATE_LABELS = {QUESTION_SENT: "En attente de réponse", QUESTION_ANSWERED: "Répondue"}

# Statements: « décomptes mensuels et/ou ponctuels ».
STATEMENT_MONTHLY, STATEMENT_ONE_OFF = "mensuel", "ponctuel"
STATEMENT_KINDS = {STATEMENT_MONTHLY: "Décompte mensuel", STATEMENT_ONE_OFF: "Décompte ponctuel"}

# DIT states.
PENDING, VALIDATED, REFUSED = "en-attente", "validee", "refusee"


def _is_owner(request: ApgisRequest, user: Any) -> bool:
    return user is not None and user.id == request.user_id


def _is_manager(request: ApgisRequest, user: Any) -> bool:
    """A manager (agent) of the institution the insured belongs to."""
    return (user is not None and user.role == "agent" and user.organisation_id is not None
            and user.organisation_id == request.organisation_id)


def _validated(request: ApgisRequest, user: Any, now, data: dict[str, Any]) -> None:
    request.decided_at = now
    request.manager_id = user.id
    request.apply(now)


def _refused(request: ApgisRequest, user: Any, now, data: dict[str, Any]) -> None:
    request.decided_at = now
    request.manager_id = user.id
    request.refusal_reason = data.get("reason") or request.refusal_reason


REQUEST_WORKFLOW = Workflow(
    "apgis_request",
    states=[State(PENDING, "En attente de validation"), State(VALIDATED, "Validée", final=True),
            State(REFUSED, "Refusée", final=True)],
    transitions=[
        Transition("validate", (PENDING,), VALIDATED, allowed=_is_manager, effect=_validated,
                   audit="apgis_request_validated", label="Valider"),
        Transition("refuse", (PENDING,), REFUSED, allowed=_is_manager, effect=_refused,
                   audit="apgis_request_refused", label="Refuser"),
    ],
    initial=PENDING,
    created_audit="apgis_request_created",
    created_label="Demande d’intervention créée",
)


class ApgisInsured(db.Model):
    """The insured's file at the institution: contract, postal address, bank details, operations."""
    __tablename__ = "apgis_insured"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, unique=True)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id"), nullable=False, index=True)
    member_number = db.Column(db.String(20), nullable=False, unique=True)   # n° d'adhérent
    nir = db.Column(db.String(15))                                          # with its key, for the card
    contract_kind = db.Column(db.String(12), nullable=False, default=CONTRACT_COLLECTIVE)
    contract_name = db.Column(db.String(120), nullable=False, default="")   # e.g. « Santé Essentiel »
    employer = db.Column(db.String(120))                                    # collective contracts
    affiliated_since = db.Column(db.Date, nullable=False, default=date.today)
    # Postal address (France or abroad); `address_returned`: mail came back (NPD / NPAI).
    address_line1 = db.Column(db.String(38))
    address_line2 = db.Column(db.String(38))
    postcode = db.Column(db.String(10))
    insee = db.Column(db.String(5))
    city = db.Column(db.String(120))
    country = db.Column(db.String(2), nullable=False, default="FR")
    address_returned = db.Column(db.Boolean, nullable=False, default=False)
    # Health reimbursements: paid to this account.
    health_account_holder = db.Column(db.String(80))
    health_iban = db.Column(db.String(34))
    health_bic = db.Column(db.String(11))
    # Individual contracts: how contributions are paid (and from which account for a direct debit).
    contribution_method = db.Column(db.String(12))
    contribution_iban = db.Column(db.String(34))
    contribution_bic = db.Column(db.String(11))
    # Exchanges with the health insurance fund (NOEMIE) set up: reimbursements come by themselves.
    health_insurance_link = db.Column(db.Boolean, nullable=False, default=False)
    # Operations switched on or off directly (no DIT).
    payment_alert = db.Column(db.Boolean, nullable=False, default=False)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    user = db.relationship("User", backref=db.backref("apgis_insured", uselist=False))
    organisation = db.relationship("Organisation")
    beneficiaries = db.relationship("ApgisBeneficiary", back_populates="insured",
                                    order_by="ApgisBeneficiary.birth_date", cascade="all, delete-orphan")
    # The DITs awaiting a manager, newest first: read only (the pages that show them read them as
    # Core rows with the beneficiaries, in one statement: blueprints.apgis.service.file_rows).
    pending_requests = db.relationship(
        "ApgisRequest", viewonly=True,
        primaryjoin=f"and_(ApgisRequest.insured_id == ApgisInsured.id, ApgisRequest.status == '{PENDING}')",
        order_by="(ApgisRequest.created_at.desc(), ApgisRequest.id.desc())")

    # The beneficiaries and the pending DITs as JSON arrays of rows (BENEFICIARY_ROWS,
    # PENDING_ROWS), when the query that loaded the file asked for them (the session's query of the
    # portal's pages, core.sessions.SESSION_READS); else None. Read by
    # blueprints.apgis.service.file_rows.
    beneficiary_rows = query_expression()
    pending_rows = query_expression()

    @property
    def individual(self) -> bool:
        return self.contract_kind == CONTRACT_INDIVIDUAL


class ApgisBeneficiary(db.Model):
    """A person covered by the insured's contract (spouse, child). A child from 16 on must send a
    school certificate each school year (`school_certificate_until`)."""
    __tablename__ = "apgis_beneficiary"
    id = db.Column(db.Integer, primary_key=True)
    insured_id = db.Column(db.Integer, db.ForeignKey("apgis_insured.id", ondelete="CASCADE"), nullable=False,
                           index=True)
    relation = db.Column(db.String(10), nullable=False)    # "conjoint" | "enfant"
    first_name = db.Column(db.String(80), nullable=False)
    last_name = db.Column(db.String(80), nullable=False)
    birth_date = db.Column(db.Date, nullable=False)
    school_certificate_until = db.Column(db.Date)

    insured = db.relationship("ApgisInsured", back_populates="beneficiaries")


class json_rows(FunctionElement):
    """An aggregate: the JSON array of one JSON array of its columns per row, « [] » without a row
    (SQLite json_group_array, PostgreSQL json_agg; in no given order)."""
    type = JSON()
    name = "json_rows"
    inherit_cache = True


@compiles(json_rows)
def _json_rows_other(element, compiler, **kw):  # str(statement); no other database is supported
    return f"json_rows({compiler.process(element.clauses, **kw)})"


@compiles(json_rows, "sqlite")
def _json_rows_sqlite(element, compiler, **kw):
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element, compiler, **kw):
    return f"coalesce(json_agg(json_build_array({compiler.process(element.clauses, **kw)})), '[]'::json)"


class ApgisRequestSequence(db.Model):
    """The last number given per year to DITs and questions (« DIT-2026-000123 »)."""
    __tablename__ = "apgis_sequence"
    prefix = db.Column(db.String(8), primary_key=True)
    year = db.Column(db.Integer, primary_key=True)
    last = db.Column(db.Integer, nullable=False, default=0)


def next_reference(prefix: str, now=None) -> str:
    """« <prefix>-<year>-<6 digits> », gapless per prefix and year (the counter row is locked)."""
    year = (now or utcnow()).year
    seq = db.session.get(ApgisRequestSequence, (prefix, year), with_for_update=True)
    if seq is None:
        seq = ApgisRequestSequence(prefix=prefix, year=year, last=0)
        db.session.add(seq)
    seq.last += 1
    return f"{prefix}-{year}-{seq.last:06d}"


class ApgisRequest(db.Model):
    """A « demande d'intervention » (DIT): a change of personal data, a card request or a document
    transmitted; `payload` holds what the manager's validation applies; `notification` names the
    notification (NOTIFICATION_LABELS) it answers, when it was made from one."""
    __tablename__ = "apgis_request"
    id = db.Column(db.Integer, primary_key=True)
    reference = db.Column(db.String(20), nullable=False, unique=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    insured_id = db.Column(db.Integer, db.ForeignKey("apgis_insured.id", ondelete="CASCADE"), nullable=False)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id"), nullable=False, index=True)
    kind = db.Column(db.String(24), nullable=False)
    payload = db.Column(db.JSON, nullable=False, default=dict)
    document_nature = db.Column(db.String(80))        # KIND_DOCUMENT: one of DOCUMENT_NATURES
    notification = db.Column(db.String(30))
    status = db.Column(db.String(12), nullable=False, default=PENDING, index=True)
    status_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    refusal_reason = db.Column(db.Text)
    manager_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    decided_at = db.Column(UTCDateTime)
    submission_token = db.Column(db.String(64), unique=True)
    # The reference and the insured's names and email, folded (core.formatting.fold_text): the queue's search.
    search_key = db.Column(db.String(400), nullable=False, default="")

    user = db.relationship("User", foreign_keys=[user_id])
    manager = db.relationship("User", foreign_keys=[manager_id])
    insured = db.relationship("ApgisInsured")
    organisation = db.relationship("Organisation")
    # Its supporting documents as a JSON array of rows (ATTACHMENT_ROWS), when the query that
    # loaded it asked for them (the manager's page, blueprints.agent.apgis); else None. Read by
    # blueprints.apgis.service.request_files.
    attachment_rows = query_expression()

    __table_args__ = (db.Index("ix_apgis_request_org_status", "organisation_id", "status", "status_at"),)

    @property
    def kind_label(self) -> str:
        if self.kind == KIND_DOCUMENT and self.document_nature:
            return f"{REQUEST_KIND_LABELS[KIND_DOCUMENT]} : {self.document_nature}"
        return REQUEST_KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return REQUEST_WORKFLOW.label(self.status)

    def apply(self, now=None) -> None:
        """What « Valider » changes (called by the workflow's effect, never directly by a view)."""
        insured, data = self.insured, self.payload or {}
        if self.kind == KIND_ADDRESS:
            for key in ("address_line1", "address_line2", "postcode", "insee", "city", "country"):
                setattr(insured, key, data.get(key) or (None if key != "country" else "FR"))
            insured.address_returned = False
        elif self.kind == KIND_EMAIL:
            self.user.email = data["email"]
        elif self.kind == KIND_HEALTH_BANK:
            insured.health_account_holder = data.get("account_holder")
            insured.health_iban, insured.health_bic = data["iban"], data.get("bic")
        elif self.kind == KIND_CONTRIBUTION_METHOD:
            insured.contribution_method = data["method"]
            insured.contribution_iban = data.get("iban")
            insured.contribution_bic = data.get("bic")
        elif self.kind == KIND_CARD:
            ApgisCard.issue(insured, request=self, now=now)
        elif self.kind == KIND_DOCUMENT:
            if self.document_nature == NATURE_HEALTH_INSURANCE:
                insured.health_insurance_link = True
            elif self.document_nature == NATURE_SCHOOL_CERTIFICATE and data.get("beneficiary_id"):
                child = db.session.get(ApgisBeneficiary, int(data["beneficiary_id"]))
                if child is not None and child.insured_id == insured.id:
                    child.school_certificate_until = school_year_end(now)
        insured.updated_at = now or utcnow()


def school_year_end(now=None) -> date:
    """The 31 August that ends the current school year."""
    today = (now or utcnow()).date()
    return date(today.year + (1 if today.month >= 9 else 0), 8, 31)


class ApgisQuestion(db.Model):
    """« Vous avez une question »: a theme and a text; the manager's answer is emailed (no-reply)
    and shown in « Suivi »."""
    __tablename__ = "apgis_question"
    id = db.Column(db.Integer, primary_key=True)
    reference = db.Column(db.String(20), nullable=False, unique=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id"), nullable=False, index=True)
    theme = db.Column(db.String(20), nullable=False)
    text = db.Column(db.Text, nullable=False)
    status = db.Column(db.String(10), nullable=False, default=QUESTION_SENT, index=True)
    answer = db.Column(db.Text)
    manager_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    answered_at = db.Column(UTCDateTime)
    submission_token = db.Column(db.String(64), unique=True)
    search_key = db.Column(db.String(400), nullable=False, default="")  # as ApgisRequest.search_key

    user = db.relationship("User", foreign_keys=[user_id])
    manager = db.relationship("User", foreign_keys=[manager_id])

    @property
    def theme_label(self) -> str:
        return QUESTION_THEMES.get(self.theme, self.theme)

    @property
    def status_label(self) -> str:
        return QUESTION_STATE_LABELS[self.status]

    def answer_with(self, text: str, manager: Any, now=None) -> None:
        if self.status != QUESTION_SENT:
            raise IllegalTransition("apgis_question", "answer", self.status, "state")
        if manager is None or manager.role != "agent" or manager.organisation_id != self.organisation_id:
            raise IllegalTransition("apgis_question", "answer", self.status, "user")
        self.answer, self.manager_id = text, manager.id
        self.status, self.answered_at = QUESTION_ANSWERED, now or utcnow()


class ApgisStatement(db.Model):
    """A periodic statement (« décompte mensuel ou ponctuel ») summing the reimbursements paid."""
    __tablename__ = "apgis_statement"
    id = db.Column(db.Integer, primary_key=True)
    insured_id = db.Column(db.Integer, db.ForeignKey("apgis_insured.id", ondelete="CASCADE"), nullable=False,
                           index=True)
    number = db.Column(db.String(20), nullable=False, unique=True)
    kind = db.Column(db.String(10), nullable=False, default="mensuel")     # "mensuel" | "ponctuel"
    issued_on = db.Column(db.Date, nullable=False, index=True)
    period_start = db.Column(db.Date, nullable=False)
    period_end = db.Column(db.Date, nullable=False)
    submission_token = db.Column(db.String(64), unique=True)   # the manager's form (core.submission)

    insured = db.relationship("ApgisInsured")
    reimbursements = db.relationship("ApgisReimbursement", back_populates="statement",
                                     order_by="ApgisReimbursement.care_date")

    __table_args__ = (db.Index("ix_apgis_statement_insured_issued", "insured_id", "issued_on", "id"),)

    @property
    def kind_label(self) -> str:
        return STATEMENT_KINDS.get(self.kind, self.kind)

    @property
    def total_cents(self) -> int:
        return sum(r.apgis_cents for r in self.reimbursements)


class ApgisReimbursement(db.Model):
    """A payment made by Apgis for a care (« règlement effectué par l'Apgis »), in cents."""
    __tablename__ = "apgis_reimbursement"
    id = db.Column(db.Integer, primary_key=True)
    insured_id = db.Column(db.Integer, db.ForeignKey("apgis_insured.id", ondelete="CASCADE"), nullable=False,
                           index=True)
    statement_id = db.Column(db.Integer, db.ForeignKey("apgis_statement.id", ondelete="SET NULL"), index=True)
    paid_on = db.Column(db.Date, nullable=False, index=True)
    care_date = db.Column(db.Date, nullable=False)
    beneficiary = db.Column(db.String(160), nullable=False)       # « Prénom NOM »
    label = db.Column(db.String(160), nullable=False)             # the care: « Consultation généraliste »
    expense_cents = db.Column(db.Integer, nullable=False)         # frais réels
    social_security_cents = db.Column(db.Integer, nullable=False, default=0)
    apgis_cents = db.Column(db.Integer, nullable=False)           # paid by Apgis
    payee = db.Column(db.String(80), nullable=False, default="Assuré")  # or the health professional
    submission_token = db.Column(db.String(64), unique=True)   # the manager's form (core.submission)

    insured = db.relationship("ApgisInsured")
    statement = db.relationship("ApgisStatement", back_populates="reimbursements")

    # « Mes remboursements »: one insured's payments, newest first, read from the index.
    __table_args__ = (db.Index("ix_apgis_reimbursement_insured_paid", "insured_id", "paid_on", "id"),)


class ApgisContribution(db.Model):
    """A contribution of an individual contract (« historique des cotisations »), in cents."""
    __tablename__ = "apgis_contribution"
    id = db.Column(db.Integer, primary_key=True)
    insured_id = db.Column(db.Integer, db.ForeignKey("apgis_insured.id", ondelete="CASCADE"), nullable=False,
                           index=True)
    period = db.Column(db.Date, nullable=False)            # first day of the month paid for
    amount_cents = db.Column(db.Integer, nullable=False)
    paid_on = db.Column(db.Date)                           # None: not paid yet
    method = db.Column(db.String(12))

    insured = db.relationship("ApgisInsured")


class ApgisCard(db.Model):
    """A tiers-payant card: valid for a calendar year; the latest valid ones are downloadable."""
    __tablename__ = "apgis_card"
    id = db.Column(db.Integer, primary_key=True)
    insured_id = db.Column(db.Integer, db.ForeignKey("apgis_insured.id", ondelete="CASCADE"), nullable=False,
                           index=True)
    number = db.Column(db.String(24), nullable=False, unique=True)
    valid_from = db.Column(db.Date, nullable=False)
    valid_until = db.Column(db.Date, nullable=False)
    issued_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    request_id = db.Column(db.Integer, db.ForeignKey("apgis_request.id", ondelete="SET NULL"))

    insured = db.relationship("ApgisInsured")

    @classmethod
    def issue(cls, insured: ApgisInsured, request: ApgisRequest | None = None, now=None) -> ApgisCard:
        """A new card valid from today to the end of the year."""
        now = now or utcnow()
        count = db.session.query(cls).filter_by(insured_id=insured.id).count()
        card = cls(insured=insured, number=f"{insured.member_number}-{now.year}-{count + 1:02d}",
                   valid_from=now.date(), valid_until=date(now.year, 12, 31), issued_at=now,
                   request_id=request.id if request is not None else None)
        db.session.add(card)
        return card


class ApgisHospitalCover(db.Model):
    """A « prise en charge hospitalière » generated by the insured (no validation)."""
    __tablename__ = "apgis_hospital_cover"
    id = db.Column(db.Integer, primary_key=True)
    reference = db.Column(db.String(20), nullable=False, unique=True)
    insured_id = db.Column(db.Integer, db.ForeignKey("apgis_insured.id", ondelete="CASCADE"), nullable=False,
                           index=True)
    beneficiary = db.Column(db.String(160), nullable=False)
    hospital = db.Column(db.String(120), nullable=False)
    finess = db.Column(db.String(9))
    city = db.Column(db.String(120), nullable=False)
    admission_on = db.Column(db.Date, nullable=False)
    discharge_on = db.Column(db.Date)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    submission_token = db.Column(db.String(64), unique=True)   # the insured's form (core.submission)

    insured = db.relationship("ApgisInsured")


class ApgisFaq(db.Model):
    """A frequently asked question of an institution (managed by its managers)."""
    __tablename__ = "apgis_faq"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id"), nullable=False, index=True)
    position = db.Column(db.Integer, nullable=False, default=0)
    question = db.Column(db.String(300), nullable=False)
    answer = db.Column(db.Text, nullable=False)
    submission_token = db.Column(db.String(64), unique=True)   # the manager's form (core.submission)


class ApgisPublication(db.Model):
    """A document of the documentation space (e.g. the table of guarantees of a contract), its file
    an attachment of PUBLICATION_FILES; `contract_name` limits it to one contract (None: everyone)."""
    __tablename__ = "apgis_publication"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id"), nullable=False, index=True)
    title = db.Column(db.String(160), nullable=False)
    description = db.Column(db.String(300), nullable=False, default="")
    contract_name = db.Column(db.String(120))
    published = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    submission_token = db.Column(db.String(64), unique=True)   # the manager's form (core.submission)


# A file's beneficiaries and pending DITs, one JSON array each, as columns of the query that loads
# the file (correlated to it: `with_expression(ApgisInsured.beneficiary_rows, BENEFICIARY_ROWS)`):
# the columns of blueprints.apgis.service.BeneficiaryRow and PendingRow, in their order.
_beneficiary, _request = ApgisBeneficiary.__table__.c, ApgisRequest.__table__.c
BENEFICIARY_ROWS = (select(json_rows(_beneficiary.id, _beneficiary.relation, _beneficiary.first_name,
                                     _beneficiary.last_name, _beneficiary.birth_date,
                                     _beneficiary.school_certificate_until))
                    .where(_beneficiary.insured_id == ApgisInsured.id).scalar_subquery())
PENDING_ROWS = (select(json_rows(_request.id, _request.reference, _request.kind, _request.payload,
                                 _request.document_nature, _request.notification, _request.created_at))
                .where(_request.insured_id == ApgisInsured.id, _request.status == PENDING).scalar_subquery())
# The loader options of a query of the file that brings them (core.sessions.SESSION_READS).
ApgisInsured.with_file_rows = (with_expression(ApgisInsured.beneficiary_rows, BENEFICIARY_ROWS),
                               with_expression(ApgisInsured.pending_rows, PENDING_ROWS))


def _request_reader(request_id: int, user: Any) -> bool:
    request = db.session.get(ApgisRequest, request_id)
    return request is not None and (_is_owner(request, user) or _is_manager(request, user))


def _publication_reader(publication_id: int, user: Any) -> bool:
    publication = db.session.get(ApgisPublication, publication_id)
    if publication is None or user is None:
        return False
    if user.role == "agent":
        return user.organisation_id == publication.organisation_id
    insured = getattr(user, "apgis_insured", None)
    return (publication.published and insured is not None
            and insured.organisation_id == publication.organisation_id
            and publication.contract_name in (None, insured.contract_name))


# The supporting documents of a DIT, and the files of the documentation space.
REQUEST_FILES = attachment_subject("apgis_request", readers=_request_reader)
PUBLICATION_FILES = attachment_subject("apgis_publication", readers=_publication_reader)

# A DIT's supporting documents, one JSON array of rows (id, original_name, size, created_at) as a
# column of the query that loads the DIT (`*ApgisRequest.with_files` in its loader options).
_attachment = Attachment.__table__.c
ATTACHMENT_ROWS = (select(json_rows(_attachment.id, _attachment.original_name, _attachment.size,
                                    _attachment.created_at))
                   .where(_attachment.subject_type.in_(REQUEST_FILES.stored_names),
                          _attachment.subject_id == ApgisRequest.id).scalar_subquery())
ApgisRequest.with_files = (with_expression(ApgisRequest.attachment_rows, ATTACHMENT_ROWS),)
