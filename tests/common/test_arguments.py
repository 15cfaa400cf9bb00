"""Reading arguments from templates and XCom: the coercions every operator, sensor, trigger and the notifier
use, and the one error form of a bad argument."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_sinch.client import SinchValidationError
from airflow_provider_sinch.client.retry import is_number, is_whole
from airflow_provider_sinch.common.arguments import (
    SinchArgumentError,
    as_bool,
    as_int,
    as_list,
    as_mapping,
    has_template,
    invalid,
    is_id_like,
    shown,
)


@pytest.mark.parametrize(("value", "expected"), [
    (None, []),
    ("", []),
    ("+1, +2 ;+3\n+4", ["+1", "+2", "+3", "+4"]),
    ('["+1", "+2"]', ["+1", "+2"]),
    ("['+1', '+2']", ["+1", "+2"]),
    (("+1", 46700000000), ["+1", "46700000000"]),
    ({"+2", "+1"}, ["+1", "+2"]),
    ({"batch_ids": ["a", "b"]}, ["a", "b"]),
    ({"id": "a"}, ["a"]),
    ("{'id': 'a'}", ["a"]),
    ([{"id": "a"}, {"id": "b"}], ["a", "b"]),
])
def test_as_list(value: Any, expected: list[str]) -> None:
    assert as_list(value, "f", keys=("batch_ids", "id")) == expected


@pytest.mark.parametrize("value", ["[unclosed", {"other": 1}, [None], 3.5, [True]])
def test_as_list_names_the_field(value: Any) -> None:
    with pytest.raises(SinchValidationError, match="the_field: "):
        as_list(value, "the_field", keys=("id",))


def test_scalars() -> None:
    assert as_int("5", "n") == 5
    assert as_int("", "n") is None
    with pytest.raises(SinchValidationError, match="n: must be at least 1"):
        as_int(0, "n", 1)
    with pytest.raises(SinchValidationError, match="n: must be an integer"):
        as_int(True, "n")
    assert as_bool("False", "b") is False
    assert as_bool("yes", "b") is True
    with pytest.raises(SinchValidationError, match="b: must be true or false"):
        as_bool("maybe", "b")
    assert as_mapping('{"a": {"default": "x"}}', "p") == {"a": {"default": "x"}}
    with pytest.raises(SinchValidationError, match="p: expected a mapping"):
        as_mapping("[1]", "p")


@pytest.mark.parametrize(("value", "whole", "id_like", "number"), [
    (5, True, True, True), (True, False, False, False), (5.0, False, False, True), ("5", False, True, False),
    (None, False, False, False), (float("nan"), False, False, True),
])
def test_number_checks_never_take_a_bool(value: Any, whole: bool, id_like: bool, number: bool) -> None:
    assert is_whole(value) is whole
    assert is_id_like(value) is id_like
    assert is_number(value) is number


def test_the_two_error_forms_name_field_and_where() -> None:
    argument = SinchArgumentError("poll_interval", "must be positive", "SinchBatchDeliverySensor arguments")
    assert str(argument) == "invalid Sinch SinchBatchDeliverySensor arguments: poll_interval must be positive"
    assert argument.errors == [("poll_interval", "must be positive")]
    operator = invalid("to", "is empty", "SinchSendBatchOperator arguments")
    assert type(operator) is SinchValidationError
    assert str(operator) == "invalid Sinch SinchSendBatchOperator arguments: to: is empty"


def test_shown_cuts_long_and_unprintable_values() -> None:
    assert shown("x" * 100) == repr("x" * 100)[:37] + "..."

    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    assert shown(Broken()) == "<Broken>"


@pytest.mark.parametrize(("value", "templated"), [
    ("{{ ti.xcom_pull('send') }}", True), ("{% if x %}a{% endif %}", True), (["a", "{{ b }}"], True),
    ({"{{ a }}"}, True), ("a, b", False), (["a", "b"], False), ({"id": "{{ a }}"}, False), (5, False),
])
def test_has_template_tells_what_can_only_be_judged_once_rendered(value: Any, templated: bool) -> None:
    assert has_template(value) is templated
