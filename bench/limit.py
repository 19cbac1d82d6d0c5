"""The physical limit: hand-written SQL, plain dicts and orjson, byte-identical JSON.

W1/W2 (and W4): one statement (the page, with the caller's purposes' consent standings
as correlated sub-selects), then per row the same show/mask/redact decision as the API
(privacy.decision over the same subject state, memoised per state), decrypting what is
encrypted at rest with the tenant's cipher, exactly as the API does. The field policies
are read from the schema's own declarations (schema.types.contacts), not copied.
W3: one hand-written statement per level (contacts, companies, deals, activities).

On PostgreSQL the limit connects as the owner (no row-level security policy to
evaluate) and filters by tenant itself: it is the floor, not a second implementation.
"""

from __future__ import annotations

import base64
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.principal import Principal
from privacy.consent import ERASED_TEXT
from privacy.crypto import TenantCipher
from privacy.decision import PurposeStanding, SubjectState, Verdict, decide
from privacy.masking import apply_mask
from schema.policy import POLICY_KEY, PiiSpec

W1_FIELDS = (
    ("id", "id"), ("firstName", "first_name"), ("lastName", "last_name"), ("email", "email_enc"),
    ("phone", "phone_enc"), ("jobTitle", "job_title_enc"), ("city", "city_enc"),
    ("country", "country_enc"), ("lifecycleStage", "lifecycle_stage"), ("source", "source"),
    ("createdAt", "created_at"), ("updatedAt", "updated_at"),
)  # fmt: skip
W4_FIELDS = (("id", "id"), ("firstName", "first_name"), ("lastName", "last_name"),
             ("email", "email_enc"))  # fmt: skip


def _contact_specs() -> dict[str, PiiSpec]:
    from schema.types.contacts import Contact

    specs = {}
    for f in Contact.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        spec = f.metadata.get(POLICY_KEY)
        if isinstance(spec, PiiSpec):
            specs[spec.source] = spec
    return specs


