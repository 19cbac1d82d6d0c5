"""processing.json: what the person is told about the processing of their data, as
GDPR Art. 15(1)-(2) and CCPA's right to know (1798.110, 1798.115) list it: purposes,
categories, lawful bases, recipients, retention per category, the source, transfers,
automated decisions, and the rights and how to use them.

Generated from the data map (privacy/data_map.py) for the tables that hold this kind of
person's data, and from the registers the policy text is filled from (who sees what:
privacy/disclosure.py and privacy/subprocessors.py; the rights: privacy/rights.py);
nothing here is a list of its own.
"""

from __future__ import annotations

from typing import Any

from privacy.categories import DESCRIPTIONS, DataCategory
from privacy.data_map import (
    AUTOMATED_DECISIONS,
    DATA_MAP,
    SOLD_OR_SHARED,
    SOURCES,
    TRANSFERS,
    ColumnMap,
    Subject,
    lawful_basis,
    purpose_description,
    records_of_processing,
)
from privacy.disclosure import disclosure_items
from privacy.rights import FURTHER_RIGHTS, HOW_TO_ASK, RIGHTS
from privacy.subprocessors import SUBPROCESSORS


def _columns_about(subject: Subject) -> list[ColumnMap]:
    return [
        c
        for t in DATA_MAP.values()
        if subject in t.subjects
        for c in t.columns.values()
        if c.category is not None
    ]


def _sorted(values: Any) -> list[str]:
    return sorted(set(values))


def _category(category: DataCategory, columns: list[ColumnMap]) -> dict[str, Any]:
    used = [c for c in columns if c.category is category]
    rules = list(dict.fromkeys(rule for c in used for rule in c.retention))
    return {
        "category": category.name,
        "fides_key": category.fides_key,
        "description": DESCRIPTIONS[category],
        "purposes": _sorted(p.value for c in used for p in c.purposes),
        "lawful_bases": _sorted(b.value for c in used for b in c.lawful_bases),
        "retention": [rule.text for rule in rules],
        "exported": any(c.exported for c in used),
    }


def processing_statement(subject: Subject, controller: str, organisation: str) -> dict[str, Any]:
    """The statement for one kind of data subject; `controller` says who decides
    ("the organisation" for a contact, "the service" for an account holder)."""
    columns = _columns_about(subject)
    categories = [c for c in DataCategory if any(col.category is c for col in columns)]
    purposes = [
        {
            "purpose": record.purpose.value,
            "description": purpose_description(record.purpose),
            "lawful_basis": lawful_basis(record.purpose).value,
            "categories": sorted(c.name for c in record.categories),
            "retention": [rule.text for rule in record.retention],
        }
        for record in records_of_processing()
        if subject in record.subjects and record.categories
    ]
    return {
        "controller": {"role": controller, "organisation": organisation},
        "data_subject": subject.value,
        "purposes": purposes,
        "categories": [_category(c, columns) for c in categories],
        "recipients": [*disclosure_items(), *(s.text for s in SUBPROCESSORS)],
        "sold_or_shared": list(SOLD_OR_SHARED),
        "source": SOURCES[subject],
        "transfers": TRANSFERS,
        "automated_decision_making": AUTOMATED_DECISIONS,
        "rights": [{"right": r.kind.value, "description": r.text} for r in RIGHTS]
        + [{"right": "further", "description": text} for text in FURTHER_RIGHTS],
        "how_to_exercise_rights": HOW_TO_ASK,
    }
