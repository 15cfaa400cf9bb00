"""Request validation (before anything is sent) and response leniency of the pydantic models."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_sinch.client import SinchValidationError
from airflow_provider_sinch.client.models import (
    FINAL_STATUSES,
    INTERMEDIATE_STATUSES,
    Batch,
    BatchDeliveryReport,
    BatchRequest,
    DeliveryFeedbackRequest,
    DeliveryStatus,
    DryRunResponse,
    Group,
    GroupRequest,
    GroupUpdateRequest,
    InboundMessage,
    ListBatchesQuery,
    ListBatchesResponse,
    ListDeliveryReportsResponse,
    ListGroupsResponse,
    ListInboundsResponse,
    RecipientDeliveryReport,
    TextBatchRequest,
    UpdateBatchRequest,
    build,
)
from tests.client.clients import Harness
from tests.client.refusals import nothing_sent, refused, silent
from tests.client.samples import BATCH, BATCH_REPORT, DRY_RUN, GROUP, INBOUND, RECIPIENT_REPORT, SEND_AT, page
from tests.fakes import Reply

NOW = datetime.now(UTC)
TEXT = {"to": ["+46701234567"], "from_": "12345", "body": "Hi"}
BINARY = {"to": ["+46701234567"], "from_": "12345", "type": "mt_binary", "body": "SGk=", "udh": "00"}
MEDIA = {
    "to": ["+15551231234"],
    "from_": "12345",
    "type": "mt_media",
    "body": {"url": "https://e.example/a.png"},
}


def b64(size: int) -> str:
    return base64.b64encode(b"x" * size).decode()


# (operation, keyword arguments, field named in the error, words of the rule)
INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    ("send_batch", {**TEXT, "to": []}, "to", "at least 1 item"),
    ("send_batch", {**TEXT, "to": [f"4670{i:07d}" for i in range(1001)]}, "to", "at most 1000 items"),
    ("send_batch", {**TEXT, "to": [""]}, "to[0]", "must not be empty"),
    ("send_batch", {**TEXT, "body": "x" * 2001}, "body", "at most 2000 characters"),
    ("send_batch", {**TEXT, "body": None}, "body", "Field required"),
    ("send_batch", {**BINARY, "body": b64(130), "udh": "00" * 11}, "body", "at most 140 bytes, got 141"),
    ("send_batch", {**BINARY, "body": "not base64!"}, "body", "must be base64"),
    ("send_batch", {**BINARY, "udh": "0G"}, "udh", "must be hexadecimal"),
    ("send_batch", {**BINARY, "udh": None}, "udh", "Field required"),
    ("send_batch", {**MEDIA, "body": {"message": "no url"}}, "body.url", "Field required"),
    (
        "send_batch",
        {**MEDIA, "body": {"url": "https://e.example", "mesage": "typo"}},
        "body.mesage",
        "Extra inputs",
    ),
    ("send_batch", {**TEXT, "send_at": SEND_AT, "expire_at": SEND_AT}, "expire_at", "must be after send_at"),
    (
        "send_batch",
        {**TEXT, "send_at": SEND_AT, "expire_at": SEND_AT + timedelta(days=3, seconds=1)},
        "expire_at",
        "at most 3 days after send_at",
    ),
    ("send_batch", {**TEXT, "expire_at": NOW + timedelta(days=3, hours=1)}, "expire_at", "at most 3 days"),
    ("send_batch", {**TEXT, "expire_at": NOW - timedelta(minutes=1)}, "expire_at", "must be in the future"),
    ("send_batch", {**TEXT, "type": "mt_foo"}, "type", "must be one of mt_text, mt_binary, mt_media"),
    ("send_batch", {**TEXT, "delivery_report": "yes"}, "delivery_report", "'none', 'summary', 'full'"),
    (
        "send_batch",
        {**TEXT, "callback_url": "https://e.example/" + "x" * 2031},
        "callback_url",
        "at most 2048",
    ),
    ("send_batch", {**TEXT, "client_reference": "r" * 2049}, "client_reference", "at most 2048"),
    (
        "send_batch",
        {**TEXT, "parameters": {"first name": {"default": "x"}}},
        "parameters",
        "'first name' may only",
    ),
    ("send_batch", {**TEXT, "parameters": {"name\n": {"default": "x"}}}, "parameters", "may only contain"),
    (
        "send_batch",
        {**TEXT, "parameters": {"name": {"default": 1}}},
        "parameters.name.default",
        "valid string",
    ),
    ("send_batch", {**TEXT, "send_at": datetime(2031, 1, 1)}, "send_at", "timezone"),
    ("send_batch", {**TEXT, "send_at": "2031-01-01T10:00:00"}, "send_at", "timezone"),
    ("send_batch", {**TEXT, "from_ton": 7}, "from_ton", "less than or equal to 6"),
    ("send_batch", {**TEXT, "from_npi": 19}, "from_npi", "less than or equal to 18"),
    ("send_batch", {**TEXT, "max_number_of_message_parts": 0}, "max_number_of_message_parts", "greater than"),
    ("send_batch", {**TEXT, "from_": ""}, "from", "at least 1 character"),
    ("send_batch", {**TEXT, "colour": "red"}, "colour", "Extra inputs are not permitted"),
    ("send_batch", {**TEXT, "udh": "00"}, "udh", "Extra inputs are not permitted"),  # udh is binary-only
    ("replace_batch", {"batch_id": "b1", **TEXT, "to": []}, "to", "at least 1 item"),
    ("dry_run", {**TEXT, "number_of_recipients": 1001}, "number_of_recipients", "less than or equal to 1000"),
    ("dry_run", {**TEXT, "body": "x" * 2001}, "body", "at most 2000 characters"),
    ("update_batch", {"batch_id": "b1", "body": "x" * 2001}, "body", "at most 2000 characters"),
    ("update_batch", {"batch_id": "b1", "to_add": ["46701234567"] * 1001}, "to_add", "at most 1000 items"),
    ("update_batch", {"batch_id": "b1", "type": "mt_binary", "body": "Hi there!"}, "body", "must be base64"),
    ("update_batch", {"batch_id": "b1", "body": b64(140), "udh": "00"}, "body", "at most 140 bytes, got 141"),
    ("update_batch", {"batch_id": "b1", "udh": "xyz"}, "udh", "must be hexadecimal"),
    (
        "update_batch",
        {"batch_id": "b1", "type": "mt_text", "body": {"url": "https://e.example/a.png"}},
        "body",
        "needs type mt_media",
    ),
    (
        "update_batch",
        {"batch_id": "b1", "send_at": SEND_AT, "expire_at": SEND_AT + timedelta(days=4)},
        "expire_at",
        "at most 3 days after send_at",
    ),
    ("update_batch", {"batch_id": "b1", "delivery_report": "always"}, "delivery_report", "Input should be"),
    ("update_batch", {"batch_id": "b1", "toAdd": ["1"]}, "toAdd", "Extra inputs are not permitted"),
    (
        "send_delivery_feedback",
        {"batch_id": "b1", "recipients": [""]},
        "recipients[0]",
        "must not be empty",
    ),
    ("create_group", {"name": ""}, "name", "at least 1 character"),
    ("create_group", {"name": "x" * 21}, "name", "at most 20 characters"),
    ("create_group", {"members": ["46701234567"] * 10001}, "members", "at most 10000 items"),
    ("create_group", {"child_groups": ["g"] * 11}, "child_groups", "at most 10 items"),
    (
        "create_group",
        {"auto_update": {"to": "1", "add": {"first_word": "x" * 16}}},
        "auto_update.add.first_word",
        "at most 15 characters",
    ),
    ("create_group", {"auto_update": {"to": "1", "stop": "x"}}, "auto_update.stop", "Extra inputs"),
    ("replace_group", {"group_id": "g1", "name": "x" * 21}, "name", "at most 20 characters"),
    ("update_group", {"group_id": "g1", "add": ["46701234567"] * 10001}, "add", "at most 10000 items"),
    ("update_group", {"group_id": "g1", "remove": ["46701234567"] * 10001}, "remove", "at most 10000 items"),
    ("update_group", {"group_id": "g1", "name": "x" * 21}, "name", "at most 20 characters"),
    ("update_group", {"group_id": "g1", "name": "VIP", "remove_name": True}, "name", "either name"),
    ("list_batches", {"page_size": 101}, "page_size", "less than or equal to 100"),
    ("list_batches", {"page_size": 0}, "page_size", "greater than or equal to 1"),
    ("list_batches", {"page": -1}, "page", "greater than or equal to 0"),
    ("list_batches", {"start_date": datetime(2031, 1, 1)}, "start_date", "timezone"),
    ("list_batches", {"client_reference": "r" * 2049}, "client_reference", "at most 2048"),
    ("list_batches", {"to": ["1"]}, "to", "is not an argument of list_batches"),
    ("list_groups", {"page_size": 101}, "page_size", "less than or equal to 100"),
    ("list_inbounds", {"end_date": "2031-01-01T00:00:00"}, "end_date", "timezone"),
    ("list_inbounds", {"page_size": 1000}, "page_size", "less than or equal to 100"),
    ("list_delivery_reports", {"status": ["DELIVERED"]}, "status.0", "'Queued', 'Dispatched'"),
    ("list_delivery_reports", {"code": ["x"]}, "code.0", "valid integer"),
    ("list_delivery_reports", {"page_size": 101}, "page_size", "less than or equal to 100"),
    ("get_delivery_report", {"batch_id": "b1", "type": "detailed"}, "type", "'summary' or 'full'"),
    ("get_delivery_report", {"batch_id": "b1", "status": "delivered"}, "status.0", "Input should be"),
    ("get_batch", {"batch_id": " "}, "batch_id", "is required and must not be empty"),
    (
        "get_recipient_delivery_report",
        {"batch_id": "b1", "recipient_msisdn": ""},
        "recipient_msisdn",
        "required",
    ),
    ("get_inbound", {"inbound_id": None}, "inbound_id", "is required"),
]


@pytest.mark.parametrize(
    ("op", "kwargs", "field", "rule"),
    INVALID,
    ids=[f"{op}-{field}-{i}" for i, (op, _, field, _) in enumerate(INVALID)],
)
def test_invalid_input_is_refused_before_any_request(
    harness: Harness, op: str, kwargs: dict[str, Any], field: str, rule: str
) -> None:
    with pytest.raises(SinchValidationError) as caught:
        harness.call(op, **kwargs)
    assert harness.requests == []  # nothing went out
    assert any(f == field and rule in r for f, r in caught.value.errors), caught.value.errors
    assert f"{field}: " in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_unknown_keyword_on_a_method_without_a_body_is_a_type_error(harness: Harness) -> None:
    with pytest.raises(TypeError):
        harness.call("get_batch", batch_id="b1", colour="red")
    assert harness.requests == []


def test_error_lists_every_bad_field_at_once() -> None:
    with pytest.raises(SinchValidationError) as caught:
        build(BatchRequest, {"to": [], "body": "x" * 2001, "from_ton": 9}, "send_batch request")
    assert sorted(f for f, _ in caught.value.errors) == ["body", "from_ton", "to"]
    assert str(caught.value).startswith("invalid Sinch send_batch request: to: ")


@pytest.mark.parametrize(
    "fields",
    [
        {**TEXT, "to": [f"4670{i:07d}" for i in range(1000)]},
        {**TEXT, "body": "x" * 2000},
        {**TEXT, "body": ""},
        {**BINARY, "body": b64(139), "udh": "00"},
        {**BINARY, "body": "", "udh": "00" * 140},
        {**TEXT, "send_at": SEND_AT, "expire_at": SEND_AT + timedelta(days=3)},
        {**TEXT, "expire_at": NOW + timedelta(days=2, hours=23)},
        {**TEXT, "callback_url": "https://e.example/" + "x" * 2030, "client_reference": "r" * 2048},
        {**TEXT, "parameters": {"first.name-2_x": {"46701234567": "Ann", "default": "there"}}},
        {**TEXT, "from_ton": 6, "from_npi": 18, "max_number_of_message_parts": 1},
        {**BINARY, "flash_message": True},  # what the Java and .NET SDKs send for binary batches
        {
            **MEDIA,
            "strict_validation": True,
            "body": {"url": "https://e.example", "message": "m", "subject": "s"},
        },
        {"to": "+46701234567", "from": "12345", "body": "one recipient as a string, 'from' by its API name"},
    ],
)
def test_valid_batches_at_the_limits_pass(fields: dict[str, Any]) -> None:
    assert build(BatchRequest, fields).to_json()["to"]


def test_batch_wire_form() -> None:
    cet = timezone(timedelta(hours=1))
    request = build(
        BatchRequest,
        {
            **TEXT,
            "to": "+46701234567",
            "send_at": datetime(2031, 1, 1, 10, tzinfo=cet),
            "delivery_report": "full",
        },
    )
    assert isinstance(request, TextBatchRequest)
    assert request.to_json() == {
        "to": ["+46701234567"],  # numbers are sent as given; Sinch accepts +, 00 or bare
        "from": "12345",
        "type": "mt_text",
        "body": "Hi",
        "delivery_report": "full",
        "send_at": "2031-01-01T10:00:00+01:00",  # the offset is kept, never dropped
    }


def test_group_update_never_sends_name_null_unless_asked() -> None:
    """The official SDK always sends "name": null, which removes the group's name."""
    assert "name" not in GroupUpdateRequest(add=["46701234567"]).to_json()
    assert GroupUpdateRequest(name="VIP").to_json() == {"name": "VIP"}
    assert GroupUpdateRequest(remove_name=True).to_json() == {"name": None}
    assert GroupRequest(name="x" * 20, members=["46701234567"] * 10000).to_json()["name"] == "x" * 20


