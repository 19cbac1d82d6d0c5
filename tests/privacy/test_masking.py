"""Read-time masks (privacy/masking.py): one table per strategy, short and odd inputs
included, and the properties each mask promises (it hides what its name says)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacy.masking import MaskStrategy, apply_mask

M = MaskStrategy


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("jane.doe@example.com", "j***@example.com"),
        ("j@example.com", "j***@example.com"),
        ("@example.com", "***@example.com"),
        ("jane@", "j***@"),
        ("no-at-sign", "***"),
        ("", "***"),
        ("jo@x@y", "j***@x@y"),
        ("élodie@exemple.fr", "é***@exemple.fr"),
    ],
)
def test_partial_email_keeps_the_first_letter_and_the_domain(value: str, masked: str) -> None:
    assert apply_mask(M.PARTIAL_EMAIL, value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("+442071838750", "•••• 8750"),
        ("+1 (555) 010-9999", "•••• 9999"),
        ("12345", "•••• 2345"),
        ("1234", "••••"),
        ("12", "••"),
        ("+", ""),
        ("", ""),
        ("call me", ""),
    ],
)
def test_last_digits_shows_four_digits_only_when_more_exist(value: str, masked: str) -> None:
    assert apply_mask(M.LAST_DIGITS, value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        (date(1985, 12, 10), "1985"),
        ("1985-12-10", "1985"),
        (date(2000, 1, 1), "2000"),
        ("85", "85"),
        ("", ""),
    ],
)
def test_year_only_keeps_the_year(value: date | str, masked: str) -> None:
    assert apply_mask(M.YEAR_ONLY, value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("Lovelace", "L."), ("O'Neil", "O."), ("Ö", "Ö."), ("x", "x."), ("", "")],
)
def test_initial_keeps_the_first_letter(value: str, masked: str) -> None:
    assert apply_mask(M.INITIAL, value) == masked


@pytest.mark.parametrize("strategy", list(MaskStrategy))
def test_no_value_stays_no_value(strategy: MaskStrategy) -> None:
    assert apply_mask(strategy, None) is None


def test_every_strategy_has_a_mask() -> None:
    for strategy in MaskStrategy:
        assert isinstance(apply_mask(strategy, "2001-02-03"), str)


local_parts = st.text(st.characters(blacklist_characters="@"), min_size=1, max_size=30)
domains = st.text(min_size=0, max_size=30)


@given(first=st.characters(blacklist_characters="@"), rest=local_parts, domain=domains)
def test_partial_email_hides_the_length_and_rest_of_the_local_part(
    first: str, rest: str, domain: str
) -> None:
    short = apply_mask(M.PARTIAL_EMAIL, f"{first}@{domain}")
    long = apply_mask(M.PARTIAL_EMAIL, f"{first}{rest}@{domain}")
    assert short == long == f"{first}***@{domain}"


@given(st.text(max_size=40))
def test_last_digits_never_shows_more_than_four_digits(value: str) -> None:
    masked = apply_mask(M.LAST_DIGITS, value)
    assert masked is not None
    assert sum(c.isdigit() for c in masked) <= 4
    assert sum(c.isdigit() for c in value) < 5 or masked.endswith(
        "".join(c for c in value if c.isdigit())[-4:]
    )


@given(st.dates())
def test_year_only_never_shows_month_or_day(born: date) -> None:
    assert apply_mask(M.YEAR_ONLY, born) == f"{born.year:04d}"
    assert apply_mask(M.YEAR_ONLY, born.isoformat()) == born.isoformat()[:4]
