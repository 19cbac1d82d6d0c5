"""The policy runtime: what leaves the server for one personal-data cell, and for a row.

A decision (privacy/decision.py) says show, mask or redact; this module turns it into
what every exit sends: the value (decrypted, masked or `None`), the redaction entry
listed beside it, and what the read audit records. Both GraphQL executors call it
(`schema.policy.resolve_cell` per cell, the fast executor per row), and so can any exit
that has no GraphQL context at all (an export file, a webhook payload, a subscription
event): given the caller's `RequestPolicy` and the subject's state, `render_row` gives
the same values and the same redactions as the API. Nothing else renders personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

from privacy.categories import DataCategory
from privacy.decision import Decision, FieldPolicy, RequestPolicy, SubjectState, Verdict
from privacy.masking import apply_mask

Decode = Literal["text", "date", "none"]
Decrypt = Callable[[Any], Any]


class Redaction(TypedDict):
    """One entry of `extensions.redactions` (and of an export's redaction list)."""

    path: list[Any]
    reason: str
    category: str
    masked: NotRequired[bool]


class PiiSpec:
    """A personal-data field as declared (`schema.policy.pii_field`): its policy, the row
    attribute holding the value, and how that value is stored."""

    __slots__ = ("policy", "source", "decode", "category_name", "python_name")

    def __init__(self, policy: FieldPolicy, source: str, decode: Decode) -> None:
        self.policy = policy
        self.source = source
        self.decode = decode
        self.category_name = policy.category.name
        self.python_name = ""


def no_cipher(raw: Any) -> Any:
    """The decrypt of a context without a tenant cipher: an encrypted value there is a
    bug, never something to send."""
    raise RuntimeError("an encrypted value outside a tenant's request")


def _plain(spec: PiiSpec, raw: Any, decrypt: Decrypt) -> Any:
    """Encrypted columns hold text (dates as ISO-8601 text); plain ones pass through."""
    return raw if raw is None or spec.decode == "none" else decrypt(raw)


def render(
    decision: Decision, row: Any, spec: PiiSpec, decrypt: Decrypt
) -> tuple[Any, Redaction | None]:
    """(the value sent, the redaction entry or None) for `spec` of `row`.

    The entry's path is the caller's to fill in (it is built only for redactions). A
    redacted value is never read; a mask over no value is simply `None`, with no entry
    (a mask would only show that there is nothing to hide).
    """
    verdict = decision.verdict
    if verdict is Verdict.SHOW:  # the common case, kept to one call
        raw = getattr(row, spec.source)
        return (raw if raw is None or spec.decode == "none" else decrypt(raw)), None
    reason = decision.reason_code
    assert reason is not None  # set for MASK and REDACT
    if verdict is Verdict.MASK:
        raw = getattr(row, spec.source)
        if raw is None:
            return None, None
        assert spec.policy.mask is not None  # a MASK decision needs a declared mask
        masked = apply_mask(spec.policy.mask, _plain(spec, raw, decrypt))
        entry: Redaction = {"path": [], "reason": reason, "category": spec.category_name}
        entry["masked"] = True
        return masked, entry
    return None, {"path": [], "reason": reason, "category": spec.category_name}


def audited_as_shown(decision: Decision, value: Any) -> bool | None:
    """What the read audit records for a rendered cell: shown (True), redacted (False),
    or nothing (None: a mask over no value disclosed nothing)."""
    if decision.verdict is Verdict.REDACT:
        return False
    if decision.verdict is Verdict.MASK and value is None:
        return None
    return True


@dataclass(frozen=True)
class RowPlan:
    """The decisions for one subject state over a fixed list of fields, and the
    categories the audit records for every row in that state (masks, which depend on
    the value, are audited per cell)."""

    decisions: tuple[Decision, ...]
    shown: frozenset[DataCategory]
    redacted: frozenset[DataCategory]


def row_plan(
    policy: RequestPolicy, specs: Sequence[PiiSpec], state: SubjectState | None
) -> RowPlan:
    decisions = tuple(policy.decide(spec.policy, state) for spec in specs)
    pairs = list(zip(specs, decisions, strict=True))
    return RowPlan(
        decisions,
        frozenset(s.policy.category for s, d in pairs if d.verdict is Verdict.SHOW),
        frozenset(s.policy.category for s, d in pairs if d.verdict is Verdict.REDACT),
    )


@dataclass
class RenderedRow:
    """A row as an exit outside GraphQL sends it: values by field name, the redactions
    (paths relative to the row), and the categories to audit as shown and redacted."""

    values: dict[str, Any] = field(default_factory=dict)
    redactions: list[Redaction] = field(default_factory=list)
    shown: set[DataCategory] = field(default_factory=set)
    redacted: set[DataCategory] = field(default_factory=set)


def render_row(
    policy: RequestPolicy,
    fields: Iterable[tuple[str, PiiSpec]],
    row: Any,
    decrypt: Decrypt,
    state: SubjectState | None = None,
) -> RenderedRow:
    """Every personal-data field of `row` (name, spec) for a caller, with no GraphQL
    context: what an export, a webhook or a subscription event sends. `state` defaults
    to the row's own `subject_state`."""
    if state is None:
        state = getattr(row, "subject_state", None)
    named = list(fields)
    plan = row_plan(policy, [spec for _, spec in named], state)
    out = RenderedRow(shown=set(plan.shown), redacted=set(plan.redacted))
    for (name, spec), decision in zip(named, plan.decisions, strict=True):
        value, entry = render(decision, row, spec, decrypt)
        out.values[name] = value
        if entry is not None:
            entry["path"] = [name]
            out.redactions.append(entry)
            if entry.get("masked"):
                out.shown.add(spec.policy.category)
    return out
