"""Sinch sensors in poke, reschedule and deferrable mode: results, failures, timeouts, soft_fail, budget."""

from __future__ import annotations

import inspect
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
import requests_mock

# Not in common-compat's map: airflow.exceptions has them on 3.1 and re-exports the SDK's from 3.2 on.
from airflow.exceptions import AirflowRescheduleException, TaskDeferralTimeout
from airflow.providers.common.compat.sdk import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    TaskDeferred,
    conf,
)

from airflow_provider_sinch.client import RetryPolicy
from airflow_provider_sinch.delivery import BatchDeliveryProbe
from airflow_provider_sinch.hooks.sinch import SinchHook
from airflow_provider_sinch.sensors.base import DEFERRAL_GRACE_SECONDS, FAILURES_KEY, SinchPollingSensor
from airflow_provider_sinch.sensors.delivery import SinchBatchDeliverySensor, SinchRecipientDeliverySensor
from airflow_provider_sinch.sensors.inbound import SinchInboundMessageSensor
from airflow_provider_sinch.triggers.delivery import SinchBatchDeliveryTrigger, SinchRecipientDeliveryTrigger
from airflow_provider_sinch.triggers.events import make_event
from airflow_provider_sinch.triggers.inbound import SinchInboundMessageTrigger
from tests.fakes import CONN, FakeSinch, inbound, report

pytestmark = pytest.mark.usefixtures("executor_safeguard_off")

