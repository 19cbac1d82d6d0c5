"""The data map: every column of every table, classified once (issue 11).

For each column: its personal-data category (None: not personal data), the purposes
it serves and so its lawful bases, the retention rules of its row, whether it goes
into the person's export, what erasing the person does to it, and whether it is
encrypted at rest (a plain-text personal column says why). The policy's lists
(sections 2.1, 2.2, 2.3, 3 and 5) and the records of processing (GDPR Art. 30) are
generated from it, never written by hand.

Pure data, no I/O and no import of the models: tests/privacy/test_data_map.py holds
it against the SQLModel metadata (every column classified, no column invented, the
`_enc` columns and only they encrypted) and against the schema's `@pii` fields (same
category, same encryption).

Purposes: the CRM purposes of privacy/purposes.py cover what a tenant does with its
customer data (section 2.2, where the tenant decides and we process on its behalf).
Account information, the usage log and the audit trail are processed for the
service's own purposes, `ServicePurpose` below, each with its one lawful basis.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType

from privacy.categories import DESCRIPTIONS, DataCategory
from privacy.categories import DataCategory as C
from privacy.purposes import PURPOSES, LawfulBasis, Purpose


class ServicePurpose(enum.Enum):
    """What the service itself processes personal data for (it decides these)."""

    ACCOUNT = "account"
    SECURITY = "security"
    OPERATIONS = "operations"
    ACCOUNTABILITY = "accountability"


@dataclass(frozen=True)
class ServicePurposeRule:
    description: str
    basis: LawfulBasis


SERVICE_PURPOSES: Mapping[ServicePurpose, ServicePurposeRule] = MappingProxyType(
    {
        ServicePurpose.ACCOUNT: ServicePurposeRule(
            "Providing the account, its organisation and its members",
            LawfulBasis.CONTRACT,
        ),
        ServicePurpose.SECURITY: ServicePurposeRule(
            "Keeping accounts and data secure: sign-in, sessions, abuse and rate limits",
            LawfulBasis.LEGITIMATE_INTEREST,
        ),
        ServicePurpose.OPERATIONS: ServicePurposeRule(
            "Running the service: the usage log of API operations, their timing and outcome",
            LawfulBasis.LEGITIMATE_INTEREST,
        ),
        ServicePurpose.ACCOUNTABILITY: ServicePurposeRule(
            "Proving compliance: the audit of personal-data reads, consent and rights records",
            LawfulBasis.LEGAL_OBLIGATION,
        ),
    }
)

AnyPurpose = Purpose | ServicePurpose


def lawful_basis(purpose: AnyPurpose) -> LawfulBasis:
    """The basis a purpose rests on: the service's own, or consent / the CRM purpose's
    default basis (privacy/purposes.py)."""
    if isinstance(purpose, ServicePurpose):
        return SERVICE_PURPOSES[purpose].basis
    rule = PURPOSES[purpose]
    if rule.requires_consent or rule.default_basis is None:
        return LawfulBasis.CONSENT
    return rule.default_basis


def purpose_description(purpose: AnyPurpose) -> str:
    if isinstance(purpose, ServicePurpose):
        return SERVICE_PURPOSES[purpose].description
    return PURPOSES[purpose].description


def crm_purposes(category: DataCategory) -> frozenset[AnyPurpose]:
    """The CRM purposes whose rule may use `category` (privacy/purposes.py decides)."""
    return frozenset(p for p, rule in PURPOSES.items() if category in rule.categories)


class Subject(enum.Enum):
    """Whose personal data a table holds."""

    CONTACT = "contacts of our customers"
    ACCOUNT_HOLDER = "account holders (members of a tenant)"
    INVITEE = "people invited to join a tenant"


class Erasure(enum.Enum):
    """What erasing the person does to a column."""

    NULL = "null"
    """The value is removed (set to NULL)."""
    SHELL = "shell"
    """Replaced by the shell value '[erased]' (privacy.consent.ERASED_TEXT)."""
    KEEP = "keep"
    """Kept: not personal, or an opaque id or record the law asks to keep."""
    DELETE_ROW = "delete row"
    """The whole row goes (account holders' own records)."""


@dataclass(frozen=True)
class RetentionRule:
    """A named retention rule with its documented default (section 5). Data only: tenants
    change them within bounds and the purge applies them (privacy/retention/)."""

    name: str
    description: str
    period: timedelta | None
    """None: no fixed period (see `period_text`)."""
    period_text: str
    counted_from: str

    @property
    def text(self) -> str:
        if self.period is None:
            return f"{self.description}: {self.period_text}."
        return f"{self.description}: {self.period_text}, counted from {self.counted_from}."


def _rule(name: str, description: str, days: int | None, text: str, since: str) -> RetentionRule:
    return RetentionRule(name, description, None if days is None else timedelta(days), text, since)


class Retention:
    """The default retention rules (tenants change them within bounds:
    privacy/retention/rules.py)."""

    ACCOUNT = _rule(
        "account", "Account information", None, "while the account exists",
        "sign-up",
    )  # fmt: skip
    SESSION = _rule(
        "session", "Sessions and refresh tokens", 30, "30 days",
        "their expiry or revocation",
    )  # fmt: skip
    INVITATION = _rule(
        "invitation", "Invitations", 30, "30 days",
        "their acceptance, revocation or expiry",
    )  # fmt: skip
    CUSTOMER_DATA = _rule(
        "customer_data", "Customer data", 30, "30 days",
        "the end of the tenant's subscription",
    )  # fmt: skip
    INACTIVE_PROSPECT = _rule(
        "inactive_prospect", "Prospects who never became customers", 1095, "3 years",
        "the last activity with them",
    )  # fmt: skip
    SOFT_DELETED = _rule(
        "soft_deleted", "Deleted companies, contacts, deals and activities (the trash)", 30,
        "30 days", "their deletion",
    )  # fmt: skip
    MINOR = _rule(
        "minor", "Personal data of a contact known to be under 18", 7, "at most 7 days",
        "when their age becomes known (section 10)",
    )  # fmt: skip
    USAGE_LOG = _rule(
        "usage_log", "Usage log", 90, "90 days", "the operation",
    )  # fmt: skip
    AUDIT = _rule(
        "audit", "Audit trail and records of consent and rights", None,
        "as long as the law asks", "the event",
    )  # fmt: skip
    UNVERIFIED_INTAKE = _rule(
        "unverified_intake", "Privacy requests whose requester was never verified", 30,
        "30 days", "the request",
    )  # fmt: skip
    EXPORT_FILE = _rule(
        "export_file", "Export files prepared for a person", 7, "7 days", "their creation",
    )  # fmt: skip
    PRIVACY_REQUEST = _rule(
        "privacy_request", "Records of privacy requests", 730, "24 months",
        "their completion or refusal",
    )  # fmt: skip
    PARTNER_APP = _rule(
        "partner_app", "Partner apps, their installations and grants", None,
        "while the app is registered (installations and grants: kept as a record once "
        "revoked)", "their creation",
    )  # fmt: skip
    OAUTH_SECRET = _rule(
        "oauth_secret", "Authorization codes and app refresh tokens", 30, "30 days",
        "their expiry or use",
    )  # fmt: skip
    SERVICE_RECORD = _rule(
        "service_record", "Tenants, their keys and published policy texts", None,
        "while the tenant exists (policy texts: permanently)", "their creation",
    )  # fmt: skip

    ALL: tuple[RetentionRule, ...] = ()


Retention.ALL = tuple(v for v in vars(Retention).values() if isinstance(v, RetentionRule))


@dataclass(frozen=True)
class ColumnMap:
    table: str
    name: str
    category: DataCategory | None
    purposes: frozenset[AnyPurpose]
    retention: tuple[RetentionRule, ...]
    exported: bool
    """Included in the export given to the person it is about (right of access)."""
    erasure: Erasure
    encrypted: bool
    """AES-GCM with the tenant's (or the platform's) data key: the `_enc` columns."""
    plain_reason: str | None
    """Why a personal-data column is stored in plain text."""
    label: str | None
    """How the policy lists it (None: not listed on its own)."""

    @property
    def personal(self) -> bool:
        return self.category is not None

    @property
    def lawful_bases(self) -> frozenset[LawfulBasis]:
        return frozenset(lawful_basis(p) for p in self.purposes)


@dataclass(frozen=True)
class TableMap:
    name: str
    description: str
    section: str
    """The policy section listing it: 2.1 account, 2.2 customer, 2.3 usage, 8 security,
    9 rights."""
    subjects: frozenset[Subject]
    """Whose personal data it holds (empty: nobody's)."""
    retention: tuple[RetentionRule, ...]
    columns: Mapping[str, ColumnMap]


@dataclass(frozen=True)
class _Spec:
    category: DataCategory | None = None
    purposes: frozenset[AnyPurpose] | None = None
    exported: bool = False
    erasure: Erasure = Erasure.KEEP
    encrypted: bool = False
    plain_reason: str | None = None
    label: str | None = None


def meta(
    label: str | None = None, *, exported: bool = False, erasure: Erasure = Erasure.KEEP
) -> _Spec:
    """Not personal data: keys, references, timestamps, states."""
    return _Spec(label=label, exported=exported, erasure=erasure)


def enc(
    category: DataCategory,
    label: str | None = None,
    *,
    purposes: Iterable[AnyPurpose] | None = None,
    erasure: Erasure = Erasure.NULL,
    exported: bool = True,
) -> _Spec:
    """Personal data, encrypted at rest."""
    return _Spec(
        category, None if purposes is None else frozenset(purposes), exported, erasure, True,
        None, label,
    )  # fmt: skip


def plain(
    category: DataCategory,
    why: str,
    label: str | None = None,
    *,
    purposes: Iterable[AnyPurpose] | None = None,
    erasure: Erasure = Erasure.NULL,
    exported: bool = True,
) -> _Spec:
    """Personal data kept in plain text, for the reason given."""
    return _Spec(
        category, None if purposes is None else frozenset(purposes), exported, erasure, False,
        why, label,
    )  # fmt: skip


def _table(
    name: str,
    description: str,
    section: str,
    subject: Subject | tuple[Subject, ...] | None,
    retention: tuple[RetentionRule, ...],
    purposes: Iterable[AnyPurpose] = (),
    /,
    **columns: _Spec,
) -> TableMap:
    """One table: its column specs, completed with the table's retention and purposes
    (customer data: the CRM purposes that may use the column's category).

    The table's own arguments are positional-only, so columns may be called `subject`
    or `purposes`."""
    table_purposes = frozenset(purposes)
    built: dict[str, ColumnMap] = {}
    for column, spec in columns.items():
        if spec.category is None:
            chosen: frozenset[AnyPurpose] = frozenset()
        elif spec.purposes is not None:
            chosen = spec.purposes
        else:
            chosen = table_purposes or crm_purposes(spec.category)
        built[column] = ColumnMap(
            name, column, spec.category, chosen, retention, spec.exported, spec.erasure,
            spec.encrypted, spec.plain_reason, spec.label,
        )  # fmt: skip
    subjects = frozenset(
        () if subject is None else (subject,) if isinstance(subject, Subject) else subject
    )
    return TableMap(name, description, section, subjects, retention, MappingProxyType(built))


# Reasons a personal-data column is plain text (issue 10 plans to encrypt more).
SEARCH = (
    "searched by the database: `ContactFilter.search` matches text anywhere in the first or "
    "last name (ILIKE), which ciphertext cannot serve and a blind index (equality only) "
    "cannot either; blind-indexed n-grams would, at the cost of leaking letter statistics "
    "and a larger index, a design not made yet (issue 10). Erasure and offboarding remove it"
)
SHOWN_TO_MEMBERS = "shown to the tenant's members in lists; issue 10 to encrypt"
BIRTH_YEAR = "only the year, kept to show the 18+ rule held at sign-up (section 10)"
BLIND_INDEX = "keyed hash (HMAC with the data key) for equality lookups; not reversible"
TRUNCATED_IP = "already truncated (network part only) before it is stored"
USER_AGENT = "browser identification string, kept for the usage log's retention only"
CHOICE_FLAG = "a state the database filters on (restricted, erased) to apply the choice"
MINOR_FLAG = (
    "a date the database filters on: when the person was flagged as under 18, to erase "
    "their data within the deadline or keep them from signing in (section 10)"
)

_PRIVACY = (ServicePurpose.ACCOUNTABILITY,)
_CUSTOMER = (Retention.CUSTOMER_DATA, Retention.SOFT_DELETED)
_CONTACT = (Retention.INACTIVE_PROSPECT, Retention.CUSTOMER_DATA, Retention.SOFT_DELETED)

_TRASH = {"deleted_at": meta(), "deleted_by": meta(), "purged_at": meta()}
"""The trash's columns (models.base.Trashable): when and by whom (an opaque id)."""

_TABLES: tuple[TableMap, ...] = (
    # -- section 2.1: account information ------------------------------------------------
    _table(
        "app_user", "Account holders",
        "2.1", Subject.ACCOUNT_HOLDER, (Retention.ACCOUNT,), (ServicePurpose.ACCOUNT,),
        id=meta(exported=True, erasure=Erasure.DELETE_ROW),
        email_enc=enc(C.EMAIL, "your email address", erasure=Erasure.DELETE_ROW,
                      purposes=(ServicePurpose.ACCOUNT, ServicePurpose.SECURITY)),
        email_bidx=plain(C.EMAIL, BLIND_INDEX, erasure=Erasure.DELETE_ROW, exported=False,
                         purposes=(ServicePurpose.SECURITY,)),
        display_name=plain(C.NAME, SHOWN_TO_MEMBERS, "your name", erasure=Erasure.DELETE_ROW),
        password_hash=meta("a hash of your password (never the password)",
                           erasure=Erasure.DELETE_ROW),
        birth_year=plain(C.DATE_OF_BIRTH, BIRTH_YEAR, "your year of birth (to confirm 18+)",
                         erasure=Erasure.DELETE_ROW),
        policy_version=meta("the privacy policy version you accepted", exported=True,
                            erasure=Erasure.DELETE_ROW),
        created_at=meta(exported=True, erasure=Erasure.DELETE_ROW),
        last_login_at=meta("when you last signed in", exported=True,
                           erasure=Erasure.DELETE_ROW),
        email_verified_at=meta("when you confirmed your email address", exported=True,
                               erasure=Erasure.DELETE_ROW),
    ),
    _table(
        "account_token", "Single-use links to verify an address or reset a password",
        "2.1", Subject.ACCOUNT_HOLDER, (Retention.SESSION,), (ServicePurpose.SECURITY,),
        id=meta(), user_id=meta(erasure=Erasure.DELETE_ROW), kind=meta(),
        token_hash=meta(erasure=Erasure.DELETE_ROW),
        new_email_enc=enc(C.EMAIL, "a new email address waiting for confirmation",
                          erasure=Erasure.DELETE_ROW, exported=False,
                          purposes=(ServicePurpose.ACCOUNT, ServicePurpose.SECURITY)),
        new_email_bidx=plain(C.EMAIL, BLIND_INDEX, erasure=Erasure.DELETE_ROW, exported=False),
        created_at=meta(), expires_at=meta(), used_at=meta(),
    ),
    _table(
        "account_choice_event", "Your privacy choices about your account (opt-out of sale or "
        "sharing)",
        "2.1", Subject.ACCOUNT_HOLDER, (Retention.AUDIT,), _PRIVACY,
        id=meta(), user_id=meta(exported=True), purpose=meta(exported=True),
        status=plain(C.PRIVACY_CHOICES, CHOICE_FLAG, "your opt-out of sale or sharing",
                     erasure=Erasure.KEEP),
        source=meta(exported=True), recorded_at=meta(exported=True),
    ),
    _table(
        "membership", "Members of a tenant and their roles",
        "2.1", Subject.ACCOUNT_HOLDER, (Retention.ACCOUNT,),
        id=meta(), tenant_id=meta(), user_id=meta(erasure=Erasure.DELETE_ROW),
        role=meta("your role in each organisation", exported=True, erasure=Erasure.DELETE_ROW),
        created_at=meta(exported=True, erasure=Erasure.DELETE_ROW),
        updated_at=meta(erasure=Erasure.DELETE_ROW),
        minor_suspended_at=plain(C.PRIVACY_CHOICES, MINOR_FLAG, purposes=_PRIVACY,
                                 erasure=Erasure.DELETE_ROW),
    ),
    _table(
        "auth_session", "Browser sessions and refresh-token families",
        "2.1", Subject.ACCOUNT_HOLDER, (Retention.SESSION,),
        id=meta(), kind=meta(), secret_hash=meta(erasure=Erasure.DELETE_ROW),
        user_id=meta(erasure=Erasure.DELETE_ROW), tenant_id=meta(),
        created_at=meta("your active sessions (only a hash of their secret)",
                        erasure=Erasure.DELETE_ROW),
        expires_at=meta(), revoked_at=meta(),
    ),
    _table(
        "policy_version", "Published privacy policy texts",
        "2.1", None, (Retention.SERVICE_RECORD,),
        version=meta(), published_at=meta(), text_sha256=meta(), effective_at=meta(),
        material=meta(), text=meta(), consent_purposes_added=meta(),
    ),
    _table(
        "policy_acceptance", "Acknowledgements of a policy version",
        "2.1", Subject.ACCOUNT_HOLDER, (Retention.AUDIT,),
        id=meta(), user_id=meta(exported=True), version=meta(exported=True),
        method=meta(exported=True),
        accepted_at=meta("when you acknowledged each policy version", exported=True),
    ),
    _table(
        "tenant", "Organisations using the service",
        "2.1", None, (Retention.SERVICE_RECORD,),
        id=meta(), name=meta("your organisation's name", exported=True),
        slug=meta(exported=True), region=meta("its data region", exported=True),
        created_at=meta(),
    ),
    _table(
        "invitation", "Invitations to join a tenant",
        "2.1", Subject.INVITEE, (Retention.INVITATION,), (ServicePurpose.ACCOUNT,),
        id=meta(), tenant_id=meta(),
        email_enc=enc(C.EMAIL, "the email address of people you invite"),
        email_bidx=plain(C.EMAIL, BLIND_INDEX, exported=False,
                         purposes=(ServicePurpose.SECURITY,)),
        role=meta(exported=True),
        display_name=plain(C.NAME, SHOWN_TO_MEMBERS, "the name you give them"),
        token_hash=meta(), invited_by=meta(), expires_at=meta(exported=True),
        accepted_at=meta(exported=True), revoked_at=meta(exported=True),
        created_at=meta(exported=True), updated_at=meta(),
    ),
    # -- section 2.2: customer data (the tenant's CRM) -----------------------------------
    _table(
        "contact", "Contacts: the people in the CRM",
        "2.2", Subject.CONTACT, _CONTACT,
        id=meta(exported=True), tenant_id=meta(),
        first_name=plain(C.NAME, SEARCH, "names"),
        last_name=plain(C.NAME, SEARCH, "names"),
        email_enc=enc(C.EMAIL, "email addresses"),
        email_bidx=plain(C.EMAIL, BLIND_INDEX, exported=False),
        phone_enc=enc(C.PHONE, "telephone numbers"),
        job_title_enc=enc(C.JOB, "job titles and employers"),
        company_id=meta(exported=True),
        address_enc=enc(C.POSTAL_ADDRESS, "postal addresses"),
        city_enc=enc(C.POSTAL_ADDRESS, "postal addresses"),
        country_enc=enc(C.POSTAL_ADDRESS, "postal addresses"),
        date_of_birth_enc=enc(C.DATE_OF_BIRTH, "dates of birth"),
        lifecycle_stage=meta("where each contact stands in the customer lifecycle",
                             exported=True),
        source=meta("where the contact came from", exported=True, erasure=Erasure.NULL),
        owner_id=meta(),
        notes_enc=enc(C.NOTES, "notes about contacts"),
        restricted=plain(C.PRIVACY_CHOICES, CHOICE_FLAG,
                         "each contact's privacy choices (consent, restriction, objection, "
                         "erasure)", purposes=_PRIVACY, erasure=Erasure.KEEP),
        erased_at=plain(C.PRIVACY_CHOICES, CHOICE_FLAG, purposes=_PRIVACY,
                        erasure=Erasure.KEEP),
        minor_flagged_at=plain(C.PRIVACY_CHOICES, MINOR_FLAG, purposes=_PRIVACY,
                               erasure=Erasure.KEEP, exported=False),
        created_at=meta(exported=True), updated_at=meta(exported=True),
        **_TRASH,
    ),
    _table(
        "company", "Companies: the organisations in the CRM",
        "2.2", None, _CUSTOMER,
        id=meta(), tenant_id=meta(), name=meta("companies (name, domain, industry, size)"),
        domain=meta(), industry=meta(), size=meta(),
        address_enc=enc(C.POSTAL_ADDRESS, "postal addresses", exported=False,
                        erasure=Erasure.KEEP),
        owner_id=meta(), created_at=meta(), updated_at=meta(),
        **_TRASH,
    ),
    _table(
        "deal", "Deals",
        "2.2", Subject.CONTACT, _CUSTOMER,
        id=meta(), tenant_id=meta(),
        title_enc=enc(C.NOTES, "deals (title, amount, stage, expected close)"),
        amount=meta(exported=True), currency=meta(exported=True), stage=meta(exported=True),
        expected_close_date=meta(exported=True), company_id=meta(),
        primary_contact_id=meta(), owner_id=meta(), closed_at=meta(exported=True),
        created_at=meta(), updated_at=meta(),
        **_TRASH,
    ),
    _table(
        "activity", "Activities: notes, calls, emails, meetings and tasks",
        "2.2", Subject.CONTACT, _CUSTOMER,
        id=meta(), tenant_id=meta(), kind=meta("activities (notes, calls, emails, meetings, "
                                               "tasks)", exported=True),
        subject_enc=enc(C.NOTES),
        body_enc=enc(C.NOTES, "notes about contacts"),
        due_at=meta(exported=True), done=meta(exported=True), contact_id=meta(),
        company_id=meta(), deal_id=meta(), author_id=meta(), subject_contact_id=meta(),
        created_at=meta(exported=True), updated_at=meta(),
        **_TRASH,
    ),
    _table(
        "consent_event", "History of each contact's consent and objections",
        "2.2", Subject.CONTACT, (Retention.AUDIT,), _PRIVACY,
        id=meta(), tenant_id=meta(), contact_id=meta(),
        purpose=meta(exported=True), status=meta(exported=True),
        lawful_basis=meta(exported=True),
        source=plain(C.PRIVACY_CHOICES, "free text of the record, shelled on erasure",
                     erasure=Erasure.SHELL),
        method=meta(exported=True), policy_version=meta(exported=True),
        evidence=plain(C.PRIVACY_CHOICES, "free text of the record, shelled on erasure",
                       erasure=Erasure.SHELL),
        recorded_by=meta(), recorded_at=meta(exported=True),
        created_at=meta(), updated_at=meta(),
    ),
    _table(
        "consent_state", "Current consent of each contact per purpose",
        "2.2", Subject.CONTACT, (Retention.AUDIT,), _PRIVACY,
        tenant_id=meta(), contact_id=meta(), purpose=meta(exported=True),
        status=plain(C.PRIVACY_CHOICES, CHOICE_FLAG, erasure=Erasure.KEEP),
        lawful_basis=meta(exported=True),
        objected=plain(C.PRIVACY_CHOICES, CHOICE_FLAG, erasure=Erasure.KEEP),
        updated_at=meta(),
    ),
    _table(
        "processing_event", "History of restrictions and erasures",
        "2.2", Subject.CONTACT, (Retention.AUDIT,), _PRIVACY,
        id=meta(), tenant_id=meta(), contact_id=meta(), kind=meta(exported=True),
        reason=plain(C.PRIVACY_CHOICES, "free text of the record, shelled on erasure",
                     erasure=Erasure.SHELL),
        recorded_by=meta(), recorded_at=meta(exported=True),
        created_at=meta(), updated_at=meta(),
        subject_informed_at=meta("when you were told before a restriction was lifted",
                                 exported=True),
    ),
    # -- section 2.3: usage data ---------------------------------------------------------
    _table(
        "usage_event", "The usage log of API operations",
        "2.3", Subject.ACCOUNT_HOLDER, (Retention.USAGE_LOG,),
        (ServicePurpose.OPERATIONS, ServicePurpose.SECURITY),
        id=meta(), tenant_id=meta(),
        user_id=meta("who called (an opaque account id)"),
        operation_name=meta("the operation called"), operation_type=meta(),
        duration_ms=meta("how long it took"), outcome=meta("its outcome"),
        ip_truncated=plain(C.ONLINE_ID, TRUNCATED_IP, "a truncated IP address",
                           exported=False, erasure=Erasure.KEEP),
        user_agent=plain(C.ONLINE_ID, USER_AGENT, "your browser's user agent",
                         exported=False, erasure=Erasure.KEEP),
        occurred_at=meta("when"),
    ),
    # -- section 9: rights ---------------------------------------------------------------
    _table(
        "privacy_request", "Privacy requests: a person's exercise of a right (issue 10)",
        "9", (Subject.CONTACT, Subject.ACCOUNT_HOLDER),
        (Retention.UNVERIFIED_INTAKE, Retention.PRIVACY_REQUEST),
        id=meta(exported=True), tenant_id=meta(), kind=meta(exported=True),
        contact_id=meta(), user_id=meta(), requester=meta(exported=True),
        channel=meta(exported=True), jurisdiction=meta(exported=True),
        received_at=meta(exported=True), time_zone=meta(), logged_by=meta(),
        verification=meta(exported=True), verification_method=meta(), verified_by=meta(),
        verified_at=meta(), status=meta(exported=True), due_on=meta(exported=True),
        acknowledge_by=meta(), extended_at=meta(exported=True),
        extension_reason=meta(exported=True), started_at=meta(),
        completed_at=meta(exported=True), completion_evidence=meta(),
        refused_at=meta(exported=True), refusal_reason=meta(exported=True),
        repeats=meta(), created_at=meta(exported=True), updated_at=meta(),
        requester_email_enc=enc(
            C.EMAIL, "the email address given with a privacy request through the intake",
            purposes=(ServicePurpose.ACCOUNTABILITY,),
        ),
        requester_email_bidx=plain(C.EMAIL, BLIND_INDEX, exported=False,
                                   purposes=(ServicePurpose.ACCOUNTABILITY,)),
        requester_name_enc=enc(C.NAME, purposes=(ServicePurpose.ACCOUNTABILITY,)),
        details_enc=enc(C.NOTES, purposes=(ServicePurpose.ACCOUNTABILITY,)),
        verification_token_hash=meta(), verification_expires_at=meta(),
    ),
    _table(
        "privacy_export", "Export packages prepared for a person's access request (issue 10)",
        "9", (Subject.CONTACT, Subject.ACCOUNT_HOLDER),
        (Retention.EXPORT_FILE, Retention.PRIVACY_REQUEST),
        id=meta(), tenant_id=meta(), request_id=meta(), contact_id=meta(), user_id=meta(),
        requested_by=meta(), status=meta(), progress=meta(), file_path=meta(),
        sha256=meta(), size_bytes=meta(), error=meta(), finished_at=meta(),
        expires_at=meta(), downloaded_at=meta(), created_at=meta(), updated_at=meta(),
    ),
    _table(
        "legal_hold", "Legal holds that keep data a deletion would remove",
        "5", None, (Retention.AUDIT,),
        id=meta(), tenant_id=meta(), contact_id=meta(), company_id=meta(), reason=meta(),
        reference=meta(), placed_by=meta(), released_at=meta(), released_by=meta(),
        created_at=meta(), updated_at=meta(),
    ),
    _table(
        "erasure_record", "Proof of each erasure, or of the exception that blocked it",
        "9", None, (Retention.AUDIT,),
        id=meta(), tenant_id=meta(), contact_id=meta(), request_id=meta(), outcome=meta(),
        categories=meta(), exceptions=meta(), recorded_by=meta(), recorded_at=meta(),
        created_at=meta(), updated_at=meta(),
    ),
    _table(
        "suppression", "Erased people who must not be created or imported again",
        "9", Subject.CONTACT, (Retention.AUDIT,), _PRIVACY,
        id=meta(), tenant_id=meta(), kind=meta(),
        key_bidx=plain(C.EMAIL, BLIND_INDEX, "a keyed hash of an erased person's email "
                       "address or telephone number, so they are not added again",
                       exported=False, erasure=Erasure.KEEP),
        contact_id=meta(), erasure_id=meta(), lifted_at=meta(), lifted_by=meta(),
        lift_request_id=meta(), created_at=meta(), updated_at=meta(),
    ),
    # -- section 6: partner apps (issue 12) ---------------------------------------------
    _table(
        "oauth_client", "Partner apps registered by developers",
        "6", None, (Retention.PARTNER_APP,),
        id=meta(), client_id=meta(), name=meta(), developer_id=meta(), client_type=meta(),
        secret_hash=meta(), redirect_uris=meta(), scopes=meta(), created_at=meta(),
        revoked_at=meta(),
    ),
    _table(
        "oauth_trusted_document", "The GraphQL operations a partner app registered",
        "6", None, (Retention.PARTNER_APP,),
        id=meta(), client_pk=meta(), sha256=meta(), name=meta(), document=meta(),
        created_at=meta(),
    ),
    _table(
        "app_installation", "Partner apps a tenant admin approved, with their scopes",
        "6", None, (Retention.PARTNER_APP,),
        id=meta(), tenant_id=meta(), client_pk=meta(), scopes=meta(), installed_by=meta(),
        trusted_documents_only=meta(), revoked_at=meta(), revoked_by=meta(),
        created_at=meta(), updated_at=meta(),
    ),
    _table(
        "oauth_grant", "Authorizations of partner apps to act for a member",
        "6", None, (Retention.PARTNER_APP,),
        id=meta(), tenant_id=meta(), installation_id=meta(), user_id=meta(),
        grant_type=meta(), scope=meta(), expires_at=meta(), revoked_at=meta(),
        created_at=meta(), updated_at=meta(),
    ),
    _table(
        "oauth_code", "Single-use authorization codes (only a hash is kept)",
        "6", None, (Retention.OAUTH_SECRET,),
        id=meta(), tenant_id=meta(), code_hash=meta(), installation_id=meta(),
        client_id=meta(), user_id=meta(), redirect_uri=meta(), scope=meta(),
        code_challenge=meta(), code_challenge_method=meta(), created_at=meta(),
        expires_at=meta(), used_at=meta(), grant_id=meta(),
    ),
    _table(
        "oauth_refresh_token", "Refresh tokens of partner apps (only a hash is kept)",
        "6", None, (Retention.OAUTH_SECRET,),
        id=meta(), tenant_id=meta(), grant_id=meta(), token_hash=meta(), created_at=meta(),
        expires_at=meta(), used_at=meta(),
    ),
    _table(
        "webhook_subscription", "Webhook subscriptions of installed partner apps",
        "6", None, (Retention.PARTNER_APP,),
        id=meta(), tenant_id=meta(), installation_id=meta(), url=meta(), event_types=meta(),
        secret_sealed=meta("the signing secret: not personal data, sealed with the tenant's "
                           "data key (it must be read back to sign)"),
        created_by=meta(), consecutive_failures=meta(),
        disabled_at=meta(), deleted_at=meta(), created_at=meta(), updated_at=meta(),
    ),
    _table(
        "webhook_delivery", "Webhook deliveries: event, ids and status codes, no values",
        "6", None, (Retention.PARTNER_APP,),
        id=meta(), tenant_id=meta(), subscription_id=meta(), event_type=meta(),
        subject_id=meta(), data=meta(), status=meta(), attempts=meta(),
        last_status_code=meta(), last_error=meta(), delivered_at=meta(),
        created_at=meta(), updated_at=meta(),
    ),
    _table(
        "retention_setting", "Each workspace's own retention periods (section 5)",
        "5", None, (Retention.SERVICE_RECORD,),
        id=meta(), tenant_id=meta(), rule=meta(), days=meta(), updated_by=meta(),
        created_at=meta(), updated_at=meta(),
    ),
    _table(
        "retention_run", "Records of the retention purge's runs and what each rule removed",
        "5", None, (Retention.AUDIT,),
        id=meta(), tenant_id=meta(), started_at=meta(), finished_at=meta(), dry_run=meta(),
        trigger=meta(), counts=meta(), created_at=meta(), updated_at=meta(),
    ),
    # -- section 8: security (audit, keys) -----------------------------------------------
    _table(
        "audit_event", "Audit of privacy changes and personal-data reads",
        "8", None, (Retention.AUDIT,),
        id=meta(), tenant_id=meta(), actor_id=meta(), actor_type=meta(),
        app_client_id=meta(), action=meta(),
        purposes=meta(), request_id=meta(), operation_name=meta(), detail=meta(),
        occurred_at=meta(), chain_seq=meta(), chain_hash=meta(),
    ),
    _table(
        "audit_chain_head", "The last link of each tenant's audit hash chain",
        "8", None, (Retention.AUDIT,),
        tenant_id=meta(), seq=meta(), hash=meta(), updated_at=meta(),
    ),
    _table(
        "audit_subject", "Which person's data each request read",
        "8", None, (Retention.AUDIT,),
        id=meta(), tenant_id=meta(), event_id=meta(), subject_id=meta(), actor_id=meta(),
        categories_shown=meta(exported=True), categories_redacted=meta(exported=True),
        purposes=meta(exported=True), occurred_at=meta(exported=True),
    ),
    _table(
        "tenant_key", "Each tenant's data key, wrapped by the master key",
        "8", None, (Retention.SERVICE_RECORD,),
        tenant_id=meta(), master_key_id=meta(), wrapped_key=meta(), created_at=meta(),
        rotated_at=meta(),
    ),
)  # fmt: skip

DATA_MAP: Mapping[str, TableMap] = MappingProxyType({t.name: t for t in _TABLES})


def columns() -> Iterable[ColumnMap]:
    for table in DATA_MAP.values():
        yield from table.columns.values()


def column(table: str, name: str) -> ColumnMap:
    return DATA_MAP[table].columns[name]


# -- records of processing (GDPR Art. 30) -------------------------------------------------


@dataclass(frozen=True)
class ProcessingRecord:
    """One purpose: what it uses, on which basis, about whom, kept how long."""

    purpose: AnyPurpose
    description: str
    lawful_basis: LawfulBasis
    categories: frozenset[DataCategory]
    subjects: frozenset[Subject]
    retention: tuple[RetentionRule, ...]
    tables: tuple[str, ...]


def _ordered(rules: Iterable[RetentionRule]) -> tuple[RetentionRule, ...]:
    present = set(rules)
    return tuple(r for r in Retention.ALL if r in present)


def records_of_processing() -> tuple[ProcessingRecord, ...]:
    """Per purpose, from the map: categories, lawful basis, data subjects, retention."""
    records = []
    for purpose in (*Purpose, *ServicePurpose):
        used = [c for c in columns() if purpose in c.purposes]
        tables = tuple(dict.fromkeys(c.table for c in used))
        subjects = frozenset(s for t in tables for s in DATA_MAP[t].subjects)
        records.append(
            ProcessingRecord(
                purpose=purpose,
                description=purpose_description(purpose),
                lawful_basis=lawful_basis(purpose),
                categories=frozenset(c.category for c in used if c.category is not None),
                subjects=subjects,
                retention=_ordered(r for c in used for r in c.retention),
                tables=tables,
            )
        )
    return tuple(records)


# -- the policy's lists ---------------------------------------------------------------------


def section_items(section: str) -> tuple[str, ...]:
    """The labelled columns of a section's tables, in map order, each listed once."""
    labels = (c.label for t in _TABLES if t.section == section for c in t.columns.values())
    return tuple(dict.fromkeys(label for label in labels if label is not None))


_BASIS_TEXT = {
    LawfulBasis.CONSENT: "consent",
    LawfulBasis.CONTRACT: "contract",
    LawfulBasis.LEGITIMATE_INTEREST: "legitimate interest",
    LawfulBasis.LEGAL_OBLIGATION: "a legal obligation",
}


def purpose_items() -> tuple[str, ...]:
    """Section 3: each purpose, the categories it uses and its lawful basis."""
    items = []
    for record in records_of_processing():
        if not record.categories:
            continue
        used = ", ".join(sorted(DESCRIPTIONS[c] for c in record.categories))
        items.append(
            f"{record.description} (uses {used}; basis: {_BASIS_TEXT[record.lawful_basis]})"
        )
    return tuple(items)


def retention_items() -> tuple[str, ...]:
    """Section 5: every retention rule with its default period."""
    return tuple(rule.text for rule in Retention.ALL)


# -- what a person is told about the processing (GDPR Art. 15(1), CCPA right to know) ---


SOURCES: Mapping[Subject, str] = MappingProxyType(
    {
        Subject.CONTACT: "Entered or imported by the organisation that keeps you in its CRM "
        "(its members, its forms and its imports); not collected by us from you directly",
        Subject.ACCOUNT_HOLDER: "Provided by you when you signed up or accepted an "
        "invitation, and recorded by the service as you use it",
        Subject.INVITEE: "Provided by the member who invited you",
    }
)
"""Where each kind of person's data comes from (GDPR Art. 14(2)(f), 15(1)(g))."""

SOLD_OR_SHARED: tuple[str, ...] = ()
"""Categories sold or shared for cross-context advertising (CCPA 1798.115): none."""

TRANSFERS = (
    "Data is stored in the data region of the organisation that holds it (eu or us); "
    "it is not transferred to a third country outside that region"
)
"""Transfers to third countries and their safeguards (GDPR Art. 15(2))."""

AUTOMATED_DECISIONS = (
    "None: no decision with legal or similarly significant effects is made about you by "
    "automated means alone"
)
"""Automated decision-making, including profiling (GDPR Art. 15(1)(h))."""