def test_update_without_send_at_does_not_guess_the_batch_schedule() -> None:
    """A scheduled batch may be days away: an expire_at far from now is fine when send_at is not changed."""
    far = NOW + timedelta(days=10)
    assert build(UpdateBatchRequest, {"expire_at": far}).to_json() == {
        "expire_at": far.isoformat().replace("+00:00", "Z")
    }


def test_delivery_feedback_defaults_to_every_recipient() -> None:
    assert DeliveryFeedbackRequest().to_json() == {"recipients": []}
    assert DeliveryFeedbackRequest(recipients="+46701234567").to_json() == {"recipients": ["+46701234567"]}


@pytest.mark.parametrize(
    ("filters", "params"),
    [
        ({"from_": "12345"}, {"from": "12345"}),
        ({"from": ["12345", "54321"]}, {"from": "12345,54321"}),
        ({"from_": "12345, 54321"}, {"from": "12345,54321"}),
        (
            {"start_date": datetime(2031, 1, 1, tzinfo=timezone(timedelta(hours=-5)))},
            {"start_date": "2031-01-01T00:00:00-05:00"},
        ),
        ({"page": 0, "page_size": 100}, {"page": "0", "page_size": "100"}),
    ],
)
def test_query_wire_form(filters: dict[str, Any], params: dict[str, str]) -> None:
    assert build(ListBatchesQuery, filters).to_params() == params