STARTED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A FakeSinch behind the sync hook (requests), without client-level retries."""
    monkeypatch.setenv("AIRFLOW_CONN_SINCH_DEFAULT", json.dumps(CONN))
    fake = FakeSinch(polls=True)
    with requests_mock.Mocker() as mocker:
        fake.mount(mocker)
        yield fake


def context(first_reschedule: datetime | None = None) -> dict[str, Any]:
    ti = mock.Mock(start_date=STARTED)
    ti.get_first_reschedule_date.return_value = first_reschedule
    return {"ti": ti, "task_reschedule_count": 0}


def no_retry(sensor: Any) -> Any:
    sensor.hook = SinchHook(retry_policy=RetryPolicy(max_attempts=1))
    return sensor


def batch_sensor(**kwargs: Any) -> SinchBatchDeliverySensor:
    return no_retry(
        SinchBatchDeliverySensor(
            **{"task_id": "wait", "batch_ids": ["b1"], "poke_interval": 0, "timeout": 30, **kwargs}
        )
    )


def test_deferrable_defaults_to_the_config() -> None:
    default = inspect.signature(SinchPollingSensor.__init__).parameters["deferrable"].default
    assert default is conf.getboolean("operators", "default_deferrable", fallback=False)
    assert batch_sensor().deferrable is default


def test_bad_criteria_fail_at_dag_parse() -> None:
    with pytest.raises(ValueError, match="min_success_ratio"):
        SinchBatchDeliverySensor(task_id="w", batch_ids="b1", min_success_ratio=1.5)
    with pytest.raises(ValueError, match="final"):
        SinchBatchDeliverySensor(task_id="w", batch_ids="b1", success_statuses=["Queued"])
    with pytest.raises(ValueError, match="max_consecutive_failures"):
        SinchBatchDeliverySensor(task_id="w", batch_ids="b1", max_consecutive_failures=0)
    with pytest.raises(ValueError, match="from_numbers"):
        SinchInboundMessageSensor(task_id="w", from_numbers=[])


# Poke mode


def test_poke_mode_returns_the_summary(fake: FakeSinch) -> None:
    fake.add_batch(
        "b1",
        ["46701234567", "46701234568"],
        report("b1", 2, Queued=2),
        report("b1", 2, Delivered=1, Dispatched=1),
        report("b1", 2, Delivered=2),
    )
    result = batch_sensor().execute(context())
    assert result["ok"] is True
    assert result["counts"] == {"Delivered": 2}
    assert json.loads(json.dumps(result)) == result
    assert fake.calls("report") == 3
    assert fake.calls("batch") == 1


def test_poke_below_ratio_fails_without_retry(fake: FakeSinch) -> None:
    fake.add_batch("b1", ["1", "2", "3"], report("b1", 3, Delivered=1, Failed=(402, 2)))
    with pytest.raises(AirflowFailException, match=r"Failed=2 \(code 402 unroutable: 2\)"):
        batch_sensor(min_success_ratio=0.5).execute(context())


def test_poke_below_ratio_with_soft_fail_skips(fake: FakeSinch) -> None:
    fake.add_batch("b1", ["1"], report("b1", 1, Expired=1))
    with pytest.raises(AirflowSkipException):
        batch_sensor(soft_fail=True).execute(context())


def test_poke_mode_timeout_is_a_sensor_timeout(fake: FakeSinch) -> None:
    fake.add_batch("b1", ["1"], report("b1", 1, Queued=1))
    with pytest.raises(AirflowSensorTimeout):
        batch_sensor(timeout=0.2, poke_interval=0.05).execute(context())
    with pytest.raises(AirflowSkipException):
        batch_sensor(timeout=0.2, poke_interval=0.05, soft_fail=True).execute(context())


def test_recipient_sensor_poke(fake: FakeSinch) -> None:
    fake.add_recipient("b1", "46701234567", ("Queued", 400), ("Delivered", 0))
    sensor = no_retry(
        SinchRecipientDeliverySensor(
            task_id="w", batch_id="b1", recipient="+46 70 123 45 67", poke_interval=0
        )
    )
    result = sensor.execute(context())
    assert result["recipient"] == "46701234567"
    assert result["ok"] is True
    fake.add_recipient("b2", "46701234567", ("Rejected", 408))
    sensor = no_retry(SinchRecipientDeliverySensor(task_id="w", batch_id="b2", recipient="46701234567"))
    with pytest.raises(AirflowFailException, match="Rejected=1"):
        sensor.execute(context())


def test_recipient_sensor_polls_again_while_sinch_has_no_report(fake: FakeSinch) -> None:
    fake.add_batch("b1", ["46701234567"])
    fake.add_recipient("b1", "46701234567", ("Delivered", 0))
    fake.fail("recipient", 404)
    sensor = no_retry(SinchRecipientDeliverySensor(task_id="w", batch_id="b1", recipient="+46701234567",
                                                   poke_interval=0, max_consecutive_failures=2))
    assert sensor.execute(context())["ok"] is True
    sensor = no_retry(SinchRecipientDeliverySensor(task_id="w", batch_id="b1", recipient="+46709999999",
                                                   poke_interval=0, max_consecutive_failures=2))
    with pytest.raises(AirflowException, match=r"2 times in a row: SinchReportNotReadyError.*\+4670\*{4}999"):
        sensor.execute(context())


def test_poke_failure_budget(fake: FakeSinch) -> None:
    fake.add_batch("b1", ["1"], report("b1", 1, Delivered=1))
    fake.fail("report", 503, 503)
    assert batch_sensor(max_consecutive_failures=3).execute(context())["ok"] is True
    fake.fail("report", 503, 429, 500)
    with pytest.raises(AirflowException, match="3 times in a row"):
        batch_sensor(max_consecutive_failures=3).execute(context())


def test_poke_non_transient_error_fails_at_once(fake: FakeSinch) -> None:
    fake.add_batch("b1", ["1"], report("b1", 1, Delivered=1))
    fake.fail("batch", 401)
    with pytest.raises(Exception, match="401"):
        batch_sensor(max_consecutive_failures=10).execute(context())
    assert len(fake.requests) == 1


# Reschedule mode


def test_reschedule_mode_frees_the_slot_then_finishes(fake: FakeSinch) -> None:
    fake.add_batch("b1", ["1"], report("b1", 1, Queued=1), report("b1", 1, Delivered=1))
    with pytest.raises(AirflowRescheduleException):
        batch_sensor(mode="reschedule", poke_interval=60).execute(context())
    assert batch_sensor(mode="reschedule").execute(context(STARTED))["ok"] is True


class TaskStateStore(dict):  # type: ignore[type-arg]
    """``task_state_store`` as the SDK offers it: get with a default, set."""

    def set(self, key: str, value: Any) -> None:
        self[key] = value


def test_reschedule_mode_keeps_the_failure_budget_across_pokes(fake: FakeSinch) -> None:
    """Each reschedule poke is a new process: the count lives in task_state_store, per try."""
    fake.add_batch("b1", ["1"], report("b1", 1, Queued=1), report("b1", 1, Delivered=1))
    store = TaskStateStore()

    def poke(try_number: int = 1) -> dict[str, Any]:
        ctx = {**context(datetime.now(UTC)), "task_state_store": store}
        ctx["ti"].try_number = try_number
        return batch_sensor(mode="reschedule", max_consecutive_failures=3).execute(ctx)

    fake.fail("report", 503, 503)
    for _ in range(2):  # two failed pokes, each in its own process
        with pytest.raises(AirflowRescheduleException):
            poke()
    assert store[FAILURES_KEY] == {"try": 1, "failures": 2}
    with pytest.raises(AirflowRescheduleException):  # a success (still Queued) resets the count
        poke()
    assert store[FAILURES_KEY] == {"try": 1, "failures": 0}
    fake.fail("report", 503, 503, 503)
    for _ in range(2):
        with pytest.raises(AirflowRescheduleException):
            poke()
    with pytest.raises(AirflowException, match="3 times in a row"):
        poke()
    assert poke(try_number=2)["ok"] is True  # the retry starts with a fresh budget


def test_reschedule_mode_without_a_state_store_ends_an_outage_at_the_timeout(
    fake: FakeSinch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What Airflow 3.1 and 3.2 give a poke (no ``task_state_store``): each reschedule poke counts its own
    failures, so more failed pokes in a row than the budget do not end the wait (a transient error never
    does); a lasting outage ends it at the timeout, as the log says."""
    fake.add_batch("b1", ["1"], report("b1", 1, Delivered=1))
    fake.fail("report", 503, 503, 503, 503)
    for _ in range(4):
        with pytest.raises(AirflowRescheduleException):
            batch_sensor(mode="reschedule", max_consecutive_failures=3).execute(context(datetime.now(UTC)))
    assert "gives no task_state_store (3.3 does)" in capsys.readouterr().out
    fake.fail("report", 503)
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    with pytest.raises(AirflowSensorTimeout):
        batch_sensor(mode="reschedule", max_consecutive_failures=3, timeout=3600).execute(context(long_ago))
    assert batch_sensor(mode="reschedule").execute(context(datetime.now(UTC)))["ok"] is True


