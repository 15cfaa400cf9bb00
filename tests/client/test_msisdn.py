"""Phone number normalisation (Sinch answers with bare digits), masking for logs, and the one rule for what
a destination is, applied by every request model."""

from __future__ import annotations

import pytest

from airflow_provider_sinch.client import (
    SinchValidationError,
    check_destination,
    check_destinations,
    mask_msisdn,
    mask_text,
    normalize_msisdn,
)
from airflow_provider_sinch.client.msisdn import is_msisdn, mask_all, msisdn_digits
from tests.client.clients import Harness
from tests.client.refusals import nothing_sent, refused, silent


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


# --- issue 11: one rule for what a destination is, applied by every request model ----------------------

# (bad entry, words of the rule it breaks)
BAD_DESTINATIONS: list[tuple[object, tuple[str, ...]]] = [
    ("+4670123abc", ("phone number in international format", "group id")),
    ("+", ("has no digits",)),
    ("1" * 25, ("has 25 digits", "at most 15")),
    ("+\uff14\uff16\uff17\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17", ("not ASCII", "U+FF14")),
    ("+4670\u200b1234567", ("invisible", "U+200B")),
    ("   ", ("must not be empty",)),
    ("", ("must not be empty",)),
    ("+0046701234567", ("country code",)),
    ("0701234567", ("international format", "not a national number")),
    ("123", ("has 3 digits", "at least 7")),
    ("+46701234567 (mobile)", ("phone number in international format",)),
    ("[" * 100_000, ("phone number in international format",)),
    (46701234567, ("must be a string", "int")),
    (None, ("must be a string", "NoneType")),
]
BAD_IDS = [repr(b)[:16] for b, _ in BAD_DESTINATIONS]
NUMBER = "+46701234567"
GROUP = "01FC66621XXXXX119Z8PMV1AHY"

# Every request field that takes destinations: (operation, arguments around the list, field, groups allowed)
DESTINATION_FIELDS: list[tuple[str, dict[str, object], str, bool]] = [
    ("send_batch", {"body": "x"}, "to", True),
    ("dry_run", {"body": "x"}, "to", True),
    ("replace_batch", {"batch_id": "b1", "body": "x"}, "to", True),
    ("update_batch", {"batch_id": "b1"}, "to_add", True),
    ("update_batch", {"batch_id": "b1"}, "to_remove", True),
    ("send_delivery_feedback", {"batch_id": "b1"}, "recipients", False),
    ("create_group", {}, "members", False),
    ("replace_group", {"group_id": "g1"}, "members", False),
    ("update_group", {"group_id": "g1"}, "add", False),
    ("update_group", {"group_id": "g1"}, "remove", False),
]


@pytest.mark.parametrize(("op", "args", "field", "groups"), DESTINATION_FIELDS,
                         ids=[f"{op}-{field}" for op, _, field, _ in DESTINATION_FIELDS])
@pytest.mark.parametrize(("bad", "words"), BAD_DESTINATIONS, ids=BAD_IDS)
def test_a_bad_destination_is_refused_before_any_request(
    harness: Harness, op: str, args: dict[str, object], field: str, groups: bool, bad: object,
    words: tuple[str, ...],
) -> None:
    silent(harness)
    entries = [NUMBER, GROUP, bad] if groups else [NUMBER, bad]
    position = len(entries) - 1
    exc = refused(lambda: harness.call(op, **args, **{field: entries}), f"{field}[{position}]", *words)
    assert "46701234567" not in str(exc)  # numbers, good or bad, are masked
    nothing_sent(harness)


@pytest.mark.parametrize(("op", "args", "field"), [(op, a, f) for op, a, f, g in DESTINATION_FIELDS if not g])
def test_a_group_id_is_not_a_member(harness: Harness, op: str, args: dict[str, object], field: str) -> None:
    silent(harness)
    refused(lambda: harness.call(op, **args, **{field: [GROUP]}), f"{field}[0]", "not a group id")
    nothing_sent(harness)


@pytest.mark.parametrize(("bad", "words"), [*BAD_DESTINATIONS, (GROUP, ("not a group id",))],
                         ids=[*BAD_IDS, "group"])
def test_the_recipient_report_path_takes_a_number(
    harness: Harness, bad: object, words: tuple[str, ...]
) -> None:
    silent(harness)
    if bad in ("", "   ", None):
        words = ("is required",)
    refused(lambda: harness.call("get_recipient_delivery_report", "b1", bad), "recipient_msisdn", *words)
    nothing_sent(harness)


def test_one_bad_entry_among_a_full_chunk_is_named_by_position(harness: Harness) -> None:
    silent(harness)
    to = [f"+4670{i:07d}" for i in range(1000)]
    to[517] = "+4670123abc"
    exc = refused(lambda: harness.call("send_batch", to=to, body="x"), "to[517]", "group id")
    assert "****abc" in str(exc)  # the entry, masked
    nothing_sent(harness)


