"""Batch models: send (text, binary, media), update, replace, list, dry run and delivery feedback."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from airflow_provider_sinch.client.limits import MAX_RECIPIENTS as MAX_RECIPIENTS  # re-exported
from airflow_provider_sinch.client.limits import MAX_URL_LENGTH as MAX_URL_LENGTH
from airflow_provider_sinch.client.models.common import (
    CsvList,
    DateRangeQuery,
    FieldRuleError,
    HttpUrl,
    NumberList,
    Page,
    QueryModel,
    RecipientList,
    RequestModel,
    ResponseModel,
    ResponseTime,
    Timestamp,
)

MAX_TEXT_LENGTH = 2000
MAX_BINARY_BYTES = 140
MAX_EXPIRY = timedelta(days=3)
_PARAM_KEY = re.compile(r"^[A-Za-z0-9._-]+$")


class BatchType(StrEnum):
    """The ``type`` of a batch."""

    TEXT = "mt_text"
    BINARY = "mt_binary"
    MEDIA = "mt_media"


class DeliveryReportType(StrEnum):
    """Which delivery-report callbacks Sinch sends for a batch."""

    NONE = "none"
    SUMMARY = "summary"
    FULL = "full"
    PER_RECIPIENT = "per_recipient"
    PER_RECIPIENT_FINAL = "per_recipient_final"


Parameters = dict[str, dict[str, str]]


def _check_parameters(value: Parameters | None) -> Parameters | None:
    for key in value or {}:
        if not _PARAM_KEY.fullmatch(key):
            raise ValueError(f"parameter key {key!r} may only contain letters, digits, '.', '-' and '_'")
    return value


def _check_expiry(
    send_at: datetime | None, expire_at: datetime | None, *, send_at_defaults_to_now: bool
) -> None:
    """``expire_at`` must be after ``send_at`` and at most 3 days later.

    A new batch without ``send_at`` is sent now, so ``expire_at`` is checked against now.  An update without
    ``send_at`` keeps the batch's own, which we do not know: then only an explicit ``send_at`` is checked.
    Only differences of two datetimes are computed (never ``datetime + timedelta``), so a date near year
    9999 gets this rule's error instead of an ``OverflowError``.
    """
    if expire_at is None:
        return
    if send_at is None:
        if not send_at_defaults_to_now:
            return
        ahead = _difference(expire_at, datetime.now(UTC), "expire_at")
        if ahead <= timedelta(0):
            raise FieldRuleError("expire_at", "must be in the future (after send_at, which defaults to now)")
        if ahead > MAX_EXPIRY + timedelta(seconds=1):
            raise FieldRuleError(
                "expire_at", "must be at most 3 days after send_at (now, when send_at is unset)"
            )
        return
    ahead = _difference(expire_at, send_at, "expire_at")
    if ahead <= timedelta(0):
        raise FieldRuleError("expire_at", "must be after send_at")
    if ahead > MAX_EXPIRY:
        raise FieldRuleError("expire_at", "must be at most 3 days after send_at")


def _difference(later: datetime, earlier: datetime, field: str) -> timedelta:
    try:
        return later - earlier
    except OverflowError:  # offsets that push a date past year 9999 (or before year 1) in UTC
        raise FieldRuleError(field, "must be a date between years 1 and 9999 in UTC") from None


def _check_binary(body: str, udh: str | None) -> None:
    """``body`` base64 and ``udh`` hex, at most 140 bytes together."""
    try:
        body_bytes = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise FieldRuleError("body", "must be base64 for an mt_binary batch") from None
    try:
        udh_bytes = bytes.fromhex(udh or "")
    except ValueError:
        raise FieldRuleError("udh", "must be hexadecimal") from None
    size = len(body_bytes) + len(udh_bytes)
    if size > MAX_BINARY_BYTES:
        raise FieldRuleError(
            "body", f"together with udh must be at most {MAX_BINARY_BYTES} bytes, got {size}"
        )


class _BatchFields(RequestModel):
    """Fields every batch request shares."""

    to: RecipientList = Field(min_length=1, max_length=MAX_RECIPIENTS)
    from_: str | None = Field(default=None, alias="from", min_length=1)
    delivery_report: DeliveryReportType | None = None
    send_at: Timestamp | None = None
    expire_at: Timestamp | None = None
    callback_url: HttpUrl | None = None
    client_reference: str | None = Field(default=None, max_length=MAX_URL_LENGTH)
    feedback_enabled: bool | None = None
    from_ton: int | None = Field(default=None, ge=0, le=6)
    from_npi: int | None = Field(default=None, ge=0, le=18)

    @model_validator(mode="after")
    def _expiry(self) -> _BatchFields:
        _check_expiry(self.send_at, self.expire_at, send_at_defaults_to_now=True)
        return self


class TextBatchRequest(_BatchFields):
    """An ``mt_text`` batch: up to 1000 recipients, a body of at most 2000 characters.

    ``${key}`` in the body is replaced per recipient from ``parameters``
    (``{"name": {"46701234567": "Ann", "default": "there"}}``).
    """

    type: Literal["mt_text"] = "mt_text"
    body: str = Field(max_length=MAX_TEXT_LENGTH)
    parameters: Parameters | None = None
    flash_message: bool | None = None
    max_number_of_message_parts: int | None = Field(default=None, ge=1)
    truncate_concat: bool | None = None

    _params = field_validator("parameters")(_check_parameters)


class BinaryBatchRequest(_BatchFields):
    """An ``mt_binary`` batch: ``body`` in base64 and ``udh`` in hex, at most 140 bytes together.

    ``flash_message``, ``truncate_concat`` and ``max_number_of_message_parts`` are not in Sinch's generated
    binary schema, but the official Java and .NET SDKs send them for binary batches and the contract allows
    them, so they are accepted here too.
    """

    type: Literal["mt_binary"]
    body: str
    udh: str
    flash_message: bool | None = None
    max_number_of_message_parts: int | None = Field(default=None, ge=1)
    truncate_concat: bool | None = None

    @model_validator(mode="after")
    def _size(self) -> BinaryBatchRequest:
        _check_binary(self.body, self.udh)
        return self


class MediaBody(RequestModel):
    """The body of an ``mt_media`` (MMS) batch you send (unknown keys are typos and are rejected)."""

    url: HttpUrl
    message: str | None = None
    subject: str | None = None


class BatchMediaBody(ResponseModel):
    """The media body of a batch as Sinch returns it (lenient: unknown fields are kept)."""

    url: str | None = None
    message: str | None = None
    subject: str | None = None


class MediaBatchRequest(_BatchFields):
    """An ``mt_media`` (MMS) batch; Sinch offers MMS in the US, Canada and Australia only."""

    type: Literal["mt_media"]
    body: MediaBody
    parameters: Parameters | None = None
    strict_validation: bool | None = None

    _params = field_validator("parameters")(_check_parameters)


def _batch_type(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("type") or BatchType.TEXT)
    return str(getattr(value, "type", BatchType.TEXT))


BatchRequest = Annotated[
    Annotated[TextBatchRequest, Tag("mt_text")]
    | Annotated[BinaryBatchRequest, Tag("mt_binary")]
    | Annotated[MediaBatchRequest, Tag("mt_media")],
    Discriminator(
        _batch_type,
        custom_error_type="invalid_batch_type",
        custom_error_message="type must be one of mt_text, mt_binary, mt_media",
    ),
]
"""A batch body for send, replace and dry run; ``type`` selects the variant (``mt_text`` when absent)."""


def _body_kind(value: Any) -> str:
    return "text-body" if isinstance(value, str) else "media-body"


UpdateBody = Annotated[
    Annotated[str, Tag("text-body")] | Annotated[MediaBody, Tag("media-body")],
    Discriminator(_body_kind),
]
"""The body of an update: text (or base64 for binary batches), or a media body."""


class UpdateBatchRequest(RequestModel):
    """A partial update (``POST /batches/{id}``): only the fields given are changed."""

    type: BatchType | None = None
    from_: str | None = Field(default=None, alias="from", min_length=1)
    to_add: RecipientList | None = Field(default=None, max_length=MAX_RECIPIENTS)
    to_remove: RecipientList | None = Field(default=None, max_length=MAX_RECIPIENTS)
    body: UpdateBody | None = None
    udh: str | None = None
    parameters: Parameters | None = None
    delivery_report: DeliveryReportType | None = None
    send_at: Timestamp | None = None
    expire_at: Timestamp | None = None
    callback_url: HttpUrl | None = None
    client_reference: str | None = Field(default=None, max_length=MAX_URL_LENGTH)
    feedback_enabled: bool | None = None
    flash_message: bool | None = None
    max_number_of_message_parts: int | None = Field(default=None, ge=1)
    truncate_concat: bool | None = None
    from_ton: int | None = Field(default=None, ge=0, le=6)
    from_npi: int | None = Field(default=None, ge=0, le=18)
    strict_validation: bool | None = None

    _params = field_validator("parameters")(_check_parameters)

    @model_validator(mode="after")
    def _checks(self) -> UpdateBatchRequest:
        binary = self.type == BatchType.BINARY or self.udh is not None
        if isinstance(self.body, str):
            if binary:
                _check_binary(self.body, self.udh)
            elif len(self.body) > MAX_TEXT_LENGTH:
                raise FieldRuleError(
                    "body", f"must be at most {MAX_TEXT_LENGTH} characters, got {len(self.body)}"
                )
        elif self.udh is not None:
            _check_binary("", self.udh)
        if isinstance(self.body, MediaBody) and self.type not in (None, BatchType.MEDIA):
            raise FieldRuleError("body", f"a media body needs type mt_media, not {self.type}")
        _check_expiry(self.send_at, self.expire_at, send_at_defaults_to_now=False)
        return self


class DryRunQuery(QueryModel):
    """Query of ``POST /batches/dry_run``."""

    per_recipient: bool | None = None
    number_of_recipients: int | None = Field(default=None, ge=0, le=MAX_RECIPIENTS)


class ListBatchesQuery(DateRangeQuery):
    """Filters of ``GET /batches`` (``from`` is a list of *sender numbers*, not a date)."""

    from_: CsvList[str] | None = Field(default=None, alias="from")
    client_reference: str | None = Field(default=None, max_length=MAX_URL_LENGTH)


class DeliveryFeedbackRequest(RequestModel):
    """Body of ``POST /batches/{id}/delivery_feedback`` (``[]`` means every recipient of the batch)."""

    recipients: NumberList = Field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"recipients": list(self.recipients)}


class Batch(ResponseModel):
    """A batch as Sinch returns it (recipients come back without ``+``)."""

    id: str
    type: str = BatchType.TEXT
    to: list[str] = Field(default_factory=list)
    from_: str | None = Field(default=None, alias="from")
    canceled: bool = False
    body: str | BatchMediaBody | None = None
    udh: str | None = None
    parameters: dict[str, dict[str, str]] | None = None
    created_at: ResponseTime | None = None
    modified_at: ResponseTime | None = None
    delivery_report: str | None = None
    send_at: ResponseTime | None = None
    expire_at: ResponseTime | None = None
    callback_url: str | None = None
    client_reference: str | None = None
    feedback_enabled: bool | None = None
    flash_message: bool | None = None
    truncate_concat: bool | None = None
    max_number_of_message_parts: int | None = None
    from_ton: int | None = None
    from_npi: int | None = None


class ListBatchesResponse(Page):
    """A page of batches."""

    batches: list[Batch]  # required: a page without its list is not an answer to a list request


class DryRunRecipient(ResponseModel):
    """One recipient's rendered message in a dry run."""

    recipient: str
    body: str = ""
    number_of_parts: int = 0
    encoding: str = ""


class DryRunResponse(ResponseModel):
    """What a batch would cost: recipients, message parts, and optionally each recipient's rendering."""

    number_of_recipients: int
    number_of_messages: int
    per_recipient: list[DryRunRecipient] = Field(default_factory=list)
