"""Contract-valid Sinch answers, and a catalogue of every kind of request the client can build.

``CASES`` drives the contract tests (each request is captured and checked against contract.yaml, each
canned answer too) and the per-endpoint tests.  Between them the cases use every operation, every batch
type, every query filter and every body field the contract lists; ``test_contract`` checks that coverage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

BATCH_ID = "01FC66621XXXXX119Z8PMV1QPQ"
GROUP_ID = "01FC66621XXXXX119Z8PMV1AHY"
INBOUND_ID = "01FC66621XXXXX119Z8PMV1QPA"
SEND_AT = datetime(2031, 5, 4, 10, 0, tzinfo=UTC)
EXPIRE_AT = SEND_AT + timedelta(days=2)
START = datetime(2031, 5, 1, tzinfo=UTC)
END = datetime(2031, 5, 2, 12, 30, tzinfo=UTC)

BATCH: dict[str, Any] = {
    "id": BATCH_ID,
    "type": "mt_text",
    "to": ["46701234567"],
    "from": "12345",
    "body": "Hi ${name}",
    "canceled": False,
    "parameters": {"name": {"46701234567": "Ann", "default": "there"}},
    "created_at": "2031-05-01T10:00:00.123Z",
    "modified_at": "2031-05-01T10:00:00.123Z",
    "delivery_report": "none",
    "expire_at": "2031-05-04T10:00:00.123Z",
    "flash_message": False,
}
BINARY_BATCH = {**BATCH, "type": "mt_binary", "body": "SGVsbG8=", "udh": "0605040B8423F0"}
MEDIA_BATCH = {**BATCH, "type": "mt_media", "body": {"url": "https://e.example/a.png", "message": "Look"}}
CANCELED_BATCH = {**BATCH, "canceled": True}
DRY_RUN = {
    "number_of_recipients": 2,
    "number_of_messages": 2,
    "per_recipient": [
        {"recipient": "46701234567", "body": "Hi Ann", "number_of_parts": 1, "encoding": "text"},
        {"recipient": "46709876543", "body": "Hi there", "number_of_parts": 1, "encoding": "text"},
    ],
}
BATCH_REPORT = {
    "type": "delivery_report_sms",
    "batch_id": BATCH_ID,
    "total_message_count": 3,
    "statuses": [
        {"code": 0, "status": "Delivered", "count": 2, "recipients": ["46701234567", "46709876543"]},
        {"code": 402, "status": "Failed", "count": 1, "recipients": ["46700000000"]},
    ],
    "client_reference": "ref-1",
}
RECIPIENT_REPORT = {
    "type": "recipient_delivery_report_sms",
    "batch_id": BATCH_ID,
    "recipient": "46701234567",
    "code": 0,
    "status": "Delivered",
    "at": "2031-05-01T10:00:05.000Z",
    "operator_status_at": "2031-05-01T10:00:04.000Z",
    "client_reference": "ref-1",
}
GROUP = {
    "id": GROUP_ID,
    "name": "Customers",
    "size": 2,
    "created_at": "2031-05-01T10:00:00.000Z",
    "modified_at": "2031-05-01T10:00:00.000Z",
    "child_groups": [],
    "auto_update": {"to": "12345", "add": {"first_word": "JOIN"}, "remove": {"first_word": "STOP"}},
}
UNNAMED_GROUP = {k: v for k, v in GROUP.items() if k != "name"}
MEMBERS = ["46701234567", "46709876543"]
INBOUND = {
    "type": "mo_text",
    "id": INBOUND_ID,
    "from": "46701234567",
    "to": "12345",
    "body": "Yes please",
    "operator_id": "24001",
    "received_at": "2031-05-01T10:01:00.000Z",
    "sent_at": "2031-05-01T10:00:59.000Z",
}


def page(items_field: str, items: list[Any], *, count: int | None = None, number: int = 0) -> dict[str, Any]:
    """A list answer; ``page_size`` is the number of entries in this page, as Sinch reports it."""
    return {
        "count": len(items) if count is None else count,
        "page": number,
        "page_size": len(items),
        items_field: items,
    }


@dataclass(frozen=True)
class Case:
    """One request the client can build, and a valid answer to it.

    :param op: client method name.
    :param kwargs: arguments of the call.
    :param operation_id: the contract operation it must hit.
    :param status: status of the canned answer.
    :param answer: JSON of the canned answer (``None``: empty body).
    """

    id: str
    op: str
    kwargs: dict[str, Any]
    operation_id: str
    status: int = 200
    answer: Any = None
    expect_query: dict[str, str] = field(default_factory=dict)


TEXT_ALL_FIELDS: dict[str, Any] = {
    "to": ["+46 70 123 45 67", "0046709876543", "01FC66621XXXXX119Z8PMV1AHY"],
    "from_": "12345",
    "type": "mt_text",
    "body": "Hi ${name}",
    "parameters": {"name": {"46701234567": "Ann", "default": "there"}},
    "delivery_report": "per_recipient",
    "send_at": SEND_AT,
    "expire_at": EXPIRE_AT,
    "callback_url": "https://hooks.example.com/sinch",
    "client_reference": "ref-1",
    "feedback_enabled": True,
    "flash_message": False,
    "max_number_of_message_parts": 3,
    "truncate_concat": True,
    "from_ton": 1,
    "from_npi": 1,
}
BINARY_FIELDS: dict[str, Any] = {
    "to": ["+46701234567"],
    "from_": "12345",
    "type": "mt_binary",
    "body": "SGVsbG8=",
    "udh": "0605040B8423F0",
    "delivery_report": "summary",
    "client_reference": "ref-bin",
    "from_ton": 5,
    "from_npi": 0,
}
MEDIA_FIELDS: dict[str, Any] = {
    "to": ["+15551231234"],
    "from_": "+15551239999",
    "type": "mt_media",
    "body": {"url": "https://e.example/a.png", "message": "Look ${name}", "subject": "News"},
    "parameters": {"name": {"default": "friend"}},
    "strict_validation": True,
    "delivery_report": "full",
    "send_at": SEND_AT,
    "expire_at": EXPIRE_AT,
    "callback_url": "https://hooks.example.com/mms",
    "client_reference": "ref-mms",
    "feedback_enabled": False,
}
UPDATE_TEXT: dict[str, Any] = {
    "type": "mt_text",
    "to_add": ["+46701111111"],
    "to_remove": ["46702222222"],
    "from_": "54321",
    "body": "New ${name}",
    "parameters": {"name": {"default": "you"}},
    "delivery_report": "per_recipient_final",
    "send_at": SEND_AT,
    "expire_at": EXPIRE_AT,
    "callback_url": "https://hooks.example.com/2",
    "client_reference": "ref-2",
    "feedback_enabled": True,
    "flash_message": True,
    "max_number_of_message_parts": 2,
    "truncate_concat": False,
    "from_ton": 2,
    "from_npi": 3,
}
AUTO_UPDATE = {
    "to": "12345",
    "add": {"first_word": "JOIN", "second_word": "NEWS"},
    "remove": {"first_word": "STOP"},
}
PLAIN = {"to": ["+46701234567"], "from_": "12345", "body": "Hi"}

CASES: list[Case] = [
    Case("send-text-minimal", "send_batch", PLAIN, "SendSMS", 201, BATCH),
    Case("send-text-all-fields", "send_batch", TEXT_ALL_FIELDS, "SendSMS", 201, BATCH),
    Case("send-binary", "send_batch", BINARY_FIELDS, "SendSMS", 201, BINARY_BATCH),
    Case("send-media", "send_batch", MEDIA_FIELDS, "SendSMS", 201, MEDIA_BATCH),
    Case("list-batches", "list_batches", {}, "ListBatches", 200, page("batches", [BATCH])),
    Case(
        "list-batches-all-filters",
        "list_batches",
        {
            "page": 1,
            "page_size": 50,
            "start_date": START,
            "end_date": END,
            "from_": ["12345", "54321"],
            "client_reference": "ref-1",
        },
        "ListBatches",
        200,
        page("batches", [BATCH], count=51, number=1),
        {
            "page": "1",
            "page_size": "50",
            "start_date": "2031-05-01T00:00:00Z",
            "end_date": "2031-05-02T12:30:00Z",
            "from": "12345,54321",
            "client_reference": "ref-1",
        },
    ),
    Case("get-batch", "get_batch", {"batch_id": BATCH_ID}, "GetBatchMessage", 200, BATCH),
    Case(
        "update-text", "update_batch", {"batch_id": BATCH_ID, **UPDATE_TEXT}, "UpdateBatchMessage", 200, BATCH
    ),
    Case(
        "update-binary",
        "update_batch",
        {"batch_id": BATCH_ID, "type": "mt_binary", "body": "SGk=", "udh": "050003CC0201"},
        "UpdateBatchMessage",
        200,
        BINARY_BATCH,
    ),
    Case(
        "update-media",
        "update_batch",
        {
            "batch_id": BATCH_ID,
            "type": "mt_media",
            "body": {"url": "https://e.example/b.png"},
            "strict_validation": False,
        },
        "UpdateBatchMessage",
        200,
        MEDIA_BATCH,
    ),
    Case(
        "replace-text", "replace_batch", {"batch_id": BATCH_ID, **TEXT_ALL_FIELDS}, "ReplaceBatch", 200, BATCH
    ),
    Case(
        "replace-binary",
        "replace_batch",
        {"batch_id": BATCH_ID, **BINARY_FIELDS},
        "ReplaceBatch",
        200,
        BINARY_BATCH,
    ),
    Case(
        "replace-media",
        "replace_batch",
        {"batch_id": BATCH_ID, **MEDIA_FIELDS},
        "ReplaceBatch",
        200,
        MEDIA_BATCH,
    ),
    Case("cancel", "cancel_batch", {"batch_id": BATCH_ID}, "CancelBatchMessage", 200, CANCELED_BATCH),
    Case(
        "dry-run-per-recipient",
        "dry_run",
        {"per_recipient": True, "number_of_recipients": 10, **TEXT_ALL_FIELDS},
        "Dry_Run",
        200,
        DRY_RUN,
        {"per_recipient": "true", "number_of_recipients": "10"},
    ),
    Case(
        "dry-run-plain",
        "dry_run",
        PLAIN,
        "Dry_Run",
        200,
        {"number_of_recipients": 1, "number_of_messages": 1},
    ),
    Case(
        "dry-run-binary",
        "dry_run",
        {"per_recipient": False, **BINARY_FIELDS},
        "Dry_Run",
        200,
        {"number_of_recipients": 1, "number_of_messages": 1},
        {"per_recipient": "false"},
    ),
    Case(
        "dry-run-media",
        "dry_run",
        MEDIA_FIELDS,
        "Dry_Run",
        200,
        {"number_of_recipients": 1, "number_of_messages": 1},
    ),
    Case(
        "delivery-feedback",
        "send_delivery_feedback",
        {"batch_id": BATCH_ID, "recipients": ["+46701234567"]},
        "deliveryFeedback",
        202,
        None,
    ),
    Case("delivery-feedback-all", "send_delivery_feedback", {"batch_id": BATCH_ID}, "deliveryFeedback", 202),
    Case(
        "batch-report",
        "get_delivery_report",
        {"batch_id": BATCH_ID},
        "GetDeliveryReportByBatchId",
        200,
        BATCH_REPORT,
    ),
    Case(
        "batch-report-filters",
        "get_delivery_report",
        {"batch_id": BATCH_ID, "type": "full", "status": ["Delivered", "Failed"], "code": [0, 402]},
        "GetDeliveryReportByBatchId",
        200,
        BATCH_REPORT,
        {"type": "full", "status": "Delivered,Failed", "code": "0,402"},
    ),
    Case(
        "recipient-report",
        "get_recipient_delivery_report",
        {"batch_id": BATCH_ID, "recipient_msisdn": "+46 70-123 45 67"},
        "GetDeliveryReportByPhoneNumber",
        200,
        RECIPIENT_REPORT,
    ),
    Case(
        "list-reports",
        "list_delivery_reports",
        {},
        "GetDeliveryReports",
        200,
        page("delivery_reports", [RECIPIENT_REPORT]),
    ),
    Case(
        "list-reports-all-filters",
        "list_delivery_reports",
        {
            "page": 2,
            "page_size": 100,
            "start_date": START,
            "end_date": END,
            "status": ["Failed", "Expired"],
            "code": [402, 406],
            "client_reference": "ref-1",
        },
        "GetDeliveryReports",
        200,
        page("delivery_reports", [], count=0, number=2),
        {"page": "2", "page_size": "100", "status": "Failed,Expired", "code": "402,406"},
    ),
    Case(
        "create-group",
        "create_group",
        {
            "name": "Customers",
            "members": ["+46701234567"],
            "child_groups": [GROUP_ID],
            "auto_update": AUTO_UPDATE,
        },
        "CreateGroup",
        201,
        GROUP,
    ),
    Case(
        "list-groups", "list_groups", {"page": 0, "page_size": 20}, "ListGroups", 200, page("groups", [GROUP])
    ),
    Case("get-group", "get_group", {"group_id": GROUP_ID}, "RetrieveGroup", 200, GROUP),
    Case(
        "update-group",
        "update_group",
        {
            "group_id": GROUP_ID,
            "name": "VIP",
            "add": ["+46701111111"],
            "remove": ["46702222222"],
            "add_from_group": "01FC66621XXXXX119Z8PMV1A00",
            "remove_from_group": "01FC66621XXXXX119Z8PMV1A11",
            "auto_update": AUTO_UPDATE,
        },
        "UpdateGroup",
        200,
        GROUP,
    ),
    Case(
        "update-group-remove-name",
        "update_group",
        {"group_id": GROUP_ID, "remove_name": True},
        "UpdateGroup",
        200,
        UNNAMED_GROUP,
    ),
    Case(
        "replace-group",
        "replace_group",
        {
            "group_id": GROUP_ID,
            "name": "Everyone",
            "members": ["+46701234567", "+46709876543"],
            "child_groups": [],
            "auto_update": {"to": 12345, "add": {"first_word": "IN"}},
        },
        "ReplaceGroup",
        200,
        GROUP,
    ),
    Case("delete-group", "delete_group", {"group_id": GROUP_ID}, "DeleteGroup", 200, None),
    Case("group-members", "list_group_members", {"group_id": GROUP_ID}, "GetMembers", 200, MEMBERS),
    Case("list-inbounds", "list_inbounds", {}, "ListInboundMessages", 200, page("inbounds", [INBOUND])),
    Case(
        "list-inbounds-all-filters",
        "list_inbounds",
        {
            "page": 0,
            "page_size": 10,
            "to": ["12345", "+46700000000"],
            "start_date": START,
            "end_date": END,
            "client_reference": "ref-1",
        },
        "ListInboundMessages",
        200,
        page("inbounds", [INBOUND]),
        {"to": "12345,+46700000000", "start_date": "2031-05-01T00:00:00Z"},
    ),
    Case("get-inbound", "get_inbound", {"inbound_id": INBOUND_ID}, "RetrieveInboundMessage", 200, INBOUND),
]

CASES_BY_ID = {case.id: case for case in CASES}
