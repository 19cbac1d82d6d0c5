"""Activities: listing with filters, and create/update/delete.

Every activity row leaves here with its data subject's state attached, so the encrypted
body is decided against it. The subject is the person the note was written about,
recorded when the activity is first linked to a person (its contact, else its deal's
primary contact) and never changed afterwards: unlinking or re-linking an activity
never widens who may read its body (issue 8). Moving an activity to another person is
refused unless the caller may read its body under the recorded subject's state.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from core.context import RequestContext
from core.errors import AppError, Code, bad_input
from models import Activity
from models.activities import ACTIVITY_KINDS
from models.base import utcnow
from privacy.decision import Verdict
from resolvers import validation as v
from resolvers.loaders import activities_with_state, activity_select, loaders_of
from resolvers.pagination import Page, PageArgs, fetch_page
from resolvers.references import existing, optional_ref
from resolvers.rows import ActivityRow
from resolvers.trash import delete_to_trash

SORTABLE = {"CREATED_AT": "created_at", "UPDATED_AT": "updated_at"}
LINKS = ("contact_id", "company_id", "deal_id")


@dataclass
class ActivityFilterArgs:
    kind: str | None = None
    contact: str | None = None
    company: str | None = None
    deal: str | None = None
    done: bool | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None


def aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.utcoffset() is None:
        raise bad_input(f"{field} must include a time zone, e.g. 2030-01-31T09:00:00Z.", field)
    return value


async def activity_filters(ctx: RequestContext, f: ActivityFilterArgs | None) -> list[Any]:
    if f is None:
        return []
    clauses: list[Any] = []
    if f.kind is not None:
        clauses.append(Activity.kind == v.choice(f.kind, ACTIVITY_KINDS, "kind"))
    if f.contact is not None:
        clauses.append(
            Activity.contact_id == await optional_ref(ctx, f.contact, "Contact", "contact")
        )
    if f.company is not None:
        clauses.append(
            Activity.company_id == await optional_ref(ctx, f.company, "Company", "company")
        )
    if f.deal is not None:
        clauses.append(Activity.deal_id == await optional_ref(ctx, f.deal, "Deal", "deal"))
    if f.done is not None:
        clauses.append(col(Activity.done).is_(f.done))
    if f.due_before is not None:
        clauses.append(col(Activity.due_at) < aware(f.due_before, "dueBefore"))
    if f.due_after is not None:
        clauses.append(col(Activity.due_at) >= aware(f.due_after, "dueAfter"))
    return clauses


async def with_subjects(ctx: RequestContext, result_rows: Any) -> list[ActivityRow]:
    return activities_with_state(ctx, result_rows)


async def list_activities(
    ctx: RequestContext, f: ActivityFilterArgs | None, order: str, descending: bool, args: PageArgs
) -> tuple[list[ActivityRow], Page]:
    stmt = activity_select().where(*await activity_filters(ctx, f))
    sort_key = SORTABLE[order]
    result, page = await fetch_page(
        ctx.db,
        stmt,
        sort_column=getattr(Activity, sort_key),
        id_column=Activity.id,
        descending=descending,
        args=args,
        max_page=ctx.services.settings.limits.max_page_size,
        sort_key=sort_key,
    )
    return await with_subjects(ctx, result), page


async def activity_values(
    ctx: RequestContext, data: dict[str, Any], creating: bool
) -> dict[str, Any]:
    """Validate an input dict (only keys present are changed) into column values."""
    out: dict[str, Any] = {}
    for key in ("kind", "subject"):
        if creating and key not in data:
            raise bad_input(f"{key} is required.", key)
    if "kind" in data:
        kind = v.choice(data["kind"], ACTIVITY_KINDS, "kind")
        if kind is None:
            raise bad_input("kind must not be null.", "kind")
        out["kind"] = kind
    if "subject" in data:
        subject = v.text(data["subject"], "subject", 200, required=True)
        out["subject_enc"] = ctx.require_cipher().encrypt(subject)
    if "body" in data:
        out["body_enc"] = ctx.require_cipher().encrypt(v.text(data["body"], "body", 10_000))
    if "due_at" in data:
        out["due_at"] = aware(data["due_at"], "dueAt")
    if "done" in data:
        if data["done"] is None:
            raise bad_input("done must not be null.", "done")
        out["done"] = data["done"]
    if "contact" in data:
        out["contact_id"] = await optional_ref(ctx, data["contact"], "Contact", "contact")
    if "company" in data:
        out["company_id"] = await optional_ref(ctx, data["company"], "Company", "company")
    if "deal" in data:
        out["deal_id"] = await optional_ref(ctx, data["deal"], "Deal", "deal")
    return out


async def _person_linked(ctx: RequestContext, values: dict[str, Any], current: Any = None) -> Any:
    """The person the links point at after the write: the contact, else the deal's
    primary contact, else nobody."""
    contact_id = (
        values["contact_id"] if "contact_id" in values else getattr(current, "contact_id", None)
    )
    if contact_id is not None:
        return contact_id
    deal_id = values["deal_id"] if "deal_id" in values else getattr(current, "deal_id", None)
    if deal_id is None:
        return None
    deal = await loaders_of(ctx).deal_by_id.load(deal_id)
    return None if deal is None else deal.primary_contact_id


def _refuse_moving_unreadable(ctx: RequestContext, current: Any, person: Any) -> None:
    """Moving a note to another person is processing of the person it is about: only
    for a caller who may read its body under that person's state. Unlinking is not
    refused: the recorded subject keeps governing the body."""
    from schema.types.activities import body_policy

    if current.subject_contact_id is None or person in (None, current.subject_contact_id):
        return
    if ctx.policy.decide(body_policy(), current.subject_state).verdict is not Verdict.SHOW:
        raise AppError(
            Code.FORBIDDEN,
            "You may not move this activity to another contact: you may not read the "
            "note about the person it was written about.",
        )


async def _refuse_body_of_erased(
    ctx: RequestContext, values: dict[str, Any], current: Any = None
) -> None:
    """An erased person's notes are gone; new personal text about them is refused, as
    is attaching an existing note to them."""
    if "body_enc" not in values and "contact_id" not in values:
        return
    body = values.get("body_enc", getattr(current, "body_enc", None))
    if body is None:
        return
    people = {values.get("contact_id", getattr(current, "contact_id", None))}
    if "body_enc" in values:
        people.add(values.get("subject_contact_id", getattr(current, "subject_contact_id", None)))
    for person in {p for p in people if p is not None}:
        contact = await loaders_of(ctx).contact_by_id.load(person)
        if contact is None or contact.erased_at is not None:
            raise AppError(
                Code.CONFLICT, "This contact's data was erased; personal data cannot be re-added."
            )


def _require_link(values: dict[str, Any], current: Any = None) -> None:
    """An activity is about something: a contact, a company or a deal."""
    linked = [values[k] if k in values else getattr(current, k, None) for k in LINKS]
    if all(link is None for link in linked):
        raise bad_input("Link the activity to a contact, a company or a deal.", "contact")


async def reload_activity(ctx: RequestContext, activity_id: uuid.UUID) -> ActivityRow:
    """Read back after a write, past the request's loader cache, with its subject."""
    result = await ctx.db.execute(activity_select().where(col(Activity.id) == activity_id))
    return (await with_subjects(ctx, result.all()))[0]