# Responses: Sinch adds fields over time; nothing may break and nothing is dropped.

RESPONSES: list[tuple[type, dict[str, Any]]] = [
    (Batch, BATCH),
    (ListBatchesResponse, page("batches", [BATCH])),
    (DryRunResponse, DRY_RUN),
    (BatchDeliveryReport, BATCH_REPORT),
    (RecipientDeliveryReport, RECIPIENT_REPORT),
    (ListDeliveryReportsResponse, page("delivery_reports", [RECIPIENT_REPORT])),
    (Group, GROUP),
    (ListGroupsResponse, page("groups", [GROUP])),
    (InboundMessage, INBOUND),
    (ListInboundsResponse, page("inbounds", [INBOUND])),
]


@pytest.mark.parametrize(("model", "data"), RESPONSES, ids=[m.__name__ for m, _ in RESPONSES])
def test_responses_keep_unknown_fields(model: type, data: dict[str, Any]) -> None:
    parsed = model.model_validate({**data, "added_in_2032": {"x": [1, 2]}})
    assert parsed.model_extra == {"added_in_2032": {"x": [1, 2]}}
    assert parsed.to_dict()["added_in_2032"] == {"x": [1, 2]}


def test_nested_unknown_fields_and_unknown_enum_values_are_tolerated() -> None:
    report = BatchDeliveryReport.model_validate(
        {**BATCH_REPORT, "statuses": [{"code": 499, "status": "Vanished", "count": 1, "carrier": "X"}]}
    )
    assert report.statuses[0].status == "Vanished"
    assert report.statuses[0].model_extra == {"carrier": "X"}
    batch = Batch.model_validate({**BATCH, "type": "mt_hologram", "delivery_report": "psychic"})
    assert (batch.type, batch.delivery_report) == ("mt_hologram", "psychic")
    minimal = Batch.model_validate({"id": "old-short-id"})  # ids are not validated; defaults fill the rest
    assert (minimal.id, minimal.to, minimal.canceled) == ("old-short-id", [], False)


