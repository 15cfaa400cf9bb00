"""Update, replace, cancel and delivery feedback on the Sinch sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException, AirflowSkipException

from airflow_provider_sinch.client import SinchNotFoundError, SinchValidationError
from airflow_provider_sinch.operators import (
    SinchCancelBatchOperator,
    SinchReplaceBatchOperator,
    SinchSendDeliveryFeedbackOperator,
    SinchUpdateBatchOperator,
)
from tests.operators.conftest import ApiView, make_context

BATCH = r"/batches/(?!dry_run)[^/]+"  # one batch by id


def test_update_changes_only_given_fields(api: ApiView) -> None:
    batch_id = api.batch()
    result = SinchUpdateBatchOperator(task_id="u", batch_id=batch_id, body="New text",
                                      to_add=["+46700000002"], send_at="2030-01-01T10:00:00+01:00") \
        .execute(make_context())
    (call,) = api.requests("POST", f"/batches/{batch_id}")
    assert call.body == {"body": "New text", "to_add": ["+46700000002"],
                         "send_at": "2030-01-01T10:00:00+01:00"}
    assert result["id"] == batch_id
    assert result["to"] == ["46701234567", "46700000002"]  # Sinch echoes numbers as digits
    json.dumps(result)


def test_update_every_batch_of_a_send_result(api: ApiView) -> None:
    ids = [api.batch(), api.batch()]
    result = SinchUpdateBatchOperator(task_id="u", batch_id={"batch_ids": ids, "chunks": 2},
                                      send_at="2030-01-01T10:00:00Z").execute(make_context())
    assert [r["id"] for r in result] == ids
    assert len(api.requests("POST", BATCH)) == 2


def test_update_refuses_to_add_to_several_batches(api: ApiView) -> None:
    op = SinchUpdateBatchOperator(task_id="u", batch_id=["B1", "B2"], to_add=["+46700000002"])
    with pytest.raises(SinchValidationError, match="to_add: cannot be added to 2 batches"):
        op.execute(make_context())
    assert api.calls == []


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"batch_id": "B1"}, "(fields)"),
    ({"batch_id": "", "body": "x"}, "batch_id"),
    ({"batch_id": "B1", "body": "x" * 2001}, "body"),
    ({"batch_id": "B1", "expire_at": "2030-01-05T00:00:00Z", "send_at": "2030-01-01T00:00:00Z"}, "expire_at"),
    ({"batch_id": "B1", "max_number_of_message_parts": "0"}, "max_number_of_message_parts"),
])
def test_update_validates_before_sending(api: ApiView, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(SinchValidationError) as info:
        SinchUpdateBatchOperator(task_id="u", **kwargs).execute(make_context())
    assert field in [name for name, _ in info.value.errors]
    assert api.calls == []


def test_update_templated_fields() -> None:
    assert set(SinchUpdateBatchOperator.template_fields) >= {"batch_id", "to_add", "to_remove", "body",
                                                             "send_at", "from_", "sinch_conn_id"}


def test_replace_sends_the_whole_body(api: ApiView) -> None:
    batch_id = api.batch()
    result = SinchReplaceBatchOperator(task_id="r", batch_id=batch_id, to="+46700000009, +46700000008",
                                       from_="Shop", body="Replaced").execute(make_context())
    (call,) = api.requests("PUT", f"/batches/{batch_id}")
    assert call.body == {"to": ["+46700000009", "+46700000008"], "from": "Shop", "body": "Replaced",
                         "type": "mt_text"}
    assert result["body"] == "Replaced"


def test_replace_needs_exactly_one_batch_and_valid_body(api: ApiView) -> None:
    with pytest.raises(SinchValidationError, match="batch_id: must name exactly one batch, got 2"):
        SinchReplaceBatchOperator(task_id="r", batch_id=["a", "b"], to=["1234567"], body="x") \
            .execute(make_context())
    with pytest.raises(SinchValidationError, match="to"):
        SinchReplaceBatchOperator(task_id="r", batch_id="a", to=[], body="x").execute(make_context())
    assert api.calls == []


def test_cancel_returns_the_cancelled_batch(api: ApiView) -> None:
    batch_id = api.batch()
    result = SinchCancelBatchOperator(task_id="c", batch_id=batch_id).execute(make_context())
    assert result["canceled"] is True
    assert api.requests("DELETE", f"/batches/{batch_id}")


def test_cancel_too_late_is_a_clear_failure(api: ApiView) -> None:
    batch_id = api.batch()
    api.dispatch(batch_id)
    with pytest.raises(AirflowException, match=rf"already dispatched, too late to cancel: {batch_id} "
                                               r"\(Sinch answered 409"):
        SinchCancelBatchOperator(task_id="c", batch_id=batch_id).execute(make_context())


def test_cancel_too_late_skips_when_asked(api: ApiView) -> None:
    batch_id = api.batch()
    api.dispatch(batch_id)
    with pytest.raises(AirflowSkipException, match="too late to cancel"):
        SinchCancelBatchOperator(task_id="c", batch_id=batch_id, skip_if_dispatched=True) \
            .execute(make_context())


def test_cancel_several_some_too_late_keeps_the_others(api: ApiView) -> None:
    ids = [api.batch(), api.batch()]
    api.dispatch(ids[0])
    result = SinchCancelBatchOperator(task_id="c", batch_id=json.dumps(ids), skip_if_dispatched="true") \
        .execute(make_context())
    assert [r["id"] for r in result] == [ids[1]]


def test_cancel_unknown_batch_fails(api: ApiView) -> None:
    with pytest.raises(SinchNotFoundError):
        SinchCancelBatchOperator(task_id="c", batch_id="nope").execute(make_context())


def test_delivery_feedback(api: ApiView) -> None:
    batch_id = api.batch(feedback_enabled=True)
    result = SinchSendDeliveryFeedbackOperator(task_id="f", batch_id=batch_id, recipients=["+46701234567"]) \
        .execute(make_context())
    assert result == {"batch_id": batch_id, "recipients": 1}
    (call,) = api.requests("POST", f"/batches/{batch_id}/delivery_feedback")
    assert call.body == {"recipients": ["+46701234567"]}
    result = SinchSendDeliveryFeedbackOperator(task_id="f", batch_id={"batch_ids": [batch_id]}) \
        .execute(make_context())
    assert result == {"batch_id": batch_id, "recipients": "all"}
