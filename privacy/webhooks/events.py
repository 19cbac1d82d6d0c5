"""The events an app may subscribe to (issue 12). Erasure and rectification are
passed on (policy section 9) so a recipient can act on them: `contact.erased` and
`contact.updated` carry ids and the changed categories, never values."""

from __future__ import annotations

import enum


class EventType(enum.Enum):
    CONTACT_CREATED = "contact.created"
    CONTACT_UPDATED = "contact.updated"
    CONTACT_ERASED = "contact.erased"
    CONSENT_CHANGED = "consent.changed"
    DEAL_STAGE_CHANGED = "deal.stage_changed"
    REQUEST_COMPLETED = "request.completed"


CONTACT_SNAPSHOT = frozenset({EventType.CONTACT_CREATED, EventType.CONTACT_UPDATED})
"""Events whose payload carries the contact as the app may read it."""


def parse_event_types(names: list[str]) -> tuple[EventType, ...]:
    """The event types named, in declaration order; ValueError names an unknown one."""
    known = {e.value: e for e in EventType}
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ValueError(f"unknown event types: {', '.join(unknown) or '(none given)'}")
    wanted = set(names)
    return tuple(e for e in EventType if e.value in wanted)
