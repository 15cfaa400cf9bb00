"""Phone numbers masked in every log line of the receiver, whatever carries them.

The receiver's own messages mask the numbers they name (:func:`~.app.describe`), but numbers also travel
inside other values: an asset URI narrowed to a receiving number (``sinch://c/inbound/12017777777``), an
error's text, a traceback.  :class:`MaskNumbers` rewrites each record of the receiver's loggers with
:func:`~airflow_provider_sinch.client.redact.mask_text` (every run of 7 or more digits), so no line can
show a full number, whichever handler Airflow's logging configuration puts behind them.
"""

from __future__ import annotations

import logging
import traceback

from airflow_provider_sinch.client.redact import mask_text


class MaskNumbers(logging.Filter):
    """A logging filter masking every digit run of phone-number length in a record's message and its
    traceback (both rendered here, so a handler has nothing left to format with the raw values).

    It drops nothing.  Runs of 7+ digits that are not numbers (a long number in an id) are masked too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_info = None
            record.exc_text = None
        if record.stack_info:
            text += "\n" + record.stack_info
            record.stack_info = None
        record.msg = mask_text(text)
        record.args = None
        return True


def mask_numbers_in(*loggers: logging.Logger) -> None:
    """Add one :class:`MaskNumbers` to each of ``loggers`` (again on the same logger: nothing added).

    :param loggers: the loggers whose records are masked (a logger's filters apply to what it logs itself,
        not to its children's records).
    """
    for logger in loggers:
        if not any(isinstance(f, MaskNumbers) for f in logger.filters):
            logger.addFilter(MaskNumbers())
