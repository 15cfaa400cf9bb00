"""A poking sensor across a token rotation, against the sandbox: the old token is revoked between two pokes
and the wait goes on with the connection's new one."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from airflow.sdk import PokeReturnValue

from airflow_provider_sinch.hooks.sinch import SinchHook
from airflow_provider_sinch.sensors.delivery import SinchBatchDeliverySensor
from tests.rotation import fresh_renewals, refusals, rotate  # noqa: F401 - fresh_renewals: a fixture

pytestmark = pytest.mark.usefixtures("executor_safeguard_off")


def context() -> dict[str, Any]:
    """A poke's context: a task instance (poke mode: nothing is stored between pokes)."""
    return {"ti": mock.Mock(try_number=1), "task_reschedule_count": 0}


def test_a_poking_sensor_sees_no_failure_when_the_token_is_rotated_and_revoked(
    sinch_sandbox: Any, sinch_sandbox_connection: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sinch_sandbox.configure(time_scale=0)  # pending until the test advances the clock
    batch_id = SinchHook().send_batch(to=["+46701000001"], from_="+12017777777", body="hello").id
    sensor = SinchBatchDeliverySensor(task_id="wait", batch_ids=batch_id, poke_interval=1,
                                      max_consecutive_failures=1)
    assert sensor.poke(context()) is False
    rotate(sinch_sandbox, monkeypatch)
    assert sensor.poke(context()) is False  # no failure spent: max_consecutive_failures=1 would end it
    sinch_sandbox.advance(60)
    done = sensor.poke(context())
    assert isinstance(done, PokeReturnValue)
    assert done.is_done
    assert done.xcom_value["counts"] == {"Delivered": 1}
    assert refusals(sinch_sandbox) == 1
