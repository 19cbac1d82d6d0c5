"""The demo logins `ledgerline seed-demo` creates (README "Demo logins"): read by the
seeder and by the GraphiQL page's role picker (development only), one definition."""

from __future__ import annotations

from auth.permissions import Role

DEMO_PASSWORD = "Ledgerline-demo-2026"
DEMO_TENANTS = (("Acme Corp", "acme", "eu"), ("Globex Inc", "globex", "us"))


def demo_email(role: Role, slug: str) -> str:
    """The demo user of `role` in the demo tenant `slug`."""
    return f"{role.value.replace('_', '-')}@{slug}.example"
