"""Base classes shared by every Sinch request and response model.

Requests are strict (an unknown keyword is a typo and is rejected with its name) and validate Sinch's
documented limits before anything is sent.  Responses are lenient: Sinch adds fields over time and the
client must keep working, so unknown fields are kept (``extra="allow"``) rather than refused.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
)

from airflow_provider_sinch.client.errors import SinchValidationError
from airflow_provider_sinch.client.limits import MAX_URL_LENGTH
from airflow_provider_sinch.client.msisdn import check_destinations, check_group_id
from airflow_provider_sinch.client.redact import mask_text
from airflow_provider_sinch.client.retry import is_number
from airflow_provider_sinch.client.urls import url_problem

M = TypeVar("M", bound=BaseModel)


def _one_or_many(value: Any) -> Any:
    """Accept a single string where a list of numbers is expected (``to="+4670..."``)."""
    return [value] if isinstance(value, str) else value


def _csv_or_many(value: Any) -> Any:
    """Accept a query filter as a list, a single value, or a comma-separated string (as the API writes it)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if is_number(value):
        return [value]
    return value


def _destinations(value: Any, info: ValidationInfo) -> Any:
    value = _one_or_many(value)
    if not isinstance(value, list | tuple):
        return value  # not a list: pydantic says so
    return check_destinations(value, info.field_name or "to")


def _numbers(value: Any, info: ValidationInfo) -> Any:
    value = _one_or_many(value)
    if not isinstance(value, list | tuple):
        return value
    return check_destinations(value, info.field_name or "members", groups=False)


def _group_ids(value: Any, info: ValidationInfo) -> Any:
    if not isinstance(value, list | tuple):
        return value
    return [check_group_id(v, f"{info.field_name}[{i}]") for i, v in enumerate(value)]


def _group_id(value: Any, info: ValidationInfo) -> Any:
    return None if value is None else check_group_id(value, info.field_name or "group")


# The checks run before pydantic's own, so that an entry of the wrong type is named like any other bad
# entry (``to[3]: must be a string``) and the list is walked once.
RecipientList = Annotated[list[str], BeforeValidator(_destinations)]
"""Destinations: phone numbers (``+``, ``00`` or bare) or group ids, checked by
:func:`~airflow_provider_sinch.client.msisdn.check_destinations`; a single string is a list of one."""

NumberList = Annotated[list[str], BeforeValidator(_numbers)]
"""Phone numbers only (group members, delivery-feedback recipients)."""

GroupIdList = Annotated[list[str], BeforeValidator(_group_ids)]
"""Group ids (``child_groups``)."""

GroupId = Annotated[str, BeforeValidator(_group_id)]
"""One group id (``add_from_group``)."""


def _check_url(value: str, info: ValidationInfo) -> str:
    problem = url_problem(value)
    if problem:
        raise FieldRuleError(info.field_name or "url", problem)
    return value


HttpUrl = Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH), AfterValidator(_check_url)]
"""An absolute ``http``/``https`` URL with a host, at most 2048 characters (``callback_url``, media)."""

T = TypeVar("T")
CsvList = Annotated[list[T], BeforeValidator(_csv_or_many)]
"""A list-valued query filter (sent comma-separated); a single value or ``"a,b"`` is accepted too."""

def _in_utc_range(value: datetime, info: ValidationInfo) -> datetime:
    try:
        value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59-05:00 is in year 10000 in UTC
        rule = "must be a date between years 1 and 9999 in UTC"
        raise FieldRuleError(info.field_name or "timestamp", rule) from None
    return value


Timestamp = Annotated[AwareDatetime, AfterValidator(_in_utc_range)]
"""Request timestamps must carry a timezone (a naive datetime is ambiguous and Sinch would read it as UTC)
and fall between years 1 and 9999 once in UTC (or every computation with them overflows)."""


class FieldRuleError(ValueError):
    """Raised by a cross-field check so that the error still names the field it is about.

    pydantic gives a model-level check no location; :func:`build` reads ``field`` back from the error.

    :param field: the field the rule is about (``expire_at``).
    :param rule: the rule it broke, in words (``must be after send_at``).
    """

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


class SinchModel(BaseModel):
    """Common configuration: Python names (``from_``) and API names (``from``) are both accepted.

    ``defer_build``: a model's validator is built when it first validates, not when its module is imported;
    building them all costs about 100 ms, which every DAG file importing an operator would pay at parse time.
    """

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True, validate_by_name=True,
                              defer_build=True)


