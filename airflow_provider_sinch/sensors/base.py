"""What every Sinch sensor shares: the three modes, the failure budget and strict resumption.

* ``poke`` / ``reschedule``: :meth:`poke` asks Sinch with the synchronous hook; ``timeout`` is handled by
  Airflow's :class:`~airflow.sdk.BaseSensorOperator` (``AirflowSensorTimeout``, or a skip with
  ``soft_fail``).
* ``deferrable=True``: the sensor pokes once in the worker (as the dbt Cloud and HTTP sensors do), so a
  wait whose answer is already final never reaches the triggerer; otherwise it defers to its trigger with
  a wall-clock ``deadline`` of ``now + timeout``.  The trigger fires a ``timeout`` event at the deadline
  and :meth:`execute_complete` raises ``AirflowSensorTimeout`` (a skip with ``soft_fail``) just as the
  other modes do.  The deferral itself gets a slightly longer Airflow timeout as a safety net in case no
  triggerer runs.
* ``poke`` and the trigger decide alike because both run the same sans-I/O checks: the delivery probes of
  :mod:`airflow_provider_sinch.delivery` and the inbound filter and window of
  :mod:`airflow_provider_sinch.common.inbound_wait`; a sensor builds a trigger only to defer to it.
* Transient Sinch errors (429, 5xx, connection problems; already retried inside the client) do not end a
  wait until ``max_consecutive_failures`` pokes in a row failed.  In poke mode the count lives in the
  sensor; in reschedule mode each poke runs in a new process, so the count is kept in
  ``task_state_store`` (Airflow 3.3) under the try number, and a new try starts afresh.  Other errors
  (401, 404, ...) fail the poke at once.
* Without ``task_state_store`` (Airflow 3.1 and 3.2), a reschedule-mode poke cannot know how many pokes
  before it failed: each counts its own failures, so a transient error still never ends the wait, but a
  lasting outage ends it at ``timeout`` (``AirflowSensorTimeout``, or a skip with ``soft_fail``) rather than
  after ``max_consecutive_failures`` pokes.  Each such failure says so in the log.  Poke and deferrable
  modes keep the budget in the process that waits, on every version.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from airflow.providers.common.compat.sdk import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    conf,
)
from airflow.sdk import BaseSensorOperator, PokeReturnValue

from airflow_provider_sinch.common.polling import (
    DEFAULT_MAX_CONSECUTIVE_FAILURES,
    as_failure_budget,
    describe_error,
    is_transient,
)
from airflow_provider_sinch.hooks import DEFAULT_CONN_ID
from airflow_provider_sinch.triggers.base import SinchPollingTrigger
from airflow_provider_sinch.triggers.events import (
    DEFERRAL_GRACE_SECONDS,
    EventKind,
    deadline_after,
    validate_event,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_sinch.hooks.sinch import SinchHook

T = TypeVar("T")

FAILURES_KEY = "sinch_sensor_failures"
"""``task_state_store`` key of the reschedule-mode failure count: ``{"try": N, "failures": n}``."""


class SinchPollingSensor(BaseSensorOperator):
    """Base of the Sinch sensors.

    :param sinch_conn_id: Airflow connection of type ``sinch`` (default ``sinch_default``).
    :param deferrable: hand the wait to the triggerer instead of holding a worker slot; defaults to
        ``[operators] default_deferrable``.  ``mode`` is ignored when deferring.
    :param max_consecutive_failures: transient Sinch failures in a row tolerated before the wait fails.
    :param kwargs: :class:`~airflow.sdk.BaseSensorOperator` arguments: ``poke_interval`` (also the
        trigger's poll interval), ``timeout``, ``mode``, ``soft_fail``, ...
    """

    event_kind: ClassVar[EventKind]

    def __init__(
        self,
        *,
        sinch_conn_id: str = DEFAULT_CONN_ID,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sinch_conn_id = sinch_conn_id
        self.deferrable = deferrable
        self.max_consecutive_failures = as_failure_budget(max_consecutive_failures, self.where)
        self._failures = 0

    @property
    def where(self) -> str:
        """How validation errors name this sensor."""
        return f"{type(self).__name__} arguments"

    @cached_property
    def hook(self) -> SinchHook:
        """The synchronous hook used by :meth:`poke`."""
        from airflow_provider_sinch.hooks.sinch import SinchHook  # not at DAG parse

        return SinchHook(sinch_conn_id=self.sinch_conn_id)

    def poll_settings(self) -> dict[str, Any]:
        """The trigger kwargs every Sinch sensor passes on."""
        return {
            "sinch_conn_id": self.sinch_conn_id,
            "poll_interval": self.poke_interval or 1.0,
            "max_consecutive_failures": self.max_consecutive_failures,
        }

    @abstractmethod
    def make_trigger(self, context: Context, deadline: str | None) -> SinchPollingTrigger:
        """The trigger that waits in the triggerer for what this sensor waits for (only built to defer)."""

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        answer = self.poke_before_deferring(context)
        if answer:
            self.log.info("Success criteria met at the first poke: not deferring")
            return answer.xcom_value if isinstance(answer, PokeReturnValue) else None
        trigger = self.make_trigger(context, deadline_after(self.timeout))
        self.log.info("Deferring to %s until %s", type(trigger).__name__, trigger.deadline)
        self.defer(
            trigger=trigger,
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout + max(DEFERRAL_GRACE_SECONDS, 2 * self.poke_interval)),
        )

    def poke_before_deferring(self, context: Context) -> bool | PokeReturnValue:
        """One :meth:`poke`, with the ``soft_fail`` / ``never_fail`` / ``silent_fail`` rules of
        :meth:`BaseSensorOperator.execute <airflow.sdk.BaseSensorOperator.execute>`: a wait that is
        already over (or already failed) ends here, in the worker."""
        try:
            return self.poke(context)
        except AirflowSkipException:
            raise
        except Exception as exc:
            final = isinstance(exc, AirflowFailException | AirflowSensorTimeout)
            if (final and self.soft_fail) or self.never_fail:
                flag = "soft_fail" if final and self.soft_fail else "never_fail"
                raise AirflowSkipException(f"Skipping ({flag} is set): {exc}") from exc
            if final or not self.silent_fail:
                raise
            self.log.error("Sinch sensor poke failed (silent_fail: deferring): %s", describe_error(exc))
            return False

    def execute_complete(self, context: Context, event: Any = None) -> Any:
        """Resume after the trigger fired: the result on success, else the matching Airflow error.

        Strict: a missing or unknown event raises instead of passing for success.
        """
        result = validate_event(event, self.event_kind)
        self.log.info("%s", event.get("detail") if isinstance(event, dict) else "done")
        return result

    def call_sinch(self, context: Context, call: Callable[[], T]) -> T | None:
        """Run ``call``; a transient failure returns ``None`` (poke again) until the budget is spent."""
        failures = self._failures_so_far(context)
        try:
            result = call()
        except Exception as exc:
            if not is_transient(exc):
                raise
            failures += 1
            self._record_failures(context, failures)
            if failures >= self.max_consecutive_failures:
                raise AirflowException(
                    f"Sinch check failed {failures} times in a row: {describe_error(exc)}"
                ) from exc
            self.log.warning("Sinch check failed (%d of %d allowed in a row): %s",
                             failures, self.max_consecutive_failures, describe_error(exc))
            if self.reschedule and self._durable_store(context) is None:
                self.log.warning("This Airflow gives no task_state_store (3.3 does): in reschedule mode "
                                 "each poke counts failures alone, so a lasting Sinch outage ends this wait "
                                 "at its timeout (%gs), not after %d failed pokes", self.timeout,
                                 self.max_consecutive_failures)
            return None
        if failures:
            self._record_failures(context, 0)
        return result

    def _durable_store(self, context: Context) -> Any:
        """``task_state_store`` in reschedule mode (pokes in separate processes), else ``None``."""
        return context.get("task_state_store") if self.reschedule else None

    def _failures_so_far(self, context: Context) -> int:
        store = self._durable_store(context)
        if store is None:
            return self._failures
        saved = store.get(FAILURES_KEY)
        ti = context.get("ti")
        if isinstance(saved, dict) and ti is not None and saved.get("try") == ti.try_number:
            return int(saved.get("failures", 0))
        return 0

    def _record_failures(self, context: Context, failures: int) -> None:
        self._failures = failures
        store, ti = self._durable_store(context), context.get("ti")
        if store is not None and ti is not None:
            store.set(FAILURES_KEY, {"try": ti.try_number, "failures": failures})
