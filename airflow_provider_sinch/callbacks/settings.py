"""What a ``sinch`` connection says about callbacks: how Sinch authenticates them and where they go.

Four connection extras (declared in the provider info, the secret ones as password fields):

* ``callback_secret``: the HMAC signing secret Sinch signs callbacks with (``x-sinch-webhook-signature``).
* ``callback_username`` / ``callback_password``: HTTP Basic credentials Sinch sends (they must be in the
  callback URL Sinch is given: ``delivery_callbacks`` puts them there; in the dashboard, write them).
* ``callback_url``: the public URL of this connection's receiver, for operators that ask Sinch to send
  delivery reports (``callback_url`` of a batch).

A connection with neither a secret nor Basic credentials refuses every callback.  No Airflow imports here
(the extra names come from the connection mapping, which has none either).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_sinch.hooks.connection import (
    EXTRA_CALLBACK_PASSWORD,
    EXTRA_CALLBACK_URL,
    EXTRA_CALLBACK_USERNAME,
)

EXTRA_SECRET = "callback_secret"  # noqa: S105 - the name of an extra, not a secret
EXTRA_USERNAME = EXTRA_CALLBACK_USERNAME
EXTRA_PASSWORD = EXTRA_CALLBACK_PASSWORD
EXTRA_URL = EXTRA_CALLBACK_URL


def _text(extra: Mapping[str, Any], key: str) -> str | None:
    value = extra.get(key)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


@dataclass(frozen=True)
class CallbackSettings:
    """The callback settings of one connection.

    :param secret: HMAC signing secret (``None``: signed callbacks are not accepted).
    :param username: HTTP Basic user name (``None``: Basic is not accepted).
    :param password: HTTP Basic password.
    :param url: public URL of the receiver for this connection (informational for the receiver).
    """

    secret: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    url: str | None = None

    @classmethod
    def from_extra(cls, extra: Mapping[str, Any]) -> CallbackSettings:
        """Read the ``callback_*`` extras of a connection (empty strings count as not set)."""
        return cls(
            secret=_text(extra, EXTRA_SECRET),
            username=_text(extra, EXTRA_USERNAME),
            password=_text(extra, EXTRA_PASSWORD),
            url=_text(extra, EXTRA_URL),
        )

    @property
    def accepts_signatures(self) -> bool:
        return self.secret is not None

    @property
    def accepts_basic(self) -> bool:
        return self.username is not None and self.password is not None

    @property
    def enabled(self) -> bool:
        """Whether callbacks are accepted at all (a secret or Basic credentials are configured)."""
        return self.accepts_signatures or self.accepts_basic


class SettingsCache:
    """Remembers each connection's callback settings for ``ttl`` seconds, and reads a connection again at
    once when a request was refused with what it remembers.

    A batch of 1,000 recipients with per-recipient reports is 1,000 callbacks within seconds, and anyone
    can POST to the receiver: without a cache each request is a connection lookup (a secrets backend or the
    metadata DB).  Unknown connection ids are remembered too (as ``None``), in a bounded map.  A rotated
    secret must not refuse Sinch's callbacks until the answer expires (a 401 is final at Sinch): a request
    refused on its credentials asks for :meth:`fresher` settings, which re-reads the connection bypassing
    the ``ttl``, at most once per ``reread_interval`` per connection, so a stranger's bad requests cost at
    most one lookup per interval.

    :param lookup: conn id -> settings, ``None`` when the connection is missing or not ``sinch``.
    :param ttl: seconds an answer is reused.
    :param max_entries: most connection ids remembered (the oldest are forgotten first).
    :param clock: monotonic seconds (injectable for tests).
    :param reread_interval: least seconds between two re-reads of one connection by :meth:`fresher`.
    """

    def __init__(self, lookup: Callable[[str], CallbackSettings | None], ttl: float = 10.0,
                 max_entries: int = 1024, clock: Callable[[], float] = time.monotonic,
                 reread_interval: float = 5.0) -> None:
        self._lookup = lookup
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._reread_interval = reread_interval
        self._entries: OrderedDict[str, tuple[float, CallbackSettings | None]] = OrderedDict()
        self._rereads: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self._reread_lock = threading.Lock()

    def __call__(self, conn_id: str) -> CallbackSettings | None:
        now = self._clock()
        with self._lock:
            hit = self._entries.get(conn_id)
            if hit is not None and hit[0] > now:
                return hit[1]
        settings = self._lookup(conn_id)  # outside the lock: a slow backend must not serialise requests
        self._remember(conn_id, now, settings)
        return settings

    def fresher(self, conn_id: str, than: CallbackSettings | None) -> CallbackSettings | None:
        """Settings of ``conn_id`` other than ``than`` (those a request was just refused with), or ``None``
        when there are none.

        Another request may have found them already (then they are returned without a lookup); otherwise
        the connection is read again, unless it was re-read less than ``reread_interval`` seconds ago.
        Re-reads are one at a time, so a burst of callbacks signed with a new secret costs one lookup: the
        others wait for it and use its answer.

        :param conn_id: the connection.
        :param than: the settings the request was refused with.
        """
        with self._reread_lock:
            now = self._clock()
            with self._lock:
                hit = self._entries.get(conn_id)
                if hit is not None and hit[1] != than:
                    return hit[1]
                last = self._rereads.get(conn_id)
                if last is not None and now - last < self._reread_interval:
                    return None
                self._rereads[conn_id] = now
                self._rereads.move_to_end(conn_id)
                while len(self._rereads) > self._max:
                    self._rereads.popitem(last=False)
            settings = self._lookup(conn_id)
            self._remember(conn_id, now, settings)
        return settings if settings != than else None

    def _remember(self, conn_id: str, now: float, settings: CallbackSettings | None) -> None:
        with self._lock:
            self._entries[conn_id] = (now + self._ttl, settings)
            self._entries.move_to_end(conn_id)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
