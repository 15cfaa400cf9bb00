"""Each endpoint through both clients: the request sent, and the answer parsed into models.

Every test here runs twice (``kind`` = sync over requests-mock, async over tests.mock_aiohttp).
"""

from __future__ import annotations

from airflow_provider_sinch import __version__
from airflow_provider_sinch.client.models import (
    Batch,
    BatchDeliveryReport,
    BatchMediaBody,
    DryRunResponse,
    Group,
    InboundMessage,
    ListBatchesResponse,
    ListDeliveryReportsResponse,
    ListGroupsResponse,
    ListInboundsResponse,
    RecipientDeliveryReport,
)
from tests.client.clients import Harness
from tests.client.samples import (
    BATCH,
    BATCH_ID,
    BATCH_REPORT,
    BINARY_BATCH,
    CANCELED_BATCH,
    DRY_RUN,
    GROUP,
    GROUP_ID,
    INBOUND,
    INBOUND_ID,
    MEDIA_BATCH,
    MEMBERS,
    RECIPIENT_REPORT,
    UNNAMED_GROUP,
    page,
)
from tests.fakes import TOKEN, Reply

NEW = {"added_later": {"nested": True}}


def test_send_batch(harness: Harness) -> None:
    harness.reply(Reply(201, json={**BATCH, **NEW}))
    batch = harness.call("send_batch", to=["+46701234567"], from_="12345", body="Hi ${name}")
    assert isinstance(batch, Batch)
    assert (batch.id, batch.to, batch.body) == (BATCH_ID, ["46701234567"], "Hi ${name}")
    assert batch.model_extra == NEW  # unknown fields are kept
    sent = harness.last
    assert (sent.method, sent.api_path) == ("POST", "/batches")
    assert sent.json == {"to": ["+46701234567"], "from": "12345", "type": "mt_text", "body": "Hi ${name}"}


def test_send_binary_and_media_batches(harness: Harness) -> None:
    harness.reply(Reply(201, json=BINARY_BATCH), Reply(201, json=MEDIA_BATCH))
    binary = harness.call("send_batch", to="46701234567", type="mt_binary", body="SGVsbG8=",
                          udh="0605040B8423F0")
    media = harness.call("send_batch", to="46701234567", type="mt_media", body={"url": "https://e.example/a.png"})
    assert (binary.type, binary.udh) == ("mt_binary", "0605040B8423F0")
    assert isinstance(media.body, BatchMediaBody)
    assert media.body.url == "https://e.example/a.png"
    assert harness.api_requests[1].json["body"] == {"url": "https://e.example/a.png"}


def test_list_batches(harness: Harness) -> None:
    harness.reply(Reply(json=page("batches", [BATCH, BINARY_BATCH], count=7, number=2)))
    result = harness.call("list_batches", page=2, page_size=2, from_="12345")
    assert isinstance(result, ListBatchesResponse)
    assert (result.count, result.page, result.page_size) == (7, 2, 2)
    assert [b.type for b in result.batches] == ["mt_text", "mt_binary"]
    assert harness.last.query == {"page": ["2"], "page_size": ["2"], "from": ["12345"]}
    assert harness.last.content == b""


def test_get_batch(harness: Harness) -> None:
    harness.reply(Reply(json=BATCH))
    assert harness.call("get_batch", BATCH_ID).id == BATCH_ID
    assert (harness.last.method, harness.last.api_path) == ("GET", f"/batches/{BATCH_ID}")


def test_update_batch(harness: Harness) -> None:
    harness.reply(Reply(json=BATCH))
    assert isinstance(harness.call("update_batch", BATCH_ID, to_add=["+15551231234"], body="New"), Batch)
    assert (harness.last.method, harness.last.api_path) == ("POST", f"/batches/{BATCH_ID}")
    assert harness.last.json == {"to_add": ["+15551231234"], "body": "New"}  # only what changes


def test_replace_batch(harness: Harness) -> None:
    harness.reply(Reply(json=BATCH))
    harness.call("replace_batch", BATCH_ID, to=["46701234567"], body="Replaced")
    assert (harness.last.method, harness.last.api_path) == ("PUT", f"/batches/{BATCH_ID}")
    assert harness.last.json == {"to": ["46701234567"], "type": "mt_text", "body": "Replaced"}


