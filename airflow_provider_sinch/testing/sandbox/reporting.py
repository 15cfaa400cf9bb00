"""Which delivery-report callbacks a status change causes, by the batch's ``delivery_report`` setting.

* ``per_recipient``: a recipient report for every change (``Dispatched`` and the final status).
* ``per_recipient_final``: a recipient report for the final status only.
* ``summary`` / ``full``: one batch report once every recipient is final (``full`` lists the recipients).
* ``none``: nothing (reports stay readable by GET).

The URL is the batch's ``callback_url``, else the service plan's default callback URL.
"""

from __future__ import annotations

from collections.abc import Callable

from airflow_provider_sinch.testing.sandbox.callbacks import CallbackDispatcher
from airflow_provider_sinch.testing.sandbox.settings import SandboxSettings
from airflow_provider_sinch.testing.sandbox.state import Batch, Recipient
from airflow_provider_sinch.testing.sandbox.views import batch_report, recipient_report

PER_RECIPIENT = "per_recipient"
PER_RECIPIENT_FINAL = "per_recipient_final"
BATCH_REPORTS = {"summary": False, "full": True}


class DeliveryReporter:
    """Turns recipient status changes into delivery-report callbacks.

    :param dispatcher: sends the callbacks.
    :param settings: returns the current settings (for the default callback URL).
    """

    def __init__(self, dispatcher: CallbackDispatcher, settings: Callable[[], SandboxSettings]) -> None:
        self._dispatcher = dispatcher
        self._settings = settings

    def changed(self, batch: Batch, recipients: list[Recipient]) -> None:
        """Report that ``recipients`` of ``batch`` changed status (call after every transition)."""
        kind = batch.delivery_report
        url = batch.fields.get("callback_url") or self._settings().default_callback_url
        if kind == "none" or not url:
            return
        if kind in (PER_RECIPIENT, PER_RECIPIENT_FINAL):
            for recipient in recipients:
                if kind == PER_RECIPIENT or recipient.final:
                    report = recipient_report(batch, recipient)
                    self._dispatcher.send("recipient_delivery_report", url, report)
        elif kind in BATCH_REPORTS and batch.all_final and not batch.report_sent:
            batch.report_sent = True
            self._dispatcher.send("delivery_report", url, batch_report(batch, full=BATCH_REPORTS[kind]))
