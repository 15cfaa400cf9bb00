"""The asset URIs callbacks are recorded on, shared by the receiver and the DAG-author helpers.

``sinch://<conn_id>/inbound`` (every inbound message received through the connection),
``sinch://<conn_id>/inbound/<digits>`` (only those sent to one of your numbers, digits as Sinch writes them)
and ``sinch://<conn_id>/delivery`` (every delivery report).  Airflow 3.3 accepts a URI scheme it has no
handler for without a warning (``airflow.sdk.definitions.asset._sanitize_uri`` only normalises), so no
``asset-uris`` entry is needed.
"""

from __future__ import annotations

import re

from airflow_provider_sinch.client.msisdn import msisdn_digits

SCHEME = "sinch"
INBOUND = "inbound"
DELIVERY = "delivery"

_CONN_ID = re.compile(r"(?!\.+\Z)[A-Za-z0-9_.\-]{1,250}")


def is_uri_conn_id(value: object) -> bool:
    """Whether ``value`` is a connection id that fits an asset URI's authority: letters, digits, ``_``, ``.``,
    ``-`` (a subset of what Airflow accepts: ``:``, ``#`` or ``/`` would read as a port, a fragment or a
    path), at most 250, not dots only."""
    return isinstance(value, str) and _CONN_ID.fullmatch(value) is not None


def _checked(conn_id: str) -> str:
    if not is_uri_conn_id(conn_id):
        raise ValueError(
            f"conn_id: must be letters, digits, '_', '.' or '-', not dots only (got {conn_id!r})")
    return conn_id


def inbound_uri(conn_id: str, number: str | None = None) -> str:
    """``sinch://<conn_id>/inbound``, or ``.../inbound/<digits>`` narrowed to one receiving number."""
    base = f"{SCHEME}://{_checked(conn_id)}/{INBOUND}"
    if number is None:
        return base
    digits = msisdn_digits(number)
    if digits is None:
        raise ValueError(f"number: must be a phone number such as +12017777777 (got {number!r})")
    return f"{base}/{digits}"


def delivery_uri(conn_id: str) -> str:
    """``sinch://<conn_id>/delivery``."""
    return f"{SCHEME}://{_checked(conn_id)}/{DELIVERY}"


def inbound_uris(conn_id: str, to: object) -> list[str]:
    """Where an inbound message sent to ``to`` is recorded: the connection's inbound asset, and the one
    narrowed to ``to`` when ``to`` is a phone number (a DAG may schedule on either)."""
    uris = [inbound_uri(conn_id)]
    digits = msisdn_digits(to) if isinstance(to, str) else None
    if digits is not None:
        uris.append(f"{uris[0]}/{digits}")
    return uris
