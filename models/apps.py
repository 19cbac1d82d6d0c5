"""Partner apps (issue 12): OAuth clients registered by developers, their trusted
documents, installations in tenants, and the grants, codes and refresh tokens the
authorization server issues (auth/oauth/).

Policy section 6: an app receives only what a tenant admin approved on the consent
page (the installation's scopes), and uninstalling ends every grant at once. Secrets
(client secrets, codes, refresh tokens) are stored as SHA-256 hashes of high-entropy
random values, never in the clear.

Clients and their documents are platform records (a developer's app serves many
tenants). Installations and grants are tenant rows. Codes and refresh tokens carry
their tenant but are found by the hash of their secret before the tenant is known (as
`auth_session` is): row-level security lets a hash's holder see that one row.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import TenantScoped, UTCDateTime, timestamp_field


class OAuthClient(SQLModel, table=True):
    """A partner app as its developer registered it."""

    __tablename__ = "oauth_client"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_id: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=120)
    developer_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    client_type: str = Field(max_length=16)  # "confidential" | "public"
    secret_hash: bytes | None = Field(default=None, sa_type=LargeBinary)
    redirect_uris: str = Field(default="", sa_type=Text)
    """Exact redirect URIs, one per line (no wildcards)."""
    scopes: str = Field(max_length=500)
    """The scopes the app may ask for, space-separated."""
    created_at: datetime = timestamp_field()
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TrustedDocument(SQLModel, table=True):
    """A GraphQL operation the app registered, found by its SHA-256 (persisted
    queries as Apollo's and urql's links send them)."""

    __tablename__ = "oauth_trusted_document"
    __table_args__ = (UniqueConstraint("client_pk", "sha256", name="uq_trusted_document"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_pk: uuid.UUID = Field(foreign_key="oauth_client.id", index=True)
    sha256: str = Field(max_length=64)
    name: str = Field(max_length=120)
    document: str = Field(sa_type=Text)
    created_at: datetime = timestamp_field()


class AppInstallation(TenantScoped, table=True):
    """A tenant admin's approval of an app and the scopes it may use in the tenant."""

    __tablename__ = "app_installation"
    __table_args__ = (UniqueConstraint("tenant_id", "id", name="uq_app_installation_tenant_id"),)

    client_pk: uuid.UUID = Field(foreign_key="oauth_client.id", index=True)
    scopes: str = Field(max_length=500)
    installed_by: uuid.UUID
    trusted_documents_only: bool = False
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: uuid.UUID | None = None


class OAuthGrant(TenantScoped, table=True):
    """One authorization: the tokens issued from one code (and their refreshes) or one
    client-credentials request. Revoking it ends every token of the family."""

    __tablename__ = "oauth_grant"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "installation_id"],
            ["app_installation.tenant_id", "app_installation.id"],
        ),
    )

    installation_id: uuid.UUID = Field(index=True)
    user_id: uuid.UUID
    """The user the app acts for (the installing admin for client credentials)."""
    grant_type: str = Field(max_length=32)
    scope: str = Field(max_length=500)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OAuthCode(SQLModel, table=True):
    """An authorization code: single use, ten minutes, bound to its client, redirect
    URI and PKCE challenge (S256). A second use revokes what the first one issued."""

    __tablename__ = "oauth_code"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    code_hash: bytes = Field(sa_type=LargeBinary, unique=True, index=True)
    installation_id: uuid.UUID
    client_id: str = Field(max_length=64)
    user_id: uuid.UUID
    redirect_uri: str = Field(sa_type=Text)
    scope: str = Field(max_length=500)
    code_challenge: str = Field(max_length=128)
    code_challenge_method: str = Field(max_length=8)
    created_at: datetime = timestamp_field()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    grant_id: uuid.UUID | None = None
    """The grant its exchange created (revoked if the code is presented again)."""


class OAuthRefreshToken(SQLModel, table=True):
    """A refresh token of a grant. Rotated on use; presenting a used one again revokes
    the whole grant (reuse detection)."""

    __tablename__ = "oauth_refresh_token"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    grant_id: uuid.UUID = Field(foreign_key="oauth_grant.id", index=True)
    token_hash: bytes = Field(sa_type=LargeBinary, unique=True, index=True)
    created_at: datetime = timestamp_field()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
