"""Phone number normalisation (Sinch answers with bare digits) and masking for logs."""

from __future__ import annotations

import pytest

from airflow_provider_sinch.client import mask_msisdn, normalize_msisdn
from airflow_provider_sinch.client.msisdn import is_msisdn, mask_all


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("+46701234567", "46701234567"),
        ("0046701234567", "46701234567"),
        ("46701234567", "46701234567"),
        (" +46 70-123 45 67 ", "46701234567"),
        ("+1 (555) 123-1234", "15551231234"),
        ("+1.555.123.1234", "15551231234"),
        ("[+44] 20/7946 0958", "442079460958"),
        ("12345", "12345"),  # a short code stays as it is
        ("01FC66621XXXXX119Z8PMV1AHY", "01FC66621XXXXX119Z8PMV1AHY"),  # a group id is not a number
        ("00ABC", "00ABC"),  # "00" is only an international prefix in front of digits
    ],
)
def test_normalize_msisdn(given: str, normalised: str) -> None:
    assert normalize_msisdn(given) == normalised


def test_numbers_given_any_way_compare_equal_to_what_sinch_returns() -> None:
    sent = ["+46 70 123 45 67", "0046709876543", "+1 (555) 123-1234"]
    returned = ["46701234567", "46709876543", "15551231234"]
    assert {normalize_msisdn(n) for n in sent} == set(returned)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+46701234123", "+4670****123"),
        ("46701234123", "+4670****123"),
        ("0046 70-123 41 23", "+4670****123"),
        ("+15551231234", "+1555****234"),
        ("1234567", "****"),  # too short to mask meaningfully
        ("12345", "****"),
        ("not a number", "****"),
    ],
)
def test_mask_msisdn(number: str, masked: str) -> None:
    assert mask_msisdn(number) == masked


def test_masked_numbers_hide_the_middle_digits() -> None:
    masked = mask_msisdn("+46701234123")
    assert "1234" not in masked.replace("+4670", "")
    assert len(masked) == len("+4670****123")


def test_mask_all_masks_numbers_but_not_group_ids_and_limits_the_list() -> None:
    numbers = ["+46701234123", "01FC66621XXXXX119Z8PMV1AHY", *[f"+4670123400{i}" for i in range(6)]]
    text = mask_all(numbers, limit=3)
    assert text == "+4670****123, 01FC66621XXXXX119Z8PMV1AHY, +4670****000 (+5 more)"
    assert mask_all(["+46701234123"]) == "+4670****123"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+46701234567", True),
        ("12345", False),  # a short code is not a number in international format (issue 11)
        ("12", False),
        ("01FC66621XXXXX119Z8PMV1AHY", False),
        ("+1 (555) 123", True),
    ],
)
def test_is_msisdn(value: str, expected: bool) -> None:
    assert is_msisdn(value) is expected


@pytest.mark.parametrize(
    "value", ["+46701234567", "0046701234567", " +46 70-123 45 67 ", "12345", "12", "00ABC", "+", "",
              "01FC66621XXXXX119Z8PMV1AHY", "+123456789012345678901", "000"],
)
def test_msisdn_digits_answers_both_questions_in_one_pass(value: str) -> None:
    from airflow_provider_sinch.client.msisdn import msisdn_digits

    assert msisdn_digits(value) == (normalize_msisdn(value) if is_msisdn(value) else None)