def test_reschedule_mode_timeout_counts_from_the_first_poke(fake: FakeSinch) -> None:
    fake.add_batch("b1", ["1"], report("b1", 1, Queued=1))
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    with pytest.raises(AirflowSensorTimeout):
        batch_sensor(mode="reschedule", timeout=3600).execute(context(long_ago))
    with pytest.raises(AirflowSkipException):
        batch_sensor(mode="reschedule", timeout=3600, soft_fail=True).execute(context(long_ago))


# Deferrable mode


@pytest.fixture
def pending(fake: FakeSinch) -> FakeSinch:
    """Sinch with nothing final yet: the first poke of a deferrable sensor finds the wait still open."""
    for batch_id in ("b1", "b2"):
        fake.add_batch(batch_id, ["46701234567"], report(batch_id, 1, Queued=1))
    fake.add_recipient("b1", "46701234567", ("Queued", 400))
    return fake


@pytest.mark.parametrize(
    ("sensor", "trigger_class"),
    [
        (
            SinchBatchDeliverySensor(
                task_id="w",
                batch_ids="b1,b2",
                deferrable=True,
                timeout=600,
                poke_interval=15,
                min_success_ratio=0.9,
            ),
            SinchBatchDeliveryTrigger,
        ),
        (
            SinchRecipientDeliverySensor(
                task_id="w",
                batch_id="b1",
                recipient="+46701234567",
                deferrable=True,
                timeout=600,
                poke_interval=15,
            ),
            SinchRecipientDeliveryTrigger,
        ),
        (
            SinchInboundMessageSensor(
                task_id="w",
                from_numbers="+46701234567",
                keywords=["YES"],
                deferrable=True,
                timeout=600,
                poke_interval=15,
            ),
            SinchInboundMessageTrigger,
        ),
    ],
)
@pytest.mark.usefixtures("pending")
def test_deferrable_defers_at_once_with_deadline(sensor: Any, trigger_class: type) -> None:
    before = datetime.now(UTC)
    with pytest.raises(TaskDeferred) as info:
        sensor.execute(context())
    deferred = info.value
    assert type(deferred.trigger) is trigger_class
    assert deferred.method_name == "execute_complete"
    assert deferred.timeout == timedelta(seconds=600 + DEFERRAL_GRACE_SECONDS)
    classpath, kwargs = deferred.trigger.serialize()
    assert json.loads(json.dumps(kwargs)) == kwargs
    deadline = datetime.fromisoformat(kwargs["deadline"])
    assert before + timedelta(seconds=599) <= deadline <= datetime.now(UTC) + timedelta(seconds=601)
    assert kwargs["poll_interval"] == 15
    rebuilt = trigger_class(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)


