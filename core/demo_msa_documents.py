"""Demo data of « Nous envoyer un document » (MSA): two submissions of the demo member Élise
FONTAINE, one already processed by the fund's agent, one waiting in « Documents reçus ». Running
it twice changes nothing (the submissions are found by their one-time token)."""
from __future__ import annotations

from datetime import timedelta

from blueprints.msa import documents_service as service
from core.pdf import render_document
from core.uploads import attach_generated
from extensions import db
from models import User
from models.base import utcnow
from models.msa_documents import RECEIPT_DOCUMENT, SUBJECT_TYPE, MsaDocumentItem, MsaDocumentSubmission

MEMBER_EMAIL = "msa.adherent@demo.guichet.fr"
AGENT_EMAIL = "agent.msa@demo.guichet.fr"

# token, days ago, subject (code, label), processed, documents (nature, label, reason, file names)
SUBMISSIONS = [
    ("d0c0de00000000000000000000000001", 12, ("ressources", "Mes ressources"), True, [
        ("avis-imposition", "Avis d’imposition", "Déclaration de mes ressources 2025", ["avis-imposition-2025.pdf"]),
    ]),
    ("d0c0de00000000000000000000000002", 2, ("changement-situation",
                                              "Un changement de situation familiale ou professionnelle"), False, [
        ("acte-naissance", "Acte de naissance", "Naissance de ma fille Léa", ["acte-naissance-lea.pdf"]),
        ("livret-famille", "Livret de famille", "Naissance de ma fille Léa",
         ["livret-famille-page-1.pdf", "livret-famille-page-2.pdf"]),
    ]),
]


def seed_msa_documents() -> list[str]:
    member = User.query.filter_by(email=MEMBER_EMAIL).first()
    agent = User.query.filter_by(email=AGENT_EMAIL).first()
    if member is None or member.msa_member is None or member.msa_member.organisation_id is None:
        return []
    lines = []
    for token, days_ago, (code, label), processed, documents in SUBMISSIONS:
        if MsaDocumentSubmission.query.filter_by(submission_token=token).first() is not None:
            continue
        when = utcnow() - timedelta(days=days_ago)
        submission = MsaDocumentSubmission(member_id=member.id, organisation_id=member.msa_member.organisation_id,
                                           subject=code, subject_label=label, submission_token=token)
        name = f"{member.first_name} {member.last_name.upper()}"
        for position, (nature, nature_label, reason, _) in enumerate(documents, start=1):
            submission.items.append(MsaDocumentItem(position=position, nature=nature, nature_label=nature_label,
                                                    person=name, reason=reason))
        submission.receive(member, now=when)
        for position, (_, nature_label, _, files) in enumerate(documents, start=1):
            for number, filename in enumerate(files, start=1):
                content = render_document(f"{nature_label} (document de démonstration)", [(None, [filename])])
                attach_generated(content, filename, submission, owner=member, subject_type=SUBJECT_TYPE,
                                 document=f"document-{position}-fichier-{number}")
        attach_generated(service.receipt_pdf(submission), service.receipt_filename(submission), submission,
                         owner=member, subject_type=SUBJECT_TYPE, document=RECEIPT_DOCUMENT)
        if processed and agent is not None:
            submission.process(agent, now=when + timedelta(days=1))
        db.session.commit()
        lines.append(f"Documents MSA reçus : {submission.reference} ({submission.status_label})")
    return lines
