"""Demo and benchmark data: tenants, a member per role, and realistic CRM rows.

Contacts are spread over every consent and processing state (granted, withdrawn,
none, objected, restricted, erased) so redactions can be seen changing between roles.
Rows are written in bulk (executemany) inside tenant-scoped sessions.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from faker import Faker
from sqlalchemy import func, insert, select
from sqlmodel import col

from auth.accounts import add_membership, create_tenant, create_user, find_user_id_by_email
from auth.permissions import Role
from core.services import Services
from models import Activity, Company, ConsentEvent, ConsentState, Contact, Deal, Tenant
from models.activities import ACTIVITY_KINDS
from models.contacts import LIFECYCLE_STAGES
from models.deals import DEAL_STAGES
from server.demo import DEMO_PASSWORD, DEMO_TENANTS, demo_email

__all__ = ["DEMO_PASSWORD", "DEMO_TENANTS", "SeedSize", "SeededTenant", "seed_demo"]


@dataclass
class SeedSize:
    contacts: int = 500
    companies: int = 60
    deals: int = 300
    activities: int = 600


@dataclass
class SeededTenant:
    tenant_id: uuid.UUID
    slug: str
    users: dict[Role, uuid.UUID] = field(default_factory=dict)
    emails: dict[Role, str] = field(default_factory=dict)


def _state_for(i: int) -> str:
    """A deterministic spread: most contacts ordinary, every state represented."""
    if i % 97 == 13:
        return "erased"
    return ("granted", "granted", "none", "withdrawn", "objected", "none", "restricted",
            "granted", "none", "none")[i % 10]  # fmt: skip


async def seed_tenant(
    services: Services, name: str, slug: str, region: str, size: SeedSize, seed: int = 7
) -> SeededTenant:
    fake = Faker(["en_GB", "de_DE", "fr_FR", "en_US"])
    Faker.seed(seed)
    rng = random.Random(seed)
    async with services.db.session(None) as session:
        tenant = await create_tenant(services, session, name, region, slug=slug)
        seeded = SeededTenant(tenant.id, tenant.slug)
        for role in Role:
            email = demo_email(role, tenant.slug)
            existing = await find_user_id_by_email(services, email)
            if existing is None:
                user = await create_user(
                    services, session, email, f"{role.value.title()} Demo", DEMO_PASSWORD, 1985
                )
                existing = user.id
            await add_membership(session, tenant.id, existing, role)
            seeded.users[role] = existing
            seeded.emails[role] = email
        cipher = await services.keyring.cipher(session, tenant.id)
        owners = list(seeded.users.values())
        now = datetime.now(UTC)
        tid = tenant.id

        def stamp(days_ago: float) -> datetime:
            return now - timedelta(days=days_ago)

        companies = []
        for _ in range(size.companies):
            created = stamp(rng.uniform(30, 900))
            companies.append({
                "id": uuid.uuid4(), "tenant_id": tid, "name": fake.company(),
                "domain": fake.domain_name(), "industry": rng.choice(
                    ["Software", "Retail", "Manufacturing", "Finance", "Health", "Logistics"]),
                "size": rng.choice([5, 20, 80, 250, 1200, 5000]),
                "address_enc": cipher.encrypt(fake.street_address().replace("\n", ", ")),
                "owner_id": rng.choice(owners), "created_at": created, "updated_at": created,
            })  # fmt: skip
        contacts, events, states = [], [], []
        for i in range(size.contacts):
            created = stamp(rng.uniform(0, 700))
            email = f"{fake.user_name()}.{i}@{fake.free_email_domain()}"
            state = _state_for(i)
            born = date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28))
            cid = uuid.uuid4()
            erased = state == "erased"
            contacts.append({
                "id": cid, "tenant_id": tid, "created_at": created, "updated_at": created,
                "first_name": None if erased else fake.first_name(),
                "last_name": None if erased else fake.last_name(),
                "email_enc": None if erased else cipher.encrypt(email),
                "email_bidx": None if erased else cipher.blind_index(email),
                "phone_enc": None if erased else cipher.encrypt(
                    f"+4420{rng.randint(70000000, 79999999)}"),
                "job_title_enc": None if erased else cipher.encrypt(fake.job()[:150]),
                "company_id": rng.choice(companies)["id"] if companies and rng.random() < 0.9
                else None,
                "address_enc": None if erased else cipher.encrypt(fake.street_address()),
                "city_enc": None if erased else cipher.encrypt(fake.city()[:100]),
                "country_enc": None if erased
                else cipher.encrypt(rng.choice(["GB", "DE", "FR", "US", "NL"])),
                "date_of_birth_enc": None if erased else cipher.encrypt(born.isoformat()),
                "lifecycle_stage": rng.choice(LIFECYCLE_STAGES),
                "source": rng.choice(["web_form", "import", "event", "referral", "api"]),
                "owner_id": rng.choice(owners),
                "notes_enc": None if erased else cipher.encrypt(fake.sentence(nb_words=12)),
                "restricted": state == "restricted",
                "erased_at": now if erased else None,
            })  # fmt: skip
            marketing = {"granted": "granted", "withdrawn": "withdrawn", "objected": "granted"}
            if state in marketing:
                status = marketing[state]
                for purpose in ("marketing", "analytics"):
                    events.append(_event(tid, cid, purpose, "granted", created, "web_form"))
                    if status == "withdrawn":
                        events.append(
                            _event(tid, cid, purpose, "withdrawn", created + timedelta(days=3))
                        )
                    states.append({
                        "tenant_id": tid, "contact_id": cid, "purpose": purpose,
                        "status": status, "lawful_basis": "consent",
                        "objected": state == "objected" and purpose == "marketing",
                        "updated_at": created,
                    })  # fmt: skip
                if state == "objected":
                    events.append(
                        _event(tid, cid, "marketing", "objected", created + timedelta(days=5))
                    )
        deals = []
        for _ in range(size.deals):
            created = stamp(rng.uniform(0, 400))
            contact = rng.choice(contacts)
            stage = rng.choice(DEAL_STAGES)
            deals.append({
                "id": uuid.uuid4(), "tenant_id": tid, "created_at": created, "updated_at": created,
                "title_enc": cipher.encrypt(fake.bs().title()[:150]),
                "amount": Decimal(rng.randint(500, 250_000)).quantize(Decimal("0.01")),
                "currency": rng.choice(["EUR", "USD", "GBP"]), "stage": stage,
                "expected_close_date": (created + timedelta(days=rng.randint(10, 120))).date(),
                "company_id": contact["company_id"], "primary_contact_id": contact["id"],
                "owner_id": rng.choice(owners),
                "closed_at": created + timedelta(days=30) if stage in ("won", "lost") else None,
            })  # fmt: skip
        activities = []
        for _ in range(size.activities):
            created = stamp(rng.uniform(0, 300))
            deal = rng.choice(deals) if deals else None
            kind = rng.choice(ACTIVITY_KINDS)
            activities.append({
                "id": uuid.uuid4(), "tenant_id": tid, "created_at": created, "updated_at": created,
                "kind": kind,
                "subject_enc": cipher.encrypt(f"{kind.title()}: {fake.catch_phrase()[:150]}"),
                "body_enc": cipher.encrypt(fake.paragraph(3)),
                "due_at": created + timedelta(days=rng.randint(1, 20)) if kind == "task" else None,
                "done": rng.random() < 0.5, "contact_id": deal["primary_contact_id"] if deal
                else None, "company_id": deal["company_id"] if deal else None,
                "deal_id": deal["id"] if deal else None, "author_id": rng.choice(owners),
            })  # fmt: skip
        erased_ids = {c["id"] for c in contacts if c["erased_at"]}
        for activity in activities:
            if activity["contact_id"] in erased_ids:
                activity["body_enc"] = None
        for model, rows in (
            (Company, companies),
            (Contact, contacts),
            (ConsentEvent, events),
            (ConsentState, states),
            (Deal, deals),
            (Activity, activities),
        ):
            for start in range(0, len(rows), 2000):
                await session.execute(insert(model), rows[start : start + 2000])
        await session.commit()
    return seeded


def _event(
    tid: uuid.UUID, cid: uuid.UUID, purpose: str, status: str, at: datetime, source: str = "email"
) -> dict[str, object]:
    return {
        "id": uuid.uuid4(), "tenant_id": tid, "contact_id": cid, "purpose": purpose,
        "status": status, "lawful_basis": "consent" if status == "granted" else None,
        "source": source, "method": "checkbox" if status == "granted" else "email_link",
        "policy_version": "2026-11-01", "recorded_at": at, "created_at": at, "updated_at": at,
    }  # fmt: skip


async def is_empty(services: Services) -> bool:
    async with services.db.session(None) as session:
        return (await session.execute(select(func.count(col(Tenant.id))))).scalar_one() == 0


async def seed_demo(services: Services, size: SeedSize | None = None) -> list[SeededTenant]:
    size = size or SeedSize()
    tenants = [
        await seed_tenant(services, name, slug, region, size, seed=i + 1)
        for i, (name, slug, region) in enumerate(DEMO_TENANTS)
    ]
    # A user may belong to several tenants: acme's owner is also read-only at globex,
    # which shows `switchTenant` in the demo.
    acme, globex = tenants
    async with services.db.session(globex.tenant_id) as session:
        await add_membership(session, globex.tenant_id, acme.users[Role.OWNER], Role.READ_ONLY)
        await session.commit()
    return tenants