class RequestModel(SinchModel):
    """A request body or query.  Unknown fields are errors; ``to_json()`` gives the wire form."""

    model_config = ConfigDict(extra="forbid")

    def to_json(self) -> dict[str, Any]:
        """The JSON body Sinch expects: API field names, ISO timestamps, unset fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class QueryModel(RequestModel):
    """Query-string parameters; lists become comma-separated values and booleans ``true``/``false``."""

    def to_params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        for key, value in self.to_json().items():
            if isinstance(value, list):
                params[key] = ",".join(str(v) for v in value)
            elif isinstance(value, bool):
                params[key] = "true" if value else "false"
            else:
                params[key] = str(value)
        return params


class PageQuery(QueryModel):
    """Pagination shared by every list endpoint: pages count from 0, at most 100 entries a page."""

    page: int | None = Field(default=None, ge=0)
    page_size: int | None = Field(default=None, ge=1, le=100)


class DateRangeQuery(PageQuery):
    """List filters with a time window (Sinch defaults ``start_date`` to 24 hours ago)."""

    start_date: Timestamp | None = None
    end_date: Timestamp | None = None


class ResponseModel(SinchModel):
    """A Sinch response: unknown fields are kept, so newer API versions do not break the client."""

    model_config = ConfigDict(extra="allow")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe dict with Sinch's field names, for XCom and logs."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Page(ResponseModel):
    """Fields common to list responses.  ``page_size`` is the number of entries in *this* page."""

    count: int = 0
    page: int = 0
    page_size: int = 0


ResponseTime = datetime


_BUILD_LOCK = threading.Lock()
_built = False


def build_all() -> None:
    """Build every model's validator now, in this thread, once per process (about 20 ms).

    Models are defined with ``defer_build`` (see :class:`SinchModel`), so pydantic builds each on its first
    use.  Before pydantic 2.14 that deferred build takes no lock, and two threads using the same new model at
    once (the send operator's workers reading their first answers) can race in it.  The sync client calls
    this when it is created, so every model is built by one thread before any worker uses it.
    """
    global _built
    if _built:
        return
    with _BUILD_LOCK:
        if _built:
            return
        from airflow_provider_sinch.client.models import batches, delivery_reports, groups, inbounds  # noqa: F401

        pending = [SinchModel]
        while pending:
            model = pending.pop()
            pending += model.__subclasses__()
            # Only this package's models: a user's subclass is theirs to build (and may not be buildable).
            if model.__module__.startswith("airflow_provider_sinch.") and not model.__pydantic_complete__:
                model.model_rebuild()
        _built = True


@lru_cache(maxsize=64)
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def build(model: Any, data: Any, name: str | None = None) -> Any:
    """Validate ``data`` into ``model`` (a model class or an annotated union such as ``BatchRequest``).

    pydantic's error becomes a :class:`SinchValidationError` naming each field (dotted path, API names)
    and the rule it broke, e.g. ``to: List should have at most 1000 items after validation, not 1001``.
    """
    try:
        return _adapter(model).validate_python(data)
    except ValidationError as exc:
        raise SinchValidationError(_describe(exc), name or _model_name(model)) from None
    except RecursionError:
        raise SinchValidationError(
            [("(body)", "is nested too deeply to be a Sinch request")], name or _model_name(model)) from None


def _model_name(model: Any) -> str:
    # An annotated union (``BatchRequest``) has no useful ``__name__`` ("Annotated"); say "request" then.
    return model.__name__ if isinstance(model, type) else "request"


_PYTHON_NAMES = frozenset({"from_"})
_UNION_TAGS = frozenset({"mt_text", "mt_binary", "mt_media", "text-body", "media-body"})


def _describe(exc: ValidationError) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = [str(p) for p in err["loc"] if not str(p).startswith("function-")]
        # Drop union/discriminator tags such as 'mt_text' so the path reads like the JSON body.
        loc = [p for p in loc if p not in _UNION_TAGS]
        # Name fields as the API does (``from``), not by their Python names (``from_``).
        loc = [p[:-1] if p in _PYTHON_NAMES else p for p in loc]
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, SinchValidationError):  # a rule of our own (destinations): keep its fields
            out.extend((".".join([*loc[:-1], field]), rule) for field, rule in cause.errors)
            continue
        if isinstance(cause, FieldRuleError):
            loc, msg = [*loc[:-1], cause.field] if loc and loc[-1] == cause.field else [*loc, cause.field], \
                cause.rule
        # A dict key in the location may be a phone number (parameters.name.46701234567): mask it.
        field = "type" if err["type"] == "invalid_batch_type" else (mask_text(".".join(loc)) or "(body)")
        out.append((field, msg))
    return out
