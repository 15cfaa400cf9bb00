"""Group operators and the inbound list on the Sinch sandbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowSkipException

from airflow_provider_sinch.client import (
    SinchError,
    SinchForbiddenError,
    SinchNotFoundError,
    SinchTransportError,
    SinchValidationError,
)
from airflow_provider_sinch.operators import (
    SinchCreateGroupOperator,
    SinchDeleteGroupOperator,
    SinchGetGroupMembersOperator,
    SinchListInboundMessagesOperator,
    SinchReplaceGroupOperator,
    SinchUpdateGroupOperator,
)
from tests.operators.conftest import ApiView, FakeStore, make_context

GROUP = r"/groups/[^/]+"  # one group by id


def members(count: int) -> list[str]:
    return [f"+4670{i:07d}" for i in range(count)]


def test_create_group(api: ApiView) -> None:
    result = SinchCreateGroupOperator(task_id="g", name="VIP", members="+46701234567, +46701234568") \
        .execute(make_context())
    assert result["name"] == "VIP"
    assert result["size"] == 2
    (call,) = api.requests("POST", "/groups")
    assert call.body == {"name": "VIP", "members": ["+46701234567", "+46701234568"]}
    json.dumps(result)


def test_create_with_more_than_10000_members_adds_the_rest(api: ApiView) -> None:
    result = SinchCreateGroupOperator(task_id="g", name="Big", members=members(25000)).execute(make_context())
    assert result["size"] == 25000
    assert [len(c.body["members"]) for c in api.requests("POST", "/groups")] == [10000]
    assert [len(c.body["add"]) for c in api.requests("POST", GROUP)] == [10000, 5000]


def test_create_conflict_fails_or_reuses(api: ApiView) -> None:
    first = SinchCreateGroupOperator(task_id="g", name="VIP", members=members(1)).execute(make_context())
    with pytest.raises(SinchForbiddenError, match="conflict_group_name"):
        SinchCreateGroupOperator(task_id="g", name="VIP").execute(make_context())
    again = SinchCreateGroupOperator(task_id="g", name="VIP", members=members(3), if_exists="reuse") \
        .execute(make_context())
    assert again["id"] == first["id"]
    assert again["size"] == 3


def test_create_reuses_after_a_lost_answer(api: ApiView) -> None:
    api.fail("POST", "/groups", drop=True)
    result = SinchCreateGroupOperator(task_id="g", name="VIP", members=members(2), if_exists="reuse") \
        .execute(make_context())
    assert len(api.groups) == 1
    assert result["id"] in api.groups


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"name": "x" * 21}, "name"),
    ({"name": "ok", "child_groups": [f"G{i}" for i in range(11)]}, "child_groups"),
    ({"name": "ok", "auto_update": "{not json"}, "auto_update"),
])
def test_create_validates_before_sending(api: ApiView, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(SinchValidationError) as info:
        SinchCreateGroupOperator(task_id="g", **kwargs).execute(make_context())
    assert field in info.value.errors[0][0]
    assert api.calls == []


def test_update_keeps_the_name_unless_asked(api: ApiView) -> None:
    group = SinchCreateGroupOperator(task_id="g", name="VIP").execute(make_context())
    op = SinchUpdateGroupOperator(task_id="u", group_id=group, add=members(2), name="{{ params.n }}")
    context = make_context()
    context["params"] = {"n": ""}
    op.render_template_fields(context)  # rendered empty: keep the name
    result = op.execute(context)
    assert result["name"] == "VIP"
    (call,) = api.requests("POST", GROUP)
    assert "name" not in call.body
    result = SinchUpdateGroupOperator(task_id="u", group_id=group["id"], remove_name=True) \
        .execute(make_context())
    assert api.requests("POST", GROUP)[-1].body == {"name": None}
    assert "name" not in result


def test_update_rename_and_remove_name_together_is_refused(api: ApiView) -> None:
    with pytest.raises(SinchValidationError, match="name: give either name"):
        SinchUpdateGroupOperator(task_id="u", group_id="G1", name="A", remove_name=True) \
            .execute(make_context())
    with pytest.raises(SinchValidationError, match="nothing to update"):
        SinchUpdateGroupOperator(task_id="u", group_id="G1").execute(make_context())
    assert api.calls == []


def test_update_from_other_groups(api: ApiView) -> None:
    source = SinchCreateGroupOperator(task_id="g", name="src", members=members(2)).execute(make_context())
    target = SinchCreateGroupOperator(task_id="g", name="dst").execute(make_context())
    SinchUpdateGroupOperator(task_id="u", group_id=target, add_from_group=source, remove_from_group=" ",
                             add=members(1)).execute(make_context())
    assert api.requests("POST", GROUP)[-1].body == {"add": ["+46700000000"],
                                                               "add_from_group": source["id"]}
    with pytest.raises(SinchValidationError, match="add_from_group: must name one group, got 2"):
        SinchUpdateGroupOperator(task_id="u", group_id=target, add_from_group=["a", "b"]) \
            .execute(make_context())


def test_update_large_adds_in_blocks(api: ApiView) -> None:
    group = SinchCreateGroupOperator(task_id="g", name="VIP").execute(make_context())
    result = SinchUpdateGroupOperator(task_id="u", group_id=group["id"], add=members(12000),
                                      remove=["+46700000000"]).execute(make_context())
    calls = api.requests("POST", GROUP)
    assert [len(c.body.get("add", [])) for c in calls] == [10000, 2000]
    assert result["size"] == 11999  # the removed number was in the first block (adds before removes)
    assert calls[0].body["remove"] == ["+46700000000"]


def test_replace_group(api: ApiView) -> None:
    group = SinchCreateGroupOperator(task_id="g", name="VIP", members=members(3)).execute(make_context())
    result = SinchReplaceGroupOperator(task_id="r", group_id=group["id"], members=members(1)) \
        .execute(make_context())
    assert result["size"] == 1
    assert "name" not in result  # replace clears what is not given
    assert api.requests("PUT", GROUP)[0].body == {"members": ["+46700000000"]}


def test_members_and_delete(api: ApiView) -> None:
    group = SinchCreateGroupOperator(task_id="g", name="VIP", members=members(2)).execute(make_context())
    assert SinchGetGroupMembersOperator(task_id="m", group_id=group).execute(make_context()) == \
        ["46700000000", "46700000001"]
    assert SinchDeleteGroupOperator(task_id="d", group_id=group["id"]).execute(make_context()) == \
        {"group_id": group["id"], "deleted": True}
    with pytest.raises(SinchNotFoundError):
        SinchDeleteGroupOperator(task_id="d", group_id=group["id"]).execute(make_context())
    with pytest.raises(AirflowSkipException):
        SinchDeleteGroupOperator(task_id="d", group_id=group["id"], ignore_if_missing=True) \
            .execute(make_context())


def test_delete_whose_answer_was_lost_succeeds(api: ApiView) -> None:
    group = SinchCreateGroupOperator(task_id="g", name="VIP").execute(make_context())
    api.fail("DELETE", GROUP, drop=True)  # deleted, then the answer is lost; the resend gets 404
    result = SinchDeleteGroupOperator(task_id="d", group_id=group["id"]).execute(make_context())
    assert result == {"group_id": group["id"], "deleted": True}
    assert [c.method for c in api.calls if c.path.startswith("/groups/")] == ["DELETE", "DELETE"]
    assert api.groups == {}


def one_retry(api: ApiView, monkeypatch: pytest.MonkeyPatch) -> None:
    """The connection with 2 attempts per request (short backoffs)."""
    monkeypatch.setenv("AIRFLOW_CONN_SINCH_DEFAULT", json.dumps({**api.conn, "extra": {"retries": 1}}))


def test_delete_whose_every_answer_was_lost_succeeds_on_the_tasks_retry(
        api: ApiView, store: FakeStore, monkeypatch: pytest.MonkeyPatch) -> None:
    one_retry(api, monkeypatch)
    group = SinchCreateGroupOperator(task_id="g", name="VIP").execute(make_context())
    api.fail("DELETE", GROUP, drop=True, times=2)  # both of the client's attempts: answers lost
    with pytest.raises(SinchTransportError):
        SinchDeleteGroupOperator(task_id="d", group_id=group["id"]).execute(make_context(store))
    assert api.groups == {}
    retry = SinchDeleteGroupOperator(task_id="d", group_id=group["id"])
    again = retry.execute(make_context(store, try_number=2))
    assert again == {"group_id": group["id"], "deleted": True}


def test_a_404_without_a_lost_answer_still_means_missing(
        api: ApiView, store: FakeStore, monkeypatch: pytest.MonkeyPatch) -> None:
    one_retry(api, monkeypatch)
    store.set("sinch_unanswered_group_deletes", ["G0042"])  # another group's lost delete proves nothing
    with pytest.raises(SinchNotFoundError):
        SinchDeleteGroupOperator(task_id="d", group_id="G0001").execute(make_context(store))
    api.fail("DELETE", GROUP, status=503, times=2)  # 5xx: the outcome is unknown ...
    with pytest.raises(SinchError):
        SinchDeleteGroupOperator(task_id="d", group_id="G0009").execute(make_context(store))
    assert store.get("sinch_unanswered_group_deletes") == ["G0009", "G0042"]  # ... and remembered


def test_group_id_is_required(api: ApiView) -> None:
    with pytest.raises(SinchValidationError, match="group_id: must name exactly one group, got 0"):
        SinchGetGroupMembersOperator(task_id="m", group_id="").execute(make_context())


def inbound(api: ApiView, i: int, sender: str, to: str = "12017777777") -> None:
    api.sandbox.inject_inbound(sender, to, f"reply {i}")


def test_list_inbounds_with_filters(api: ApiView) -> None:
    for i in range(250):
        inbound(api, i, "46701234567" if i % 2 else "46700000000")
    inbound(api, 999, "46701234567", to="999")
    op = SinchListInboundMessagesOperator(task_id="i", to=["12017777777"], from_="+46701234567",
                                          received_after=timedelta(hours=2))
    before = datetime.now(UTC)
    result = op.execute(make_context())
    after = datetime.now(UTC)
    assert len(result) == 125
    assert {m["from"] for m in result} == {"46701234567"}
    json.dumps(result)
    first = api.requests("GET", "/inbounds")[0]
    since = datetime.fromisoformat(first.query["start_date"].replace("Z", "+00:00"))
    written = timedelta(seconds=1)  # the time is written in whole seconds at most
    assert before - timedelta(hours=2) - written <= since <= after - timedelta(hours=2)
    assert first.query["to"] == "12017777777"
    assert len(api.requests("GET", "/inbounds")) == 3  # every page


def test_list_inbounds_limit(api: ApiView) -> None:
    for i in range(50):
        inbound(api, i, "46701234567")
    assert len(SinchListInboundMessagesOperator(task_id="i", limit="10").execute(make_context())) == 10
    with pytest.raises(SinchValidationError, match="received_after"):
        SinchListInboundMessagesOperator(task_id="i", received_after="yesterday").execute(make_context())