def test_cancel_batch_is_a_delete(harness: Harness) -> None:
    harness.reply(Reply(json=CANCELED_BATCH))
    assert harness.call("cancel_batch", BATCH_ID).canceled is True
    sent = harness.last
    assert (sent.method, sent.api_path, sent.content) == ("DELETE", f"/batches/{BATCH_ID}", b"")


def test_dry_run(harness: Harness) -> None:
    harness.reply(Reply(json=DRY_RUN))
    result = harness.call("dry_run", per_recipient=True, number_of_recipients=2,
                          to=["46701234567", "46701234568"], body="Hi")
    assert isinstance(result, DryRunResponse)
    assert (result.number_of_messages, result.per_recipient[1].body) == (2, "Hi there")
    sent = harness.last
    assert (sent.method, sent.api_path) == ("POST", "/batches/dry_run")
    assert sent.query == {"per_recipient": ["true"], "number_of_recipients": ["2"]}  # not "True"


def test_delivery_feedback_answers_202_with_no_body(harness: Harness) -> None:
    harness.reply(Reply(202), Reply(202, content=b"  "))
    assert harness.call("send_delivery_feedback", BATCH_ID, ["+46701234567"]) is None
    assert harness.call("send_delivery_feedback", BATCH_ID) is None
    first, second = harness.api_requests
    assert first.api_path == f"/batches/{BATCH_ID}/delivery_feedback"
    assert (first.json, second.json) == ({"recipients": ["+46701234567"]}, {"recipients": []})


def test_get_delivery_report(harness: Harness) -> None:
    harness.reply(Reply(json=BATCH_REPORT))
    report = harness.call(
        "get_delivery_report", BATCH_ID, type="full", status=["Delivered", "Failed"], code=[0]
    )
    assert isinstance(report, BatchDeliveryReport)
    assert report.statuses[0].recipients == ["46701234567", "46709876543"]
    assert report.counts() == {"Delivered": 2, "Failed": 1}
    assert harness.last.api_path == f"/batches/{BATCH_ID}/delivery_report"
    assert harness.last.query == {"type": ["full"], "status": ["Delivered,Failed"], "code": ["0"]}


def test_get_recipient_delivery_report_has_no_stray_query(harness: Harness) -> None:
    harness.reply(Reply(json=RECIPIENT_REPORT))
    report = harness.call("get_recipient_delivery_report", BATCH_ID, "+46701234567")
    assert isinstance(report, RecipientDeliveryReport)
    assert (report.status, report.code) == ("Delivered", 0)
    assert harness.last.api_path == f"/batches/{BATCH_ID}/delivery_report/46701234567"
    assert harness.last.query == {}  # the official SDK adds ?batch_id=


def test_list_delivery_reports(harness: Harness) -> None:
    harness.reply(Reply(json=page("delivery_reports", [RECIPIENT_REPORT])))
    result = harness.call("list_delivery_reports", status="Failed", code=[402, 406], client_reference="r")
    assert isinstance(result, ListDeliveryReportsResponse)
    assert result.delivery_reports[0].batch_id == BATCH_ID
    assert harness.last.api_path == "/delivery_reports"
    assert harness.last.query == {"status": ["Failed"], "code": ["402,406"], "client_reference": ["r"]}


def test_create_group(harness: Harness) -> None:
    harness.reply(Reply(201, json=GROUP))
    group = harness.call("create_group", name="Customers", members=["+46701234567"])
    assert isinstance(group, Group)
    assert group.auto_update is not None
    assert group.auto_update.add is not None
    assert group.auto_update.add.first_word == "JOIN"
    assert (harness.last.method, harness.last.api_path) == ("POST", "/groups")
    assert harness.last.json == {"name": "Customers", "members": ["+46701234567"]}


def test_list_groups(harness: Harness) -> None:
    harness.reply(Reply(json=page("groups", [GROUP])))
    result = harness.call("list_groups", page_size=1)
    assert isinstance(result, ListGroupsResponse)
    assert result.groups[0].id == GROUP_ID


def test_get_group(harness: Harness) -> None:
    harness.reply(Reply(json=GROUP))
    assert harness.call("get_group", GROUP_ID).size == 2
    assert (harness.last.method, harness.last.api_path) == ("GET", f"/groups/{GROUP_ID}")


