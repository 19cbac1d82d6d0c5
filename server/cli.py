"""The `ledgerline` command: serve, migrate, seed-demo, print-schema, rotate-keys,
policy render, policy publish."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from core.settings import Settings

app = typer.Typer(
    help="Ledgerline: privacy-first multi-tenant CRM GraphQL API.", no_args_is_help=True
)
console = Console(stderr=True)
policy_app = typer.Typer(help="The privacy policy, generated from the data map.")
app.add_typer(policy_app, name="policy")

GROUP_HELP = {
    "privacy": "Data-subject rights: export packages, the canary sweep.",
    "retention": "Retention rules and the purge.",
    "audit": "The audit log: verify its hash chain.",
    "tenant": "Tenant lifecycle: offboarding.",
    "apps": "Partner apps: OAuth clients and installations.",
}
COMMAND_GROUPS = (
    ("privacy", "server.commands.export"),
    ("privacy", "server.commands.sweep"),
    ("retention", "server.commands.retention"),
    ("audit", "server.commands.audit"),
    ("tenant", "server.commands.tenant"),
    ("apps", "server.commands.apps"),
)
"""(group, module): each module's `register(group)` adds its commands."""


def _register_groups() -> None:
    import importlib

    groups: dict[str, typer.Typer] = {}
    for group_name, module_name in COMMAND_GROUPS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        if group_name not in groups:
            groups[group_name] = typer.Typer(help=GROUP_HELP[group_name], no_args_is_help=True)
            app.add_typer(groups[group_name], name=group_name)
        module.register(groups[group_name])


def _settings() -> Settings:
    from core.settings import ConfigurationError, load_settings

    try:
        return load_settings()
    except ConfigurationError as exc:
        console.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


@app.command()
def migrate() -> None:
    """Apply the database migrations (SQLite file or DATABASE_URL)."""
    from models.migrate import upgrade_settings

    settings = _settings()
    upgrade_settings(settings)
    console.print("migrated")


async def _seed(if_empty: bool, contacts: int) -> None:
    from auth.accounts import bootstrap
    from core.services import Services
    from server.seed import DEMO_PASSWORD, SeedSize, is_empty, seed_demo

    services = Services.from_settings(_settings())
    try:
        await bootstrap(services)
        if if_empty and not await is_empty(services):
            console.print("database already has data; not seeding")
            return
        size = SeedSize(contacts=contacts, companies=max(contacts // 8, 10),
                        deals=contacts // 2, activities=contacts)  # fmt: skip
        for tenant in await seed_demo(services, size):
            console.print(f"[green]seeded[/green] tenant {tenant.slug}")
            for role, email in tenant.emails.items():
                console.print(f"  {role.value:10} {email}  password: {DEMO_PASSWORD}")
    finally:
        await services.close()


@app.command("seed-demo")
def seed_demo(
    if_empty: bool = typer.Option(False, help="Only seed an empty database."),
    contacts: int = typer.Option(500, help="Contacts per tenant (two tenants)."),
) -> None:
    """Two demo tenants, a user for every role, about a thousand contacts in all."""
    from models.migrate import upgrade_settings

    upgrade_settings(_settings())
    asyncio.run(_seed(if_empty, contacts))


@app.command("print-schema")
def print_schema() -> None:
    """Print the GraphQL SDL (committed as schema.graphql)."""
    from schema.build import build_schema

    sys.stdout.write(str(build_schema()) + "\n")


@app.command("rotate-keys")
def rotate_keys() -> None:
    """Re-wrap every tenant data key under the active master key (no downtime)."""

    async def run() -> int:
        from sqlalchemy import select
        from sqlmodel import col

        from core.services import Services

        services = Services.from_settings(_settings())
        changed = 0
        try:
            from models import Tenant
            from models.tenancy import PLATFORM_KEY_ID

            async with services.db.session(None) as session:
                owners = [r[0] for r in await session.execute(select(col(Tenant.id)))]
            for owner in [PLATFORM_KEY_ID, *owners]:
                async with services.db.session(owner) as session:
                    if await services.keyring.rewrap(session, owner):
                        changed += 1
                    await session.commit()
        finally:
            await services.close()
        return changed

    console.print(f"re-wrapped {asyncio.run(run())} data keys")


@policy_app.command("render")
def policy_render(
    out: Path | None = typer.Option(None, "--out", help="Write to FILE instead of stdout."),
) -> None:
    """The policy text with every list filled from the data map (as `privacyPolicy`)."""
    from server.privacy_page import render_text

    text = render_text()
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")


@policy_app.command("publish")
def policy_publish(
    version: str = typer.Argument(..., help="The new version: its 'last updated' date."),
    effective: str = typer.Option(
        ...,
        "--effective",
        help="YYYY-MM-DD (UTC midnight): from when account holders must acknowledge it.",
    ),
    editorial: bool = typer.Option(
        False, "--editorial", help="A wording change that asks nobody to acknowledge it."
    ),
    adds_consent_purpose: list[str] = typer.Option(
        [],
        "--adds-consent-purpose",
        help="A consent-based purpose the version introduces "
        "(repeatable): announced in the notice, never assumed.",
    ),
) -> None:
    """Publish the policy as rendered now (text and SHA-256) as VERSION (section 12)."""
    from datetime import UTC, datetime

    from core.services import Services
    from privacy.policy_versions import PolicyVersionError, publish
    from privacy.purposes import Purpose
    from server.privacy_page import render_text

    async def run() -> None:
        services = Services.from_settings(_settings())
        try:
            await publish(
                services, version=version, text=render_text(),
                effective_at=datetime.fromisoformat(effective).replace(tzinfo=UTC),
                material=not editorial,
                consent_purposes_added=tuple(Purpose(p) for p in adds_consent_purpose),
            )  # fmt: skip
        finally:
            await services.close()

    try:
        asyncio.run(run())
    except (PolicyVersionError, ValueError) as exc:
        console.print(f"[red]Not published:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"published policy {version}, in force from {effective}")


GRACEFUL_SHUTDOWN_S = 30
"""After SIGTERM, how long in-flight requests may take before uvicorn closes them."""


@app.command()
def serve(
    seed_if_empty: bool = typer.Option(False, help="Seed demo data when the database is empty."),
    host: str | None = None,
    port: int | None = None,
    log_format: str = typer.Option(
        "", help="text or json (structured, with the request id); default json in production."
    ),
    workers: int = typer.Option(
        1,
        min=1,
        help="Server processes (PostgreSQL and REDIS_URL for more than one; docs/SCALING.md).",
    ),
) -> None:
    """Migrate, optionally seed, and serve the API with uvicorn."""
    import uvicorn

    from models.migrate import upgrade_settings
    from server.json_logs import log_config

    settings = _settings()
    if workers > 1 and not (settings.is_postgres and settings.redis_url):
        console.print("several workers need PostgreSQL and REDIS_URL (shared rate limits)")
        raise typer.Exit(2)
    upgrade_settings(settings)
    if seed_if_empty and settings.is_production:
        console.print("production profile: demo data is never seeded")
    elif seed_if_empty:
        asyncio.run(_seed(True, 500))
    host, port = host or settings.host, port or settings.port
    console.print(f"Ledgerline ({settings.env}) on http://{host}:{port}/graphql")
    json_logs = (log_format or ("json" if settings.is_production else "text")) == "json"
    options: dict[str, Any] = {"log_config": log_config()} if json_logs else {}
    uvicorn.run(
        "server.app:app_factory",
        factory=True,
        host=host,
        port=port,
        log_level="info",
        ws="none",
        workers=workers,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        **options,
    )


_register_groups()

if __name__ == "__main__":
    app()
