"""Legal deadlines of privacy requests (policy sections 9 and 13; issue 10): pure functions.

Every date is a calendar day in the zone the request is handled in (an IANA name; UTC
when none is given: tenants have no time-zone setting yet, so the zone is a parameter
and is stored with each request). A request's receipt instant is turned into that
zone's calendar day first, so a request received at 23:30 in Berlin on 31 January is
due on the last day of February in Berlin, whatever the UTC date was.

- GDPR (Art. 12(3)): one calendar month from receipt, ending on the same day of the
  next month, or on that month's last day when the day does not exist (31 January ->
  28/29 February). Extendable once by two further months, with a reason, on or
  before the first due date. The two months are added to the first due date (the
  conservative reading: 31 January -> 28 February -> 28 April).
- CCPA (Cal. Civ. Code 1798.130, 7021 of the regulations): 45 calendar days from
  receipt, extendable once by 45 more, with a reason, on or before the first due date;
  the receipt is acknowledged within 10 business days (Monday to Friday; public
  holidays are not modelled).
"""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIME_ZONE = "UTC"

GDPR_MONTHS = 1
GDPR_EXTENSION_MONTHS = 2
CCPA_DAYS = 45
CCPA_EXTENSION_DAYS = 45
CCPA_ACKNOWLEDGE_BUSINESS_DAYS = 10


class Jurisdiction(enum.Enum):
    GDPR = "gdpr"
    CCPA = "ccpa"


class ExtensionRefused(ValueError):
    """An extension the rules do not allow (a second one, or one after the due date)."""


@dataclass(frozen=True)
class Deadlines:
    due_on: date
    """The last day (in the request's zone) on which the answer is on time."""
    acknowledge_by: date | None
    """CCPA only: the last day to confirm receipt."""


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone of that name (UTC for None); ValueError for an unknown name."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone: {name!r}") from exc


def local_date(instant: datetime, time_zone: str | None = DEFAULT_TIME_ZONE) -> date:
    """The calendar day of an aware instant in the zone."""
    if instant.tzinfo is None:
        raise ValueError("naive datetimes have no calendar day; pass an aware one")
    return instant.astimezone(zone(time_zone)).date()


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day when it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_business_days(day: date, count: int) -> date:
    """The `count`-th Monday-to-Friday day after `day` (the day itself not counted)."""
    current = day
    while count > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            count -= 1
    return current


def initial_deadlines(
    jurisdiction: Jurisdiction, received_at: datetime, time_zone: str | None = DEFAULT_TIME_ZONE
) -> Deadlines:
    received = local_date(received_at, time_zone)
    if jurisdiction is Jurisdiction.GDPR:
        return Deadlines(add_months(received, GDPR_MONTHS), None)
    return Deadlines(
        received + timedelta(days=CCPA_DAYS),
        add_business_days(received, CCPA_ACKNOWLEDGE_BUSINESS_DAYS),
    )


def extended_due(
    jurisdiction: Jurisdiction,
    due_on: date,
    *,
    today: date,
    already_extended: bool,
    reason: str | None,
) -> date:
    """The due date after the one allowed extension; ExtensionRefused otherwise.

    `today` is the current day in the request's zone (see `local_date`)."""
    if already_extended:
        raise ExtensionRefused("This request was already extended once.")
    if today > due_on:
        raise ExtensionRefused("The due date has passed: a request can only be extended before it.")
    if not (reason or "").strip():
        raise ExtensionRefused("An extension needs a reason.")
    if jurisdiction is Jurisdiction.GDPR:
        return add_months(due_on, GDPR_EXTENSION_MONTHS)
    return due_on + timedelta(days=CCPA_EXTENSION_DAYS)


def days_remaining(due_on: date, now: datetime, time_zone: str | None = DEFAULT_TIME_ZONE) -> int:
    """Whole days from today (in the zone) to the due date: 0 on the due date itself,
    negative once it has passed."""
    return (due_on - local_date(now, time_zone)).days