def test_update_group_keeps_or_removes_the_name_on_purpose(harness: Harness) -> None:
    harness.reply(Reply(json=GROUP), Reply(json=UNNAMED_GROUP))
    harness.call("update_group", GROUP_ID, add=["+15551231234"], remove=["15551231235"], name=None)
    removed = harness.call("update_group", GROUP_ID, remove_name=True)
    keep, remove = harness.api_requests
    assert (keep.method, keep.api_path) == ("POST", f"/groups/{GROUP_ID}")
    # no "name": null, the name stays
    assert keep.json == {"add": ["+15551231234"], "remove": ["15551231235"]}
    assert remove.json == {"name": None}
    assert removed.name is None


def test_replace_group(harness: Harness) -> None:
    harness.reply(Reply(json=GROUP))
    harness.call("replace_group", GROUP_ID, name="Everyone", members=["46701234567"])
    assert (harness.last.method, harness.last.api_path) == ("PUT", f"/groups/{GROUP_ID}")
    assert harness.last.json == {"name": "Everyone", "members": ["46701234567"]}


def test_delete_group_answers_200_with_no_body(harness: Harness) -> None:
    harness.reply(Reply(200))
    assert harness.call("delete_group", GROUP_ID) is None
    sent = harness.last
    assert (sent.method, sent.api_path, sent.content) == ("DELETE", f"/groups/{GROUP_ID}", b"")


def test_group_members_are_a_bare_array(harness: Harness) -> None:
    harness.reply(Reply(json=MEMBERS))
    assert harness.call("list_group_members", GROUP_ID) == MEMBERS
    assert harness.last.api_path == f"/groups/{GROUP_ID}/members"


def test_list_inbounds(harness: Harness) -> None:
    harness.reply(Reply(json=page("inbounds", [INBOUND, {**INBOUND, "type": "mo_binary", "udh": "00"}])))
    result = harness.call("list_inbounds", to="12345")
    assert isinstance(result, ListInboundsResponse)
    assert [m.type for m in result.inbounds] == ["mo_text", "mo_binary"]
    assert harness.last.query == {"to": ["12345"]}


def test_get_inbound(harness: Harness) -> None:
    harness.reply(Reply(json=INBOUND))
    message = harness.call("get_inbound", INBOUND_ID)
    assert isinstance(message, InboundMessage)
    assert (message.from_, message.to, message.text) == ("46701234567", "12345", "Yes please")
    assert harness.last.api_path == f"/inbounds/{INBOUND_ID}"


# Every request: headers, timeout, auth.


def test_every_request_carries_user_agent_auth_json_headers_and_timeout(harness: Harness) -> None:
    harness.reply(Reply(201, json=BATCH), Reply(json=GROUP), Reply(200))
    harness.call("send_batch", to="46701234567", body="x")
    harness.call("get_group", GROUP_ID)
    harness.call("delete_group", GROUP_ID)
    for sent in harness.api_requests:
        assert sent.headers["user-agent"] == f"airflow-provider-sinch/{__version__}"
        assert sent.headers["authorization"] == f"Bearer {TOKEN}"
        assert sent.headers["accept"] == "application/json"
        assert sent.timeout == (10.0, 30.0)  # the default (connect, read)
    assert harness.api_requests[0].headers["content-type"] == "application/json"


def test_configured_timeout_is_passed_on_every_request(make_harness) -> None:
    harness = make_harness(timeout=4.5)
    harness.reply(Reply(json=GROUP))
    harness.call("get_group", GROUP_ID)
    assert harness.last.timeout == (4.5, 4.5)
    if harness.kind == "async":  # waiting for a pooled connection is bounded too; the exchange is not
        assert harness.last.raw_timeout == {"connect": 4.5, "read": 4.5, "pool": 4.5, "total": None}
    else:
        assert harness.last.raw_timeout == (4.5, 4.5)


def test_base_url_override_and_custom_user_agent(make_harness) -> None:
    harness = make_harness(base_url="http://127.0.0.1:8999/", user_agent="ua/1")
    harness.reply(Reply(json=GROUP))
    harness.call("get_group", GROUP_ID)
    assert harness.last.url == f"http://127.0.0.1:8999/xms/v1/plan-1/groups/{GROUP_ID}"
    assert harness.last.headers["user-agent"] == "ua/1"
