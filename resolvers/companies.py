"""Companies: listing with filters, and create/update/delete.

Thin by design, like resolvers/contacts.py: permissions live in the schema's field
policies; here is input validation and tenant-scoped loading. A delete moves the
company to the trash (resolvers/trash.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from email_validator import EmailSyntaxError
from email_validator.syntax import validate_email_domain_name
from sqlalchemy import func, select, update
from sqlmodel import col

from core.context import RequestContext
from core.errors import bad_input
from models import Company
from models.base import utcnow
from resolvers import validation as v
from resolvers.pagination import Page, PageArgs, fetch_page
from resolvers.references import existing, member_user_id
from resolvers.rows import CompanyRow
from resolvers.trash import delete_to_trash

SORTABLE = {"CREATED_AT": "created_at", "UPDATED_AT": "updated_at", "NAME": "name"}


@dataclass
class CompanyFilterArgs:
    search: str | None = None
    industry: str | None = None
    owner: str | None = None


def like_pattern(term: str) -> str:
    """A case-insensitive `contains` pattern with LIKE's wildcards escaped (escape='\\')."""
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def company_filters(ctx: RequestContext, f: CompanyFilterArgs | None) -> list[Any]:
    if f is None:
        return []
    clauses: list[Any] = []
    if f.search is not None:
        term = v.text(f.search, "search", 100, required=True)
        clauses.append(col(Company.name).ilike(like_pattern(term), escape="\\"))
    if f.industry is not None:
        industry = v.text(f.industry, "industry", 100, required=True) or ""
        clauses.append(func.lower(Company.industry) == industry.lower())
    if f.owner is not None:
        clauses.append(Company.owner_id == await member_user_id(ctx, f.owner, "owner"))
    return clauses


async def list_companies(
    ctx: RequestContext, f: CompanyFilterArgs | None, order: str, descending: bool, args: PageArgs
) -> tuple[list[CompanyRow], Page]:
    stmt = select(*CompanyRow.COLUMNS).where(*await company_filters(ctx, f))
    sort_key = SORTABLE[order]
    result, page = await fetch_page(
        ctx.db,
        stmt,
        sort_column=getattr(Company, sort_key),
        id_column=Company.id,
        descending=descending,
        args=args,
        max_page=ctx.services.settings.limits.max_page_size,
        sort_key=sort_key,
    )
    return [CompanyRow.from_tuple(values) for values in result], page


def domain(value: str | None, field: str = "domain") -> str | None:
    """A DNS name such as example.com (IDNs allowed), syntax only: no lookup."""
    if value is None:
        return None
    candidate = value.strip().rstrip(".")
    if not candidate:
        return None
    if len(candidate) > 253:
        raise bad_input("domain is longer than 253 characters.", field)
    try:
        checked = validate_email_domain_name(candidate, globally_deliverable=True)
    except EmailSyntaxError as exc:
        raise bad_input("domain must be a domain name such as example.com.", field) from exc
    return str(checked["domain"])


def size(value: int | None, field: str = "size") -> int | None:
    if value is not None and value < 0:
        raise bad_input("size must not be negative.", field)
    return value


async def company_values(
    ctx: RequestContext, data: dict[str, Any], creating: bool
) -> dict[str, Any]:
    """Validate an input dict (only keys present are changed) into column values."""
    out: dict[str, Any] = {}
    if creating and "name" not in data:
        raise bad_input("name is required.", "name")
    if "name" in data:
        out["name"] = v.text(data["name"], "name", 200, required=True)
    if "domain" in data:
        out["domain"] = domain(data["domain"])
    if "industry" in data:
        out["industry"] = v.text(data["industry"], "industry", 100)
    if "size" in data:
        out["size"] = size(data["size"])
    if "address" in data:
        out["address_enc"] = ctx.require_cipher().encrypt(v.text(data["address"], "address", 500))
    if "owner" in data:
        out["owner_id"] = await member_user_id(ctx, data["owner"], "owner")
    return out


async def reload_company(ctx: RequestContext, company_id: uuid.UUID) -> CompanyRow:
    """Read back after a write, past the request's loader cache."""
    result = await ctx.db.execute(select(*CompanyRow.COLUMNS).where(col(Company.id) == company_id))
    return CompanyRow.from_tuple(result.one())


async def create_company(ctx: RequestContext, data: dict[str, Any]) -> CompanyRow:
    values = await company_values(ctx, data, creating=True)
    company = Company(**values)
    if "owner_id" not in values:
        company.owner_id = ctx.require_principal().user_id
    ctx.db.add(company)
    await ctx.db.flush()
    ctx.audit.record("company_created", f"company {company.id}")
    return await reload_company(ctx, company.id)


async def update_company(ctx: RequestContext, global_id: str, data: dict[str, Any]) -> CompanyRow:
    row = await existing(ctx, global_id, "Company", "id")
    values = await company_values(ctx, data, creating=False)
    values["updated_at"] = utcnow()
    await ctx.db.execute(update(Company).where(col(Company.id) == row.id).values(**values))
    ctx.audit.record("company_updated", f"company {row.id}: {','.join(sorted(values))}")
    return await reload_company(ctx, row.id)


async def delete_company(ctx: RequestContext, global_id: str) -> uuid.UUID:
    """To the trash (resolvers/trash.py); its contacts, deals and activities stay linked
    until the purge removes it and unlinks them."""
    return await delete_to_trash(ctx, global_id, "Company")
