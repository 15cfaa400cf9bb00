"""Sans-I/O delivery checks and the two drivers that make their calls.

A probe lists the read-only client calls it needs (:meth:`BatchDeliveryProbe.calls`, then
:meth:`~BatchDeliveryProbe.followup` for what only some answers need), a driver makes them with a sync or
an async client (:func:`run_probe`, :func:`arun_probe`) and the probe turns the answers into a
:class:`~airflow_provider_sinch.delivery.progress.DeliveryProgress`.  The sensors' ``poke`` and the
triggers run the same probes, so they decide alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from airflow_provider_sinch.client.errors import (
    SinchNotFoundError,
    SinchReportNotReadyError,
    SinchValidationError,
)
from airflow_provider_sinch.client.identifiers import check_path_id
from airflow_provider_sinch.client.msisdn import mask_destination, msisdn_digits, number_problem
from airflow_provider_sinch.delivery.criteria import DeliveryCriteria
from airflow_provider_sinch.delivery.progress import (
    DeliveryProgress,
    could_finish,
    evaluate_batches,
    evaluate_recipient,
)

if TYPE_CHECKING:
    from airflow_provider_sinch.client.models import Batch

WAIT = "delivery wait"


Call = tuple[str, dict[str, Any]]
"""A read-only client call: ``(method name, keyword arguments)``."""


class DeliveryProbe(Protocol):
    """Sans-I/O check: the calls to make, then what their answers mean."""

    def calls(self) -> list[Call]: ...

    def when_not_found(self) -> Call | None:
        """After a 404 from :meth:`calls`: the call that tells a target that does not exist (it 404s too:
        final) from a report that is not there yet (raised as
        :class:`~airflow_provider_sinch.client.errors.SinchReportNotReadyError`, which waits poll again);
        ``None`` when a 404 is always final."""

    def followup(self, results: list[Any]) -> list[Call]:
        """The calls to make after :meth:`calls` answered ``results`` (their answers are appended to the
        results :meth:`evaluate` gets): what only some answers need."""

    def evaluate(self, results: list[Any]) -> DeliveryProgress: ...


class BatchDeliveryProbe:
    """Checks one or several batches; fetches each batch once (for its ``to``), reports every time.

    With ``batches_first`` (the default) every batch is read before its first report.  Without, a batch is
    read only once its summary report could finish it (every message it counts is final) or counts no
    message at all, which are the only answers that ``to`` and ``canceled`` can change: until then a
    wait costs one request a poll, and the decision is the same.  (Until a batch is read, ``expected`` in
    the progress is the report's ``total_message_count``.)

    :param batch_ids: the batches (e.g. every chunk of one send).
    :param criteria: what counts as success.
    :param batches_first: read every batch before its first report, instead of when it is needed.
    """

    def __init__(self, batch_ids: Sequence[str], criteria: DeliveryCriteria, *,
                 batches_first: bool = True) -> None:
        if isinstance(batch_ids, str):
            batch_ids = [batch_ids]
        if not isinstance(batch_ids, Sequence) or not batch_ids:
            raise SinchValidationError([("batch_ids", "must name at least one batch")], WAIT)
        ids = [check_path_id(b, f"batch_ids[{i}]", model=WAIT) for i, b in enumerate(batch_ids)]
        self.batch_ids = list(dict.fromkeys(ids))
        self.criteria = criteria
        self.batches: dict[str, Batch | None] = {}
        self.batches_first = batches_first
        self._asked: list[str] = []  # the batches the last followup() reads

    def when_not_found(self) -> Call | None:
        return None  # a 404 here is an unknown batch id: waiting will not change it

    def calls(self) -> list[Call]:
        unknown = [b for b in self.batch_ids if b not in self.batches] if self.batches_first else []
        return [("get_batch", {"batch_id": b}) for b in unknown] + [
            ("get_delivery_report", {"batch_id": b, "type": "summary"}) for b in self.batch_ids
        ]

    def followup(self, results: list[Any]) -> list[Call]:
        if self.batches_first:
            return []
        from airflow_provider_sinch.client.models import BatchDeliveryReport  # not at DAG parse

        reports = [r for r in results if isinstance(r, BatchDeliveryReport)]
        self._asked = [b for b, report in zip(self.batch_ids, reports, strict=False)
                       if b not in self.batches and could_finish(report)]
        return [("get_batch", {"batch_id": b}) for b in self._asked]

    def evaluate(self, results: list[Any]) -> DeliveryProgress:
        from airflow_provider_sinch.client.models import Batch, BatchDeliveryReport  # not at DAG parse

        fetched = [r for r in results if isinstance(r, Batch)]
        if self.batches_first:
            for result in fetched:
                self.batches[result.id] = result
        else:  # keyed by the id asked for, whatever Sinch echoes back
            self.batches.update(zip(self._asked, fetched, strict=False))
            self._asked = []
        reports = [r for r in results if isinstance(r, BatchDeliveryReport)]
        if len(reports) != len(self.batch_ids):
            raise ValueError(f"expected {len(self.batch_ids)} delivery reports, got {len(reports)}")
        if self.batches_first:
            for batch_id in self.batch_ids:
                self.batches.setdefault(batch_id, None)
        # Reports come in batch_ids order: key them by the id asked for, whatever Sinch echoes back.
        return evaluate_batches(reports, self.batches, self.criteria, self.batch_ids)


class RecipientDeliveryProbe:
    """Checks one recipient of one batch.

    :param batch_id: the batch.
    :param recipient: the number, in any spelling Sinch accepts.
    :param criteria: what counts as success.
    """

    def __init__(self, batch_id: str, recipient: str, criteria: DeliveryCriteria) -> None:
        self.batch_id = check_path_id(batch_id, "batch_id", model=WAIT)
        digits = msisdn_digits(recipient)
        if digits is None:
            problem = number_problem(recipient) or "must be a phone number in international format"
            raise SinchValidationError([("recipient", f"{problem}; got {mask_destination(recipient)}")], WAIT)
        self.recipient = digits  # canonical, so a probe re-created from it polls the same recipient
        self.criteria = criteria

    def calls(self) -> list[Call]:
        kwargs = {"batch_id": self.batch_id, "recipient_msisdn": self.recipient}
        return [("get_recipient_delivery_report", kwargs)]

    def when_not_found(self) -> Call | None:
        # Right after a send Sinch may have no report for the number yet; an unknown batch is final.
        return ("get_batch", {"batch_id": self.batch_id})

    def followup(self, results: list[Any]) -> list[Call]:
        return []

    def evaluate(self, results: list[Any]) -> DeliveryProgress:
        (report,) = results
        return evaluate_recipient(report, self.criteria)


def report_not_ready(error: SinchNotFoundError) -> SinchReportNotReadyError:
    """The error for a 404 on a report whose target exists (see ``DeliveryProbe.when_not_found``)."""
    return SinchReportNotReadyError.from_not_found(
        error, "(no delivery report for this recipient yet, or the number is not in the batch)")


def run_probe(probe: DeliveryProbe, client: Any) -> DeliveryProgress:
    """Make the probe's calls with a synchronous client (or ``SinchHook``)."""
    try:
        results = [getattr(client, name)(**kwargs) for name, kwargs in probe.calls()]
        results += [getattr(client, name)(**kwargs) for name, kwargs in probe.followup(results)]
        return probe.evaluate(results)
    except SinchNotFoundError as exc:
        if (check := probe.when_not_found()) is None:
            raise
        getattr(client, check[0])(**check[1])  # an unknown target raises its own, final, 404
        raise report_not_ready(exc) from None


async def arun_probe(probe: DeliveryProbe, client: Any) -> DeliveryProgress:
    """Make the probe's calls with an :class:`~airflow_provider_sinch.client.AsyncSinchClient`, one at a
    time (a triggerer shares the connection pool with many triggers)."""
    try:
        results = [await getattr(client, name)(**kwargs) for name, kwargs in probe.calls()]
        results += [await getattr(client, name)(**kwargs) for name, kwargs in probe.followup(results)]
        return probe.evaluate(results)
    except SinchNotFoundError as exc:
        if (check := probe.when_not_found()) is None:
            raise
        await getattr(client, check[0])(**check[1])  # an unknown target raises its own, final, 404
        raise report_not_ready(exc) from None
