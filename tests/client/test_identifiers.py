"""Ids that go into a URL path are one plain segment, checked before any request (issue 11).

``hook.cancel_batch("..")`` used to send ``DELETE /xms/v1/{plan}/`` (the HTTP libraries collapse the dots)
and a 100,000-character id was sent, its error 100,000 characters long.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_sinch.client import (
    MAX_PATH_ID_LENGTH,
    OPERATIONS,
    SinchValidationError,
    check_path_id,
)
from tests.client.clients import Harness
from tests.client.refusals import nothing_sent, refused, silent
from tests.client.samples import BATCH_ID

# (bad id, words of the rule it breaks)
BAD_IDS: list[tuple[Any, tuple[str, ...]]] = [
    ("..", ("must not be '..'", "path segment")),
    (".", ("must not be '.'", "path segment")),
    ("a/b", ("must not contain '/'",)),
    ("../groups", ("must not contain '/'",)),
    ("x" * 100_000, (f"at most {MAX_PATH_ID_LENGTH} characters", "100000")),
    ("", ("must not be empty",)),
    ("   ", ("must not be empty",)),
    ("01FC66621XXXXX119Z8PMV1QPQ\n", ("printable ASCII", "whitespace", "U+000A")),
    ("01FC 6662", ("printable ASCII", "whitespace")),
    ("01FC\u200b6662", ("printable ASCII", "U+200B")),
    ("01FC\u00a06662", ("printable ASCII", "U+00A0")),
    ("b\x00", ("control character", "U+0000")),
    ("bätch", ("non-ASCII", "U+00E4")),
    (123, ("must be a string id", "int")),
    (["b1"], ("must be a string id", "list")),
]
# Every operation with an id in its path, and the arguments it needs besides that id.
PATH_OPERATIONS = sorted(
    (name, param)
    for name, op in OPERATIONS.items()
    for param in op.path_params
    if param != "recipient_msisdn"
)
OTHER_ARGS = {"batch_id": BATCH_ID, "group_id": "g1", "inbound_id": "i1", "recipient_msisdn": "46701234567"}


def test_every_path_operation_is_covered() -> None:
    assert {name for name, _ in PATH_OPERATIONS} == {
        "get_batch", "update_batch", "replace_batch", "cancel_batch", "send_delivery_feedback",
        "get_delivery_report", "get_recipient_delivery_report", "get_group", "update_group", "replace_group",
        "delete_group", "list_group_members", "get_inbound",
    }


@pytest.mark.parametrize(("name", "param"), PATH_OPERATIONS)
@pytest.mark.parametrize(("bad", "words"), BAD_IDS, ids=[repr(b)[:12] for b, _ in BAD_IDS])
def test_a_bad_path_id_is_refused_before_any_request(
    harness: Harness, name: str, param: str, bad: Any, words: tuple[str, ...]
) -> None:
    silent(harness)
    args = {p: OTHER_ARGS[p] for p in OPERATIONS[name].path_params}
    args[param] = bad
    body = {"to": ["+46701234567"], "body": "x"} if name == "replace_batch" else {}
    refused(lambda: harness.call(name, **args, **body), param, *words)
    nothing_sent(harness)


def test_a_huge_id_is_not_echoed() -> None:
    with pytest.raises(SinchValidationError) as caught:
        check_path_id("7" * 100_000, "batch_id")
    assert len(str(caught.value)) < 200
    assert "7" * 50 not in str(caught.value)


def test_an_odd_id_is_shown_escaped_and_cut() -> None:
    with pytest.raises(SinchValidationError) as caught:
        check_path_id("a/" + "b" * 100, "group_id")
    message = str(caught.value)
    assert "(102 characters)" in message
    assert len(message) < 200


@pytest.mark.parametrize(
    "good", [BATCH_ID, "b1", "01FC66621XXXXX119Z8PMV1AHY", "a?b#c%d", "x" * 128, "id-1_2.3~"])
def test_plain_ids_pass_unchanged(good: str) -> None:
    assert check_path_id(good, "batch_id") == good


def test_the_error_says_which_operation(harness: Harness) -> None:
    silent(harness)
    exc = refused(lambda: harness.call("cancel_batch", ".."), "batch_id", "'..'")
    assert "cancel_batch" in str(exc)


def test_a_phone_number_pasted_as_an_id_is_masked_in_the_error() -> None:
    with pytest.raises(SinchValidationError) as caught:
        check_path_id("+46 70 123 45 67", "batch_id")
    assert "+4670****567" in str(caught.value)
    assert "46701234567" not in str(caught.value).replace(" ", "")
