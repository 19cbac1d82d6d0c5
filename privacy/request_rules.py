"""What a privacy request is and how its status may change (issue 10): pure rules.

received -> (verify) verified -> (start) in_progress -> (complete) completed
any open status -> (extend, once, on or before the due date) extended
any open status -> (refuse, with a reason) refused

Identity verification is its own state beside the status: starting or completing a
request needs a verified identity; refusing does not (an unverifiable request is
refused). Completed and refused requests are closed: nothing changes them again.
"""

from __future__ import annotations

import enum


class RequestKind(enum.Enum):
    ACCESS = "access"
    PORTABILITY = "portability"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    CONSENT_WITHDRAWAL = "consent_withdrawal"
    OPT_OUT_SALE_SHARING = "opt_out_sale_sharing"


class RequestStatus(enum.Enum):
    RECEIVED = "received"
    VERIFIED = "verified"
    IN_PROGRESS = "in_progress"
    EXTENDED = "extended"
    COMPLETED = "completed"
    REFUSED = "refused"


class Channel(enum.Enum):
    IN_APP = "in_app"
    EMAIL = "email"
    PHONE = "phone"
    MAIL = "mail"
    WEB_FORM = "web_form"


class Requester(enum.Enum):
    DATA_SUBJECT = "data_subject"
    AUTHORIZED_AGENT = "authorized_agent"


class Verification(enum.Enum):
    UNVERIFIED = "unverified"
    VERIFIED = "verified"


class VerificationMethod(enum.Enum):
    SIGNED_IN_ACCOUNT = "signed_in_account"
    EMAIL_CONFIRMATION = "email_confirmation"
    PHONE_CALLBACK = "phone_callback"
    KNOWLEDGE_CHECK = "knowledge_check"
    IDENTITY_DOCUMENT = "identity_document"
    AGENT_AUTHORIZATION = "agent_authorization"


OPEN = frozenset(
    {
        RequestStatus.RECEIVED,
        RequestStatus.VERIFIED,
        RequestStatus.IN_PROGRESS,
        RequestStatus.EXTENDED,
    }
)
"""A request in one of these statuses is open: it is still due."""


class TransitionRefused(ValueError):
    """`code` names the error code (core.errors.Code) the refusal answers with."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _open(status: RequestStatus) -> None:
    if status not in OPEN:
        raise TransitionRefused(
            "PRIVACY_REQUEST_CLOSED", f"This request is {status.value}: it can no longer change."
        )


def _verified(verification: Verification, doing: str) -> None:
    if verification is not Verification.VERIFIED:
        raise TransitionRefused(
            "IDENTITY_NOT_VERIFIED", f"Verify the requester's identity before you {doing}."
        )


def after_verify(status: RequestStatus, verification: Verification) -> RequestStatus:
    _open(status)
    if verification is Verification.VERIFIED:
        raise TransitionRefused("CONFLICT", "This request's identity is already verified.")
    return RequestStatus.VERIFIED if status is RequestStatus.RECEIVED else status


def after_start(status: RequestStatus, verification: Verification) -> RequestStatus:
    _open(status)
    _verified(verification, "start work on the request")
    if status is RequestStatus.IN_PROGRESS:
        raise TransitionRefused("CONFLICT", "Work on this request has already started.")
    return RequestStatus.IN_PROGRESS


def after_extend(status: RequestStatus) -> RequestStatus:
    _open(status)
    return RequestStatus.EXTENDED


def after_complete(status: RequestStatus, verification: Verification) -> RequestStatus:
    _open(status)
    _verified(verification, "complete the request")
    return RequestStatus.COMPLETED


def after_refuse(status: RequestStatus) -> RequestStatus:
    _open(status)
    return RequestStatus.REFUSED
