"""Every table of Guichet. One aggregate per module."""
from models.base import utcnow  # noqa: F401
from models.organisation import Organisation, Structure  # noqa: F401
from models.user import CitizenProfile, Role, User, UserSession  # noqa: F401
from models.token import AuthToken, TokenPurpose  # noqa: F401
from models.outbox import OutboxMessage  # noqa: F401
from models.audit import AuditEvent  # noqa: F401
from models.commune import Commune  # noqa: F401
from models.attachment import Attachment, StoredFile  # noqa: F401
from models.partenaires import (Convention, PartnerRequest, PartnerSettings, RequestSequence,  # noqa: F401
                                 Status)
from models.msa import Conversation, ConversationMessage, MsaMember, MsaSignup  # noqa: F401
from models.throttle import ThrottleFailure  # noqa: F401
from models.draft import Draft  # noqa: F401
from models.case_event import CaseEvent  # noqa: F401
from models.armees import (AidApplication, AidPayment, ApplicationSequence, BenefitSetting,  # noqa: F401
                           ComplementRequest, ReceivedDocument, RessortissantProfile)
from models.apgis import (ApgisBeneficiary, ApgisCard, ApgisContribution, ApgisFaq, ApgisHospitalCover,  # noqa: F401
                          ApgisInsured, ApgisPublication, ApgisQuestion, ApgisReimbursement, ApgisRequest,
                          ApgisRequestSequence, ApgisStatement)
from models.msa_documents import MsaAgentDigest, MsaDocumentItem, MsaDocumentSequence, MsaDocumentSubmission  # noqa: F401,E501
from models.msa_services import MsaAppointment, MsaContactDetails, MsaPayment  # noqa: F401
from models.data_version import DataVersion  # noqa: F401
