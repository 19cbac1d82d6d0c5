"""Audit of personal-data reads (policy section 8): one event per request and subject.

The buffer collects, while the response is built, which categories of which subject
were shown or redacted; `flush` writes them with the actor, tenant, purposes and time
in the request's own transaction. Values are never recorded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import insert

from models.audit import AuditEvent, AuditSubject
from models.base import utcnow
from privacy.categories import DataCategory

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from auth.principal import Principal


@dataclass
class _SubjectAccess:
    shown: set[DataCategory] = field(default_factory=set)
    redacted: set[DataCategory] = field(default_factory=set)


class AuditBuffer:
    __slots__ = ("_subjects", "actions")

    def __init__(self) -> None:
        self._subjects: dict[uuid.UUID, _SubjectAccess] = {}
        self.actions: list[tuple[str, str]] = []

    def read(self, subject_id: uuid.UUID, category: DataCategory, shown: bool) -> None:
        access = self._subjects.get(subject_id)
        if access is None:
            access = self._subjects[subject_id] = _SubjectAccess()
        (access.shown if shown else access.redacted).add(category)

    def record(self, action: str, detail: str) -> None:
        """A privacy-relevant change (consent, restriction...) described without values."""
        self.actions.append((action, detail))

    def __bool__(self) -> bool:
        return bool(self._subjects or self.actions)

    async def flush(
        self,
        session: AsyncSession,
        principal: Principal,
        request_id: str,
        operation_name: str | None,
    ) -> None:
        if not self:
            return
        now = utcnow()
        purposes = ",".join(p.value for p in principal.purposes)
        rows = []
        if self._subjects:
            event_id = uuid.uuid4()
            rows.append(
                {
                    "id": event_id,
                    "tenant_id": principal.tenant_id,
                    "actor_id": principal.user_id,
                    "actor_type": "user",
                    "action": "pii_read",
                    "purposes": purposes,
                    "request_id": request_id,
                    "operation_name": (operation_name or "")[:200] or None,
                    "detail": f"{len(self._subjects)} subjects",
                    "occurred_at": now,
                }
            )
        for action, detail in self.actions:
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "tenant_id": principal.tenant_id,
                    "actor_id": principal.user_id,
                    "actor_type": "user",
                    "action": action,
                    "purposes": purposes,
                    "request_id": request_id,
                    "operation_name": (operation_name or "")[:200] or None,
                    "detail": detail[:2000],
                    "occurred_at": now,
                }
            )
        await session.execute(insert(AuditEvent), rows)
        if self._subjects:
            await session.execute(
                insert(AuditSubject),
                [
                    {
                        "id": uuid.uuid4(),
                        "tenant_id": principal.tenant_id,
                        "event_id": event_id,
                        "subject_id": subject_id,
                        "actor_id": principal.user_id,
                        "categories_shown": ",".join(sorted(c.name for c in access.shown)),
                        "categories_redacted": ",".join(sorted(c.name for c in access.redacted)),
                        "purposes": purposes,
                        "occurred_at": now,
                    }
                    for subject_id, access in self._subjects.items()
                ],
            )
        self._subjects.clear()
        self.actions.clear()
