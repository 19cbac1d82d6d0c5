"""What a webhook says (issue 12): built by the one policy runtime (privacy/render.py
`render_row`) under the app's own principal (auth/oauth/resource.py
`principal_for_installation`: the installation's scopes and the installing member's
role, as for its tokens), so a webhook never carries a value the app could not read
through GraphQL, with the same redaction entries. Erasure and rectification travel as
events with ids and changed categories only (policy section 9)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auth.principal import Principal
from privacy.decision import RequestPolicy
from privacy.render import Decrypt, PiiSpec, render_row
from privacy.webhooks.events import CONTACT_SNAPSHOT, EventType

LoadContact = Callable[[AsyncSession, uuid.UUID], Awaitable[Any | None]]


@dataclass(frozen=True)
class ContactView:
    """The Contact type as GraphQL declares it: each personal-data field by its GraphQL
    name with its declaration, and how to load a row with
    its subject's state. Supplied by resolvers/webhooks.py from the type itself."""

    fields: tuple[tuple[str, PiiSpec], ...]
    load: LoadContact


async def event_data(
    session: AsyncSession,
    principal: Principal,
    view: ContactView,
    decrypt: Decrypt,
    event: EventType,
    subject_id: uuid.UUID | None,
    facts: dict[str, Any],
) -> dict[str, Any]:
    """The `data` of the event for the app: the contact as it would read it for a
    created or updated contact, ids and facts (never values) otherwise."""
    data: dict[str, Any] = dict(facts)
    if subject_id is None or event not in CONTACT_SNAPSHOT:
        return data
    row = await view.load(session, subject_id)
    if row is None:
        data["contact"] = None
        return data
    policy = RequestPolicy(principal.permissions, principal.purposes)
    rendered = render_row(policy, view.fields, row, decrypt)
    contact: dict[str, Any] = {"id": data.get("id")}
    contact.update(rendered.values)
    data["contact"] = contact
    data["redactions"] = [
        {**entry, "path": ["contact", *entry["path"]]} for entry in rendered.redactions
    ]
    return data


def body(message_id: str, event: EventType, timestamp: datetime, data: dict[str, Any]) -> bytes:
    """The JSON body: Standard Webhooks' `type`, `timestamp`, `data`."""
    envelope = {"type": event.value, "timestamp": timestamp.isoformat(), "data": data}
    return json.dumps(envelope, separators=(",", ":"), default=str).encode()
