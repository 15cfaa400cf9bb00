"""Inbound (MO) messages: injection through the control endpoint, the inbound endpoints, auto replies."""

from __future__ import annotations

from datetime import datetime

import httpx

from airflow_provider_sinch.testing.sandbox import CallbackReceiver, Sandbox
from tests.testing.conftest import NUMBER, api_client, send


def _inject(sandbox: Sandbox, **message: object) -> dict:
    response = httpx.post(f"{sandbox.url}/_sandbox/inbounds", json=message, trust_env=False)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_injected_messages_are_listed_and_readable(api: httpx.Client, sandbox: Sandbox) -> None:
    text = _inject(sandbox, **{"from": "+46701234567", "to": "+46700000000", "body": "Hi"},
                   client_reference="c1")
    binary = _inject(sandbox, **{"from": "46701234568", "to": "12345", "body": "SGk=", "type": "mo_binary",
                                 "udh": "050003CC0201"})
    media = _inject(sandbox, **{"from": "46701234569", "to": "+46700000000", "type": "mo_media",
                                "body": {"subject": "Look", "message": "Cat",
                                         "media": [{"url": "https://example.com/c.jpg", "code": 0,
                                                    "content_type": "image/jpeg", "status": "Uploaded"}]}})

    assert (text["type"], text["from"], text["to"], text["client_reference"]) == (
        "mo_text", "46701234567", "46700000000", "c1")
    assert api.get(f"/inbounds/{binary['id']}").json() == binary
    assert api.get(f"/inbounds/{media['id']}").json()["body"]["media"][0]["content_type"] == "image/jpeg"
    assert api.get("/inbounds/01NOPE").status_code == 404

    everything = api.get("/inbounds").json()
    newest_first = [media["id"], binary["id"], text["id"]]
    assert [i["id"] for i in everything["inbounds"]] == newest_first
    to_me = api.get("/inbounds", params={"to": "+46700000000,99999"}).json()
    assert {i["id"] for i in to_me["inbounds"]} == {text["id"], media["id"]}
    assert api.get("/inbounds", params={"client_reference": "c1"}).json()["count"] == 1
    page = api.get("/inbounds", params={"page": 1, "page_size": 2}).json()
    assert (page["count"], page["page_size"], page["inbounds"][0]["id"]) == (3, 1, text["id"])


def test_inbounds_default_to_the_last_24_hours(api: httpx.Client, sandbox: Sandbox) -> None:
    old = sandbox.inject_inbound("+46701234567", "+46700000000", "old")
    sandbox.advance(25 * 3600)
    new = sandbox.inject_inbound("+46701234567", "+46700000000", "new")
    assert [i["id"] for i in api.get("/inbounds").json()["inbounds"]] == [new["id"]]
    start = datetime.fromisoformat(old["received_at"].replace("Z", "+00:00")).isoformat()
    assert api.get("/inbounds", params={"start_date": start}).json()["count"] == 2


def test_invalid_injections_are_refused(sandbox: Sandbox) -> None:
    for message in ({"from": "1", "to": "2", "body": "x", "type": "mo_binary"},
                    {"from": "1", "to": "2", "body": "x", "type": "mo_media"},
                    {"to": "2", "body": "x"}):
        response = httpx.post(f"{sandbox.url}/_sandbox/inbounds", json=message, trust_env=False)
        assert response.status_code == 422


def test_auto_reply_answers_a_delivered_batch(api: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.add_auto_reply("YES", recipient="4567", delay=30)
    batch = send(api, to=[NUMBER, "+46702222222", "+46701994567"])
    sandbox.add_outcome("994567", "Failed")  # a failed recipient never answers
    sandbox.advance(sandbox.settings.dispatch_delay + sandbox.settings.delivery_delay)
    assert sandbox.statuses(batch["id"])["46701234567"] == "Delivered"
    assert api.get("/inbounds").json()["count"] == 0
    sandbox.advance(29.9)
    assert api.get("/inbounds").json()["count"] == 0
    sandbox.advance(0.1)

    (reply,) = api.get("/inbounds").json()["inbounds"]
    assert (reply["from"], reply["to"], reply["body"]) == ("46701234567", "46700000000", "YES")
    delivered = api.get(f"/batches/{batch['id']}/delivery_report/{NUMBER}").json()["at"]
    assert (datetime.fromisoformat(reply["received_at"].replace("Z", "+00:00"))
            - datetime.fromisoformat(delivered.replace("Z", "+00:00"))).total_seconds() == 30


def test_auto_reply_over_http_reaches_the_inbound_callback(make_sandbox, receiver: CallbackReceiver) -> None:
    sandbox = make_sandbox(time_scale=0, inbound_callback_url=receiver.url)
    rule = httpx.post(f"{sandbox.url}/_sandbox/auto_replies", json={"text": "STOP", "delay": 5},
                      trust_env=False)
    assert rule.status_code == 201
    with api_client(sandbox) as api:
        send(api, **{"from": "Acme"})
        sandbox.advance(60)
    (callback,) = receiver.wait_for(1)
    answer = callback.json
    assert (answer["from"], answer["to"], answer["body"]) == ("46701234567", "Acme", "STOP")
    assert httpx.delete(f"{sandbox.url}/_sandbox/auto_replies", trust_env=False).status_code == 200
    assert sandbox.inbound.auto_replies == []
