"""Input validation with well-kept libraries; each failure is a BAD_USER_INPUT naming
the field, raised before anything is written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal, overload

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email

from core.errors import bad_input


def email(value: str | None, field: str = "email") -> str | None:
    if value is None:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise bad_input(f"Invalid email address: {exc}", field) from exc


def phone(value: str | None, field: str = "phone") -> str | None:
    """E.164 only (`+` and country code), so numbers are unambiguous across regions."""
    if value is None:
        return None
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise bad_input("Phone numbers must be in E.164 form, e.g. +442071838750.", field) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise bad_input("This phone number is not a valid number.", field)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def country(value: str | None, field: str = "country") -> str | None:
    if value is None:
        return None
    found = pycountry.countries.get(alpha_2=value.upper()) if len(value) == 2 else None
    if found is None:
        raise bad_input("Country must be an ISO 3166-1 alpha-2 code such as DE.", field)
    return found.alpha_2


def currency(value: str, field: str = "currency") -> str:
    if len(value) != 3 or pycountry.currencies.get(alpha_3=value.upper()) is None:
        raise bad_input("Currency must be an ISO 4217 code such as EUR.", field)
    return value.upper()


def amount(value: Decimal | str, field: str = "amount") -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise bad_input("Amount must be a decimal number.", field) from exc
    if not number.is_finite() or number < 0:
        raise bad_input("Amount must be a finite, non-negative number.", field)
    if number >= Decimal("1e16"):
        raise bad_input("Amount is too large.", field)
    if number != number.quantize(Decimal("0.01")):
        raise bad_input("Amount has more than two decimal places.", field)
    return number


@overload
def text(value: str | None, field: str, max_length: int, required: Literal[True]) -> str: ...
@overload
def text(value: str | None, field: str, max_length: int, required: bool = False) -> str | None: ...
def text(value: str | None, field: str, max_length: int, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise bad_input(f"{field} is required.", field)
        return None
    value = value.strip()
    if required and not value:
        raise bad_input(f"{field} must not be empty.", field)
    if len(value) > max_length:
        raise bad_input(f"{field} is longer than {max_length} characters.", field)
    return value or None


def choice(value: str | None, allowed: tuple[str, ...], field: str) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        raise bad_input(f"{field} must be one of: {', '.join(allowed)}.", field)
    return value


def past_date(value: date | None, field: str) -> date | None:
    if value is not None and (value >= date.today() or value.year < 1900):
        raise bad_input(f"{field} must be a date in the past.", field)
    return value