def test_one_bad_entry_among_2500() -> None:
    to = [f"+4670{i:07d}" for i in range(2500)]
    to[1717] = "+4670\u200b1234567"
    exc = refused(lambda: check_destinations(to, "to"), "to[1717]", "U+200B")
    assert exc.errors == [("to[1717]", exc.errors[0][1])]


def test_many_bad_entries_are_counted_and_the_first_few_shown() -> None:
    to = [f"+4670{i:07d}" for i in range(2500)]
    for i in range(100, 2500, 60):
        to[i] = f"+4670{i:07d}x"
    exc = refused(lambda: check_destinations(to, "to"), "to", "40 of 2500 entries are not destinations")
    assert [f for f, _ in exc.errors] == ["to", "to[100]", "to[160]", "to[220]"]
    assert str(exc).index("40 of 2500") < str(exc).index("to[100]")  # the count survives any cut
    assert "46700000100" not in str(exc)


def test_every_spelling_of_a_number_passes_and_is_sent_as_given(harness: Harness) -> None:
    from airflow_provider_sinch.client.models import Batch
    from tests.client.samples import BATCH
    from tests.fakes import Reply

    spellings = ["+46701234567", "0046701234568", "46701234569", " +46 70-123 45 60 ", "+1 (555) 123-1234",
                 "+1.555.123.1235", "[+44] 20/7946 0958", "+6831234", GROUP, "g1"]
    harness.reply(Reply(201, json=BATCH))
    assert isinstance(harness.call("send_batch", to=spellings, body="x"), Batch)
    assert harness.last.json["to"] == [s.strip() for s in spellings]


def test_check_destination_returns_the_entry_stripped() -> None:
    assert check_destination(" +46 70 123 45 67\n", "to") == "+46 70 123 45 67"
    assert check_destination(GROUP, "to") == GROUP
    assert check_destinations(("+46701234567", GROUP), "to") == ["+46701234567", GROUP]


# --- issue 11: normalising is idempotent; masking never shows a full number -----------------------------


FULL_WIDTH = "\uff14\uff16\uff17\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17"  # 46701234567


@pytest.mark.parametrize("value", ["+0046701234567", "0000", "00", "+", "+00", "0046701234567",
                                   "000046701234567", FULL_WIDTH, " +46 70 ", "+4670\u200b1234567",
                                   "\u00a0+46701234567\u00a0"])
def test_normalize_is_idempotent(value: str) -> None:
    once = normalize_msisdn(value)
    assert normalize_msisdn(once) == once


def test_non_ascii_digits_are_not_a_number() -> None:
    full_width = "\uff14\uff16\uff17\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17"
    assert msisdn_digits(full_width) is None
    assert normalize_msisdn(full_width) == full_width  # not turned into digits it never was


def test_two_prefixes_are_not_stripped_twice() -> None:
    assert normalize_msisdn("+0046701234567") == "+0046701234567"  # not a number: left as given
    assert normalize_msisdn("0000") == "0000"


@pytest.mark.parametrize(
    ("entries", "shown"),
    [
        (["+46701234567 (mobile)"], "'+4670****567 (mobile)'"),
        (["mobile: 0046701234567"], "'mobile: 0046****567'"),
        (["A46701234567"], "'A4670****567'"),
        ([GROUP, "g1"], f"{GROUP}, g1"),
        (["+46701234567"] * 7, ", ".join(["+4670****567"] * 5) + " (+2 more)"),
        (["+46\u200b701234567"], "'+46\\u200b7012****567'"),
    ],
)
def test_mask_all_never_prints_a_full_number(entries: list[str], shown: str) -> None:
    assert mask_all(entries) == shown


def test_mask_msisdn_of_anything_but_a_number_is_stars() -> None:
    assert mask_msisdn("+46701234567 (mobile)") == "****"
    text = "call +46 70 123 45 67 or 0046709876543, room 12"
    assert mask_text(text) == "call +4670****567 or 0046****543, room 12"


@pytest.mark.parametrize("pasted", ["+4670\u2011123\u20114567", "+4670\u2013123\u20134567",
                                    "+46_70_123_45_67", "+46\u00a070\u00a0123\u00a045\u00a067"])
def test_numbers_pasted_with_unusual_separators_are_masked_in_errors(pasted: str) -> None:
    """A non-breaking hyphen, an en dash, underscores or no-break spaces still join one number's digits."""
    with pytest.raises(SinchValidationError) as caught:
        check_destination(pasted, "to")
    digits = "".join(ch for ch in pasted if ch.isdigit())
    assert digits not in "".join(ch for ch in str(caught.value) if ch.isdigit())
    assert "4670" in str(caught.value) or "****" in str(caught.value)


def test_a_national_trunk_prefix_is_refused_not_dialled_as_another_number() -> None:
    assert not is_msisdn("+49 (0)30 1234567")
    assert normalize_msisdn("+49 (0)30 1234567") == "+49 (0)30 1234567"  # not 490301234567
    with pytest.raises(SinchValidationError, match=r"to: contains the national trunk prefix \(0\)"):
        check_destination("+49 (0)30 1234567", "to")
    assert is_msisdn("+49 30 1234567")
