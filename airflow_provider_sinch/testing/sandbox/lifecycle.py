"""The delivery lifecycle of a batch on the sandbox timeline.

At the send time (``send_at``, or when the batch was submitted) the batch's group destinations are expanded
into recipients; ``dispatch_delay`` later every recipient is dispatched: it is rendered (a parameter without
value aborts it with 405, too many parts with 411), the outcome table is consulted (``Aborted`` stops it
there), and the rest become ``Dispatched`` and reach their final status after the rule's delay.  At
``expire_at`` whatever is not final becomes ``Expired`` (406).  Until dispatch, a batch can be updated,
replaced or cancelled (its recipients become ``Cancelled``, 407); after, not.  With a plan rate limit
(``messages_per_second``), the recipients are not dispatched together at the dispatch time but join the
plan's FIFO queue there and leave it at the plan's rate (see :mod:`~.pacing`); the batch counts as
dispatched when its first message leaves.

Each step is a :class:`~.clock.Moment`: the time it is meant for, and its place on the timeline, counted from
when the sandbox received the batch (``time_scale`` compresses the waits, never the timestamps' now).  An
update keeps the place of a time it did not change, so it never pushes a pending step back.  Jobs carry the
batch version they were scheduled for, so a replace, update or cancel silently retires them.  Each
transition is stamped with the time it was meant for (now, if that is still ahead: a compressed wait), not
the time the job ran, so jumping the clock gives the same history as waiting.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from airflow_provider_sinch.client.msisdn import is_msisdn
from airflow_provider_sinch.testing.sandbox.clock import Moment
from airflow_provider_sinch.testing.sandbox.outcomes import OutcomeRule, OutcomeTable
from airflow_provider_sinch.testing.sandbox.pacing import PlanQueue
from airflow_provider_sinch.testing.sandbox.rendering import render
from airflow_provider_sinch.testing.sandbox.reporting import DeliveryReporter
from airflow_provider_sinch.testing.sandbox.scheduler import Scheduler
from airflow_provider_sinch.testing.sandbox.settings import SandboxSettings
from airflow_provider_sinch.testing.sandbox.state import DISPATCHED, Batch, Recipient, Store

CANCELLED = ("Cancelled", 407)
EXPIRED = ("Expired", 406)
DELIVERED = ("Delivered", 0)
# Outcomes an operator reports (and so carry operator_status_at); Unknown means no receipt came.
_OPERATOR_STATUSES = frozenset({"Delivered", "Failed", "Rejected", "Deleted"})


class Lifecycle:
    """Schedules and applies the status transitions of every batch.

    :param store: the sandbox's state.
    :param scheduler: runs the transitions on the sandbox timeline.
    :param settings: returns the current settings (delays).
    :param outcomes: the outcome table.
    :param reporter: turns transitions into delivery-report callbacks.
    :param on_final: called with each recipient that reached a final status and the moment it did (auto
        replies listen here).
    """

    def __init__(self, store: Store, scheduler: Scheduler, settings: Callable[[], SandboxSettings],
                 outcomes: OutcomeTable, reporter: DeliveryReporter,
                 on_final: Callable[[Batch, Recipient, Moment], None]) -> None:
        self._store = store
        self._scheduler = scheduler
        self._settings = settings
        self._outcomes = outcomes
        self._reporter = reporter
        self._on_final = on_final
        self._clock = scheduler.clock
        self.queue = PlanQueue(store, scheduler, lambda: settings().messages_per_second, self._send)

    # Entry points (called with the store lock held)

    def schedule(self, batch: Batch) -> None:
        """(Re)plan a batch that has not been dispatched: after a send, replace or update."""
        batch.version += 1
        batch.release = self._placed(batch.release, batch.send_time)
        batch.expiry = self._placed(batch.expiry, batch.expire_at)
        self._sync_recipients(batch, batch.modified_at)
        self._at(batch.release, batch, self._release, run_if_due=True)  # sent now: groups expand now
        self._at(batch.release.later(self._settings().dispatch_delay), batch, self._dispatch)
        self._at(batch.expiry, batch, self._expire)

    def cancel(self, batch: Batch, now: float) -> bool:
        """Cancel a batch not yet dispatched (its recipients become ``Cancelled``); ``False`` if too late."""
        if batch.dispatched:
            return False
        if not batch.canceled:
            batch.canceled = True
            batch.version += 1
            self._transition(batch, list(batch.recipients.values()), CANCELLED, self._clock.moment(now))
        return True

    def confirm(self, batch: Batch, numbers: Iterable[str], now: float) -> None:
        """Delivery feedback: the given recipients got the message (``Dispatched`` becomes ``Delivered``)."""
        targets = [batch.recipients[n] for n in numbers
                   if n in batch.recipients and batch.recipients[n].status == DISPATCHED[0]]
        batch.feedback.extend(r.msisdn for r in targets)
        self._transition(batch, targets, DELIVERED, self._clock.moment(now), operator=True)

    # Jobs

    def _placed(self, current: Moment | None, at: float) -> Moment:
        """``current`` if it is still meant for ``at`` (an update that left the time alone), else ``at``
        placed on the timeline from now."""
        return current if current is not None and current.at == at else self._clock.moment(at)

    def _at(self, when: Moment, batch: Batch, step: Callable[[Batch, Moment], None],
            run_if_due: bool = False) -> None:
        version = batch.version

        def job() -> None:
            if batch.version == version and not batch.canceled and batch.id in self._store.batches:
                step(batch, when)

        if run_if_due and when.due <= self._clock.elapsed():
            job()
        else:
            self._scheduler.at(when.due, job)

    def _release(self, batch: Batch, when: Moment) -> None:
        batch.released = True
        self._sync_recipients(batch, self._clock.stamp(when.at))

    def _dispatch(self, batch: Batch, when: Moment) -> None:
        """The dispatch time came: every recipient goes out now, or joins the plan's queue (rate limit)."""
        numbers = [n for n, r in batch.recipients.items() if not r.final]
        if self._settings().messages_per_second is None:
            self._send(batch, numbers, when)
        else:
            self.queue.enqueue(batch, when, numbers)

    def _send(self, batch: Batch, numbers: list[str], when: Moment) -> None:
        """Dispatch these recipients of ``batch`` at ``when`` (all, or one tick of the plan's queue)."""
        at = self._clock.stamp(when.at)
        if batch.dispatched_at is None:
            batch.dispatched_at = at
        default_delay = self._settings().delivery_delay
        aborted: list[tuple[Recipient, int]] = []
        dispatched: list[Recipient] = []
        later: dict[float, list[tuple[Recipient, OutcomeRule]]] = {}  # by delay
        for number in numbers:
            recipient = batch.recipients[number]
            if recipient.final:
                continue
            message = render(batch.type, batch.fields, recipient.msisdn)
            recipient.body, recipient.parts = message.body, message.parts
            recipient.encoding = message.encoding
            rule = self._outcomes.resolve(recipient.msisdn)
            if message.error is not None or rule.status == "Aborted":
                aborted.append((recipient, message.error or rule.status_code))
                continue
            dispatched.append(recipient)
            if rule.status != "Expired":  # no receipt ever: it expires at expire_at
                delay = default_delay if rule.delay is None else rule.delay
                later.setdefault(delay, []).append((recipient, rule))
        for recipient, code in aborted:
            self._set(recipient, ("Aborted", code), at, operator=False)
        self._transition(batch, dispatched, DISPATCHED, when, at=at)
        if aborted:
            self._report(batch, [r for r, _ in aborted], when)
        for delay, outcomes in later.items():
            self._at(when.later(delay), batch, functools.partial(self._finish, outcomes=outcomes))

    def _finish(self, batch: Batch, when: Moment, outcomes: list[tuple[Recipient, OutcomeRule]]) -> None:
        at = self._clock.stamp(when.at)
        changed = []
        for recipient, rule in outcomes:
            if not recipient.final:
                self._set(recipient, (rule.status, rule.status_code), at, rule.status in _OPERATOR_STATUSES)
                changed.append(recipient)
        self._report(batch, changed, when)

    def _expire(self, batch: Batch, when: Moment) -> None:
        self._transition(batch, [r for r in batch.recipients.values() if not r.final], EXPIRED, when)

    # Helpers

    def _sync_recipients(self, batch: Batch, at: float) -> None:
        """Make the recipients match the destinations (numbers always, group members once released)."""
        wanted = dict.fromkeys(t for t in batch.to if t not in batch.groups and is_msisdn(t))
        if batch.released:
            for group_id in batch.groups:
                wanted.update(dict.fromkeys(self._store.group_members(group_id)))
        current = batch.recipients
        batch.recipients = {n: current.get(n) or Recipient(msisdn=n, at=at) for n in wanted}

    def _transition(self, batch: Batch, recipients: list[Recipient], state: tuple[str, int], when: Moment,
                    operator: bool = False, at: float | None = None) -> None:
        """Move ``recipients`` (those not final) to ``state``, stamped ``at`` (default: ``when``'s stamp)."""
        changed = [r for r in recipients if not r.final]
        at = self._clock.stamp(when.at) if at is None else at
        for recipient in changed:
            self._set(recipient, state, at, operator)
        self._report(batch, changed, when)

    @staticmethod
    def _set(recipient: Recipient, state: tuple[str, int], at: float, operator: bool) -> None:
        recipient.status, recipient.code = state
        recipient.at = at
        if operator:
            recipient.operator_status_at = at

    def _report(self, batch: Batch, changed: list[Recipient], when: Moment) -> None:
        if not changed:
            return
        self._reporter.changed(batch, changed)
        for recipient in changed:
            if recipient.final:
                self._on_final(batch, recipient, when)
