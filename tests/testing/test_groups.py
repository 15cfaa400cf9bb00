"""Group operations of the sandbox, and groups as batch destinations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from airflow_provider_sinch.testing.sandbox import Sandbox
from tests.testing.conftest import NUMBER, send


def _group(api: httpx.Client, **body: object) -> dict:
    response = api.post("/groups", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_create_get_and_members_as_a_bare_array(api: httpx.Client) -> None:
    group = _group(api, name="Customers", members=["+46701000001", "0046701000002", "+46701000001"])

    assert group["name"] == "Customers"
    assert group["size"] == 2
    assert group["child_groups"] == []
    assert api.get(f"/groups/{group['id']}").json() == group
    members = api.get(f"/groups/{group['id']}/members")
    assert members.json() == ["46701000001", "46701000002"]
    assert api.get("/groups/01NOPE").status_code == 404


def test_duplicate_names_conflict(api: httpx.Client) -> None:
    first = _group(api, name="VIP")
    other = _group(api, name="Other")
    response = api.post("/groups", json={"name": "VIP"})
    assert (response.status_code, response.json()["code"]) == (403, "conflict_group_name")
    renamed = api.post(f"/groups/{other['id']}", json={"name": "VIP"})
    assert (renamed.status_code, renamed.json()["code"]) == (403, "conflict_group_name")
    assert api.post(f"/groups/{first['id']}", json={"name": "VIP"}).status_code == 200  # its own name


def test_update_adds_before_removes_and_tolerates_duplicates(api: httpx.Client) -> None:
    group = _group(api, name="Team", members=["+46701000001", "+46701000002"])

    updated = api.post(f"/groups/{group['id']}", json={
        "add": ["+46701000003", "+46701000001"],  # a duplicate add is fine
        "remove": ["+46701000003", "+46709999999"],  # removes the member just added; an unknown one is fine
    }).json()

    assert updated["name"] == "Team"  # name omitted: kept
    assert api.get(f"/groups/{group['id']}/members").json() == ["46701000001", "46701000002"]
    assert updated["size"] == 2


def test_explicit_null_name_removes_it(api: httpx.Client) -> None:
    group = _group(api, name="Named", members=[NUMBER])
    kept = api.post(f"/groups/{group['id']}", json={"add": ["+46701000009"]}).json()
    assert kept["name"] == "Named"
    removed = api.post(f"/groups/{group['id']}", json={"name": None}).json()
    assert "name" not in removed
    renamed = api.post(f"/groups/{group['id']}", json={"name": "Again"}).json()
    assert renamed["name"] == "Again"
    bad = api.post(f"/groups/{group['id']}", json={"remove_name": True})
    assert (bad.status_code, bad.json()["code"]) == (400, "syntax_invalid_parameter_format")


def test_add_and_remove_from_other_groups(api: httpx.Client) -> None:
    a = _group(api, members=["+46701000001", "+46701000002"])
    b = _group(api, members=["+46701000002", "+46701000003"])
    target = _group(api, members=["+46701000009"])

    api.post(f"/groups/{target['id']}", json={"add_from_group": a["id"]})
    assert api.get(f"/groups/{target['id']}/members").json() == ["46701000009", "46701000001", "46701000002"]
    api.post(f"/groups/{target['id']}", json={"remove_from_group": b["id"]})
    assert api.get(f"/groups/{target['id']}/members").json() == ["46701000009", "46701000001"]
    response = api.post(f"/groups/{target['id']}", json={"add_from_group": "01NOPE"})
    assert (response.status_code, response.json()["code"]) == (403, "unknown_group")


def test_replace_list_and_delete(api: httpx.Client) -> None:
    child = _group(api, name="Child", members=["+46701000005"])
    group = _group(api, name="Old", members=[NUMBER],
                   auto_update={"to": "+46700000000", "add": {"first_word": "JOIN"}})
    new = {"members": ["+46701000004"], "child_groups": [child["id"]]}
    replaced = api.put(f"/groups/{group['id']}", json=new)
    assert replaced.status_code == 200, replaced.text
    data = replaced.json()
    assert "name" not in data  # replace: what is not given is gone
    assert "auto_update" not in data
    assert data["child_groups"] == [child["id"]]
    assert api.get(f"/groups/{group['id']}/members").json() == ["46701000004"]

    page = api.get("/groups", params={"page_size": 1}).json()
    assert (page["count"], page["page_size"], page["groups"][0]["id"]) == (2, 1, group["id"])
    deleted = api.delete(f"/groups/{group['id']}")
    assert (deleted.status_code, deleted.content) == (200, b"")
    assert api.get("/groups").json()["count"] == 1
    assert api.delete(f"/groups/{group['id']}").status_code == 404


def test_invalid_groups(api: httpx.Client) -> None:
    too_long = api.post("/groups", json={"name": "x" * 21})
    assert (too_long.status_code, too_long.json()["code"]) == (400, "syntax_constraint_violation")
    children = api.post("/groups", json={"child_groups": ["01NOPE"]})
    assert (children.status_code, children.json()["code"]) == (403, "unknown_group")


def test_groups_in_a_batch_are_expanded_when_it_is_sent(api: httpx.Client, sandbox: Sandbox) -> None:
    child = _group(api, members=["+46701000003"])
    group = _group(api, members=["+46701000001", "+46701000002"], child_groups=[child["id"]])
    now_batch = send(api, to=[group["id"], NUMBER])
    assert now_batch["to"] == [group["id"], "46701234567"]  # the batch keeps the group id
    assert set(sandbox.statuses(now_batch["id"])) == {
        "46701000001", "46701000002", "46701000003", "46701234567"}

    send_at = datetime.now(UTC) + timedelta(hours=1)
    later = send(api, to=[group["id"]], send_at=send_at.isoformat())
    assert sandbox.statuses(later["id"]) == {}  # members are looked up at the send time, not before
    api.post(f"/groups/{group['id']}", json={"add": ["+46701000004"], "remove": ["+46701000001"]})
    sandbox.advance(3600 + sandbox.settings.dispatch_delay)
    assert set(sandbox.statuses(later["id"])) == {"46701000002", "46701000003", "46701000004"}


def test_a_group_deleted_before_the_send_time_is_empty(api: httpx.Client, sandbox: Sandbox) -> None:
    group = _group(api, members=["+46701000001"])
    batch = send(api, to=[group["id"]], send_at=(datetime.now(UTC) + timedelta(minutes=5)).isoformat())
    api.delete(f"/groups/{group['id']}")
    sandbox.advance(600)
    report = api.get(f"/batches/{batch['id']}/delivery_report").json()
    assert (report["total_message_count"], report["statuses"]) == (0, [])


def test_auto_update_keywords_join_and_leave(api: httpx.Client, sandbox: Sandbox) -> None:
    group = _group(api, auto_update={"to": "+46700000000", "remove": {"first_word": "STOP"},
                                     "add": {"first_word": "JOIN", "second_word": "NEWS"}})
    sandbox.inject_inbound("+46701000001", "+46700000000", "join news please")
    sandbox.inject_inbound("+46701000002", "+46700000000", "JOIN")  # second word missing: no match
    sandbox.inject_inbound("+46701000003", "+46711111111", "JOIN NEWS")  # another number
    assert api.get(f"/groups/{group['id']}/members").json() == ["46701000001"]
    sandbox.inject_inbound("+46701000001", "46700000000", "Stop")
    assert api.get(f"/groups/{group['id']}/members").json() == []
