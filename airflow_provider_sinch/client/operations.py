"""Every Sinch SMS operation, defined exactly once.

An :class:`Operation` says which HTTP method and path an API call uses, which models validate its body
and query, what its answer parses into, and whether it may be repeated safely.  ``prepare()`` turns the
caller's keyword arguments (API field names, ``from_`` for ``from``) into a validated
:class:`PreparedRequest`; ``parse()`` turns the answer into models.  Neither does any I/O, so the sync
client, the async client, the hook and the sandbox's contract tests all share them.

:class:`SinchOperations` is the user-facing method list (``send_batch``, ``list_groups``, ...).  Each
method is written once, as the arguments of its operation, and runs through ``self._execute``, which the
sync client implements by returning the result and the async client by returning a coroutine; the
:mod:`~airflow_provider_sinch.client.endpoints` descriptor types it accordingly (``Batch`` or a coroutine of
a ``Batch``).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast
from urllib.parse import quote

from pydantic import BaseModel, TypeAdapter

from airflow_provider_sinch.client.endpoints import Arguments, endpoint
from airflow_provider_sinch.client.errors import SinchValidationError
from airflow_provider_sinch.client.identifiers import check_path_id
from airflow_provider_sinch.client.models import (
    Batch,
    BatchDeliveryReport,
    BatchRequest,
    DeliveryFeedbackRequest,
    DeliveryReportQuery,
    DryRunQuery,
    DryRunResponse,
    Group,
    GroupRequest,
    GroupUpdateRequest,
    InboundMessage,
    ListBatchesQuery,
    ListBatchesResponse,
    ListDeliveryReportsQuery,
    ListDeliveryReportsResponse,
    ListGroupsQuery,
    ListGroupsResponse,
    ListInboundsQuery,
    ListInboundsResponse,
    RecipientDeliveryReport,
    UpdateBatchRequest,
    build,
)
from airflow_provider_sinch.client.models.common import QueryModel, RequestModel
from airflow_provider_sinch.client.msisdn import (
    destination_problem,
    is_group_id,
    mask_destination,
    mask_msisdn,
    msisdn_digits,
)

_MEMBERS = TypeAdapter(list[str])

T = TypeVar("T")
PageT = TypeVar("PageT")
ItemT = TypeVar("ItemT")


@dataclass(frozen=True)
class PreparedRequest:
    """A validated request, ready for a transport.

    :param operation: the operation it belongs to.
    :param path: path below ``/xms/v1/{service_plan_id}``, ids already quoted.
    :param params: query parameters.
    :param json: JSON body, or ``None`` for requests without one.
    :param client_reference: the body's ``client_reference`` (carried into ambiguous-send errors).
    :param shown_path: the path as errors show it, when it differs (a phone number in it masked).
    :param attempts: what earlier attempts of this request did (shared by its retries).
    """

    operation: Operation[Any]
    path: str
    params: dict[str, str]
    json: Any
    client_reference: str | None = None
    shown_path: str | None = None
    attempts: RequestAttempts = field(default_factory=lambda: RequestAttempts(), compare=False, repr=False)

    @property
    def method(self) -> str:
        return self.operation.method

    @property
    def log_path(self) -> str:
        """The path as errors and logs show it: a phone number in it is masked."""
        return self.shown_path or self.path


@dataclass
class RequestAttempts:
    """What happened on earlier attempts of one request (its retries share it).

    :param token_renewed: a 401 already made the client fetch a new OAuth2 token for this request, so a
        second 401 is final (the key itself lacks access).
    :param may_have_applied: an earlier attempt may have reached Sinch without an answer saying what
        happened (a read timeout or a connection lost after sending, or a 5xx).
    """

    token_renewed: bool = False
    may_have_applied: bool = False


@dataclass(frozen=True)
class Operation(Generic[T]):
    """One Sinch API operation, answering a ``T`` (``Operation[Batch]``).

    :param name: the method name on clients and on the hook.
    :param method: HTTP method.
    :param path: path template below the service plan, e.g. ``/batches/{batch_id}``.
    :param body: model (or annotated union) validating the JSON body, if the call has one.
    :param query: model validating the query string, if any.
    :param response: type the answer parses into (a model, or a ``TypeAdapter`` for a bare JSON value);
        ``None`` for answers without a body.
    :param safe_to_retry: whether a 5xx or a lost connection may be retried (true for reads, PUT, DELETE
        and dry run; false for POSTs that change state).
    :param items: for list operations, the field of the page holding the entries.
    :param gone_is_done: a ``404`` to a resend after an attempt that may have been applied means that
        attempt did the job (a ``DELETE`` of a group: Sinch answers a second delete with 404, while
        cancelling a batch twice answers 200 and needs no such rule).
    """

    name: str
    method: str
    path: str
    body: Any = None
    query: type[QueryModel] | None = None
    response: type[T] | TypeAdapter[T] | None = None
    safe_to_retry: bool = True
    items: str | None = None
    gone_is_done: bool = False

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(f for _, f, _, _ in string.Formatter().parse(self.path) if f)

    def prepare(self, kwargs: dict[str, Any], default_from: str | None = None) -> PreparedRequest:
        """Validate the caller's arguments and split them into path, query and body."""
        fields = {k: v for k, v in kwargs.items() if v is not None}
        path_values = {}
        for param in self.path_params:
            value = fields.pop(param, None)
            if value is None:
                raise SinchValidationError([(param, "is required and must not be empty")], self.name)
            if param == "recipient_msisdn":
                text = _recipient_segment(value, self.name)
            else:
                text = check_path_id(value, param, model=self.name)
            path_values[param] = quote(text, safe="")
        path = self.path.format(**path_values)
        shown_path = None  # what errors show: the path with a phone number in it masked
        if "recipient_msisdn" in path_values:
            shown_path = self.path.format(
                **{**path_values, "recipient_msisdn": mask_msisdn(path_values["recipient_msisdn"])})

        params: dict[str, str] = {}
        if self.query is not None:
            names = _field_names(self.query)
            query_fields = {k: fields.pop(k) for k in list(fields) if k in names}
            params = build(self.query, query_fields, f"{self.name} query").to_params()

        body: Any = None
        client_reference = None
        if self.body is not None:
            request = fields.pop("request", None)
            if request is None:
                request, fields = fields, {}
            # A ready-made model is validated too: it must be of the kind this operation sends.
            request = build(self.body, request, f"{self.name} request")
            if self.body is BatchRequest and default_from and request.from_ is None:
                request = request.model_copy(update={"from_": default_from})
            body = request.to_json() if isinstance(request, RequestModel) else request
            _check_encodable(body, self.name)
            client_reference = getattr(request, "client_reference", None)
        if fields:
            unknown = ", ".join(sorted(fields))
            raise SinchValidationError([(unknown, f"is not an argument of {self.name}")], self.name)
        return PreparedRequest(self, path, params, body, client_reference, shown_path)

    def parse(self, payload: Any) -> T:
        """Turn a decoded JSON answer into this operation's response type."""
        if self.response is None:
            return cast(T, None)
        if isinstance(self.response, TypeAdapter):
            return self.response.validate_python(payload)
        return cast(T, cast(type[BaseModel], self.response).model_validate(payload))

    def parse_json(self, content: bytes) -> T:
        """Turn the raw bytes of an answer into this operation's response type in one pass (pydantic reads
        the JSON itself: no intermediate ``dict`` per answer, about half the cost of ``json.loads`` and then
        :meth:`parse`).  Raises ``ValidationError`` for anything it cannot take, JSON or not: the transport
        then works out what exactly is wrong on the slower path."""
        if self.response is None:
            return cast(T, None)
        if isinstance(self.response, TypeAdapter):
            return self.response.validate_json(content)
        return cast(T, cast(type[BaseModel], self.response).model_validate_json(content))


