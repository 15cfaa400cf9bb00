"""The bulk check of a large list of numbers (one shape, a few C-level passes) gives exactly the answers of
the per-entry rule, for every list: what it accepts, the digits it returns, and what it leaves to the
regular expressions."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_sinch.client.errors import SinchValidationError
from airflow_provider_sinch.client.msisdn import (
    MAX_DIGITS,
    MIN_DIGITS,
    all_msisdn_digits,
    check_destinations,
    destination_problem,
    msisdn_digits,
)

CHECK = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

digits = st.text("0123456789", min_size=0, max_size=MAX_DIGITS + 2)
entry = st.one_of(
    digits,
    digits.map(lambda d: "+" + d),
    digits.map(lambda d: "00" + d),
    st.text(st.sampled_from("0123456789+ \n\u0663\uff11aG-"), max_size=18),  # anything near a number
)


@CHECK
@given(st.lists(entry, max_size=12))
def test_bulk_digits_are_the_per_entry_digits_or_nothing(entries: list[str]) -> None:
    bulk = all_msisdn_digits(entries)
    if bulk is not None:
        assert bulk == [msisdn_digits(e) for e in entries]


@CHECK
@given(st.lists(entry, min_size=1, max_size=12))
def test_check_destinations_accepts_exactly_what_the_rule_accepts(entries: list[str]) -> None:
    good = all(destination_problem(e) is None for e in entries)
    try:
        out = check_destinations(entries, "to")
    except SinchValidationError:
        assert not good
    else:
        assert good
        assert out == [e if destination_problem(e) is None and e == e.strip() else e.strip() for e in entries]


@pytest.mark.parametrize("entries", [
    ["+4670123456", "+46701234567"],
    ["4670123456", "46701234567"],
    ["+" + "1" * MIN_DIGITS],
    ["9" * MAX_DIGITS],
])
def test_the_canonical_shapes_are_taken_in_bulk(entries: list[str]) -> None:
    assert all_msisdn_digits(entries) == [e.lstrip("+") for e in entries]


@pytest.mark.parametrize("entries", [
    [],
    ["+46701234567", "46701234568"],  # mixed prefixes
    ["0046701234567"],  # 00 prefix
    ["+046701234567"], ["+46701234567", "046701234567"],  # a leading 0
    ["46+701234567"], ["+4670123456+"],  # "+" inside
    ["+" + "1" * (MIN_DIGITS - 1)], ["1" * (MAX_DIGITS + 1)], ["+"], [""],  # lengths
    ["+4670\u0661234567"], ["+4670\uff11234567"],  # digits that are not ASCII
    ["+4670 1234567"], [" +46701234567"],  # spaces
    ["+46701234567\n+46701234568"],  # a line break inside an entry
    ["G1"],
])
def test_everything_else_is_left_to_the_per_entry_rule(entries: list[str]) -> None:
    assert all_msisdn_digits(entries) is None