@pytest.mark.usefixtures("pending")
def test_deferred_batch_trigger_gets_criteria_and_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_C2", json.dumps(CONN))
    sensor = SinchBatchDeliverySensor(
        task_id="w",
        batch_ids="['b1', 'b2']",
        deferrable=True,
        success_statuses=["Delivered", "Unknown"],
        unknown_is_success=True,
        min_success_ratio=0.5,
        sinch_conn_id="c2",
        max_consecutive_failures=7,
    )
    with pytest.raises(TaskDeferred) as info:
        sensor.execute(context())
    _, kwargs = info.value.trigger.serialize()
    assert kwargs["batch_ids"] == ["b1", "b2"]
    assert kwargs["success_statuses"] == ["Delivered", "Unknown"]
    assert kwargs["min_success_ratio"] == 0.5
    assert kwargs["unknown_is_success"] is True
    assert kwargs["sinch_conn_id"] == "c2"
    assert kwargs["max_consecutive_failures"] == 7


def deferrable_sensor(**kwargs: Any) -> SinchBatchDeliverySensor:
    return SinchBatchDeliverySensor(task_id="w", batch_ids="b1", deferrable=True, **kwargs)


def resume(sensor: Any, event: Any) -> Any:
    return sensor.resume_execution("execute_complete", {"event": event}, context())


def test_execute_complete_success_returns_the_summary() -> None:
    summary = {"ok": True, "counts": {"Delivered": 1}}
    assert resume(deferrable_sensor(), make_event("delivery", "success", "ok", summary)) == summary


@pytest.mark.parametrize(
    ("status", "error", "soft_error"),
    [
        ("failure", AirflowFailException, AirflowSkipException),
        ("timeout", AirflowSensorTimeout, AirflowSkipException),
        ("error", AirflowException, AirflowSkipException),
    ],
)
def test_execute_complete_other_events(status: str, error: type, soft_error: type) -> None:
    with pytest.raises(error, match="what happened"):
        resume(deferrable_sensor(), make_event("delivery", status, "what happened"))  # type: ignore[arg-type]
    with pytest.raises(soft_error):
        resume(deferrable_sensor(soft_fail=True), make_event("delivery", status, "x"))  # type: ignore[arg-type]


@pytest.mark.parametrize("event", [None, {}, {"kind": "inbound", "status": "success", "result": {}}, "done"])
def test_execute_complete_is_strict(event: Any) -> None:
    with pytest.raises(AirflowException) as info:
        deferrable_sensor().execute_complete(context(), event)
    assert type(info.value) is AirflowException


def test_airflow_deferral_timeout_is_a_sensor_timeout_too() -> None:
    sensor = deferrable_sensor()
    with (
        mock.patch.object(
            SinchBatchDeliverySensor, "execute_complete", side_effect=TaskDeferralTimeout("trigger timeout")
        ),
        pytest.raises(AirflowSensorTimeout),
    ):
        resume(sensor, None)


# Inbound sensor


def inbound_sensor(**kwargs: Any) -> SinchInboundMessageSensor:
    return no_retry(
        SinchInboundMessageSensor(
            **{
                "task_id": "reply",
                "from_numbers": ["+46701234567"],
                "poke_interval": 0,
                "timeout": 30,
                **kwargs,
            }
        )
    )


