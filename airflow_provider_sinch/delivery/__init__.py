"""When is a send finished, and did it succeed?  Plain Python shared by sensors (poke) and triggers.

This package is the SMS delivery domain; :mod:`airflow_provider_sinch.client` below it speaks HTTP and knows
nothing of waits.  It imports no Airflow (``tests/test_layers.py`` checks), so every layer above the client
decides on delivery the same way.

Sinch reports delivery per batch as status buckets (``{code, status, count}``) and per recipient as one
status.  ``Queued`` and ``Dispatched`` are intermediate; every other status is final (``Unknown`` means
the carrier took the message but never confirmed it).  A summary report may or may not list the
intermediate buckets, so progress is always computed as **pending = expected - sum of final counts**.

How many recipients to expect
    A batch's ``to`` comes back with the numbers it was sent to, but a group id in ``to`` is not expanded
    there; the report's ``total_message_count`` counts every message of the batch, groups included, but it
    can lag (0 while a scheduled batch waits for ``send_at``).  So ``expected`` is the larger of
    ``total_message_count`` and the number of *distinct* phone numbers in ``to`` (numbers are normalised
    first, so ``+4670...`` and ``004670...`` count once).  A batch whose ``expected`` is still 0 is never
    done, except when it was cancelled: then it is done with nothing delivered.

Success
    :class:`~airflow_provider_sinch.delivery.criteria.DeliveryCriteria` says which final statuses count as
    success (``Delivered`` by default, optionally ``Unknown``) and the minimum share of expected recipients
    that must reach one of them.  A ratio of 1.0 means every recipient; 0.0 means "wait until everything is
    final, whatever the outcome".

The modules:

- :mod:`~airflow_provider_sinch.delivery.criteria`: the criteria, the final statuses, Sinch's codes.
- :mod:`~airflow_provider_sinch.delivery.progress`: where a send stands, evaluated from the reports.
- :mod:`~airflow_provider_sinch.delivery.probes`: the I/O is kept out: a probe lists the read-only client
  calls it needs, a driver makes them with a sync or an async client
  (:func:`~airflow_provider_sinch.delivery.probes.run_probe`,
  :func:`~airflow_provider_sinch.delivery.probes.arun_probe`) and the probe turns the answers into a
  :class:`~airflow_provider_sinch.delivery.progress.DeliveryProgress`.
"""

from airflow_provider_sinch.delivery.criteria import (
    CRITERIA_KEYS,
    DELIVERY_CODES,
    FINAL_STATUS_NAMES,
    DeliveryCriteria,
    describe_code,
)
from airflow_provider_sinch.delivery.probes import (
    BatchDeliveryProbe,
    Call,
    DeliveryProbe,
    RecipientDeliveryProbe,
    arun_probe,
    report_not_ready,
    run_probe,
)
from airflow_provider_sinch.delivery.progress import (
    BatchProgress,
    DeliveryProgress,
    could_finish,
    evaluate_batches,
    evaluate_recipient,
    expected_recipients,
)

__all__ = [
    "CRITERIA_KEYS",
    "DELIVERY_CODES",
    "FINAL_STATUS_NAMES",
    "BatchDeliveryProbe",
    "BatchProgress",
    "Call",
    "DeliveryCriteria",
    "DeliveryProbe",
    "DeliveryProgress",
    "RecipientDeliveryProbe",
    "arun_probe",
    "could_finish",
    "describe_code",
    "evaluate_batches",
    "evaluate_recipient",
    "expected_recipients",
    "report_not_ready",
    "run_probe",
]
