"""Legal deadlines of privacy requests (privacy/deadlines.py): pure, one rule per test."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from privacy.deadlines import (
    Deadlines,
    ExtensionRefused,
    Jurisdiction,
    add_business_days,
    add_months,
    days_remaining,
    extended_due,
    initial_deadlines,
    local_date,
)

GDPR, CCPA = Jurisdiction.GDPR, Jurisdiction.CCPA


def at(
    year: int, month: int, day: int, hour: int = 12, minute: int = 0, tz: str = "UTC"
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz))


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 3, 15), date(2026, 4, 15)),
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 12, 31), date(2027, 1, 31)),
        (date(2026, 1, 30), date(2026, 2, 28)),
        (date(2026, 2, 28), date(2026, 3, 28)),
    ],
)
def test_gdpr_is_due_one_calendar_month_later_or_on_the_months_last_day(
    received: date, due: date
) -> None:
    deadlines = initial_deadlines(GDPR, at(received.year, received.month, received.day))
    assert deadlines == Deadlines(due_on=due, acknowledge_by=None)


def test_a_leap_day_receipt_is_due_on_the_29th_of_march() -> None:
    assert initial_deadlines(GDPR, at(2028, 2, 29)).due_on == date(2028, 3, 29)


def test_a_berlin_receipt_at_2330_on_31_january_is_due_on_28_february_berlin_time() -> None:
    received = at(2026, 1, 31, 23, 30, tz="Europe/Berlin")  # 22:30 UTC the same day
    assert initial_deadlines(GDPR, received, "Europe/Berlin").due_on == date(2026, 2, 28)


def test_a_berlin_receipt_in_a_leap_year_is_due_on_the_29th_of_february() -> None:
    received = at(2028, 1, 31, 23, 30, tz="Europe/Berlin")
    assert initial_deadlines(GDPR, received, "Europe/Berlin").due_on == date(2028, 2, 29)


def test_the_same_instant_falls_on_different_days_in_different_zones() -> None:
    received = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    assert initial_deadlines(GDPR, received, "UTC").due_on == date(2026, 2, 28)
    # Already 1 February in Berlin: due 1 March.
    assert initial_deadlines(GDPR, received, "Europe/Berlin").due_on == date(2026, 3, 1)
    # Still 31 January in Los Angeles.
    assert initial_deadlines(GDPR, received, "America/Los_Angeles").due_on == date(2026, 2, 28)


def test_the_default_zone_is_utc() -> None:
    received = at(2026, 1, 31, 23, 30, tz="Europe/Berlin")  # 22:30 UTC, 31 January
    assert local_date(received) == date(2026, 1, 31)
    assert initial_deadlines(GDPR, datetime(2026, 2, 28, 23, 30, tzinfo=UTC)).due_on == date(
        2026, 3, 28
    )


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        initial_deadlines(GDPR, at(2026, 1, 1), "Mars/Olympus_Mons")


def test_a_naive_receipt_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        initial_deadlines(GDPR, datetime(2026, 1, 1, 12, 0))


def test_ccpa_is_due_45_calendar_days_later() -> None:
    assert initial_deadlines(CCPA, at(2026, 1, 31)).due_on == date(2026, 3, 17)


def test_ccpa_counts_the_leap_day() -> None:
    assert initial_deadlines(CCPA, at(2028, 2, 1)).due_on == date(2028, 3, 17)


def test_ccpa_acknowledgement_is_due_within_ten_business_days() -> None:
    # Friday 2 January 2026: ten Monday-to-Friday days later is Friday 16 January.
    assert initial_deadlines(CCPA, at(2026, 1, 2)).acknowledge_by == date(2026, 1, 16)


def test_a_weekend_receipt_starts_counting_business_days_on_monday() -> None:
    # Saturday 3 January 2026 -> Monday 5 is day one -> Friday 16 is day ten.
    assert add_business_days(date(2026, 1, 3), 10) == date(2026, 1, 16)


def test_business_days_skip_saturdays_and_sundays() -> None:
    assert add_business_days(date(2026, 1, 9), 1) == date(2026, 1, 12)


def test_adding_months_across_a_year_end_clamps_to_the_months_last_day() -> None:
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_gdpr_extension_adds_two_months_to_the_first_due_date() -> None:
    extended = extended_due(
        GDPR, date(2026, 2, 28), today=date(2026, 2, 10), already_extended=False, reason="complex"
    )
    assert extended == date(2026, 4, 28)


def test_ccpa_extension_adds_45_days() -> None:
    extended = extended_due(
        CCPA, date(2026, 3, 17), today=date(2026, 3, 1), already_extended=False, reason="volume"
    )
    assert extended == date(2026, 5, 1)


def test_an_extension_on_the_due_date_itself_is_allowed() -> None:
    extended = extended_due(
        GDPR, date(2026, 2, 28), today=date(2026, 2, 28), already_extended=False, reason="complex"
    )
    assert extended == date(2026, 4, 28)


def test_a_second_extension_is_refused() -> None:
    with pytest.raises(ExtensionRefused, match="already extended"):
        extended_due(
            GDPR, date(2026, 4, 28), today=date(2026, 3, 1), already_extended=True, reason="more"
        )


def test_an_extension_after_the_due_date_is_refused() -> None:
    with pytest.raises(ExtensionRefused, match="due date has passed"):
        extended_due(
            CCPA, date(2026, 3, 17), today=date(2026, 3, 18), already_extended=False, reason="late"
        )


def test_an_extension_without_a_reason_is_refused() -> None:
    with pytest.raises(ExtensionRefused, match="reason"):
        extended_due(
            GDPR, date(2026, 2, 28), today=date(2026, 2, 1), already_extended=False, reason="  "
        )


def test_days_remaining_count_in_the_requests_zone() -> None:
    now = datetime(2026, 2, 27, 23, 30, tzinfo=UTC)  # already 28 February in Berlin
    assert days_remaining(date(2026, 2, 28), now, "UTC") == 1
    assert days_remaining(date(2026, 2, 28), now, "Europe/Berlin") == 0


def test_days_remaining_are_negative_once_overdue() -> None:
    assert days_remaining(date(2026, 2, 28), datetime(2026, 3, 3, 9, tzinfo=UTC)) == -3