@dataclass(frozen=True)
class ListOperation(Operation[PageT], Generic[PageT, ItemT]):
    """A list operation: its answer is a page of ``ItemT`` entries, which the clients' iterators yield.

    :param name: as for :class:`Operation`.
    :param method: as for :class:`Operation`.
    :param path: as for :class:`Operation`.
    :param body: as for :class:`Operation`.
    :param query: as for :class:`Operation`.
    :param response: the page model.
    :param safe_to_retry: as for :class:`Operation`.
    :param items: the field of the page holding the entries.
    :param gone_is_done: as for :class:`Operation`.
    :param item: the type of each entry (the page's ``items`` field is a ``list`` of it).
    """

    item: type[ItemT] = field(kw_only=True)

    def entries(self, page: PageT) -> list[ItemT]:
        """The entries of one page."""
        return cast(list[ItemT], getattr(page, self.items or ""))


def _check_encodable(body: Any, operation: str) -> None:
    """Refuse a body that cannot be sent as UTF-8 JSON: a lone surrogate (``"\\ud800"``, from a badly
    decoded file or a split emoji) would otherwise fail inside the HTTP library with a
    ``UnicodeEncodeError``, or reach Sinch as a character it cannot deliver."""
    where = _unencodable(body, ())
    if where is not None:
        path, ch = where
        rule = f"must be valid Unicode text: contains a lone surrogate (U+{ord(ch):04X})"
        raise SinchValidationError([(".".join(path) or "(body)", rule)], operation)


