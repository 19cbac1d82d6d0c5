"""Contacts: listing with filters, relations, and create/update/delete.

Thin by design: permission checks live in the schema's field policies; what is here
is input validation, tenant-scoped loading and the refusal to filter by personal data
the caller may not read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import strawberry
from sqlalchemy import or_, select, update
from sqlmodel import col
from strawberry.types.base import get_object_definition

from core.context import RequestContext
from core.errors import AppError, Code
from models import Contact
from models.base import utcnow
from models.contacts import LIFECYCLE_STAGES
from privacy import minors
from privacy.audit import CONSENT_EVENTS
from privacy.categories import DataCategory
from privacy.consent import ConsentRecord, append_consent
from privacy.decision import FieldPolicy, Verdict, caller_access
from privacy.render import PiiSpec
from privacy.suppression import ensure_not_suppressed
from privacy.visibility import visible_subjects_clause
from privacy.webhooks.events import EventType
from resolvers import validation as v
from resolvers import webhooks
from resolvers.loaders import contact_select, contacts_with_state, loaders_of
from resolvers.pagination import PageArgs, fetch_page
from resolvers.references import existing, member_user_id, optional_ref
from resolvers.rows import ContactRow
from resolvers.trash import delete_to_trash

SORTABLE = {"CREATED_AT": "created_at", "UPDATED_AT": "updated_at"}


@dataclass
class ContactFilterArgs:
    company: str | None = None
    lifecycle_stage: str | None = None
    owner: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = None
    email: str | None = None
    include_erased: bool = True


@cache
def declared_pii(field_name: str) -> PiiSpec | None:
    """The personal-data declaration of `Contact.<field_name>` (schema/types/contacts.py),
    None for a field that holds no personal data: read from the field itself, never
    from a copy of it."""
    from schema.policy import POLICY_KEY
    from schema.types.contacts import Contact as ContactType

    field = get_object_definition(ContactType, strict=True).get_field(field_name)
    spec = field.metadata.get(POLICY_KEY) if field is not None else None
    return spec if isinstance(spec, PiiSpec) else None


def declared_policy(field_name: str) -> FieldPolicy:
    """The policy `Contact.<field_name>` declares (a filter on a field reads the field's
    own declaration)."""
    spec = declared_pii(field_name)
    assert spec is not None, field_name
    return spec.policy


def _require_readable(ctx: RequestContext, fields: tuple[str, ...], what: str) -> list[Any]:
    """Filtering or searching by personal data: the caller must read every field it
    touches in full, and only subjects whose data the caller's purpose may use are
    searched (the match would otherwise leak the value)."""
    policies = [declared_policy(name) for name in fields]
    if any(caller_access(ctx.policy.permissions, p).verdict is not Verdict.SHOW for p in policies):
        raise AppError(
            Code.FILTER_NOT_PERMITTED,
            f"You may not filter or search by {what}: your role cannot read it.",
            field=what,
        )
    categories = dict.fromkeys(p.category for p in policies if p.subject_bound)
    return [visible_subjects_clause(ctx.policy.purposes, c) for c in categories]


async def contact_filters(ctx: RequestContext, f: ContactFilterArgs | None) -> list[Any]:
    if f is None:
        return []
    clauses: list[Any] = []
    if f.company is not None:
        clauses.append(
            Contact.company_id == await optional_ref(ctx, f.company, "Company", "company")
        )
    if f.lifecycle_stage is not None:
        clauses.append(
            Contact.lifecycle_stage
            == v.choice(f.lifecycle_stage, LIFECYCLE_STAGES, "lifecycleStage")
        )
    if f.owner is not None:
        clauses.append(Contact.owner_id == await member_user_id(ctx, f.owner, "owner"))
    if f.created_after is not None:
        clauses.append(Contact.created_at >= f.created_after)
    if f.created_before is not None:
        clauses.append(Contact.created_at < f.created_before)
    if not f.include_erased:
        clauses.append(col(Contact.erased_at).is_(None))
    if f.search is not None:
        term = v.text(f.search, "search", 100, required=True)
        clauses.extend(_require_readable(ctx, ("first_name", "last_name"), "search"))
        pattern = (
            "%" + term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        clauses.append(
            or_(
                col(Contact.first_name).ilike(pattern, escape="\\"),
                col(Contact.last_name).ilike(pattern, escape="\\"),
            )
        )
    if f.email is not None:
        clauses.extend(_require_readable(ctx, ("email",), "email"))
        clauses.append(Contact.email_bidx == ctx.require_cipher().blind_index(v.email(f.email)))
    return clauses


async def list_contacts(
    ctx: RequestContext, f: ContactFilterArgs | None, order: str, descending: bool, args: PageArgs
) -> tuple[list[ContactRow], Any]:
    stmt = contact_select().where(*await contact_filters(ctx, f))
    sort_key = SORTABLE[order]
    result, page = await fetch_page(
        ctx.db,
        stmt,
        sort_column=getattr(Contact, sort_key),
        id_column=Contact.id,
        descending=descending,
        args=args,
        max_page=ctx.services.settings.limits.max_page_size,
        sort_key=sort_key,
    )
    return contacts_with_state(ctx, result), page


async def member(info: strawberry.Info[RequestContext, None], user_id: uuid.UUID | None) -> Any:
    if user_id is None:
        return None
    return await loaders_of(info.context).member_by_user.load(user_id)


def _page_limit(ctx: RequestContext, first: int) -> int:
    cap = ctx.services.settings.limits.max_page_size
    if first < 0 or first > cap:
        raise AppError(Code.BAD_USER_INPUT, f"first must be between 0 and {cap}.", field="first")
    return first


async def contact_values(ctx: RequestContext, data: dict[str, Any]) -> dict[str, Any]:
    """Validate an input dict (only keys present are changed) into column values."""
    cipher = ctx.require_cipher()
    out: dict[str, Any] = {}
    if "first_name" in data:
        out["first_name"] = v.text(data["first_name"], "firstName", 100)
    if "last_name" in data:
        out["last_name"] = v.text(data["last_name"], "lastName", 100)
    address = v.email(data.get("email"))
    phone = v.phone(data.get("phone"))
    await ensure_not_suppressed(ctx.db, cipher, email=address, phone=phone)
    if "email" in data:
        out["email_enc"] = cipher.encrypt(address)
        out["email_bidx"] = cipher.blind_index(address)
    if "phone" in data:
        out["phone_enc"] = cipher.encrypt(phone)
    if "job_title" in data:
        out["job_title_enc"] = cipher.encrypt(v.text(data["job_title"], "jobTitle", 150))
    if "address" in data:
        out["address_enc"] = cipher.encrypt(v.text(data["address"], "address", 500))
    if "city" in data:
        out["city_enc"] = cipher.encrypt(v.text(data["city"], "city", 100))
    if "country" in data:
        out["country_enc"] = cipher.encrypt(v.country(data["country"]))
    if "date_of_birth" in data:
        born: date | None = v.past_date(data["date_of_birth"], "dateOfBirth")
        out["date_of_birth_enc"] = cipher.encrypt(born.isoformat() if born else None)
        if (flagged := minors.flag_time(born, utcnow())) is not None:
            out["minor_flagged_at"] = flagged  # section 10: under 18
    if "notes" in data:
        out["notes_enc"] = cipher.encrypt(v.text(data["notes"], "notes", 10_000))
    if "lifecycle_stage" in data:
        stage = v.choice(data["lifecycle_stage"], LIFECYCLE_STAGES, "lifecycleStage")
        if stage is None:
            raise AppError(
                Code.BAD_USER_INPUT, "lifecycleStage must not be null.", field="lifecycleStage"
            )
        out["lifecycle_stage"] = stage
    if "source" in data:
        out["source"] = v.text(data["source"], "source", 50)
    if "company" in data:
        out["company_id"] = await optional_ref(ctx, data["company"], "Company", "company")
    if "owner" in data:
        out["owner_id"] = await member_user_id(ctx, data["owner"], "owner")
    return out


async def create_contact(
    ctx: RequestContext, data: dict[str, Any], consents: list[ConsentRecord]
) -> ContactRow:
    values = await contact_values(ctx, data)
    contact = Contact(**values)
    if contact.owner_id is None:
        contact.owner_id = ctx.require_principal().user_id
    ctx.db.add(contact)
    await ctx.db.flush()
    for record in consents:  # checked by the mutation (resolvers.consent.checked)
        event = await append_consent(ctx.db, contact.id, record, ctx.require_principal().user_id)
        CONSENT_EVENTS[record.status](
            ctx.audit, contact_id=contact.id, purpose=record.purpose, event_id=event.id
        )
    ctx.audit.record(
        "contact_created", f"contact {contact.id} with {len(consents)} consent records"
    )
    if contact.minor_flagged_at is not None:
        minors.minor_flagged(ctx.audit, contact_id=contact.id, source="date_of_birth")
    await webhooks.contact_event(ctx, EventType.CONTACT_CREATED, contact.id)
    return await reload_contact(ctx, contact.id)


async def reload_contact(ctx: RequestContext, contact_id: uuid.UUID) -> ContactRow:
    result = await ctx.db.execute(contact_select().where(col(Contact.id) == contact_id))
    return contacts_with_state(ctx, result.all())[0]


async def load_contact_model(ctx: RequestContext, global_id: str) -> Contact:
    row = await existing(ctx, global_id, "Contact", "id")
    return (await ctx.db.execute(select(Contact).where(col(Contact.id) == row.id))).scalar_one()


def personal_categories(fields: list[str]) -> list[DataCategory] | None:
    """The categories of the personal-data fields among an input's `fields`, each once
    (as the Contact type declares them); None when a field is not personal data."""
    specs = [declared_pii(name) for name in fields]
    if any(spec is None for spec in specs):
        return None
    return list(dict.fromkeys(spec.policy.category for spec in specs if spec is not None))


async def change_contact(ctx: RequestContext, contact: Contact, data: dict[str, Any]) -> None:
    """Apply an input dict to a loaded contact (audited by column name, never value)."""
    if contact.erased_at is not None and any(k != "lifecycle_stage" for k in data):
        raise AppError(
            Code.CONFLICT, "This contact's data was erased; personal data cannot be re-added."
        )
    values = await contact_values(ctx, data)
    values["updated_at"] = utcnow()
    if "minor_flagged_at" in values:
        if contact.minor_flagged_at is None:
            minors.minor_flagged(ctx.audit, contact_id=contact.id, source="date_of_birth")
        else:  # the first flag's time runs the deadline
            del values["minor_flagged_at"]
    await ctx.db.execute(update(Contact).where(col(Contact.id) == contact.id).values(**values))
    ctx.audit.record("contact_updated", f"contact {contact.id}: {','.join(sorted(values))}")
    changed = [spec.policy.category.name for spec in map(declared_pii, data) if spec is not None]
    await webhooks.contact_event(
        ctx, EventType.CONTACT_UPDATED, contact.id, changedCategories=sorted(set(changed))
    )


async def update_contact(ctx: RequestContext, global_id: str, data: dict[str, Any]) -> ContactRow:
    contact = await load_contact_model(ctx, global_id)
    await change_contact(ctx, contact, data)
    return await reload_contact(ctx, contact.id)


async def delete_contact(ctx: RequestContext, global_id: str) -> uuid.UUID:
    """Deleting a contact moves it to the trash (resolvers/trash.py): hidden, restorable
    for the tenant's `soft_deleted` period, then erased by the purge, which keeps the
    anonymous shell so deals and histories stay linked (privacy.consent.erase_contact).
    `eraseContact` erases at once."""
    return await delete_to_trash(ctx, global_id, "Contact")
