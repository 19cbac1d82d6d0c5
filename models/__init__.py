"""All tables, imported once so the metadata is complete wherever models are used."""

from models.account_self import AccountChoiceEvent, AccountToken
from models.accounts import AuthSession, Membership, PolicyAcceptance, PolicyVersion, User
from models.activities import Activity
from models.apps import (
    AppInstallation,
    OAuthClient,
    OAuthCode,
    OAuthGrant,
    OAuthRefreshToken,
    TrustedDocument,
)
from models.audit import AuditChainHead, AuditEvent, AuditSubject, UsageEvent
from models.companies import Company
from models.consent import ConsentEvent, ConsentState, ProcessingEvent
from models.contacts import Contact
from models.deals import Deal
from models.erasure import ErasureRecord, Suppression
from models.exports import PrivacyExport
from models.invitations import Invitation
from models.legal_holds import LegalHold
from models.privacy_requests import PrivacyRequest
from models.retention import RetentionRun, RetentionSetting
from models.tenancy import Tenant, TenantKey
from models.webhooks import WebhookDelivery, WebhookSubscription

__all__ = [
    "AccountChoiceEvent",
    "AccountToken",
    "Activity",
    "AuditChainHead",
    "AppInstallation",
    "AuditEvent",
    "AuditSubject",
    "AuthSession",
    "Company",
    "ConsentEvent",
    "ConsentState",
    "Contact",
    "Deal",
    "ErasureRecord",
    "Invitation",
    "LegalHold",
    "Membership",
    "OAuthClient",
    "OAuthCode",
    "OAuthGrant",
    "OAuthRefreshToken",
    "PolicyAcceptance",
    "PolicyVersion",
    "PrivacyExport",
    "PrivacyRequest",
    "ProcessingEvent",
    "Suppression",
    "RetentionRun",
    "RetentionSetting",
    "Tenant",
    "WebhookDelivery",
    "WebhookSubscription",
    "TrustedDocument",
    "TenantKey",
    "UsageEvent",
    "User",
]
