"""Property-based tests (hypothesis) of the client's edges: numbers, masking, segments, request models.

Each property is checked on a bounded number of random inputs (``max_examples``) so the whole file runs in
a few seconds; hypothesis shrinks any failure to a minimal example.

* Number normalisation is idempotent and its output is ASCII only; every documented spelling of a number
  (``+``, ``00``, bare, separators) normalises to the same digits.
* Masking never lets a full number through, whatever text surrounds it (ASCII or full-width digits).
* Segment counting agrees with the GSM 03.38 tables, written out here from the specification.
* Random arguments to every operation, and random configuration values, end in the project's own error
  (:class:`SinchValidationError`) or a request that can be sent; never in a raw Python error.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from airflow_provider_sinch.client import (
    OPERATIONS,
    RetryPolicy,
    ServicePlanAuth,
    SinchConfig,
    SinchConfigurationError,
    SinchValidationError,
    check_destination,
    check_destinations,
    check_path_id,
    count_segments,
    mask_all,
    mask_destination,
    mask_msisdn,
    mask_text,
    normalize_msisdn,
    truncate_to_parts,
)
from airflow_provider_sinch.client.errors import MAX_MESSAGE
from airflow_provider_sinch.client.msisdn import MAX_DIGITS, MIN_DIGITS, SEPARATORS, is_msisdn, msisdn_digits
from airflow_provider_sinch.delivery import (
    BatchDeliveryProbe,
    DeliveryCriteria,
    RecipientDeliveryProbe,
)

# No example database: the suite leaves no .hypothesis directory behind and every run is independent.
T = TypeVar("T")

FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
BROAD = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# --- strategies -----------------------------------------------------------------------------------------

international = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from("123456789"),
    st.text("0123456789", min_size=MIN_DIGITS - 1, max_size=MAX_DIGITS - 1),
)
"""Canonical digits of a number in international format (country code first, 7 to 15 digits)."""


@st.composite
def spelled(draw: st.DrawFn, digits: str) -> str:
    """``digits`` as a user might write them: ``+``, ``00`` or bare, with separators between digits and
    whitespace around."""
    prefix = draw(st.sampled_from(["+", "00", ""]))
    out = []
    for digit in digits:
        out.append(digit)
        if draw(st.integers(0, 4)) == 0:
            out.append(draw(st.text(SEPARATORS, min_size=1, max_size=2)))
    body = "".join(out).rstrip(SEPARATORS)
    assume("(0)" not in body)  # a national trunk prefix ("+49 (0)30"), refused on purpose: not a spelling
    pad = st.text(" \t\n", max_size=2)
    return draw(pad) + prefix + body + draw(pad)


numbers = international.flatmap(lambda d: st.tuples(st.just(d), spelled(d)))
FULL_WIDTH = {ord(d): 0xFF10 + int(d) for d in "0123456789"}  # "0" -> U+FF10 FULLWIDTH DIGIT ZERO, ...


def attempt(call: Callable[[], T]) -> tuple[T | None, SinchValidationError | None]:
    """``(result, None)``, or ``(None, error)`` when ``call`` raised the project's validation error (any
    other exception propagates and fails the property)."""
    try:
        return call(), None
    except SinchValidationError as exc:
        return None, exc


# --- number normalisation -------------------------------------------------------------------------------


@FAST
@given(st.text())
def test_normalize_is_idempotent_on_any_text(text: str) -> None:
    once = normalize_msisdn(text)
    assert normalize_msisdn(once) == once


@FAST
@given(numbers)
def test_every_spelling_normalises_to_the_same_ascii_digits(number: tuple[str, str]) -> None:
    digits, spelling = number
    assert normalize_msisdn(spelling) == digits
    assert normalize_msisdn(digits) == digits
    assert msisdn_digits(spelling) == digits
    assert check_destination(spelling, "to") == spelling.strip()


@FAST
@given(st.text())
def test_a_number_is_always_ascii_digits_of_e164_length(text: str) -> None:
    digits = msisdn_digits(text)
    if digits is not None:
        assert digits.isascii()
        assert digits.isdigit()
        assert MIN_DIGITS <= len(digits) <= MAX_DIGITS
        assert not digits.startswith("0")
        assert normalize_msisdn(text) == digits


@FAST
@given(international, st.sampled_from(["+", "00", ""]))
def test_non_ascii_digits_are_never_a_number(digits: str, prefix: str) -> None:
    fancy = prefix + digits.translate(FULL_WIDTH)
    assert not is_msisdn(fancy)
    with pytest.raises(SinchValidationError, match="not ASCII"):
        check_destination(fancy, "to")


@FAST
@given(st.text(max_size=30))
def test_check_destination_accepts_exactly_numbers_and_group_ids(text: str) -> None:
    accepted, error = attempt(lambda: check_destination(text, "to"))
    if error is not None:
        assert "to: " in str(error)
        assert len(str(error)) <= MAX_MESSAGE
        assert not is_msisdn(text)
        return
    assert accepted == text.strip()
    assert accepted.isascii()


# --- masking --------------------------------------------------------------------------------------------


def _no_number_in(output: str, digits: str, spelling: str) -> None:
    assert digits not in output
    assert spelling.strip() not in output
    assert digits not in output.translate(str.maketrans("", "", SEPARATORS + "+"))


@BROAD
@given(numbers, st.text(max_size=20), st.text(max_size=20), st.booleans())
def test_masking_never_shows_a_full_number_whatever_surrounds_it(
    number: tuple[str, str], before: str, after: str, full_width: bool
) -> None:
    digits, spelling = number
    if full_width:
        spelling = spelling.translate(FULL_WIDTH)
    text = before + spelling + after
    for output in (mask_text(text), mask_destination(text), mask_all([text, text]), mask_msisdn(text)):
        _no_number_in(output, digits, spelling)
        if full_width:
            _no_number_in(output, digits.translate(FULL_WIDTH), spelling)


@FAST
@given(st.lists(st.text(max_size=40), max_size=8))
def test_masked_output_never_has_seven_digits_in_a_row(entries: list[str]) -> None:
    # Escapes such as \U0001240a (possibly cut by the length limit) are not digits of a number.
    shown = re.sub(r"\\(U[0-9a-f]{1,8}|u[0-9a-f]{1,4}|x[0-9a-f]{1,2})", "_", mask_all(entries, limit=8))
    assert not re.search(r"\d{7}", shown)


@FAST
@given(numbers)
def test_a_number_alone_is_masked_to_prefix_and_suffix(number: tuple[str, str]) -> None:
    digits, spelling = number
    masked = mask_msisdn(spelling)
    assert masked == (f"+{digits[:4]}****{digits[-3:]}" if len(digits) >= 8 else "****")


# --- segments against the GSM 03.38 tables --------------------------------------------------------------

# GSM 03.38 default alphabet by code (0x00-0x7F); 0x1B is the escape to the extension table.
GSM_BASIC_BY_CODE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# Extension table (escape + code): form feed 0x0A, ^ 0x14, { 0x28, } 0x29, \ 0x2F, [ 0x3C, ~ 0x3D, ] 0x3E,
# | 0x40, € 0x65.
GSM_EXTENSION = {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~", 0x3E: "]",
                 0x40: "|", 0x65: "€"}
BASIC = set(GSM_BASIC_BY_CODE) - {"\x1b"}
EXTENSION = set(GSM_EXTENSION.values())


def test_the_reference_tables_are_the_spec_s_size() -> None:
    assert len(GSM_BASIC_BY_CODE) == 128
    assert len(BASIC) == 127
    assert len(EXTENSION) == 10


def _reference(text: str) -> tuple[str, int, int]:
    """(encoding, units, parts) computed from the tables above, packing whole characters into parts."""
    if all(ch in BASIC or ch in EXTENSION for ch in text):
        costs, single, multi, encoding = [2 if ch in EXTENSION else 1 for ch in text], 160, 153, "GSM"
    else:
        costs, single, multi, encoding = [2 if ord(ch) > 0xFFFF else 1 for ch in text], 70, 67, "UNICODE"
    units = sum(costs)
    if units <= single:
        return encoding, units, 1 if units else 0
    parts, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            parts, used = parts + 1, 0
        used += cost
    return encoding, units, parts


sms_text = st.text(
    st.one_of(
        st.sampled_from(sorted(BASIC)),
        st.sampled_from(sorted(EXTENSION)),
        st.sampled_from("çâ€😀ж中\u00a0\ud800"),
    ),
    max_size=400,
)


@BROAD
@given(sms_text)
def test_segments_match_the_gsm_tables(text: str) -> None:
    info = count_segments(text)
    assert (info.encoding, info.units, info.parts) == _reference(text)
    if info.parts > 1:  # bounds independent of the packing: ceil(units/multi) to ceil(units/(multi-1))
        multi = 153 if info.encoding == "GSM" else 67
        assert math.ceil(info.units / multi) <= info.parts <= math.ceil(info.units / (multi - 1))


@FAST
@given(sms_text, st.integers(1, 4))
def test_truncation_fits_the_parts(text: str, parts: int) -> None:
    cut = truncate_to_parts(text, parts)
    assert count_segments(cut).parts <= parts
    assert cut == text or (cut.endswith("...") and text.startswith(cut[:-3]))


# --- request models: random input ends in the project's error -------------------------------------------

leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**20), st.floats(),
    st.text(max_size=20), st.text("\ud800\udfff0123+ ./a", max_size=8), st.just("[" * 500),
    st.just("x" * 3000), international, numbers.map(lambda n: n[1]),
    st.datetimes(timezones=st.just(UTC)),
    st.sampled_from([datetime.max.replace(tzinfo=timezone(timedelta(hours=-14))),
                     datetime.min.replace(tzinfo=timezone(timedelta(hours=14))),
                     datetime(9999, 12, 31, 23, 59, tzinfo=UTC), datetime(2030, 1, 1)]),
    st.sampled_from(["mt_text", "mt_binary", "mt_media", "https://e.example/x", "not a url", "SGk=", "0605"]),
)
values = st.recursive(leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)
FIELDS = ["to", "from_", "body", "type", "udh", "parameters", "send_at", "expire_at", "callback_url",
          "client_reference", "delivery_report", "feedback_enabled", "max_number_of_message_parts",
          "to_add", "to_remove", "members", "add", "remove", "name", "child_groups", "add_from_group",
          "auto_update", "recipients", "page", "page_size", "start_date", "end_date", "status", "code",
          "per_recipient", "number_of_recipients", "batch_id", "group_id", "inbound_id", "recipient_msisdn",
          "from_ton", "remove_name"]
arguments = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=6)), values, max_size=6)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(OPERATIONS)), arguments)
def test_random_arguments_end_in_the_project_error_or_a_sendable_request(
    name: str, kwargs: dict[str, Any]
) -> None:
    prepared, error = attempt(lambda: OPERATIONS[name].prepare(kwargs))
    if error is not None:
        assert len(str(error)) <= MAX_MESSAGE
        assert error.errors
        assert all(isinstance(f, str) and isinstance(r, str) for f, r in error.errors)
        return
    assert prepared is not None
    # What the HTTP libraries do with it must work: httpx encodes UTF-8 JSON without NaN.
    json.dumps(prepared.json, ensure_ascii=False, allow_nan=False).encode("utf-8")
    for segment in prepared.path.split("/")[1:]:
        assert segment not in ("", ".", "..")


@FAST
@given(st.one_of(st.text(), st.integers(), st.none(), st.binary()))
def test_path_ids_are_one_plain_segment_or_refused(value: object) -> None:
    accepted, error = attempt(lambda: check_path_id(value, "batch_id"))
    if error is not None:
        assert "batch_id: " in str(error)
        assert len(str(error)) <= MAX_MESSAGE
        return
    assert accepted not in (None, ".", "..")
    assert "/" not in accepted
    assert accepted.isascii()
    assert accepted.isprintable()
    assert " " not in accepted


@FAST
@given(st.lists(st.one_of(st.text(max_size=12), numbers.map(lambda n: n[1]), st.integers()), max_size=30))
def test_a_destination_list_error_is_short_and_counts_the_bad_entries(entries: list[Any]) -> None:
    _, error = attempt(lambda: check_destinations(entries, "to"))
    if error is not None:
        assert len(str(error)) <= MAX_MESSAGE
        bad = [f for f, _ in error.errors if f.startswith("to[")]
        assert bad
        assert len(bad) <= 3


timeouts = st.one_of(st.integers(), st.floats(), st.text(max_size=5), st.none(), st.booleans(),
                     st.tuples(st.floats(), st.floats()), st.lists(st.integers(-5, 10**6), max_size=3))
urls = st.one_of(st.none(), st.text(max_size=30), st.sampled_from(
    ["ftp://x", "http://", "https://h:99999", "http://u:p@h", "https://h/p?q=1", "localhost:8080", "http://h"]))


@FAST
@given(timeouts, urls,
       st.sampled_from([None, "", "   ", 5, "tok-SECRET-1", "tok SECRET\n", "tok\u00e9SECRET"]),
       st.one_of(st.integers(), st.floats()))
def test_random_configuration_ends_in_the_configuration_error(
    timeout: Any, base_url: Any, token: Any, attempts: Any
) -> None:
    config, error = attempt(lambda: SinchConfig(
        auth=ServicePlanAuth("plan-1", token), base_url=base_url, timeout=timeout,
        retry=RetryPolicy(max_attempts=attempts)))
    if error is not None:
        assert isinstance(error, SinchConfigurationError)
        assert len(str(error)) <= MAX_MESSAGE
        assert "SECRET" not in str(error)  # a token is never quoted
        return
    assert config is not None
    connect, read = config.timeouts
    assert 0 < connect <= 3600
    assert 0 < read <= 3600


@FAST
@given(values, values, values)
def test_random_delivery_wait_arguments_end_in_the_project_error(
    batch: Any, recipient: Any, criteria: Any
) -> None:
    for build_it in (
        lambda: DeliveryCriteria.from_dict(criteria),
        lambda: BatchDeliveryProbe(batch, DeliveryCriteria()),
        lambda: RecipientDeliveryProbe(batch, recipient, DeliveryCriteria()),
        lambda: check_destinations(batch, "to"),
    ):
        _, error = attempt(build_it)
        if error is not None:
            assert len(str(error)) <= MAX_MESSAGE