def _unencodable(value: Any, path: tuple[str, ...]) -> tuple[tuple[str, ...], str] | None:
    if isinstance(value, str):
        if value.isascii():
            return None
        found = _SURROGATE.search(value)
        return (path, found.group(0)) if found else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = _unencodable(key, path) or _unencodable(item, (*path, str(key)[:40]))
            if where is not None:
                return where
    elif isinstance(value, list):
        try:  # a list of strings (1,000 recipients) in one C-level pass when it is clean
            joined = "".join(value)
            if joined.isascii() or not _SURROGATE.search(joined):
                return None
        except TypeError:
            pass  # not all strings: look at each entry
        for index, item in enumerate(value):
            where = _unencodable(item, (*path, str(index)))
            if where is not None:
                return where
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _recipient_segment(value: object, operation: str) -> str:
    """The recipient of ``/delivery_report/{recipient_msisdn}``: a phone number (the destination rule),
    sent as the canonical digits Sinch reports it under."""
    digits = msisdn_digits(value)
    if isinstance(value, str) and not value.strip():
        raise SinchValidationError([("recipient_msisdn", "is required and must not be empty")], operation)
    if digits is None:
        problem = destination_problem(value) or "must be a phone number, not a group id"
        if is_group_id(value):
            problem = "must be a phone number in international format, not a group id"
        raise SinchValidationError(
            [("recipient_msisdn", f"{problem}; got {mask_destination(value)}")], operation)
    return digits


def _field_names(model: type[BaseModel]) -> set[str]:
    names = set(model.model_fields)
    names.update(f.alias for f in model.model_fields.values() if f.alias)
    return names


B = "/batches"
G = "/groups"

SEND_BATCH = Operation("send_batch", "POST", B, body=BatchRequest, response=Batch, safe_to_retry=False)
LIST_BATCHES = ListOperation("list_batches", "GET", B, query=ListBatchesQuery, response=ListBatchesResponse,
                             items="batches", item=Batch)
GET_BATCH = Operation("get_batch", "GET", B + "/{batch_id}", response=Batch)
UPDATE_BATCH = Operation("update_batch", "POST", B + "/{batch_id}", body=UpdateBatchRequest, response=Batch,
                         safe_to_retry=False)
REPLACE_BATCH = Operation("replace_batch", "PUT", B + "/{batch_id}", body=BatchRequest, response=Batch)
CANCEL_BATCH = Operation("cancel_batch", "DELETE", B + "/{batch_id}", response=Batch)
DRY_RUN = Operation("dry_run", "POST", B + "/dry_run", body=BatchRequest, query=DryRunQuery,
                    response=DryRunResponse)
SEND_DELIVERY_FEEDBACK: Operation[None] = Operation(
    "send_delivery_feedback", "POST", B + "/{batch_id}/delivery_feedback", body=DeliveryFeedbackRequest,
    safe_to_retry=False)
GET_DELIVERY_REPORT = Operation("get_delivery_report", "GET", B + "/{batch_id}/delivery_report",
                                query=DeliveryReportQuery, response=BatchDeliveryReport)
GET_RECIPIENT_DELIVERY_REPORT = Operation("get_recipient_delivery_report", "GET",
                                          B + "/{batch_id}/delivery_report/{recipient_msisdn}",
                                          response=RecipientDeliveryReport)
