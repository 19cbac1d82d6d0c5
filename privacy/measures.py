"""The measures the policy promises (section 4, tenant isolation, and section 8, data
security), each declared with where the code implements it.

The policy lists exactly these; `evidence` names the code (`module:attribute`) and
tests/privacy/test_policy_lists.py imports every name, so a measure cannot be listed
once its code is gone, and none is listed that was never written.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    text: str
    evidence: tuple[str, ...]
    """`module:attribute` names of the code that implements it."""


ISOLATION: tuple[Measure, ...] = (
    Measure(
        "The organisation a request acts for comes from the signed-in account only, "
        "never from what the request asks for",
        ("auth.principal:Principal", "auth.sessions:resolve_principal"),
    ),
    Measure(
        "Every database statement is confined to the caller's organisation by the "
        "application, which refuses to run one that is not",
        ("models.tenant_guard:TenantScopeError",),
    ),
    Measure(
        "PostgreSQL row-level security enforces the same boundary inside the database, "
        "for an application role that cannot bypass it",
        ("models.db:Database.verify_app_role",),
    ),
    Measure(
        "Another organisation's record answers exactly like one that does not exist",
        ("core.errors:not_found", "resolvers.references:existing"),
    ),
    Measure(
        "Each organisation's personal data is encrypted with a key of its own",
        ("privacy.keyring:KeyRing.create",),
    ),
)
"""Section 4: how one tenant's data is kept from every other."""

SECURITY: tuple[Measure, ...] = (
    Measure(
        "Personal data encrypted at rest with AES-256-GCM, under a data key per "
        "organisation wrapped by a master key, with rotation and key shredding",
        (
            "privacy.crypto:TenantCipher",
            "privacy.keyring:KeyRing.rewrap",
            "privacy.keyring:KeyRing.shred",
        ),
    ),  # fmt: skip
    Measure(
        "Passwords stored only as argon2 hashes; weak and common passwords refused",
        ("auth.passwords:hash_password", "auth.passwords:password_problem"),
    ),
    Measure(
        "Short-lived signed access tokens (ES256) and rotating refresh tokens whose reuse "
        "revokes the whole family; only hashes of session secrets are stored",
        ("auth.tokens:TokenIssuer", "auth.sign_in:refresh", "auth.sessions:hash_secret"),
    ),
    Measure(
        "Cross-site request forgery protection for browser sessions",
        ("auth.sessions:csrf_valid",),
    ),
    Measure(
        "Rate limits per address and per account, and a growing delay after failed sign-ins",
        ("core.ratelimit:RateLimiter", "auth.backoff:LoginBackoff"),
    ),
    Measure(
        "Limits on the size, depth and cost of every query and on request bodies",
        ("schema.limits:TokenLimitExtension", "server.body_limit:BodySizeLimitMiddleware"),
    ),
    Measure(
        "Security headers on every response and errors that never reveal internals",
        (
            "server.security_headers:SecurityHeadersMiddleware",
            "schema.extensions:MaskUnexpectedErrors",
        ),
    ),  # fmt: skip
    Measure(
        "Tenant isolation in the application and in the database (section 4)",
        ("models.tenant_guard:TenantScopeError", "models.db:Database.verify_app_role"),
    ),
    Measure(
        "Role-based access: each role sees only the data categories its purposes allow, "
        "with personal data masked or withheld otherwise",
        ("auth.permissions:ROLE_GRANTS", "privacy.decision:decide"),
    ),
    Measure(
        "An audit of every read of personal data and every privacy-relevant change, "
        "append-only in the database",
        ("privacy.audit:AuditBuffer",),
    ),
    Measure(
        "A tamper-evident audit log: each entry's keyed hash is chained to the previous "
        "one, and the chain can be verified at any time",
        ("privacy.audit_chain:chain_events", "privacy.audit_chain:verify_chain"),
    ),
)
"""Section 8: the technical measures actually in place."""


def measure_items(measures: tuple[Measure, ...]) -> tuple[str, ...]:
    return tuple(m.text for m in measures)
