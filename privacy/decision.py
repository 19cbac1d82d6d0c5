"""The field decision: show, mask or redact one personal-data value (policy sections 3, 9).

Pure functions over three inputs: the caller (permissions and purposes, fixed per
request), the field's declared policy, and the data subject's consent and processing
state. `RequestPolicy` memoises decisions per request so a 1,000-row page costs a few
dict lookups per cell, not a decision each. Given a `trace` list, `decide` also
records each check it makes as a `Step` (the `explainAccess` query, issue 14): the
explanation is this function's own path, never a second copy of the rule.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from auth.permissions import Permission
from privacy.categories import DataCategory
from privacy.masking import MaskStrategy
from privacy.purposes import PURPOSES, LawfulBasis, Purpose


class Reason(enum.Enum):
    """Why a value was masked or redacted: the `reason` of every `extensions.redactions`
    entry, and the GraphQL enum `RedactionReason` (described by REASON_TEXT)."""

    MISSING_PERMISSION = "MISSING_PERMISSION"
    PURPOSE_NOT_PERMITTED = "PURPOSE_NOT_PERMITTED"
    NO_CONSENT = "NO_CONSENT"
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"
    PROCESSING_RESTRICTED = "PROCESSING_RESTRICTED"
    OBJECTED = "OBJECTED"
    ERASED = "ERASED"
    NOT_PERMITTED_FOR_PURPOSE = "NOT_PERMITTED_FOR_PURPOSE"
    """What a caller without CONSENT_READ gets instead of any reason above that comes
    from the person (their consent, objection, restriction or erasure): it says the
    value is not available under the request's purpose and nothing about why."""
    OTHER_PERSON = "OTHER_PERSON"
    """Subject access: the value is about someone other than the person receiving their
    own data (another contact named in a shared activity)."""


REASON_TEXT: dict[Reason, str] = {
    Reason.MISSING_PERMISSION: "Your role lacks the permission that reads this field "
    "(masked: your role may see a partial value only).",
    Reason.PURPOSE_NOT_PERMITTED: "The purpose this request is processed under does not "
    "use this kind of data.",
    Reason.NO_CONSENT: "The person has not given consent for the purpose, and the purpose "
    "needs it.",
    Reason.CONSENT_WITHDRAWN: "The person withdrew their consent for the purpose.",
    Reason.PROCESSING_RESTRICTED: "Processing of the person's data is restricted: it is "
    "kept, not used.",
    Reason.OBJECTED: "The person objected to processing for the purpose.",
    Reason.ERASED: "The person's data was erased.",
    Reason.NOT_PERMITTED_FOR_PURPOSE: "Not available under this request's purpose (the "
    "person's choices are shown only to roles that may read consent).",
    Reason.OTHER_PERSON: "About someone other than the person receiving their own data.",
}
"""Each reason in plain words: the SDL's description of each `RedactionReason` value,
which the docs pane, generated clients and GraphiQL's redactions panel show."""


SUBJECT_REASONS = frozenset({
    Reason.NO_CONSENT, Reason.CONSENT_WITHDRAWN, Reason.OBJECTED,
    Reason.PROCESSING_RESTRICTED, Reason.ERASED,
})  # fmt: skip
"""Reasons that disclose the person's choices or state; only CONSENT_READ sees them.
MISSING_PERMISSION and PURPOSE_NOT_PERMITTED depend on the caller alone."""


@dataclass(frozen=True, eq=False)
class FieldPolicy:
    """What one field declares: its category, the permission that reads it in full,
    and optionally a mask shown to callers holding `mask_permission` instead."""

    category: DataCategory
    permission: Permission
    mask: MaskStrategy | None = None
    mask_permission: Permission | None = None
    subject_bound: bool = True
    """False for data whose subject's consent is not tracked (account holders)."""

    # Compared and hashed by identity: one policy object per declared field, so the
    # per-request decision memo costs a pointer hash, not a hash of five fields.


@dataclass(frozen=True)
class PurposeStanding:
    status: str | None = None  # "granted" | "withdrawn" | None
    lawful_basis: str | None = None
    objected: bool = False


@dataclass(frozen=True, eq=False)
class SubjectState:
    """Hashed by identity; privacy.subject_state interns equal states per request, and
    `key` compares states by value where needed."""

    erased: bool = False
    restricted: bool = False
    purposes: Mapping[Purpose, PurposeStanding] = field(default_factory=dict)
    subject_id: uuid.UUID | None = field(default=None, compare=False)
    """Whose state this is, where the decision depends on it (subject access, below);
    the read paths leave it empty and share one state among equal subjects."""
    key: tuple[object, ...] = field(init=False, repr=False, compare=False)
    """A hashable summary: subjects in the same state share memoised decisions."""

    def __post_init__(self) -> None:
        standings = sorted(
            (p.value, s.status, s.lawful_basis, s.objected) for p, s in self.purposes.items()
        )
        object.__setattr__(self, "key", (self.erased, self.restricted, tuple(standings)))


