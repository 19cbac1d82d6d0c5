"""The register of sub-processors (policy section 6): every third party that processes
personal data for the service, what it receives and why.

Only the ones the code actually uses are listed: the hosting provider the operator
runs the service on, and the mail relay `core/mail.py` sends through when
`LEDGERLINE_SMTP_HOST` is set. No analytics, advertising or tracking service is used.
Partner apps, which a tenant's admin installs itself, are listed with what bounds them;
webhooks will be added with the code that sends them data. `evidence` names that code;
a test imports it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SubProcessor:
    role: str
    receives: str
    purpose: str
    where: str
    evidence: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"{self.role}: receives {self.receives}, to {self.purpose} ({self.where})"


SUBPROCESSORS: tuple[SubProcessor, ...] = (
    SubProcessor(
        role="The hosting provider chosen by the operator of this installation",
        receives="the stored data, personal data encrypted",
        purpose="run the service and its database",
        where="in the organisation's data region",
        evidence=("models.db:Database",),
    ),
    SubProcessor(
        role="The email relay configured by the operator (SMTP), when one is",
        receives="the recipient's email address and name and the message",
        purpose="deliver account emails: welcome, sign-up notices, invitations and "
        "privacy-request confirmations",
        where="as configured; without one, no email leaves the server",
        evidence=("core.mail:Mailer", "core.mail:send_after_commit"),
    ),
    SubProcessor(
        role="Partner apps an organisation's admin installs (OAuth 2)",
        receives="only the kinds of personal data their approved scopes reach, never "
        "more than the member they act for may see, and nothing a person's consent or "
        "objection keeps from their purposes",
        purpose="serve the purposes their scopes name, shown on the consent page before "
        "installation; uninstalling ends their access at once",
        where="where their developers run them; each organisation lists its own",
        evidence=("auth.scopes:SCOPE_GRANTS", "auth.oauth.resource:principal_for_app"),
    ),
)


def subprocessor_items() -> tuple[str, ...]:
    """Section 6: the register as the policy lists it."""
    return tuple(s.text for s in SUBPROCESSORS)
