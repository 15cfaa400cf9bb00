"""Every fixture in ../shared/sinch/fixtures parses into the matching model.

Responses (and callback bodies) must parse as they are: Sinch's answers are the truth, including placeholder
values.  Request fixtures go through the request models; a few carry placeholder values that our request
validation rightly refuses before sending (Sinch would refuse or mis-handle them too).  For those the test
asserts the refusal names the field and, after repairing just that placeholder, that the rest parses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_sinch.client import SinchBadRequestError, SinchValidationError
from airflow_provider_sinch.client.models import (
    Batch,
    BatchDeliveryReport,
    BatchMediaBody,
    BatchRequest,
    DeliveryFeedbackRequest,
    DryRunResponse,
    Group,
    GroupRequest,
    GroupUpdateRequest,
    InboundMessage,
    ListBatchesResponse,
    ListDeliveryReportsResponse,
    ListGroupsResponse,
    ListInboundsResponse,
    MediaBody,
    RecipientDeliveryReport,
    UpdateBatchRequest,
    build,
)
from airflow_provider_sinch.client.models.common import RequestModel, ResponseModel
from airflow_provider_sinch.client.operations import SEND_BATCH
from airflow_provider_sinch.client.transport import handle_response
from tests.contract import Contract

# fixture -> (model, contract schema)
PLAN: dict[str, tuple[Any, str]] = {}


def _plan(model: Any, schema: str, *files: str) -> None:
    for name in files:
        PLAN[name] = (model, schema)


_plan(
    BatchRequest,
    "BatchRequest",
    "java/batches_request_TextRequestDto.json",
    "java/batches_request_BinaryRequestDto.json",
    "java/batches_request_MediaRequestDto.json",
    "java/BinaryRequestDto.json",
    "java/MediaRequestDto.json",
    "dotnet/Batch_SendTextBatchRequest.json",
    "dotnet/Batch_SendBinaryBatchRequest.json",
    "dotnet/Batch_SendMediaBatchRequest.json",
)
_plan(
    UpdateBatchRequest,
    "UpdateBatchRequest",
    "java/batches_request_UpdateTextRequestDto.json",
    "java/batches_request_UpdateBinaryRequestDto.json",
    "java/batches_request_UpdateMediaRequestDto.json",
    "java/UpdateSMSTextRequestDto.json",
    "java/UpdateSMSBinaryRequestDto.json",
    "java/UpdateSMSMediaRequestDto.json",
    "dotnet/Batch_UpdateTextRequest.json",
    "dotnet/Batch_UpdateBinaryRequest.json",
    "dotnet/Batch_UpdateMediaRequest.json",
)
_plan(MediaBody, "MediaBody", "java/batches_MediaBodyDto.json")
_plan(
    DeliveryFeedbackRequest,
    "DeliveryFeedbackRequest",
    "java/batches_request_SendDeliveryFeedbackRequestDto.json",
)
_plan(
    GroupRequest,
    "GroupRequest",
    "java/groups_request_GroupRequestDto.json",
    "java/CreateGroupRequestDto.json",
    "java/ReplaceGroupRequestDto.json",
)
_plan(GroupUpdateRequest, "GroupUpdateRequest", "java/groups_request_GroupUpdateRequestDto.json")
_plan(
    Batch,
    "BatchResponse",
    "java/batches_response_TextResponseDto.json",
    "java/batches_response_BinaryResponseDto.json",
    "java/batches_response_MediaResponseDto.json",
    "dotnet/Batch_TextResponse.json",
    "dotnet/Batch_BinaryResponse.json",
    "dotnet/Batch_MediaResponse.json",
)
_plan(
    ListBatchesResponse,
    "ListBatchesResponse",
    *(f"java/batches_response_ListBatchesResponseDtoPage{i}.json" for i in range(3)),
)
_plan(DryRunResponse, "DryRunResponse", "java/batches_response_DryRunResponseDto.json")
_plan(
    BatchDeliveryReport,
    "BatchDeliveryReport",
    "java/deliveryreports_BatchDeliveryReportSMSDto.json",
    "java/deliveryreports_BatchDeliveryReportMMSDto.json",
    "callbacks/delivery_report_sms.full.json",
    "callbacks/delivery_report_mms.json",
    "callbacks/delivery_report_sms.summary.docs.json",
)
_plan(
    RecipientDeliveryReport,
    "RecipientDeliveryReport",
    "java/deliveryreports_RecipientDeliveryReportSMSDto.json",
    "java/deliveryreports_RecipientDeliveryReportMMSDto.json",
    "callbacks/recipient_delivery_report_sms.delivered.json",
    "callbacks/recipient_delivery_report_sms.aborted_412.json",
    "callbacks/recipient_delivery_report_sms.signed.raw.json",
)
_plan(
    ListDeliveryReportsResponse,
    "ListDeliveryReportsResponse",
    *(f"java/deliveryreports_response_ListDeliveryReportResponseDtoPage{i}.json" for i in range(3)),
)
_plan(Group, "Group", "java/groups_GroupDto.json")
_plan(
    ListGroupsResponse,
    "ListGroupsResponse",
    *(f"java/groups_response_ListGroupsResponseDtoPage{i}.json" for i in range(3)),
)
_plan(
    InboundMessage,
    "InboundMessage",
    "java/inbounds_InboundTextDto.json",
    "java/inbounds_InboundBinaryDto.json",
    "java/inbounds_InboundMediaDto.json",
    "dotnet/Inbounds_InboundMedia.json",
    "callbacks/mo_text.json",
    "callbacks/mo_binary.json",
    "callbacks/mo_media.json",
)
_plan(
    ListInboundsResponse,
    "ListInboundsResponse",
    *(f"java/inbounds_response_internal_InboundsListResponseDtoPage{i}.json" for i in range(3)),
)

# Not model bodies: handled by their own tests below.
SPECIAL = {"java/error-response.json", "callbacks/recipient_delivery_report_sms.signed.headers.json"}


def _key_with_space(data: dict[str, Any]) -> dict[str, Any]:
    params = data["parameters"]
    return {**data, "parameters": {k.replace(" ", "_"): v for k, v in params.items()}}


def _binary_placeholders(data: dict[str, Any]) -> dict[str, Any]:
    return {
        **data,
        "body": base64.b64encode(data["body"].encode()).decode(),
        "udh": data["udh"].encode().hex(),
    }


def _long_keywords(data: dict[str, Any]) -> dict[str, Any]:
    auto = data["auto_update"]
    remove = {k: v[:15] for k, v in auto["remove"].items()}
    return {**data, "auto_update": {**auto, "remove": remove}}


def _number(value: str) -> str:
    # "+0123456789" has no country code (a country code never starts with 0): make it "+4123456789".
    return "+4" + value[2:] if value.startswith("+0") else value


def _destination_placeholders(data: dict[str, Any]) -> dict[str, Any]:
    """Placeholders the destination and URL rules refuse (issue 11): numbers "+0..." with no country code,
    a group member "foo" that is not a number, and a callback_url "callback url" that is not a URL."""
    data = dict(data)
    for key in ("to", "to_add", "to_remove", "add", "remove"):
        if isinstance(data.get(key), list):
            data[key] = [_number(v) for v in data[key]]
    if data.get("members") == ["foo"]:
        data["members"] = ["+15551231234"]
    if data.get("callback_url") == "callback url":
        data["callback_url"] = "https://callback.example/"
    return data


def _also_destinations(
    repair: Callable[[dict[str, Any]], dict[str, Any]],
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda data: _destination_placeholders(repair(data))


# Request fixtures our validation rightly refuses: (field, rule) it names, and the repair of the placeholder
# (plus the destination and URL placeholders some of them also carry).
PARAM_KEY = (
    "parameters", "parameter key 'an identifier' may only contain", _also_destinations(_key_with_space))
# "Hi ${name} ..." is not base64 and "foo udh" is not hex: an mt_binary body Sinch could not decode.
BINARY = ("body", "must be base64 for an mt_binary batch", _also_destinations(_binary_placeholders))
# Keywords of 18 characters: the contract (and Sinch) limit auto-update keywords to 15.
KEYWORD = ("auto_update.remove.first_word", "at most 15 characters", _also_destinations(_long_keywords))
# "+0123456789": no country code; a group member "foo": not a phone number.
NO_COUNTRY = ("to_remove[0]", "must start with the country code", _destination_placeholders)
MEMBER = ("members[0]", "must be a phone number in international format", _destination_placeholders)
REFUSED: dict[str, tuple[str, str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    # The Java SDK's placeholder parameter key "an identifier" has a space: ${an identifier} cannot be
    # referenced in a body (the .NET fixtures use "an_identifier", and pass).
    "java/batches_request_TextRequestDto.json": PARAM_KEY,
    "dotnet/Batch_UpdateMediaRequest.json": NO_COUNTRY,
    "java/ReplaceGroupRequestDto.json": MEMBER,
    "java/batches_request_MediaRequestDto.json": PARAM_KEY,
    "java/MediaRequestDto.json": PARAM_KEY,
    "java/batches_request_UpdateTextRequestDto.json": PARAM_KEY,
    "java/batches_request_UpdateMediaRequestDto.json": PARAM_KEY,
    "java/UpdateSMSTextRequestDto.json": PARAM_KEY,
    "java/UpdateSMSMediaRequestDto.json": PARAM_KEY,
    "java/batches_request_BinaryRequestDto.json": BINARY,
    "java/BinaryRequestDto.json": BINARY,
    "java/batches_request_UpdateBinaryRequestDto.json": BINARY,
    "java/UpdateSMSBinaryRequestDto.json": BINARY,
    "dotnet/Batch_UpdateBinaryRequest.json": BINARY,
    "java/groups_request_GroupRequestDto.json": KEYWORD,
    "java/CreateGroupRequestDto.json": KEYWORD,
    "java/groups_request_GroupUpdateRequestDto.json": KEYWORD,
}


def load(fixtures_dir: Path, name: str) -> Any:
    return json.loads((fixtures_dir / name).read_text())


def test_every_fixture_is_accounted_for(fixtures_dir: Path) -> None:
    present = {str(p.relative_to(fixtures_dir)) for p in fixtures_dir.rglob("*.json")}
    assert present == set(PLAN) | SPECIAL
    assert set(REFUSED) <= set(PLAN)


@pytest.mark.parametrize("name", sorted(n for n in PLAN if n not in REFUSED))
def test_fixture_parses_into_its_model(fixtures_dir: Path, contract: Contract, name: str) -> None:
    model, schema = PLAN[name]
    data = load(fixtures_dir, name)
    parsed = build(model, data)

    if isinstance(parsed, RequestModel):
        # What we would send is what the SDK sends (same fields, same values, timestamps included).
        assert parsed.to_json() == data
        contract.validate_schema(schema, parsed.to_json())
    else:
        assert isinstance(parsed, ResponseModel)
        dumped = parsed.to_dict()
        assert set(data) <= set(dumped), "a response field was lost"
        if not contract.schema_errors(contract.component(schema), data, schema):
            contract.validate_schema(schema, dumped)  # our re-serialisation stays contract-valid


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_placeholder_request_fixture_is_refused_by_field(fixtures_dir: Path, name: str) -> None:
    model, _ = PLAN[name]
    field, rule, repair = REFUSED[name]
    data = load(fixtures_dir, name)
    if REFUSED[name] is BINARY:
        # The binary size check looks at the whole model, which pydantic does only once every field is
        # valid: repair the destination and URL placeholders first so that it runs.
        data = _destination_placeholders(data)
    with pytest.raises(SinchValidationError) as caught:
        build(model, data)
    assert any(f == field and rule in r for f, r in caught.value.errors), caught.value.errors
    assert build(model, repair(data)) is not None  # the placeholder was the only problem


def test_binary_and_media_fixtures_keep_their_shapes(fixtures_dir: Path) -> None:
    binary = build(BatchRequest, load(fixtures_dir, "dotnet/Batch_SendBinaryBatchRequest.json"))
    assert (binary.type, binary.udh, binary.flash_message) == ("mt_binary", "666F6F20756468", True)
    media = build(BatchRequest, load(fixtures_dir, "dotnet/Batch_SendMediaBatchRequest.json"))
    assert media.type == "mt_media"
    assert media.body.url.startswith("https://en.wikipedia.org/")
    response = Batch.model_validate(load(fixtures_dir, "dotnet/Batch_MediaResponse.json"))
    assert isinstance(response.body, BatchMediaBody)
    assert response.body.subject == "subject field"
    assert response.model_extra == {"strict_validation": True}  # not modelled, kept
    page1 = ListBatchesResponse.model_validate(
        load(fixtures_dir, "java/batches_response_ListBatchesResponseDtoPage1.json")
    )
    assert (page1.count, page1.page, page1.page_size, len(page1.batches)) == (3, 1, 1, 1)


def test_group_response_with_long_keywords_still_parses(fixtures_dir: Path) -> None:
    group = Group.model_validate(load(fixtures_dir, "java/groups_GroupDto.json"))
    assert group.auto_update is not None
    assert group.auto_update.to == 15551231234
    assert group.auto_update.remove is not None
    assert (
        group.auto_update.remove.first_word == "remove 1st keyword"
    )  # 18 chars: requests may not, Sinch may


def test_inbound_fixtures_give_their_text(fixtures_dir: Path) -> None:
    text = InboundMessage.model_validate(load(fixtures_dir, "callbacks/mo_text.json"))
    media = InboundMessage.model_validate(load(fixtures_dir, "callbacks/mo_media.json"))
    binary = InboundMessage.model_validate(load(fixtures_dir, "java/inbounds_InboundBinaryDto.json"))
    assert text.text == text.body
    assert media.text == "This is the message"
    assert media.body.media[0].content_type == "image/png"
    assert (binary.text, binary.udh) == ("", "foo udh")


def test_error_fixture_becomes_a_typed_error(fixtures_dir: Path) -> None:
    content = (fixtures_dir / "java/error-response.json").read_bytes()
    prepared = SEND_BATCH.prepare({"to": ["46701234567"], "from_": "2", "body": "x"})
    with pytest.raises(SinchBadRequestError) as caught:
        handle_response(prepared, 400, {}, content)
    assert (caught.value.status, caught.value.code) == (400, "syntax_invalid_parameter_format")
    assert caught.value.text == "'foo' is not a valid identifier"


def test_signed_callback_fixture_pair_is_consistent(fixtures_dir: Path) -> None:
    """The raw body is byte-exact: its HMAC matches the recorded headers (and it parses, above)."""
    raw = (fixtures_dir / "callbacks/recipient_delivery_report_sms.signed.raw.json").read_bytes()
    headers = load(fixtures_dir, "callbacks/recipient_delivery_report_sms.signed.headers.json")
    signed = b".".join(
        [
            raw,
            headers["x-sinch-webhook-signature-nonce"].encode(),
            headers["x-sinch-webhook-signature-timestamp"].encode(),
        ]
    )
    digest = hmac.new(headers["_secret_for_test"].encode(), signed, hashlib.sha256).digest()
    assert base64.b64encode(digest).decode() == headers["x-sinch-webhook-signature"]