NO_RECORDS = SubjectState()


class Check(enum.Enum):
    """One check `decide` makes, in the order it makes them (described by CHECK_TEXT)."""

    PERMISSION = "PERMISSION"
    MASK_PERMISSION = "MASK_PERMISSION"
    PURPOSE_USES_CATEGORY = "PURPOSE_USES_CATEGORY"
    SUBJECT_BOUND = "SUBJECT_BOUND"
    ERASURE = "ERASURE"
    RESTRICTION = "RESTRICTION"
    LAWFUL_BASIS = "LAWFUL_BASIS"
    DISCLOSURE = "DISCLOSURE"


CHECK_TEXT: dict[Check, str] = {
    Check.PERMISSION: "Your role holds the field's read permission.",
    Check.MASK_PERMISSION: "Without it, your role holds the permission that sees it masked.",
    Check.PURPOSE_USES_CATEGORY: "The request's purpose uses the field's category of data "
    "(one step per purpose).",
    Check.SUBJECT_BOUND: "Passed: the field is not about a person whose consent and "
    "processing state count (no further checks).",
    Check.ERASURE: "The person's data is not erased.",
    Check.RESTRICTION: "Processing of the person's data is not restricted.",
    Check.LAWFUL_BASIS: "The purpose has a lawful basis for this person: consent where it "
    "needs consent, else its basis on record or its default, and no objection that counts.",
    Check.DISCLOSURE: "A reason that comes from the person is told only to roles that may "
    "read consent.",
}


@dataclass(frozen=True)
class Step:
    check: Check
    passed: bool
    purpose: Purpose | None = None
    reason: Reason | None = None
    """Why the check failed (None when it passed)."""
    basis: str | None = None
    """LAWFUL_BASIS: the lawful basis the purpose relies on for this person."""


Trace = list[Step]


class Verdict(enum.Enum):
    SHOW = "show"
    MASK = "mask"
    REDACT = "redact"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: Reason | None = None
    reason_code: str | None = field(init=False, repr=False, compare=False)
    """`reason.value`, read once: an enum's `.value` is a slow descriptor, and the
    runtime writes it into every redaction entry."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason_code", None if self.reason is None else self.reason.value)


SHOW = Decision(Verdict.SHOW)
MASK = Decision(Verdict.MASK, Reason.MISSING_PERMISSION)
NOT_PERMITTED = Decision(Verdict.REDACT, Reason.NOT_PERMITTED_FOR_PURPOSE)


def purpose_obstacle(
    purpose: Purpose, state: SubjectState, trace: Trace | None = None
) -> Reason | None:
    """Why `purpose` has no lawful basis for this subject, or None if it has one."""
    obstacle, basis = _lawful_basis(purpose, state)
    if trace is not None:
        trace.append(Step(Check.LAWFUL_BASIS, obstacle is None, purpose, obstacle, basis))
    return obstacle


def _lawful_basis(purpose: Purpose, state: SubjectState) -> tuple[Reason | None, str | None]:
    """(why the purpose has no lawful basis for this subject or None, the basis it relies on)."""
    rule = PURPOSES[purpose]
    standing = state.purposes.get(purpose)
    if standing is None:
        standing = PurposeStanding()
    if rule.requires_consent:
        if standing.status is None:
            return Reason.NO_CONSENT, None
        if standing.status == "withdrawn":
            return Reason.CONSENT_WITHDRAWN, None
        given = standing.lawful_basis or LawfulBasis.CONSENT.value
        return (Reason.OBJECTED if standing.objected else None), given
    if standing.status == "withdrawn":
        return Reason.CONSENT_WITHDRAWN, None
    basis = standing.lawful_basis or (rule.default_basis.value if rule.default_basis else None)
    if basis is None:
        return Reason.NO_CONSENT, None
    objectable = rule.objection_absolute or basis == LawfulBasis.LEGITIMATE_INTEREST.value
    return (Reason.OBJECTED if standing.objected and objectable else None), basis


def caller_access(
    permissions: frozenset[Permission], policy: FieldPolicy, trace: Trace | None = None
) -> Decision:
    held = policy.permission in permissions
    if trace is not None:
        trace.append(
            Step(Check.PERMISSION, held, reason=None if held else Reason.MISSING_PERMISSION)
        )
    if held:
        return SHOW
    if policy.mask is not None and policy.mask_permission in permissions:
        if trace is not None:
            trace.append(Step(Check.MASK_PERMISSION, True))
        return MASK
    return Decision(Verdict.REDACT, Reason.MISSING_PERMISSION)


def subject_obstacle(
    purposes: Iterable[Purpose],
    category: DataCategory,
    state: SubjectState,
    trace: Trace | None = None,
) -> Reason | None:
    """Why none of the caller's purposes may use `category` of this subject, or None.

    The caller's own reason (no purpose uses the category) comes first, so it never
    depends on the subject; then erasure, restriction and the purposes' standings."""
    applicable = []
    for purpose in purposes:
        uses = category in PURPOSES[purpose].categories
        if uses:
            applicable.append(purpose)
        if trace is not None:
            reason = None if uses else Reason.PURPOSE_NOT_PERMITTED
            trace.append(Step(Check.PURPOSE_USES_CATEGORY, uses, purpose, reason))
    if not applicable:
        return Reason.PURPOSE_NOT_PERMITTED
    if trace is not None:
        trace.append(Step(Check.ERASURE, not state.erased, reason=_if(state.erased, Reason.ERASED)))
    if state.erased:
        return Reason.ERASED
    if trace is not None:
        restricted = _if(state.restricted, Reason.PROCESSING_RESTRICTED)
        trace.append(Step(Check.RESTRICTION, not state.restricted, reason=restricted))
    if state.restricted:
        return Reason.PROCESSING_RESTRICTED
    first: Reason | None = None
    for purpose in applicable:
        obstacle = purpose_obstacle(purpose, state, trace)
        if obstacle is None:
            return None
        first = first or obstacle
    return first