def iso(seconds: float) -> str:
    return (STARTED + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_inbound_sensor_poke_returns_the_message(fake: FakeSinch) -> None:
    fake.inbounds += [
        inbound("early", "46701234567", "YES", iso(-10)),
        inbound("r1", "46701234567", "yes!", iso(5)),
    ]
    result = inbound_sensor(keywords=["YES", "NO"]).execute(context())
    assert result["id"] == "r1"  # "early" came before the task started
    assert result["keyword"] == "YES"
    assert result["from"] == "46701234567"
    assert fake.requests[0].query["start_date"][0].startswith("2026-03-01T12:00:00")


def test_inbound_sensor_received_after(fake: FakeSinch) -> None:
    fake.inbounds += [inbound("early", "46701234567", "YES", iso(-10))]
    sensor = inbound_sensor(received_after=(STARTED - timedelta(minutes=1)).isoformat())
    assert sensor.execute(context())["id"] == "early"


def test_inbound_sensor_since_in_reschedule_mode_is_the_first_poke(fake: FakeSinch) -> None:
    sensor = inbound_sensor(mode="reschedule")
    first = STARTED - timedelta(minutes=5)
    ctx = context(first)
    assert sensor.since(ctx) == first
    assert inbound_sensor().since(context(first)) == STARTED  # poke mode: this start
    ctx["ti"].start_date = None
    before = datetime.now(UTC)
    since = inbound_sensor().since(ctx)
    assert before <= since <= datetime.now(UTC)  # no start date: now


def test_inbound_sensor_times_out(fake: FakeSinch) -> None:
    fake.inbounds += [inbound("other", "46709999999", "YES", iso(5))]
    with pytest.raises(AirflowSensorTimeout):
        inbound_sensor(timeout=0.2, poke_interval=0.05).execute(context())


def test_inbound_execute_complete() -> None:
    sensor = SinchInboundMessageSensor(task_id="r", from_numbers="1", deferrable=True)
    message = {"id": "m1", "text": "YES", "keyword": "YES"}
    assert sensor.execute_complete(context(), make_event("inbound", "success", "got", message)) == message
    with pytest.raises(AirflowException, match="unknown Sinch trigger event"):
        sensor.execute_complete(context(), make_event("delivery", "success", "got", message))
    with pytest.raises(AirflowSensorTimeout):
        sensor.execute_complete(context(), make_event("inbound", "timeout", "no reply"))


@pytest.mark.parametrize(("batch_ids", "rule"), [
    ("['a', 'b'", "could not read"),  # was SyntaxError from ast.literal_eval
    ("[" * 100_000, "could not read"),  # was RecursionError
    ([".."], "one URL path segment"),
    ("b1, a/b", "must not contain '/'"),
    (b"b1", "must be a batch id or a list"),
])
def test_bad_batch_ids_fail_at_dag_parse(batch_ids: Any, rule: str) -> None:
    from airflow_provider_sinch.client import SinchValidationError

    with pytest.raises(SinchValidationError, match=rule) as info:
        SinchBatchDeliverySensor(task_id="w", batch_ids=batch_ids)
    assert info.value.errors[0][0].startswith("batch_ids")
    assert len(str(info.value)) <= 500


def test_templated_batch_ids_are_checked_once_rendered() -> None:
    from airflow_provider_sinch.client import SinchValidationError

    sensor = SinchBatchDeliverySensor(task_id="w", batch_ids="{{ ti.xcom_pull('send') }}")
    sensor.batch_ids = "['a', 'b'"  # what the template rendered
    with pytest.raises(SinchValidationError, match=r"SinchBatchDeliverySensor arguments: batch_ids"):
        sensor.delivery_target()


# Deferrable mode: one poke in the worker first (as the dbt Cloud and HTTP sensors do)


def test_deferrable_sensor_whose_answer_is_final_never_defers(fake: FakeSinch) -> None:
    fake.add_batch("b1", ["46701234567"], report("b1", 1, Delivered=1))
    fake.add_recipient("b2", "46701234567", ("Delivered", 0))
    fake.inbounds += [inbound("r1", "46701234567", "YES", iso(5))]
    summary = batch_sensor(deferrable=True).execute(context())  # no TaskDeferred
    assert summary["ok"] is True
    assert summary["counts"] == {"Delivered": 1}
    assert (fake.calls("batch"), fake.calls("report")) == (1, 1)  # one poke, nothing left for a trigger
    recipient = no_retry(SinchRecipientDeliverySensor(task_id="w", batch_id="b2", recipient="+46701234567",
                                                      deferrable=True))
    assert recipient.execute(context())["recipient"] == "46701234567"
    assert inbound_sensor(keywords=["YES"], deferrable=True).execute(context())["id"] == "r1"


def test_deferrable_sensor_defers_after_one_pending_poke(fake: FakeSinch) -> None:
    fake.add_batch("b1", ["46701234567"], report("b1", 1, Queued=1))
    with pytest.raises(TaskDeferred) as info:
        batch_sensor(deferrable=True, timeout=600).execute(context())
    assert type(info.value.trigger) is SinchBatchDeliveryTrigger
    assert info.value.trigger.serialize()[1]["batch_ids"] == ["b1"]
    assert (fake.calls("batch"), fake.calls("report")) == (1, 1)


def test_deferrable_inbound_sensor_hands_its_window_start_to_the_trigger(fake: FakeSinch) -> None:
    fake.inbounds += [inbound("other", "46709999999", "YES", iso(5))]
    with pytest.raises(TaskDeferred) as info:
        inbound_sensor(keywords=["YES"], deferrable=True).execute(context())
    kwargs = info.value.trigger.serialize()[1]
    assert datetime.fromisoformat(kwargs["since"]) == STARTED
    assert kwargs["from_numbers"] == ["46701234567"]
    assert kwargs["keywords"] == ["YES"]
    assert len(fake.requests) == 1


def test_deferrable_first_poke_that_fails_transiently_still_defers(fake: FakeSinch) -> None:
    fake.add_batch("b1", ["1"], report("b1", 1, Delivered=1))
    fake.fail("report", 503)
    with pytest.raises(TaskDeferred):
        batch_sensor(deferrable=True, max_consecutive_failures=3).execute(context())


def test_deferrable_first_poke_below_ratio_fails_or_skips_without_deferring(fake: FakeSinch) -> None:
    fake.add_batch("b1", ["1"], report("b1", 1, Failed=(402, 1)), report("b1", 1, Failed=(402, 1)))
    with pytest.raises(AirflowFailException, match="402 unroutable"):
        batch_sensor(deferrable=True).execute(context())
    with pytest.raises(AirflowSkipException, match="soft_fail"):
        batch_sensor(deferrable=True, soft_fail=True).execute(context())


def test_deferrable_first_poke_error_follows_silent_fail_and_never_fail(fake: FakeSinch) -> None:
    fake.add_batch("b1", ["1"], report("b1", 1, Delivered=1))
    fake.fail("batch", 401, 401, 401)
    with pytest.raises(Exception, match="401"):
        batch_sensor(deferrable=True).execute(context())
    with pytest.raises(TaskDeferred):  # silent_fail: the poke's error is logged, the trigger decides
        batch_sensor(deferrable=True, silent_fail=True).execute(context())
    with pytest.raises(AirflowSkipException, match="never_fail"):
        batch_sensor(deferrable=True, never_fail=True).execute(context())


# Sensors run the sans-I/O probes and the inbound filter themselves; triggers are built only to defer


def test_poke_builds_its_probe_once_and_no_trigger(fake: FakeSinch) -> None:
    fake.add_batch("b1", ["1"], report("b1", 1, Queued=1), report("b1", 1, Queued=1),
                   report("b1", 1, Delivered=1))
    with (
        mock.patch("airflow_provider_sinch.sensors.delivery.BatchDeliveryProbe",
                   wraps=BatchDeliveryProbe) as probes,
        mock.patch.object(SinchBatchDeliveryTrigger, "__init__", side_effect=AssertionError("no trigger")),
        mock.patch.object(SinchInboundMessageTrigger, "__init__", side_effect=AssertionError("no trigger")),
    ):
        assert batch_sensor().execute(context())["ok"] is True
        fake.inbounds += [inbound("r1", "46701234567", "YES", iso(5))]
        assert inbound_sensor().execute(context())["id"] == "r1"
    assert probes.call_count == 1
    assert fake.calls("report") == 3
    assert fake.calls("batch") == 1  # the probe remembers the batch between pokes


def test_inbound_sensor_errors_name_the_sensor() -> None:
    sensor = SinchInboundMessageSensor(task_id="w", from_numbers="+46701234567", pattern="(")
    with pytest.raises(ValueError, match="SinchInboundMessageSensor arguments: pattern"):
        sensor.wait(context())
