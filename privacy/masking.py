"""Read-time masking strategies (pure functions, table-tested).

A mask lets a role recognise a value without reading it, e.g. support confirming a
caller's email: `j***@example.com`. Masks never reveal more than their name says.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date
from typing import Any


class MaskStrategy(enum.Enum):
    PARTIAL_EMAIL = "partial_email"
    LAST_DIGITS = "last_digits"
    YEAR_ONLY = "year_only"
    INITIAL = "initial"


def mask_email(value: str) -> str:
    local, sep, domain = value.partition("@")
    if not sep:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(value: str) -> str:
    digits = [c for c in value if c.isdigit()]
    if len(digits) <= 4:
        return "•" * len(digits)
    return "•••• " + "".join(digits[-4:])


def mask_year(value: date | str) -> str:
    text = value.isoformat() if isinstance(value, date) else value
    return text[:4]


def mask_initial(value: str) -> str:
    return (value[:1] + ".") if value else ""


_MASKS: dict[MaskStrategy, Callable[[Any], str]] = {
    MaskStrategy.PARTIAL_EMAIL: mask_email,
    MaskStrategy.LAST_DIGITS: mask_phone,
    MaskStrategy.YEAR_ONLY: mask_year,
    MaskStrategy.INITIAL: mask_initial,
}


def apply_mask(strategy: MaskStrategy, value: Any) -> str | None:
    return None if value is None else _MASKS[strategy](value)
