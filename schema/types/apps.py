"""Partner apps as the API shows them (issue 12): installations (admins with
`apps:manage`) and a freshly registered app with its secret, shown once. Every field
is plain: app names, ids, scopes and times, never personal data."""

from __future__ import annotations

from datetime import datetime

import strawberry

from auth.permissions import Permission as P
from schema.directives import Requires, TenantScoped
from schema.policy import plain_field


@strawberry.type(
    description="A partner app installed in your organisation, with the scopes an admin "
    "approved on its consent page.",
    directives=[TenantScoped(), Requires(permission=P.APPS_MANAGE)],
)
class AppInstallation:
    gid: strawberry.ID = plain_field("Opaque global id of the installation.", name="id")
    client_id: str = plain_field("The app's OAuth client id.")
    name: str = plain_field("The app's name.")
    scopes: list[str] = plain_field("The scopes it may use here.")
    installed_by: strawberry.ID = plain_field("The member (Member id) who installed it.")
    installed_at: datetime = plain_field("When it was installed.")
    trusted_documents_only: bool = plain_field(
        "True when it may run only the operations it registered (trusted documents)."
    )
    revoked_at: datetime | None = plain_field("When it was uninstalled; null while installed.")
    active: bool = plain_field("True until uninstalled.")


@strawberry.type(
    description="A partner app just registered. The secret is shown this once: only a "
    "hash of it is kept."
)
class RegisteredApp:
    client_id: str = plain_field("The OAuth client id.")
    client_secret: str | None = plain_field(
        "The client secret of a confidential app (null for a public one); shown once."
    )
    name: str = plain_field("The app's name.")
    client_type: str = plain_field("confidential or public.")
    redirect_uris: list[str] = plain_field("Its exact redirect URIs.")
    scopes: list[str] = plain_field("The scopes it may ask for.")
