"""`ledgerline apps ...`: register partner apps and their trusted documents (issue 12).

`register` prints the client id and, for a confidential client, its secret: once, since
only a hash of it is kept.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.console import Console

console = Console()


async def _register(
    developer: str,
    name: str,
    client_type: str,
    redirect_uris: list[str],
    scopes: list[str],
    documents: list[Path],
) -> None:
    from auth.accounts import find_user_id_by_email
    from auth.oauth.clients import RegistrationError, add_trusted_document, register_client
    from core.services import Services
    from core.settings import load_settings

    services = Services.from_settings(load_settings())
    try:
        developer_id = await find_user_id_by_email(services, developer)
        if developer_id is None:
            console.print(f"[red]No account with the email {developer}[/red]")
            raise typer.Exit(1)
        async with services.db.session(None, user_scope=developer_id) as session:
            try:
                registered = await register_client(
                    session, developer_id=developer_id, name=name, client_type=client_type,
                    redirect_uris=redirect_uris, scopes=scopes,
                    production=services.settings.is_production,
                )  # fmt: skip
                client = registered.client
                for path in documents:
                    text = path.read_text(encoding="utf-8")
                    row = await add_trusted_document(session, client, name=path.stem, document=text)
                    console.print(f"trusted document {row.name}: sha256 {row.sha256}")
            except RegistrationError as exc:
                console.print(f"[red]{exc}[/red]")
                raise typer.Exit(2) from exc
            await session.commit()
        console.print(f"client_id: {registered.client.client_id}")
        if registered.secret is not None:
            console.print(f"client_secret: {registered.secret}  (shown once; keep it safe)")
    finally:
        await services.close()


def register(group: typer.Typer) -> None:
    @group.command("register")
    def register_app(
        developer: str = typer.Option(..., help="Email of the developer's account."),
        name: str = typer.Option(..., help="The app's name, shown on the consent page."),
        client_type: str = typer.Option(
            "confidential", "--type", help="confidential (keeps a secret) or public (PKCE only)."
        ),
        redirect_uri: list[str] = typer.Option([], help="An exact redirect URI (repeatable)."),
        scope: list[str] = typer.Option(..., help="A scope the app may ask for (repeatable)."),
        document: list[Path] = typer.Option(
            [], help="A .graphql file to register as a trusted document (repeatable)."
        ),
    ) -> None:
        """Register a partner app (an OAuth client) for a developer."""
        asyncio.run(_register(developer, name, client_type, redirect_uri, scope, document))