LIST_DELIVERY_REPORTS = ListOperation("list_delivery_reports", "GET", "/delivery_reports",
                                      query=ListDeliveryReportsQuery, response=ListDeliveryReportsResponse,
                                      items="delivery_reports", item=RecipientDeliveryReport)
CREATE_GROUP = Operation("create_group", "POST", G, body=GroupRequest, response=Group, safe_to_retry=False)
LIST_GROUPS = ListOperation("list_groups", "GET", G, query=ListGroupsQuery, response=ListGroupsResponse,
                            items="groups", item=Group)
GET_GROUP = Operation("get_group", "GET", G + "/{group_id}", response=Group)
UPDATE_GROUP = Operation("update_group", "POST", G + "/{group_id}", body=GroupUpdateRequest, response=Group,
                         safe_to_retry=False)
REPLACE_GROUP = Operation("replace_group", "PUT", G + "/{group_id}", body=GroupRequest, response=Group)
DELETE_GROUP: Operation[None] = Operation("delete_group", "DELETE", G + "/{group_id}", gone_is_done=True)
LIST_GROUP_MEMBERS = Operation("list_group_members", "GET", G + "/{group_id}/members", response=_MEMBERS)
LIST_INBOUNDS = ListOperation("list_inbounds", "GET", "/inbounds", query=ListInboundsQuery,
                              response=ListInboundsResponse, items="inbounds", item=InboundMessage)
GET_INBOUND = Operation("get_inbound", "GET", "/inbounds/{inbound_id}", response=InboundMessage)

OPERATIONS: dict[str, Operation[Any]] = {
    op.name: op
    for op in (
        SEND_BATCH, LIST_BATCHES, GET_BATCH, UPDATE_BATCH, REPLACE_BATCH, CANCEL_BATCH, DRY_RUN,
        SEND_DELIVERY_FEEDBACK, GET_DELIVERY_REPORT, GET_RECIPIENT_DELIVERY_REPORT, LIST_DELIVERY_REPORTS,
        CREATE_GROUP, LIST_GROUPS, GET_GROUP, UPDATE_GROUP, REPLACE_GROUP, DELETE_GROUP, LIST_GROUP_MEMBERS,
        LIST_INBOUNDS, GET_INBOUND,
    )
}
"""The 20 operations of the Sinch SMS API, by method name."""


