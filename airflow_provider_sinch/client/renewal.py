"""Rotated credentials: a request refused for its credentials is sent again with the connection's new ones.

Rotating a Sinch API token (or an access key) means putting the new one into the Airflow connection and
revoking the old one.  A client holds the credentials it was built with (a triggerer's shared client until
its next read of the connection, a worker's hook for the whole task), so without help every request in
between would be refused with a 401 and every wait would fail.  Instead, a client that is refused (a 401,
or the OAuth2 token request refused) asks its owner for the connection's credentials again, bypassing any
cache, and when they changed it adopts them and sends the request once more.  When they did not change, or
the new ones are refused too, the refusal stands: a wait fails only when the connection's current
credentials are refused.

What the sync and the async paths share lives here, without I/O and without Airflow:

* which failures are refusals (:func:`is_refusal`) and what counts as other credentials
  (:func:`newer_credentials`);
* how often a connection may be re-read because of refusals (:class:`RenewalGate`: a flood of 401s must not
  become a flood of secrets-backend lookups);
* what a refused client adopts (:func:`adopt`: the new credentials, or the refusal raised again).

The owner, in the hook layer, performs the re-read: :class:`~airflow_provider_sinch.client.SinchClient` takes
a :data:`Renew` and :class:`~airflow_provider_sinch.client.AsyncSinchClient` an :data:`AsyncRenew`.  Secrets
never appear in a log line or an error: credentials are compared in memory only.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from airflow_provider_sinch.client.auth import Auth, ProjectAuth
from airflow_provider_sinch.client.errors import SinchAuthenticationError

if TYPE_CHECKING:
    from airflow_provider_sinch.client.config import SinchConfig

log = logging.getLogger(__name__)

RENEW_INTERVAL_SECONDS = 10.0
"""Shortest time between two re-reads of one connection caused by refusals (the regular re-reads, such as a
triggerer's once a minute, are not counted)."""

Renew = Callable[["SinchConfig"], "SinchConfig | None"]
"""Given the configuration Sinch refused, the connection's configuration read again (bypassing caches), or
``None`` when it may not be read now (:class:`RenewalGate`) or could not be read."""

AsyncRenew = Callable[["SinchConfig"], Awaitable["SinchConfig | None"]]
""":data:`Renew` for the async client."""


def is_refusal(exc: BaseException) -> bool:
    """Whether ``exc`` says Sinch refused the credentials: a 401 from the API, or the OAuth2 token request
    refused (both :class:`~airflow_provider_sinch.client.SinchAuthenticationError`)."""
    return isinstance(exc, SinchAuthenticationError)


def credentials_identity(auth: Auth) -> Hashable:
    """The credentials of ``auth`` as a hashable value, compared in memory only (never logged).

    :class:`~airflow_provider_sinch.client.ProjectAuth` caches its OAuth2 token and is not hashable, so the
    identity lists its fields instead.
    """
    if isinstance(auth, ProjectAuth):
        return ("project", auth.project_id, auth.key_id, auth.key_secret, auth.auth_url)
    return ("service_plan", *dataclasses.astuple(auth))


def newer_credentials(refused: SinchConfig, latest: SinchConfig | None) -> SinchConfig | None:
    """``latest`` when its credentials differ from the refused ones, else ``None`` (the refusal stands).

    :param refused: the configuration a request was refused with.
    :param latest: the connection as last read (``None`` when there is none).
    """
    if latest is None or credentials_identity(latest.auth) == credentials_identity(refused.auth):
        return None
    return latest


def adopt(refusal: SinchAuthenticationError, refused: SinchConfig, latest: SinchConfig | None) -> SinchConfig:
    """The configuration to send a refused request again with: ``refused`` with the new credentials.

    Only credentials are adopted, for the same plan or project at the same address: a client's pool and
    remembered requests belong to that address, and a connection moved elsewhere is not a rotation (the
    owner's regular re-read reaches it).

    :param refusal: the refusal, raised again when there is nothing to adopt.
    :param refused: the configuration the request was refused with.
    :param latest: what the owner's :data:`Renew` returned.
    :raises SinchAuthenticationError: ``refusal``, when ``latest`` has no other credentials for this address.
    """
    newer = newer_credentials(refused, latest)
    if newer is None or newer.api_root != refused.api_root:
        raise refusal
    log.debug("Sinch refused the credentials in use: the request is sent once more with the new ones")
    return dataclasses.replace(refused, auth=newer.auth)


@dataclass
class RenewalGate:
    """At most one re-read of each connection per ``interval`` because of refusals (thread-safe).

    A connection whose credentials are refused is typically refused for every request in flight at once: the
    first refusal may re-read it, the others use what that read found (or, when it found nothing new, fail
    with their refusal).

    :param interval: seconds between two re-reads of one key (:data:`RENEW_INTERVAL_SECONDS`).
    :param clock: monotonic seconds (tests pass a fake one).
    """

    interval: float = RENEW_INTERVAL_SECONDS
    clock: Callable[[], float] = time.monotonic
    _last: dict[Hashable, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, key: Hashable) -> bool:
        """Whether ``key`` (a connection) may be re-read now; a ``True`` counts as that re-read."""
        now = self.clock()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.interval:
                log.debug("Not re-reading the Sinch connection again within %.0f s", self.interval)
                return False
            self._last[key] = now
            return True