def test_response_field_values() -> None:
    batch = Batch.model_validate(BATCH)
    assert batch.from_ == "12345"
    assert batch.created_at == datetime(2031, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)
    report = BatchDeliveryReport.model_validate(
        {
            **BATCH_REPORT,
            "statuses": [*BATCH_REPORT["statuses"], {"code": 0, "status": "Delivered", "count": 4}],
        }
    )
    assert report.counts() == {"Delivered": 6, "Failed": 1}
    assert InboundMessage.model_validate(INBOUND).text == "Yes please"


def test_status_sets_are_spelled_like_sinch() -> None:
    assert {s.value for s in INTERMEDIATE_STATUSES} == {"Queued", "Dispatched"}
    assert {s.value for s in FINAL_STATUSES} == {
        "Delivered",
        "Failed",
        "Expired",
        "Rejected",
        "Aborted",
        "Cancelled",
        "Deleted",
        "Unknown",
    }
    assert DeliveryStatus("Delivered") is DeliveryStatus.DELIVERED


# --- issue 11: extreme values end in the project's error, naming the field and the rule ------------------

FAR_WEST = timezone(timedelta(hours=-14))
FAR_EAST = timezone(timedelta(hours=14))
NESTED: dict[str, Any] = {}
_level = NESTED
for _ in range(100_000):
    _level["a"] = {}
    _level = _level["a"]