async def create_activity(ctx: RequestContext, data: dict[str, Any]) -> ActivityRow:
    values = await activity_values(ctx, data, creating=True)
    _require_link(values)
    values["subject_contact_id"] = await _person_linked(ctx, values)
    await _refuse_body_of_erased(ctx, values)
    activity = Activity(**values, author_id=ctx.require_principal().user_id)
    ctx.db.add(activity)
    await ctx.db.flush()
    ctx.audit.record("activity_created", f"activity {activity.id}")
    return await reload_activity(ctx, activity.id)


async def update_activity(ctx: RequestContext, global_id: str, data: dict[str, Any]) -> ActivityRow:
    row = await existing(ctx, global_id, "Activity", "id")
    values = await activity_values(ctx, data, creating=False)
    _require_link(values, row)
    if "contact_id" in values or "deal_id" in values:
        person = await _person_linked(ctx, values, row)
        if person != await _person_linked(ctx, {}, row):  # an unchanged link is no move
            _refuse_moving_unreadable(ctx, row, person)
        if row.subject_contact_id is None and person is not None:
            values["subject_contact_id"] = person  # first linked to a person: recorded once
    await _refuse_body_of_erased(ctx, values, row)
    values["updated_at"] = utcnow()
    await ctx.db.execute(update(Activity).where(col(Activity.id) == row.id).values(**values))
    ctx.audit.record("activity_updated", f"activity {row.id}: {','.join(sorted(values))}")
    return await reload_activity(ctx, row.id)


async def delete_activity(ctx: RequestContext, global_id: str) -> uuid.UUID:
    """To the trash (resolvers/trash.py)."""
    return await delete_to_trash(ctx, global_id, "Activity")
