"""Which connections the receiver serves: only those an operator opted in, named by well-formed ids.

The receiver is mounted on every API server that has the provider installed, outside Airflow's login.  If
it looked up whatever id a URL named, anyone could make the API server query each secrets backend once per
new id (on Vault or a cloud secrets manager every lookup costs money and rate limit) and log a warning
each time.  So nothing is served until ``[sinch] callback_connections`` (``AIRFLOW__SINCH__CALLBACK_
CONNECTIONS``) lists connection ids; a request for any other id is answered 404 before anything is looked
up, and such refusals are counted and logged at most once a minute (:class:`RefusalLog`).

An id in the list must be one Airflow accepts as a connection id (:func:`is_conn_id`: Airflow's own
``sanitize_conn_id`` rule) and fit an asset URI (:func:`~.uris.is_uri_conn_id`); ids that do not are
logged as errors when the receiver starts and not served.  The option is read once, when the receiver is
built (on its first request): a change applies after the API server restarts.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable

from airflow.models.connection import sanitize_conn_id  # already loaded wherever the receiver runs

from airflow_provider_sinch.callbacks.uris import is_uri_conn_id
from airflow_provider_sinch.client.redact import shown_value

log = logging.getLogger(__name__)

CALLBACK_CONNECTIONS_OPTION = ("sinch", "callback_connections")
"""Airflow option (``[sinch] callback_connections``, ``AIRFLOW__SINCH__CALLBACK_CONNECTIONS``): the ids of
the connections whose callbacks the receiver accepts, comma-separated; empty (the default) serves none."""

OPT_IN_HINT = ("list the connection ids in [sinch] callback_connections "
               "(e.g. AIRFLOW__SINCH__CALLBACK_CONNECTIONS=sinch_default) and restart the API server")

REFUSAL_LOG_INTERVAL_S = 60.0

_SEPARATORS = re.compile(r"[,\s]+")


def is_conn_id(value: object) -> bool:
    """Whether ``value`` is a connection id Airflow accepts and not made of dots only.

    Airflow's rule (``airflow.models.connection.sanitize_conn_id``, reused, not copied): word characters
    and ``# ! ( ) - . : / \\``, 1 to 250 of them.  It lets ``.``, ``..`` through, which secrets backends
    turn into paths (``connections/..``): refused here.
    """
    return isinstance(value, str) and sanitize_conn_id(value) == value and value.strip(".") != ""


def problem_with(conn_id: str) -> str | None:
    """Why ``conn_id`` cannot be served (naming the rule), or ``None`` when it can."""
    if not is_conn_id(conn_id):
        return ("not a connection id Airflow accepts (letters, digits, '_', '#', '!', '(', ')', '-', '.', "
                "':', '/', '\\', at most 250, not dots only)")
    if not is_uri_conn_id(conn_id):
        return "its asset URIs (sinch://<conn_id>/...) allow only letters, digits, '_', '.' and '-' in it"
    return None


def parse_served(text: str) -> tuple[frozenset[str], dict[str, str]]:
    """The ids a ``callback_connections`` value lists (commas and/or whitespace between them), and those
    refused with the reason.

    :param text: the option's value.
    :return: ``(served ids, {refused entry: why})``.
    """
    served: set[str] = set()
    refused: dict[str, str] = {}
    for entry in filter(None, _SEPARATORS.split(text)):
        reason = problem_with(entry)
        if reason is None:
            served.add(entry)
        else:
            refused[entry] = reason
    return frozenset(served), refused


def configured_value() -> str:
    """The value of :data:`CALLBACK_CONNECTIONS_OPTION` through Airflow's configuration (env var included);
    empty when unset."""
    from airflow.providers.common.compat.sdk import conf

    return conf.get(*CALLBACK_CONNECTIONS_OPTION, fallback="") or ""


def served_connections(text: str | None = None) -> frozenset[str]:
    """The ids the receiver serves, read from ``text`` (by default the option); logs one line saying which
    (or that none is, and how to opt in) and an error per entry it cannot serve.

    :param text: a ``callback_connections`` value; ``None`` reads the option.
    """
    served, refused = parse_served(configured_value() if text is None else text)
    for entry, reason in refused.items():
        log.error("[sinch] callback_connections: %s is not served: %s", shown_value(entry), reason)
    if served:
        log.info("Sinch callback receiver serving POST /sinch/callbacks/{conn_id} for: %s",
                 ", ".join(sorted(served)))
    else:
        log.warning("Sinch callback receiver serves no connection: every callback is answered 404. To "
                    "receive callbacks, %s.", OPT_IN_HINT)
    return served


class RefusalLog:
    """Counts requests for connections the receiver does not serve, logging them at most once per
    ``interval`` (the first at once, then how many came since): a stranger posting to made-up ids must not
    flood the log, an operator who forgot to opt in must still see why Sinch's callbacks are refused.

    :param interval: least seconds between two log lines.
    :param clock: monotonic seconds (injectable for tests).
    """

    def __init__(self, interval: float = REFUSAL_LOG_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total = 0
        self._interval = interval
        self._clock = clock
        self._unlogged = 0
        self._next_log_at: float | None = None
        self._lock = threading.Lock()

    def refused(self, conn_id: str) -> None:
        """Count one refused request for ``conn_id`` (shown, masked and escaped, only in a log line)."""
        now = self._clock()
        with self._lock:
            self.total += 1
            self._unlogged += 1
            if self._next_log_at is not None and now < self._next_log_at:
                return
            count, total, self._unlogged = self._unlogged, self.total, 0
            self._next_log_at = now + self._interval
        log.warning("Sinch callback receiver: %d request(s) answered 404 since the last report (%d in all), "
                    "the latest for %s: only the connections in [sinch] callback_connections are served; to "
                    "serve one, %s.", count, total, shown_value(conn_id), OPT_IN_HINT)