class SinchOperations:
    """The Sinch SMS API as methods, written once for every client.

    On :class:`~airflow_provider_sinch.client.SinchClient` (and on ``SinchHook``) each method returns its
    result, typed by its operation (``get_batch`` returns a ``Batch``); on
    :class:`~airflow_provider_sinch.client.AsyncSinchClient` it returns a coroutine of that result (see
    :mod:`~airflow_provider_sinch.client.endpoints`).  Keyword arguments are the API's field names (``from_``
    for ``from``); they are validated before anything is sent and a
    :class:`~airflow_provider_sinch.client.errors.SinchValidationError` names any bad field.  Each method
    below returns the arguments of its operation; the client runs it.
    """

    def _execute(self, operation: Operation[T], kwargs: dict[str, Any]) -> Any:
        raise NotImplementedError

    # Batches
    @endpoint(SEND_BATCH)
    def send_batch(self, **fields: Any) -> Arguments:
        """Send a batch (``POST /batches``): ``to``, ``from_``, ``body``, ``type``, ``parameters``, ..."""
        return fields

    @endpoint(LIST_BATCHES)
    def list_batches(self, **filters: Any) -> Arguments:
        """One page of batches (``GET /batches``): ``page``, ``page_size``, ``start_date``, ``end_date``,
        ``from_`` (sender numbers), ``client_reference``."""
        return filters

    @endpoint(GET_BATCH)
    def get_batch(self, batch_id: str) -> Arguments:
        """A batch by id (``GET /batches/{id}``)."""
        return {"batch_id": batch_id}

    @endpoint(UPDATE_BATCH)
    def update_batch(self, batch_id: str, **fields: Any) -> Arguments:
        """Change fields of a batch that has not been dispatched (``POST /batches/{id}``): ``to_add``,
        ``to_remove``, ``body``, ``send_at``, ..."""
        return {"batch_id": batch_id, **fields}

    @endpoint(REPLACE_BATCH)
    def replace_batch(self, batch_id: str, **fields: Any) -> Arguments:
        """Replace a batch with a new body, keeping its id (``PUT /batches/{id}``)."""
        return {"batch_id": batch_id, **fields}

    @endpoint(CANCEL_BATCH)
    def cancel_batch(self, batch_id: str) -> Arguments:
        """Cancel a batch (``DELETE /batches/{id}``); 409 when it is already dispatched."""
        return {"batch_id": batch_id}

    @endpoint(DRY_RUN)
    def dry_run(self, per_recipient: bool | None = None, number_of_recipients: int | None = None,
                **fields: Any) -> Arguments:
        """Compute recipients and message parts of a batch body without sending it
        (``POST /batches/dry_run``)."""
        return {"per_recipient": per_recipient, "number_of_recipients": number_of_recipients, **fields}

    @endpoint(SEND_DELIVERY_FEEDBACK)
    def send_delivery_feedback(self, batch_id: str, recipients: list[str] | None = None) -> Arguments:
        """Confirm delivery of a ``feedback_enabled`` batch to ``recipients`` (``[]`` = all)."""
        return {"batch_id": batch_id, "recipients": recipients or []}

    # Delivery reports
    @endpoint(GET_DELIVERY_REPORT)
    def get_delivery_report(self, batch_id: str, **query: Any) -> Arguments:
        """A batch's delivery report: ``type`` (``summary``/``full``), ``status``, ``code`` filters."""
        return {"batch_id": batch_id, **query}

    @endpoint(GET_RECIPIENT_DELIVERY_REPORT)
    def get_recipient_delivery_report(self, batch_id: str, recipient_msisdn: str) -> Arguments:
        """One recipient's delivery report."""
        return {"batch_id": batch_id, "recipient_msisdn": recipient_msisdn}

    @endpoint(LIST_DELIVERY_REPORTS)
    def list_delivery_reports(self, **filters: Any) -> Arguments:
        """One page of recipient delivery reports (``GET /delivery_reports``)."""
        return filters

    # Groups
    @endpoint(CREATE_GROUP)
    def create_group(self, **fields: Any) -> Arguments:
        """Create a group: ``name`` (1-20 chars), ``members`` (<= 10000), ``child_groups``,
        ``auto_update``."""
        return fields

    @endpoint(LIST_GROUPS)
    def list_groups(self, **filters: Any) -> Arguments:
        """One page of groups."""
        return filters

    @endpoint(GET_GROUP)
    def get_group(self, group_id: str) -> Arguments:
        """A group by id."""
        return {"group_id": group_id}

    @endpoint(UPDATE_GROUP)
    def update_group(self, group_id: str, **fields: Any) -> Arguments:
        """Incremental update: ``add``, ``remove``, ``name`` (rename), ``remove_name=True``,
        ``add_from_group``, ``remove_from_group``, ``auto_update``. The name is kept unless renamed or
        removed."""
        return {"group_id": group_id, **fields}

    @endpoint(REPLACE_GROUP)
    def replace_group(self, group_id: str, **fields: Any) -> Arguments:
        """Replace a group's name, members, child groups and auto update."""
        return {"group_id": group_id, **fields}

    @endpoint(DELETE_GROUP)
    def delete_group(self, group_id: str) -> Arguments:
        """Delete a group."""
        return {"group_id": group_id}

    @endpoint(LIST_GROUP_MEMBERS)
    def list_group_members(self, group_id: str) -> Arguments:
        """A group's phone numbers (Sinch returns a bare JSON array)."""
        return {"group_id": group_id}

    # Inbounds
    @endpoint(LIST_INBOUNDS)
    def list_inbounds(self, **filters: Any) -> Arguments:
        """One page of inbound messages: ``to`` (your numbers), ``start_date``, ``end_date``,
        ``client_reference``."""
        return filters

    @endpoint(GET_INBOUND)
    def get_inbound(self, inbound_id: str) -> Arguments:
        """An inbound message by id."""
        return {"inbound_id": inbound_id}
