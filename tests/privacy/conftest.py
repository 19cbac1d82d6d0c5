"""A seeded world for the privacy matrices: a contact in every consent and processing state.

Seeding is expensive (argon2 hashes for a member per role in two tenants, ~60 GraphQL
operations), so it runs once per session on its own thread and event loop and the
migrated, seeded SQLite file is kept as a snapshot. Each module (or test) gets a copy of
that file and a `SyncWorld` that runs operations on its own event loop, synchronously:
hypothesis' `@given` cannot drive coroutines, and a copied file keeps tests independent.

Contacts are created and moved into their states through the real mutations
(createContact, recordConsent, withdrawConsent, recordObjection, restrictProcessing,
eraseContact) as tenant A's owner. Every personal value is a unique canary
(`cnry-<hex>`, a unique phone number and birth date) so a leak can be found by substring.

`SUBJECT_REASONS` is the hand-written expectation of the subject half of the decision
for each scenario and each role's default declared purpose; `expected_cell` adds the
caller half.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from auth.accounts import bootstrap
from auth.permissions import Role
from auth.principal import Principal
from core.context import RequestContext
from core.services import Services
from core.settings import Settings, _new_signing_key
from models import Company
from privacy.categories import DataCategory as C
from resolvers.global_ids import encode_id
from server.execution import execute_operation
from tests.support.backends import backend, pg_backend_database, store  # noqa: F401  (fixtures)
from tests.support.world import Runner, TenantWorld, make_tenant

DB_NAME = "ledgerline.db"

# --- The contact fields under test and their categories ---------------------------------

FIELDS: dict[str, C] = {
    "firstName": C.NAME,
    "lastName": C.NAME,
    "email": C.EMAIL,
    "phone": C.PHONE,
    "jobTitle": C.JOB,
    "address": C.POSTAL_ADDRESS,
    "city": C.POSTAL_ADDRESS,
    "country": C.POSTAL_ADDRESS,
    "dateOfBirth": C.DATE_OF_BIRTH,
    "notes": C.NOTES,
}
MASKED_FOR_SUPPORT = ("lastName", "email", "phone", "dateOfBirth")
"""Fields with a mask that CONTACTS_READ_MASKED_PII (support) sees instead of the value."""

MATRIX_ROLES = (Role.SALES, Role.MARKETING, Role.SUPPORT, Role.READ_ONLY)

# --- Scenarios: how each contact is moved into its state ---------------------------------

Step = tuple[str, dict[str, Any]]


def grant(purpose: str, basis: str | None = None) -> Step:
    consent: dict[str, Any] = {
        "purpose": purpose, "granted": True, "source": "web form", "evidence": "submission 1",
    }  # fmt: skip
    if basis:
        consent["lawfulBasis"] = basis
    return ("recordConsent", {"consent": consent})


def withdraw(purpose: str) -> Step:
    # withdrawConsent(...) fails for every call while RequirePermission takes a
    # parameter named `source` (see test_consent_history.py); recordConsent with
    # granted=false records the same withdrawal.
    return ("recordConsent", {"consent": {"purpose": purpose, "granted": False}})


def objection(purpose: str) -> Step:
    # recordObjection has the same `source` argument problem: recorded through the
    # service the mutation calls (privacy.consent.append_consent) until it is fixed.
    return ("service:objected", {"purpose": purpose})


SCENARIOS: dict[str, tuple[Step, ...]] = {
    "none": (),
    "granted_sales": (grant("SALES"),),
    "granted_support": (grant("SUPPORT"),),
    "granted_marketing": (grant("MARKETING"),),
    "granted_analytics": (grant("ANALYTICS"),),
    "withdrawn_sales": (grant("SALES"), withdraw("SALES")),
    "withdrawn_support": (grant("SUPPORT"), withdraw("SUPPORT")),
    "withdrawn_marketing": (grant("MARKETING"), withdraw("MARKETING")),
    "withdrawn_analytics": (grant("ANALYTICS"), withdraw("ANALYTICS")),
    "objected_sales": (grant("SALES"), objection("SALES")),
    "objected_support": (grant("SUPPORT"), objection("SUPPORT")),
    "objected_marketing": (grant("MARKETING"), objection("MARKETING")),
    "objected_analytics": (grant("ANALYTICS"), objection("ANALYTICS")),
    "objected_sales_under_contract": (grant("SALES", "CONTRACT"), objection("SALES")),
    "objected_marketing_analytics_granted": (
        grant("MARKETING"),
        grant("ANALYTICS"),
        objection("MARKETING"),
    ),
    "restricted": (grant("MARKETING"), ("restrictProcessing", {"reason": "art. 18"})),
    "erased": (grant("MARKETING"), ("eraseContact", {"reason": "art. 17"})),
}

STEP_DOCUMENTS = {
    "recordConsent": "mutation($c: ID!, $consent: ConsentInput!) "
    "{ recordConsent(contact: $c, consent: $consent) { contact { id } } }",
    "withdrawConsent": "mutation($c: ID!, $purpose: Purpose!) "
    "{ withdrawConsent(contact: $c, purpose: $purpose) { contact { id } } }",
    "recordObjection": "mutation($c: ID!, $purpose: Purpose!) "
    "{ recordObjection(contact: $c, purpose: $purpose) { contact { id } } }",
    "restrictProcessing": "mutation($c: ID!, $reason: String) "
    "{ restrictProcessing(contact: $c, reason: $reason) { contact { id } } }",
    "eraseContact": "mutation($c: ID!, $reason: String) "
    "{ eraseContact(contact: $c, reason: $reason) { contact { id } } }",
}

CREATE = """
mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }
"""

# --- Expectations: the subject half, written by hand from the purpose table -------------

NC, CW, OBJ = "NO_CONSENT", "CONSENT_WITHDRAWN", "OBJECTED"
PNP, PR, ER = "PURPOSE_NOT_PERMITTED", "PROCESSING_RESTRICTED", "ERASED"
NP = "NOT_PERMITTED_FOR_PURPOSE"
OK = None


def sales(reason: str | None) -> dict[C, str | None]:
    """Purpose sales uses everything but the date of birth."""
    cats = (C.NAME, C.EMAIL, C.PHONE, C.POSTAL_ADDRESS, C.JOB, C.NOTES)
    return {c: reason for c in cats} | {C.DATE_OF_BIRTH: PNP}


def marketing(reason: str | None) -> dict[C, str | None]:
    """Marketing (the role's default declared purpose) uses name, email, phone, job,
    address and date of birth, never notes. Analytics, which the role may also declare,
    never helps a request that declares marketing."""
    cats = (C.NAME, C.EMAIL, C.PHONE, C.POSTAL_ADDRESS, C.JOB, C.DATE_OF_BIRTH)
    return {c: reason for c in cats} | {C.NOTES: PNP}


def support(reason: str | None) -> dict[C, str | None]:
    """Purpose support uses everything but the postal address. Support may not read
    consent, so every reason that comes from the person reads NOT_PERMITTED_FOR_PURPOSE."""
    cats = (C.NAME, C.EMAIL, C.PHONE, C.JOB, C.NOTES, C.DATE_OF_BIRTH)
    return {c: reason for c in cats} | {C.POSTAL_ADDRESS: PNP}


def _row(s: dict[C, Any], m: dict[C, Any], p: dict[C, Any]) -> dict[Role, dict[C, Any]]:
    return {Role.SALES: s, Role.MARKETING: m, Role.SUPPORT: p}


SUBJECT_REASONS: dict[str, dict[Role, dict[C, str | None]]] = {
    "none": _row(sales(OK), marketing(NC), support(OK)),
    "granted_sales": _row(sales(OK), marketing(NC), support(OK)),
    "granted_support": _row(sales(OK), marketing(NC), support(OK)),
    "granted_marketing": _row(sales(OK), marketing(OK), support(OK)),
    # One declared purpose: analytics consent does not help a marketing request.
    "granted_analytics": _row(sales(OK), marketing(NC), support(OK)),
    "withdrawn_sales": _row(sales(CW), marketing(NC), support(OK)),
    "withdrawn_support": _row(sales(OK), marketing(NC), support(NP)),
    "withdrawn_marketing": _row(sales(OK), marketing(CW), support(OK)),
    "withdrawn_analytics": _row(sales(OK), marketing(NC), support(OK)),
    # Sales' default basis is legitimate interest: the objection counts.
    "objected_sales": _row(sales(OBJ), marketing(NC), support(OK)),
    # Support's default basis is contract: an objection does not stop it.
    "objected_support": _row(sales(OK), marketing(NC), support(OK)),
    "objected_marketing": _row(sales(OK), marketing(OBJ), support(OK)),
    "objected_analytics": _row(sales(OK), marketing(NC), support(OK)),
    "objected_sales_under_contract": _row(sales(OK), marketing(NC), support(OK)),
    "objected_marketing_analytics_granted": _row(sales(OK), marketing(OBJ), support(OK)),
    "restricted": _row(sales(PR), marketing(PR), support(NP)),
    "erased": _row(sales(ER), marketing(ER), support(NP)),
}


@dataclass(frozen=True)
class Cell:
    kind: str  # "value" | "mask" | "null"
    reason: str | None


def expected_cell(scenario: str, role: Role, field_name: str) -> Cell:
    """The caller half (permission, mask) on top of the hand-written subject half."""
    if role is Role.READ_ONLY:
        return Cell("null", "MISSING_PERMISSION")
    if role is Role.SUPPORT and field_name not in MASKED_FOR_SUPPORT:
        return Cell("null", "MISSING_PERMISSION")
    reason = SUBJECT_REASONS[scenario][role][FIELDS[field_name]]
    if reason is not None:
        return Cell("null", reason)
    if role is Role.SUPPORT:
        return Cell("mask", "MISSING_PERMISSION")
    return Cell("value", None)


def expected_mask(field_name: str, value: str) -> str:
    """Masks written out from their names, independently of privacy/masking.py."""
    if field_name == "lastName":
        return value[0] + "."
    if field_name == "email":
        local, domain = value.split("@")
        return f"{local[0]}***@{domain}"
    if field_name == "phone":
        return "•••• " + value[-4:]
    if field_name == "dateOfBirth":
        return value[:4]
    raise AssertionError(f"{field_name} has no mask")


# --- The seeded world --------------------------------------------------------------------


@dataclass
class SeededContact:
    key: str
    gid: str
    id: uuid.UUID
    company_gid: str
    values: dict[str, str | None]
    """Field -> the value a full reader sees (None once erased)."""
    canaries: dict[str, str]
    """Field -> a substring that identifies the stored value anywhere."""


@dataclass
class Seed:
    tenant_a: TenantWorld
    tenant_b: TenantWorld
    contacts: dict[str, SeededContact]
    """Tenant A's contacts, one per scenario."""
    b_contacts: list[SeededContact]
    company_names_a: list[str]
    company_names_b: list[str]

    def a_canaries(self) -> set[str]:
        """Every marker of a value that belongs to tenant A (erased ones included)."""
        out = {m for c in self.contacts.values() for m in c.canaries.values()}
        out |= {c.gid for c in self.contacts.values()}
        out |= {c.company_gid for c in self.contacts.values()}
        return out | set(self.company_names_a)


@dataclass
class Snapshot:
    directory: Path
    settings: Settings
    seed: Seed


def _contact_input(n: int, prefix: str) -> tuple[dict[str, Any], dict[str, str]]:
    token = lambda: f"{prefix}-{secrets.token_hex(6)}"  # noqa: E731
    email_local = token()
    born = date(1931 + n % 60, 1 + n % 12, 10 + n % 18).isoformat()
    values = {
        "firstName": token(),
        "lastName": token(),
        "email": f"{email_local}@example.com",
        "phone": f"+44207183{n + 1000:04d}",
        "jobTitle": token(),
        "address": token(),
        "city": token(),
        "country": "NZ",
        "dateOfBirth": born,
        "notes": token(),
    }
    canaries = {k: v for k, v in values.items() if k != "country"}
    canaries["email"] = email_local
    return values, canaries


async def _add_company(services: Services, tenant_id: uuid.UUID, name: str) -> str:
    async with services.db.session(tenant_id) as session:
        company = Company(tenant_id=tenant_id, name=name, domain="example.com")
        session.add(company)
        await session.commit()
        return encode_id("Company", company.id)


async def record_objection_directly(
    services: Services, world: TenantWorld, gid: str, purpose: str
) -> None:
    from privacy.consent import ConsentRecord, append_consent
    from privacy.purposes import Purpose
    from resolvers.global_ids import decode_id

    async with services.db.session(world.tenant_id) as session:
        record = ConsentRecord(purpose=Purpose[purpose], status="objected", source="test")
        await append_consent(session, decode_id(gid)[1], record, world.users[Role.OWNER])
        await session.commit()


async def _run_ok(runner: Runner, principal: Principal, query: str, variables: Any) -> Any:
    result = await runner(principal, query, variables)
    assert result.errors is None, result.errors
    return result.data


async def _create(
    services: Services,
    runner: Runner,
    world: TenantWorld,
    key: str,
    n: int,
    prefix: str,
    steps: tuple[Step, ...] = (),
) -> SeededContact:
    owner = world.principal(Role.OWNER)
    company_name = f"{prefix}-co-{secrets.token_hex(6)}"
    company_gid = await _add_company(services, world.tenant_id, company_name)
    values, canaries = _contact_input(n, prefix)
    canaries["company"] = company_name
    data = await _run_ok(runner, owner, CREATE, {"input": {**values, "company": company_gid}})
    gid = data["createContact"]["contact"]["id"]
    for name, variables in steps:
        if name == "service:objected":
            await record_objection_directly(services, world, gid, variables["purpose"])
        else:
            await _run_ok(runner, owner, STEP_DOCUMENTS[name], {"c": gid, **variables})
    if any(name == "eraseContact" for name, _ in steps):
        values = dict.fromkeys(values)
    from resolvers.global_ids import decode_id

    return SeededContact(key, gid, decode_id(gid)[1], company_gid, values, canaries)


async def _seed(settings: Settings) -> Seed:
    services = Services.from_settings(settings)
    try:
        await bootstrap(services)
        runner = Runner(services)
        tenant_a = await make_tenant(services, "Acme Corp")
        tenant_b = await make_tenant(services, "Globex Inc")
        contacts = {}
        for n, (key, steps) in enumerate(SCENARIOS.items()):
            contacts[key] = await _create(services, runner, tenant_a, key, n, "cnry", steps)
        b_contacts = [
            await _create(services, runner, tenant_b, f"b{n}", 100 + n, "bnry", steps)
            for n, steps in enumerate([(), (grant("MARKETING"),), (objection("SALES"),)])
        ]
        return Seed(
            tenant_a,
            tenant_b,
            contacts,
            b_contacts,
            [c.canaries["company"] for c in contacts.values()],
            [c.canaries["company"] for c in b_contacts],
        )
    finally:
        await services.close()


def _copy_db(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for path in source.glob(DB_NAME + "*"):
        shutil.copy(path, target / path.name)


@pytest.fixture(scope="session")
def seeded_snapshot(tmp_path_factory: pytest.TempPathFactory, template_db: Path) -> Snapshot:
    directory = tmp_path_factory.mktemp("privacy-seed")
    shutil.copy(template_db, directory / DB_NAME)
    settings = Settings(
        env="test",
        data_dir=directory,
        database_url=f"sqlite+aiosqlite:///{directory / DB_NAME}",
        signing_key_pem=_new_signing_key(),
        master_keys={"k1": secrets.token_bytes(32)},
        active_master_key_id="k1",
    )
    # Its own thread, so its event loop never meets pytest-asyncio's.
    with ThreadPoolExecutor(1) as pool:
        seed = pool.submit(asyncio.run, _seed(settings)).result()
    return Snapshot(directory, settings, seed)


class SyncWorld:
    """A copy of the seeded database, and operations run synchronously on its own loop."""

    def __init__(self, snapshot: Snapshot, directory: Path) -> None:
        _copy_db(snapshot.directory, directory)
        self.settings = snapshot.settings.model_copy(
            update={
                "data_dir": directory,
                "database_url": f"sqlite+aiosqlite:///{directory / DB_NAME}",
            }
        )
        self.seed = snapshot.seed
        self.loop = asyncio.new_event_loop()
        self.services = Services.from_settings(self.settings)
        self.runner = Runner(self.services)
        self.last_context: RequestContext | None = None

    def principal(self, role: Role, tenant: str = "a") -> Principal:
        world = self.seed.tenant_a if tenant == "a" else self.seed.tenant_b
        return world.principal(role)

    def run(self, principal: Principal | None, query: str, variables: Any = None) -> Any:
        ctx = RequestContext(services=self.services, principal=principal)
        self.last_context = ctx
        return self.loop.run_until_complete(
            execute_operation(self.runner.schema, ctx, query, variables)
        )

    def call(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def close(self) -> None:
        self.loop.run_until_complete(self.services.close())
        self.loop.close()


@pytest.fixture(scope="module")
def module_world(
    seeded_snapshot: Snapshot, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SyncWorld]:
    """One copy per module, for tests that only read (reads write audit rows only)."""
    world = SyncWorld(seeded_snapshot, tmp_path_factory.mktemp("privacy-module"))
    yield world
    world.close()


@pytest.fixture
def world(seeded_snapshot: Snapshot, tmp_path: Path) -> Iterator[SyncWorld]:
    """A fresh copy per test, for tests that count or change rows."""
    world = SyncWorld(seeded_snapshot, tmp_path / "world")
    yield world
    world.close()