def gid(type_name: str, hex_id: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{hex_id}".encode()).rstrip(b"=").decode()


class Limit:
    def __init__(
        self, engine: AsyncEngine, cipher: TenantCipher, tenant_id: uuid.UUID, postgres: bool
    ) -> None:
        self.engine = engine
        self.cipher = cipher
        self.tenant_id = tenant_id
        self.postgres = postgres
        self.specs = _contact_specs()

    # ------------------------------------------------------------ value helpers
    def _uid(self, value: uuid.UUID) -> Any:
        return value if self.postgres else value.hex

    def _hex(self, value: Any) -> str:
        return value.hex if isinstance(value, uuid.UUID) else value

    def _ts(self, value: Any) -> str:
        if isinstance(value, str):
            return datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat()
        return value.astimezone(UTC).isoformat()

    def _standing_sql(self, principal: Principal) -> str:
        parts = []
        for purpose in principal.purposes:
            parts.append(
                "(SELECT COALESCE(cs.status, '') || '|' || COALESCE(cs.lawful_basis, '') || '|'"
                " || CASE WHEN cs.objected THEN '1' ELSE '0' END FROM consent_state cs"
                " WHERE cs.tenant_id = c.tenant_id AND cs.contact_id = c.id"
                f" AND cs.purpose = '{purpose.value}')"
            )
        return "".join(", " + p for p in parts)

    def _contact_sql(self, principal: Principal, where: str, tail: str) -> Any:
        cols = ", ".join(
            f"c.{col}" for _, col in W1_FIELDS if col != "id"
        )  # superset of W4's columns
        return text(
            f"SELECT c.id, {cols}, c.restricted, c.erased_at"
            f"{self._standing_sql(principal)} FROM contact c WHERE c.tenant_id = :t {where} {tail}"
        )

    def _rows_to_dicts(
        self, principal: Principal, rows: Any, fields: tuple[tuple[str, str], ...]
    ) -> list[dict[str, Any]]:
        """Apply the API's decisions: one per (column, subject state), memoised."""
        names = ["id"] + [col for _, col in W1_FIELDS if col != "id"]
        index = {name: i for i, name in enumerate(names)}
        n_plain = len(names)
        purposes = principal.purposes
        permissions = principal.permissions
        specs = self.specs
        decrypt = self.cipher.decrypt
        cache: dict[tuple[Any, ...], list[Any]] = {}
        plan = []
        for key, col in fields:
            spec = specs.get(col)
            plan.append((key, index[col], col, spec))
        out = []
        for row in rows:
            restricted, erased_at = row[n_plain], row[n_plain + 1]
            standing = row[n_plain + 2 :]
            state_key = (bool(restricted), erased_at is not None, tuple(standing))
            verdicts = cache.get(state_key)
            if verdicts is None:
                standings = {}
                for purpose, raw in zip(purposes, standing, strict=True):
                    if raw is not None:
                        status, basis, objected = raw.split("|")
                        standings[purpose] = PurposeStanding(
                            status or None, basis or None, objected == "1"
                        )
                state = SubjectState(erased_at is not None, bool(restricted), standings)
                verdicts = [
                    None if spec is None else decide(permissions, purposes, spec.policy, state)
                    for _, _, _, spec in plan
                ]
                cache[state_key] = verdicts
            item: dict[str, Any] = {}
            for (key, i, col, spec), decision in zip(plan, verdicts, strict=True):
                value = row[i]
                if spec is None:
                    if col == "id":
                        value = gid("Contact", self._hex(value))
                    elif col in ("created_at", "updated_at"):
                        value = self._ts(value)
                    elif col == "lifecycle_stage":
                        value = value.upper()  # the LifecycleStage enum's name
                    item[key] = value
                    continue
                verdict = decision.verdict
                if verdict is Verdict.REDACT or value is None:
                    item[key] = None
                    continue
                if spec.decode != "none":
                    value = decrypt(value)
                item[key] = (
                    value if verdict is Verdict.SHOW else apply_mask(spec.policy.mask, value)
                )
            out.append(item)
        return out

    # ------------------------------------------------------------ workloads
    async def contacts_page(self, principal: Principal, first: int) -> bytes:
        stmt = self._contact_sql(principal, "", "ORDER BY c.created_at DESC, c.id DESC LIMIT :n")
        async with self.engine.connect() as conn:
            rows = (await conn.execute(stmt, {"t": self._uid(self.tenant_id), "n": first})).all()
        nodes = self._rows_to_dicts(principal, rows, W1_FIELDS)
        return orjson.dumps({"data": {"contacts": {"nodes": nodes}}})

    async def contact_by_id(self, principal: Principal, contact_id: uuid.UUID) -> bytes:
        stmt = self._contact_sql(principal, "AND c.id = :id", "")
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    stmt, {"t": self._uid(self.tenant_id), "id": self._uid(contact_id)}
                )
            ).all()
        nodes = self._rows_to_dicts(principal, rows, W4_FIELDS)
        return orjson.dumps({"data": {"contact": nodes[0] if nodes else None}})

    async def n_plus_one(self, first: int = 200, deals: int = 5, activities: int = 3) -> bytes:
        """W3 with one statement per level, top-N per parent by ROW_NUMBER()."""
        t = self._uid(self.tenant_id)
        async with self.engine.connect() as conn:
            contacts = (
                await conn.execute(
                    text(
                        "SELECT id, company_id FROM contact WHERE tenant_id = :t "
                        "ORDER BY created_at DESC, id DESC LIMIT :n"
                    ),
                    {"t": t, "n": first},
                )
            ).all()
            company_ids = list({c[1] for c in contacts if c[1] is not None})
            companies = {}
            if company_ids:
                companies = dict(
                    (
                        await conn.execute(
                            text(
                                "SELECT id, name FROM company WHERE tenant_id = :t AND id IN :ids"
                            ).bindparams(bindparam("ids", expanding=True)),
                            {"t": t, "ids": company_ids},
                        )
                    ).all()
                )
            deal_rows = []
            if company_ids:
                deal_rows = (
                    await conn.execute(
                        text(
                            "SELECT id, company_id, title_enc FROM (SELECT id, company_id, "
                            "title_enc, "
                            "created_at, ROW_NUMBER() OVER (PARTITION BY company_id ORDER BY "
                            "created_at DESC, id DESC) AS rk FROM deal WHERE tenant_id = :t AND "
                            "company_id IN :ids) ranked WHERE rk <= :n "
                            "ORDER BY created_at DESC, id DESC"
                        ).bindparams(bindparam("ids", expanding=True)),
                        {"t": t, "ids": company_ids, "n": deals},
                    )
                ).all()
            deal_ids = [d[0] for d in deal_rows]
            activity_rows = []
            if deal_ids:
                activity_rows = (
                    await conn.execute(
                        text(
                            "SELECT deal_id, subject_enc FROM (SELECT deal_id, subject_enc, "
                            "created_at, "
                            "id, ROW_NUMBER() OVER (PARTITION BY deal_id ORDER BY created_at "
                            "DESC, id DESC) AS rk FROM activity WHERE tenant_id = :t AND "
                            "deal_id IN :ids) ranked WHERE rk <= :n "
                            "ORDER BY created_at DESC, id DESC"
                        ).bindparams(bindparam("ids", expanding=True)),
                        {"t": t, "ids": deal_ids, "n": activities},
                    )
                ).all()
        decrypt = self.cipher.decrypt
        acts: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for deal_id, subject in activity_rows:
            acts[deal_id].append({"subject": ERASED_TEXT if subject is None else decrypt(subject)})
        by_company: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for deal_id, company_id, title in deal_rows:
            shown = ERASED_TEXT if title is None else decrypt(title)
            by_company[company_id].append({"title": shown, "activities": acts.get(deal_id, [])})
        nodes = []
        for cid, company_id in contacts:
            company = None
            if company_id is not None and company_id in companies:
                company = {"name": companies[company_id], "deals": by_company.get(company_id, [])}
            nodes.append({"id": gid("Contact", self._hex(cid)), "company": company})
        return orjson.dumps({"data": {"contacts": {"nodes": nodes}}})