DEEP_LIST: list[Any] = []
_item = DEEP_LIST
for _ in range(100_000):
    _item.append([])
    _item = _item[0]

EXTREMES: list[tuple[str, dict[str, Any], str, str]] = [
    ("send_batch", {**TEXT, "send_at": "9999-12-31T23:59:59-23:59"}, "send_at", "between years 1 and 9999"),
    ("send_batch", {**TEXT, "send_at": datetime.max.replace(tzinfo=FAR_WEST)}, "send_at", "between years 1"),
    ("send_batch", {**TEXT, "expire_at": datetime.min.replace(tzinfo=FAR_EAST)}, "expire_at", "years 1 and"),
    ("send_batch", {**TEXT, "expire_at": datetime.max.replace(tzinfo=UTC)}, "expire_at", "at most 3 days"),
    ("send_batch", {**TEXT, "send_at": datetime.max.replace(tzinfo=UTC),
                    "expire_at": datetime.min.replace(tzinfo=UTC)}, "expire_at", "must be after send_at"),
    ("update_batch", {"batch_id": "b1", "send_at": datetime(9999, 12, 20, tzinfo=UTC),
                      "expire_at": datetime.max.replace(tzinfo=UTC)}, "expire_at", "at most 3 days"),
    ("list_batches", {"start_date": "0001-01-01T00:00:00+05:00"}, "start_date", "between years 1 and 9999"),
    ("send_batch", {**TEXT, "body": "Hi \ud800"}, "body", "unicode"),
    ("send_batch", {**TEXT, "parameters": {"name": {"default": "\udfff"}}}, "parameters.name.default",
     "lone surrogate (U+DFFF)"),
    ("send_batch", {**TEXT, "client_reference": "ref-\ud83d"}, "client_reference", "unicode"),
    ("send_batch", {**TEXT, "to": "[" * 100_000}, "to[0]", "phone number in international format"),
    ("send_batch", {**TEXT, "to": DEEP_LIST}, "to[0]", "must be a string"),
    ("send_batch", {**TEXT, "parameters": NESTED}, "parameters.a.a", "valid string"),
    ("send_batch", {**TEXT, "to": 46701234567}, "to", "valid list"),
    ("send_batch", {**TEXT, "to": {"+46701234567": 1}}, "to", "valid list"),
    ("send_batch", {**TEXT, "body": 123}, "body", "valid string"),
    ("send_batch", {**TEXT, "send_at": "tomorrow"}, "send_at", "datetime"),
    ("send_batch", {**TEXT, "parameters": "name=Ann"}, "parameters", "valid dictionary"),
    ("send_batch", {**TEXT, "feedback_enabled": "maybe"}, "feedback_enabled", "valid boolean"),
    ("send_batch", {**TEXT, "from_ton": "x"}, "from_ton", "valid integer"),
    ("send_batch", {**TEXT, "max_number_of_message_parts": 1.5}, "max_number_of_message_parts", "integer"),
    ("send_batch", {**TEXT, "callback_url": "not a url"}, "callback_url", "absolute http(s) URL"),
    ("send_batch", {**TEXT, "callback_url": "ftp://cb.example/x"}, "callback_url", "absolute http(s) URL"),
    ("send_batch", {**TEXT, "callback_url": "/callbacks/sinch"}, "callback_url", "absolute http(s) URL"),
    ("send_batch", {**TEXT, "callback_url": "https://"}, "callback_url", "absolute http(s) URL"),
    ("send_batch", {**TEXT, "callback_url": "javascript:alert(1)"}, "callback_url", "absolute http(s) URL"),
    ("send_batch", {**TEXT, "callback_url": "https://cb.example/" + "x" * 3000}, "callback_url", "at most"),
    ("update_batch", {"batch_id": "b1", "callback_url": "cb"}, "callback_url", "absolute http(s) URL"),
    ("send_batch", {**TEXT, "type": "mt_media", "body": {"url": "image.png"}}, "body.url", "http(s)"),
    ("create_group", {"child_groups": ["../x"]}, "child_groups[0]", "must be a group id"),
    ("update_group", {"group_id": "g1", "add_from_group": "+46701234567"}, "add_from_group", "group id"),
]


