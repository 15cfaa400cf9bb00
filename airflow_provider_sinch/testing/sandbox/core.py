"""``Sandbox``: one local Sinch SMS API, its ASGI app, and the Python calls that control and inspect it."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from airflow_provider_sinch.testing.sandbox.app import create_app
from airflow_provider_sinch.testing.sandbox.auth import Authenticator
from airflow_provider_sinch.testing.sandbox.batches import BatchService
from airflow_provider_sinch.testing.sandbox.callbacks import CallbackAttempt, CallbackDispatcher
from airflow_provider_sinch.testing.sandbox.clock import SandboxClock
from airflow_provider_sinch.testing.sandbox.faults import Fault, FaultPlan
from airflow_provider_sinch.testing.sandbox.groups import GroupService
from airflow_provider_sinch.testing.sandbox.inbound import AutoReply, InboundMessage, InboundService
from airflow_provider_sinch.testing.sandbox.lifecycle import Lifecycle
from airflow_provider_sinch.testing.sandbox.outcomes import DEFAULT_RULES, OutcomeRule, OutcomeTable
from airflow_provider_sinch.testing.sandbox.recording import RequestLog, SeenRequest
from airflow_provider_sinch.testing.sandbox.reporting import DeliveryReporter
from airflow_provider_sinch.testing.sandbox.reports import ReportService
from airflow_provider_sinch.testing.sandbox.scheduler import Scheduler
from airflow_provider_sinch.testing.sandbox.settings import SandboxSettings
from airflow_provider_sinch.testing.sandbox.state import Store
from airflow_provider_sinch.testing.sandbox.throttle import RequestThrottle
from airflow_provider_sinch.testing.sandbox.views import batch_view, recipient_report


class Sandbox:
    """A faithful local Sinch SMS API that can also misbehave on purpose.

    ``sandbox.app`` is the ASGI app (serve it with :class:`~.server.SandboxServer`, which also sets ``url``).
    The methods below control it (clock, outcomes, faults, inbound messages) and inspect it (batches,
    statuses, requests seen, callbacks sent).

    :param settings: the configuration (default :class:`~.settings.SandboxSettings`).
    :param clock: the clock to run on (default: a new :class:`~.clock.SandboxClock` on the wall clock; tests
        pass one with fake time sources); it is set to the settings' ``time_scale``.
    :param overrides: fields of :class:`~.settings.SandboxSettings` to change, e.g. ``time_scale=0``.
    """

    def __init__(self, settings: SandboxSettings | None = None, *, clock: SandboxClock | None = None,
                 **overrides: Any) -> None:
        self._initial = (settings or SandboxSettings()).updated(**overrides)
        self._settings = self._initial
        self.url: str | None = None
        self.clock = clock or SandboxClock(self._settings.time_scale)
        self.clock.set_time_scale(self._settings.time_scale)
        self.store = Store()
        self.scheduler = Scheduler(self.clock, self.store.lock)
        self.outcomes = OutcomeTable()
        self.fault_plan = FaultPlan(self._settings.seed)
        self.request_log = RequestLog(self._settings.request_log_size)
        self.authenticator = Authenticator(self.clock, self._current)
        self.throttle = RequestThrottle(self.clock, lambda: self._settings.requests_per_second)
        self.dispatcher = CallbackDispatcher(self.scheduler, self._current)
        self.inbound = InboundService(self.store, self.clock, self.scheduler, self.dispatcher, self._current)
        self.lifecycle = Lifecycle(self.store, self.scheduler, self._current, self.outcomes,
                                   DeliveryReporter(self.dispatcher, self._current), self.inbound.on_final)
        self.batch_service = BatchService(self.store, self.clock, self.lifecycle, self._current)
        self.group_service = GroupService(self.store, self.clock)
        self.report_service = ReportService(self.store, self.clock)
        self.app = create_app(self)

    # Settings and running

    @property
    def settings(self) -> SandboxSettings:
        return self._settings

    def _current(self) -> SandboxSettings:
        return self._settings

    def configure(self, **changes: Any) -> None:
        """Change settings at run time (``dispatch_delay=0.5``, ``webhook_secret="..."`` ...)."""
        self._settings = self._settings.updated(**changes)
        if "time_scale" in changes:
            self.clock.set_time_scale(self._settings.time_scale)

    def start(self) -> None:
        """Start the background threads (the scheduler and the callback workers)."""
        self.dispatcher.start()
        self.scheduler.start()

    def close(self) -> None:
        """Stop the background threads."""
        self.scheduler.stop()
        self.dispatcher.close()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The sandbox started for the lifetime of the ASGI app."""
        self.start()
        try:
            yield
        finally:
            self.close()

    def reset(self) -> None:
        """A fresh start: no batches, groups, inbounds, requests or callbacks; now back at the wall clock
        (undoing advances and freezes); the initial settings and outcome rules; no faults or auto replies."""
        with self.store.lock:
            self.scheduler.clear()
            self.store.clear()
            self.lifecycle.queue.clear()
            self.throttle.reset()
            self._settings = self._initial
            self.clock.set_time_scale(self._settings.time_scale)
            self.clock.restart()
            self.outcomes.set(list(DEFAULT_RULES))
            self.fault_plan.clear()
            self.inbound.clear_auto_replies()
            self.authenticator.reset()
            self.request_log.clear()
            self.dispatcher.reset()

    def settle(self) -> None:
        """Apply every lifecycle step that is due by now (requests do this first)."""
        self.scheduler.run_due()

    # Clock

    def advance(self, seconds: float) -> None:
        """Move the sandbox's time ``seconds`` ahead, as if that much time had passed (the timeline and the
        API's now alike), and apply everything that became due."""
        self.clock.advance(seconds)
        self.settle()

    def set_time_scale(self, time_scale: float) -> None:
        """Let waits (delivery, ``send_at``, ``expire_at``, callback retries) pass ``time_scale`` times as
        fast as real time; the API's now stays the wall clock (0: everything frozen until ``advance()``)."""
        self.configure(time_scale=time_scale)

    def set_rate_limit(self, messages_per_second: float | None,
                       requests_per_second: int | None = None) -> None:
        """The service plan's limits: recipients dispatched per second (batches are accepted at once and
        queued FIFO) and API requests per second (over it: 429); ``None`` lifts a limit (see
        :mod:`~.pacing` and :mod:`~.throttle`)."""
        self.configure(messages_per_second=messages_per_second, requests_per_second=requests_per_second)

    # Credentials

    def rotate_token(self, api_token: str, *, keep_old: bool = False) -> str:
        """Give the service plan a new API token, as the dashboard does; the old one is refused from now on
        (a 401), unless ``keep_old`` keeps it until :meth:`revoke_token`.  Returns the old token.

        :param api_token: the new token (:attr:`conn_uri` carries it from now on).
        :param keep_old: keep accepting the old token too (a rotation's overlap).
        """
        old = self._settings.api_token
        self.configure(api_token=api_token)
        if keep_old:
            self.authenticator.keep(old)
        return old

    def rotate_key_secret(self, key_secret: str) -> None:
        """Give the project's access key a new secret and revoke every OAuth2 token issued with the old one
        (they answer 401 at once, not at their expiry).

        :param key_secret: the new secret (:attr:`project_conn_uri` carries it from now on).
        """
        self.configure(key_secret=key_secret)
        self.authenticator.revoke()

    def revoke_token(self, token: str) -> None:
        """Refuse ``token`` from now on: an old API token kept by :meth:`rotate_token`, or an OAuth2 token.

        :param token: the token to revoke.
        :raises ValueError: for the plan's current API token (rotate it instead: a plan always has one).
        """
        if token == self._settings.api_token:
            raise ValueError("the current API token cannot be revoked: rotate_token() replaces it")
        self.authenticator.revoke(token)

    # Behaviour

    def add_outcome(self, suffix: str, status: str, code: int | None = None,
                    delay: float | None = None) -> None:
        """Numbers ending with ``suffix`` end ``status`` (ahead of every other rule)."""
        self.outcomes.add(OutcomeRule(suffix=suffix, status=status, code=code, delay=delay))  # type: ignore[arg-type]

    def set_outcomes(self, rules: Iterable[OutcomeRule]) -> None:
        """Replace the outcome table."""
        self.outcomes.set(list(rules))

    def add_fault(self, fault: Fault | None = None, **fields: Any) -> Fault:
        """Switch a fault on: a :class:`~.faults.Fault`, or its fields (``kind="rate_limit", times=2``)."""
        fault = fault or Fault(**fields)
        self.fault_plan.add(fault)
        return fault

    def clear_faults(self) -> None:
        self.fault_plan.clear()

    def inject_inbound(self, from_: str, to: str, body: str | dict[str, Any],
                       **fields: Any) -> dict[str, Any]:
        """Receive an MO message now (``type``, ``udh``, ``operator_id``, ``client_reference`` optional)."""
        return self.inbound.inject(InboundMessage(from_=from_, to=to, body=body, **fields))

    def add_auto_reply(self, text: str, recipient: str = "", delay: float = 1.0) -> None:
        """Recipients ending with ``recipient`` answer ``text`` to batches delivered to them, ``delay``
        sandbox seconds later."""
        self.inbound.add_auto_reply(AutoReply(recipient=recipient, text=text, delay=delay))

    # Inspection

    def batches(self) -> list[dict[str, Any]]:
        """Every batch, newest first, as the API shows it."""
        self.settle()
        with self.store.lock:
            return [batch_view(b) for b in reversed(self.store.batches.values())]

    def batch(self, batch_id: str) -> dict[str, Any]:
        """One batch as the API shows it (``KeyError`` if unknown)."""
        self.settle()
        with self.store.lock:
            return batch_view(self.store.batches[batch_id])

    def statuses(self, batch_id: str) -> dict[str, str]:
        """``{recipient: status}`` of a batch now (``KeyError`` if unknown)."""
        self.settle()
        with self.store.lock:
            return {r.msisdn: r.status for r in self.store.batches[batch_id].recipients.values()}

    def recipient_reports(self, batch_id: str) -> list[dict[str, Any]]:
        """Every recipient's delivery report of a batch (``KeyError`` if unknown)."""
        self.settle()
        with self.store.lock:
            batch = self.store.batches[batch_id]
            return [recipient_report(batch, r) for r in batch.recipients.values()]

    def inbounds(self) -> list[dict[str, Any]]:
        """Every inbound message, oldest first."""
        self.settle()
        with self.store.lock:
            return [i.payload for i in self.store.inbounds.values()]

    def queued_messages(self) -> int:
        """How many recipients wait in the plan's rate-limited queue (always 0 without a limit)."""
        self.settle()
        with self.store.lock:
            return self.lifecycle.queue.waiting()

    @property
    def requests(self) -> list[SeenRequest]:
        """Every API request seen (oldest first), with its answer."""
        return self.request_log.entries()

    @property
    def callbacks(self) -> list[CallbackAttempt]:
        """Every callback POST attempted (oldest first)."""
        return self.dispatcher.attempts

    def wait_for(self, condition: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01) -> Any:
        """Poll ``condition`` (settling the clock each time) until it returns something truthy."""
        deadline = time.monotonic() + timeout
        while True:
            self.settle()
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"sandbox condition not met within {timeout} s")
            time.sleep(interval)

    def wait_for_callbacks(self, count: int, kind: str | None = None, timeout: float = 5.0,
                           acknowledged: bool = True) -> list[CallbackAttempt]:
        """Wait until ``count`` callbacks (of ``kind``) were POSTed (and acknowledged); returns them."""
        def found() -> list[CallbackAttempt]:
            hits = [a for a in self.callbacks if (kind is None or a.kind == kind)
                    and (a.acknowledged or not acknowledged)]
            return hits if len(hits) >= count else []
        return list(self.wait_for(found, timeout))

    # Connection

    @property
    def conn_uri(self) -> str:
        """An ``AIRFLOW_CONN_<ID>`` value for a ``sinch`` connection to this sandbox (service plan auth)."""
        return json.dumps({"conn_type": "sinch", "login": self._settings.service_plan_id,
                           "password": self._settings.api_token, "host": self._served_url()})

    @property
    def project_conn_uri(self) -> str:
        """The same for project (OAuth2) auth, with the token endpoint pointing at the sandbox."""
        url = self._served_url()
        return json.dumps({
            "conn_type": "sinch", "login": self._settings.project_id, "password": self._settings.key_secret,
            "host": url, "extra": {"auth_method": "project", "key_id": self._settings.key_id,
                                   "auth_url": f"{url}/oauth2/token"},
        })

    def _served_url(self) -> str:
        if not self.url:
            raise RuntimeError("the sandbox is not being served: start it with SandboxServer first")
        return self.url
