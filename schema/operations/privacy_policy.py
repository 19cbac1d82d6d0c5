"""`privacyPolicy`: the policy's version and its lists, generated from the data map
(privacy/data_map.py; issue 11), so what the policy says is collected, why and for how
long cannot drift from the tables that hold it. Public: the policy is for everyone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import strawberry

from auth.accounts import CURRENT_POLICY_VERSION
from privacy.data_map import purpose_items, retention_items, section_items
from privacy.disclosure import disclosure_items
from privacy.measures import ISOLATION, SECURITY, measure_items
from privacy.rights import rights_items
from privacy.subprocessors import subprocessor_items
from schema.operations.client_storage import client_storage_items
from schema.policy import plain_field


@strawberry.type(description="One section of the privacy policy with its list.")
class PrivacyPolicySection:
    number: str = plain_field("The section's number in the policy, e.g. 2.1.")
    title: str = plain_field("The section's heading.")
    items: list[str] = plain_field("The section's list, generated from the data map.")


@strawberry.type(description="The current privacy policy's lists, generated from the code.")
class PrivacyPolicy:
    version: str = plain_field("The policy version an account holder acknowledges.")
    last_updated: date = plain_field("The policy's 'Last updated' date.")
    sections: list[PrivacyPolicySection] = plain_field(
        "Sections 2.1, 2.2, 2.3 (what is collected), 3 (purposes with their categories "
        "and lawful basis), 4 (isolation measures and who sees what), 5 (retention rules "
        "with their default periods), 6 (sub-processors), 7 (every cookie and "
        "client-side storage item, from clientStorage), 8 (security measures) and 9 "
        "(rights and the operations that serve them)."
    )


SECTIONS: tuple[tuple[str, str, Callable[[], tuple[str, ...]]], ...] = (
    ("2.1", "Account Information", lambda: section_items("2.1")),
    ("2.2", "Customer Data", lambda: section_items("2.2")),
    ("2.3", "Usage Data", lambda: section_items("2.3")),
    ("3", "How We Use Your Information", purpose_items),
    ("4", "Multi-Tenant Data Isolation", lambda: (*measure_items(ISOLATION), *disclosure_items())),
    ("5", "Data Retention", retention_items),
    ("6", "Third-Party Services", subprocessor_items),
    ("7", "Cookies & Tracking", client_storage_items),
    ("8", "Data Security", lambda: measure_items(SECURITY)),
    ("9", "Your Rights", rights_items),
)


def current_policy() -> PrivacyPolicy:
    """The version is named after its 'Last updated' date (auth.accounts)."""
    return PrivacyPolicy(
        version=CURRENT_POLICY_VERSION,
        last_updated=date.fromisoformat(CURRENT_POLICY_VERSION),
        sections=[
            PrivacyPolicySection(number=number, title=title, items=list(items()))
            for number, title, items in SECTIONS
        ],
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="The privacy policy's version, 'last updated' date and the lists of "
        "sections 2.1, 2.2, 2.3, 3, 5 (generated from the data map), 4, 6, 8, 9 (from "
        "their registers in privacy/) and 7 (from clientStorage). Needs no sign-in."
    )
    def privacy_policy(self) -> PrivacyPolicy:
        return current_policy()