def _if(condition: bool, reason: Reason) -> Reason | None:
    return reason if condition else None


def decide(
    permissions: frozenset[Permission],
    purposes: tuple[Purpose, ...],
    policy: FieldPolicy,
    state: SubjectState | None,
    trace: Trace | None = None,
) -> Decision:
    """The caller half first (permission, then whether the request's purpose uses the
    category at all), then the subject half. A reason that comes from the person is
    given in detail only to callers holding CONSENT_READ; everyone else gets
    NOT_PERMITTED_FOR_PURPOSE, which says nothing about the person's choices.
    Each check made is appended to `trace` when one is given."""
    access = caller_access(permissions, policy, trace)
    if access.verdict is Verdict.REDACT:
        return access
    if state is None or not policy.subject_bound:
        if trace is not None:
            trace.append(Step(Check.SUBJECT_BOUND, True))
        return access
    obstacle = subject_obstacle(purposes, policy.category, state, trace)
    if obstacle is None:
        return access
    if obstacle in SUBJECT_REASONS and Permission.CONSENT_READ not in permissions:
        if trace is not None:
            trace.append(Step(Check.DISCLOSURE, False, reason=Reason.NOT_PERMITTED_FOR_PURPOSE))
        return NOT_PERMITTED
    return Decision(Verdict.REDACT, obstacle)


class RequestPolicy:
    """One caller's decisions for one request, memoised by (field policy, subject state)."""

    __slots__ = ("permissions", "purposes", "_by_state", "_by_key")

    def __init__(self, permissions: frozenset[Permission], purposes: tuple[Purpose, ...]) -> None:
        self.permissions = permissions
        self.purposes = purposes
        # state object -> {policy -> decision}; equal states share one inner dict via
        # _by_key, so a non-interned state costs one tuple hash, once.
        self._by_state: dict[SubjectState | None, dict[FieldPolicy, Decision]] = {}
        self._by_key: dict[tuple[object, ...] | None, dict[FieldPolicy, Decision]] = {}

    def decisions_for(self, state: SubjectState | None) -> dict[FieldPolicy, Decision]:
        memo = self._by_state.get(state)
        if memo is None:
            key = None if state is None else state.key
            memo = self._by_key.setdefault(key, {})
            self._by_state[state] = memo  # keeps `state` alive: its id is never reused
        return memo

    def decide(self, policy: FieldPolicy, state: SubjectState | None) -> Decision:
        memo = self.decisions_for(state)
        decision = memo.get(policy)
        if decision is None:
            decision = memo[policy] = decide(self.permissions, self.purposes, policy, state)
        return decision


OWN_DATA = SHOW
OTHER_PERSON = Decision(Verdict.REDACT, Reason.OTHER_PERSON)


def decide_subject_access(person: uuid.UUID, state: SubjectState | None) -> Decision:
    """Right of access and portability (policy section 9; GDPR Art. 15 and 20, CCPA
    1798.110): the person receives every exported value about themself, whatever the
    purposes, consents, objections or restriction (those limit what the controller may
    do with the data, not the person's access to it), and nothing about anyone else:
    a value whose subject is another person, or unknown, is redacted."""
    if state is None or state.subject_id != person:
        return OTHER_PERSON
    return OWN_DATA


class SubjectAccessPolicy(RequestPolicy):
    """The caller shape of a data subject receiving their own data (an export package):
    no permission and no purpose, only who they are. Decided per row's subject through
    `decide_subject_access`; nothing is memoised (states are per subject here)."""

    __slots__ = ("person",)

    def __init__(self, person: uuid.UUID) -> None:
        super().__init__(frozenset(), ())
        self.person = person

    def decide(self, policy: FieldPolicy, state: SubjectState | None) -> Decision:
        return decide_subject_access(self.person, state)