@pytest.mark.parametrize(("op", "kwargs", "field", "rule"), EXTREMES,
                         ids=[f"{op}-{field}-{i}" for i, (op, _, field, _) in enumerate(EXTREMES)])
def test_extreme_values_end_in_the_project_error(
    harness: Harness, op: str, kwargs: dict[str, Any], field: str, rule: str
) -> None:
    silent(harness)
    refused(lambda: harness.call(op, **kwargs), field, rule)
    nothing_sent(harness)


def test_a_far_future_but_valid_schedule_is_sent_as_given(harness: Harness) -> None:
    harness.reply(Reply(201, json=BATCH))
    send_at = datetime(9999, 12, 31, 22, tzinfo=UTC)
    harness.call("send_batch", **TEXT, send_at=send_at, expire_at=send_at + timedelta(hours=1))
    assert harness.last.json["expire_at"] == "9999-12-31T23:00:00Z"


@pytest.mark.parametrize("url", ["https://cb.example/sinch?x=1", "http://127.0.0.1:8080/cb",
                                 "https://user:pw@cb.example/"])
def test_an_absolute_http_callback_url_passes(url: str) -> None:
    assert build(BatchRequest, {**TEXT, "callback_url": url}).callback_url == url


def test_a_phone_number_in_an_error_location_is_masked(harness: Harness) -> None:
    silent(harness)
    exc = refused(lambda: harness.call("send_batch", **TEXT, parameters={"name": {"46701234567": 5}}),
                  "parameters.name.4670****567", "valid string")
    assert "46701234567" not in str(exc)


def test_optional_destination_and_group_fields_accept_none() -> None:
    assert GroupUpdateRequest(add_from_group=None, add=None, remove=None).to_json() == {}
    assert GroupRequest(members=None, child_groups=None).to_json() == {}
    assert UpdateBatchRequest(to_add=None, to_remove=None).to_json() == {}
